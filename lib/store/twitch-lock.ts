import { randomUUID } from 'node:crypto';
import { sleep } from '../utils/sleep.js';
import type { TwitchKvStore } from './twitch-kv.store.js';

/** Waiting for another instance's lock took longer than allowed. */
export class TwitchLockTimeoutError extends Error {
  constructor(what: string, waitedMs: number) {
    super(`timed out after ${waitedMs} ms waiting for another instance to ${what}`);
    this.name = 'TwitchLockTimeoutError';
  }
}

export interface TwitchLockOptions {
  /** What the holder does, for the timeout message: `fetch the app token`. */
  what: string;
  /** The lock expires after this long if its holder dies (ms). */
  ttlMs: number;
  /** Longest time to wait for other holders before giving up (ms). */
  waitMs: number;
  /** Time between checks while another instance holds the lock (ms). */
  pollMs?: number;
}

/**
 * Work done once across instances, under a lock in the shared key-value store (Redis, or memory for
 * one instance). Until `waitMs` has passed: `ready()` says whether the result is already there (made
 * by another holder); if not, whoever takes the lock asks `ready()` once more (the previous holder may
 * have finished between the first look and taking the lock), runs `work()` only if still needed, and
 * releases the lock, whatever happens; the others wait `pollMs` and look again. The lock is released
 * only by its own holder.
 */
export async function underSharedLock<T>(
  kv: TwitchKvStore,
  key: string,
  opts: TwitchLockOptions,
  steps: { ready(): Promise<T | undefined>; work(): Promise<T> },
): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < opts.waitMs) {
    const done = await steps.ready();
    if (done !== undefined) return done;
    const id = randomUUID();
    if (await kv.setIfAbsent(key, id, opts.ttlMs)) {
      try {
        const madeMeanwhile = await steps.ready();
        return madeMeanwhile !== undefined ? madeMeanwhile : await steps.work();
      } finally {
        await kv.deleteIf(key, id).catch(() => undefined);
      }
    }
    await sleep(opts.pollMs ?? 25);
  }
  throw new TwitchLockTimeoutError(opts.what, Date.now() - started);
}

/** Runs `work` only if the lock is free (skipping otherwise); returns whether it ran. */
export async function ifLockFree(kv: TwitchKvStore, key: string, ttlMs: number, work: () => Promise<void>): Promise<boolean> {
  const id = randomUUID();
  if (!(await kv.setIfAbsent(key, id, ttlMs))) return false;
  try {
    await work();
    return true;
  } finally {
    await kv.deleteIf(key, id).catch(() => undefined);
  }
}
