import { Logger, type Provider } from '@nestjs/common';
// The module's own connections come from @redis/client (which `redis` re-exports): they send plain commands
// only, so they skip the command tables of the RedisJSON, Search, TimeSeries and Bloom modules that `redis`
// adds to every client it creates.
import { createClient, createCluster } from '@redis/client';
import type { RedisClientType } from 'redis';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { boundRedisClient } from './twitch-redis-bounded.js';

/**
 * The client the module sends its commands through. A node-redis cluster client (`createCluster`) is used
 * through this type too: it answers the same commands, each routed by its (first) key, and every script
 * and MULTI of the module touches keys of one hash tag (`twitchKey`).
 */
export type TwitchRedisClient = RedisClientType<any, any, any, any, any>;

/** The Redis client, and whether the module opened it (and so must close it). */
export interface TwitchRedisHandle {
  /** The client every command of the module goes through: each bounded by `redis.commandTimeoutMs`. */
  client: TwitchRedisClient;
  /** The client as opened or given (for closing it). */
  raw: TwitchRedisClient;
  owned: boolean;
}

/** Hides the password of a Redis URL for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis URL';
  }
}

/**
 * Connects to Redis at bootstrap when `redis.url` or `redis.cluster` is set: a Redis that does not answer fails the
 * bootstrap with a clear error instead of hanging. Once connected, the client reconnects on its own,
 * and commands fail fast while it is away (callers fall back to memory or skip the cache).
 */
export const twitchRedisProvider: Provider = {
  provide: TWITCH_REDIS,
  inject: [TWITCH_RESOLVED_OPTIONS],
  useFactory: async (options: TwitchResolvedOptions): Promise<TwitchRedisHandle | null> => {
    if (!options.redis) return null;
    const timeoutMs = options.redisCommandTimeoutMs;
    if ('client' in options.redis) {
      const given = options.redis.client as TwitchRedisClient;
      return { client: boundRedisClient(given, timeoutMs), raw: given, owned: false };
    }
    const logger = new Logger('TwitchRedis');
    let ready = false;
    const connection = {
      name: 'nestjs-twitch',
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5_000,
        reconnectStrategy: (retries: number, cause: Error) =>
          !ready && retries >= 2 ? cause : Math.min(50 * 2 ** retries, 2_000),
      },
    };
    const cluster = 'cluster' in options.redis ? options.redis.cluster.rootNodes : undefined;
    const url = 'url' in options.redis ? options.redis.url : undefined;
    const where = cluster
      ? `the Redis Cluster at ${cluster.map(redactRedisUrl).join(', ')} (option "redis.cluster.rootNodes")`
      : `Redis at ${redactRedisUrl(url!)} (option "redis.url")`;
    // A cluster client answers the same commands, each routed by its key (see TwitchRedisClient).
    // Each branch is cast on its own (through unknown): relating node-redis's cluster and client types to each
    // other costs the type checker seconds and says nothing TwitchRedisClient does not.
    const client = cluster
      ? (createCluster({ rootNodes: cluster.map((u) => ({ url: u })), defaults: connection }) as unknown as TwitchRedisClient)
      : (createClient({ url, ...connection }) as unknown as TwitchRedisClient);
    let lastLog = 0;
    client.on('error', (err: Error) => {
      if (ready && Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        logger.warn(`Redis connection error: ${err.message}`);
      }
    });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`TwitchModule: cannot connect to ${where}: ${(err as Error).message}`);
    }
    ready = true;
    return { client: boundRedisClient(client, timeoutMs), raw: client, owned: true };
  },
};
