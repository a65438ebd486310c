import { withDeadline } from '../utils/deadline.js';
import type { TwitchRedisClient } from './twitch-redis.provider.js';

/** A Redis command did not answer within `redis.commandTimeoutMs`. */
export class TwitchRedisTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`Redis did not answer ${command} within ${timeoutMs} ms (option "redis.commandTimeoutMs")`);
    this.name = 'TwitchRedisTimeoutError';
  }
}

/**
 * The client the module sends its commands through: every command that returns a promise settles
 * within `timeoutMs`, or fails with `TwitchRedisTimeoutError`. node-redis's own command timeout only
 * covers the wait before a command is written; a Redis that accepted the bytes but does not answer
 * (stalled, paused, overloaded) would hold the caller forever. A late answer is dropped.
 */
export function boundRedisClient(client: TwitchRedisClient, timeoutMs: number): TwitchRedisClient {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        fn = function (this: unknown, ...args: unknown[]) {
          const out = (value as unknown as (...a: unknown[]) => unknown).apply(target, args);
          if (!out || typeof (out as Promise<unknown>).then !== 'function') return out;
          return withDeadline(out as Promise<unknown>, timeoutMs, () => new TwitchRedisTimeoutError(String(prop), timeoutMs));
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}
