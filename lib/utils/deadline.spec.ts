import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.js';

/** Keeps the event loop busy, as a process short of CPU would be. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

describe('withDeadline', () => {
  it('answers with the work when it settles in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, () => new Error('late'))).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('failed')), 50, () => new Error('late'))).rejects.toThrow('failed');
  });

  it('fails with the late error when no answer comes', async () => {
    await expect(withDeadline(new Promise<never>(() => undefined), 20, () => new Error('late'))).rejects.toThrow('late');
  });

  it('takes an answer that arrived while the loop was busy past the deadline', async () => {
    // Busy in the check phase (a setImmediate callback) while the stat completes on the thread pool: the next
    // turn of the loop runs the expired timer first, then reads the stat's answer.
    const answer = new Promise((done) =>
      setImmediate(() => {
        const call = withDeadline(stat(import.meta.filename), 10, () => new Error('late'));
        busy(100);
        done(call);
      }),
    );
    await expect(answer).resolves.toBeDefined();
  });
});
