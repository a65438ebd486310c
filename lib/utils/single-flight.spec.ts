import { describe, expect, it } from 'vitest';
import { TwitchSingleFlight, waitFor } from './single-flight.js';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

describe('TwitchSingleFlight', () => {
  it('runs the work once for concurrent callers of one key, and again once it settled', async () => {
    const flight = new TwitchSingleFlight<number>();
    let runs = 0;
    const d = deferred<number>();
    const work = () => (runs++, d.promise);
    const a = flight.run('k', work);
    const b = flight.run('k', work);
    d.resolve(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(runs).toBe(1);
    expect(flight.size).toBe(0);
    await flight.run('k', async () => (runs++, 8));
    expect(runs).toBe(2);
  });

  it('removes the entry when the work fails, and every waiter gets the failure', async () => {
    const flight = new TwitchSingleFlight<number>();
    const d = deferred<number>();
    const a = flight.run('k', () => d.promise);
    const b = flight.run('k', () => d.promise);
    d.reject(new Error('boom'));
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
    expect(flight.has('k')).toBe(false);
  });

  it('a synchronous throw of the work is a rejection, and leaves no entry', async () => {
    const flight = new TwitchSingleFlight<number>();
    await expect(
      flight.run('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(flight.size).toBe(0);
  });

  it('one waiter aborting leaves the work and the other waiters alone', async () => {
    const flight = new TwitchSingleFlight<number>();
    const d = deferred<number>();
    const c = new AbortController();
    const a = flight.run('k', () => d.promise, { signal: c.signal });
    const b = flight.run('k', () => d.promise);
    c.abort(new Error('left'));
    await expect(a).rejects.toThrow('left');
    expect(flight.has('k')).toBe(true);
    d.resolve(1);
    expect(await b).toBe(1);
  });

  it('a waiter times out on its own budget', async () => {
    const flight = new TwitchSingleFlight<number>();
    const d = deferred<number>();
    const a = flight.run('k', () => d.promise, { timeoutMs: 20, onTimeout: () => new Error('too slow') });
    await expect(a).rejects.toThrow('too slow');
    d.resolve(1);
    expect(await flight.run('k', () => d.promise)).toBe(1);
  });
});

describe('waitFor', () => {
  it('rejects at once with an already aborted signal', async () => {
    const c = new AbortController();
    c.abort(new Error('already'));
    await expect(waitFor(new Promise(() => undefined), { signal: c.signal })).rejects.toThrow('already');
  });
  it('returns the work itself when there is nothing to wait with', () => {
    const p = Promise.resolve(1);
    expect(waitFor(p)).toBe(p);
  });
});
