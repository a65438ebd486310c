import { Inject, Injectable, Module } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { TwitchApiService } from '../api/twitch-api.service.js';
import { TwitchAppTokenManager } from '../auth/twitch-app-token.manager.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import type { TwitchRedisHandle } from '../redis/twitch-redis.provider.js';
import { TWITCH_REDIS } from '../twitch.constants.js';

/**
 * An EventSub transport as the health indicator sees it: a `TwitchEventSubWsTransport` (or a conduit
 * shard, or anything with the same shape).
 */
export interface TwitchHealthEventSubTransport {
  /** Whether its session is up now. */
  readonly connected: boolean;
  /** The active session's id. */
  readonly sessionId?: string;
  /** Outcome of its last subscribe round (`created`, `exists` or `failed`). */
  readonly results?: readonly { outcome: string; wanted?: { type: string; version: string } }[];
}

export interface TwitchHealthOptions {
  /**
   * Below this share of the last seen bucket (`Ratelimit-Remaining` / `Ratelimit-Limit`) the rate limit
   * reports `degraded` (still healthy: calls wait for their point).
   * @default 0.1
   */
  minRateLimitHeadroom?: number;
  /** Longest wait for the app token, in ms. @default 5000 */
  appTokenTimeoutMs?: number;
  /** EventSub transports to report, by name (`{ follows: wsTransport }`). */
  eventSub?: Record<string, TwitchHealthEventSubTransport>;
  /**
   * Also report the app's webhook and conduit subscriptions as Twitch lists them (one Get EventSub
   * Subscriptions call with the app token, one rate-limit point per check).
   * @default false
   */
  eventSubSubscriptions?: boolean;
}

/** What one part reports: `up`, `degraded` or `down`, with details (never a token or a secret). */
export type TwitchHealthPart = { status: 'up' | 'degraded' | 'down' } & Record<string, unknown>;

const DEFAULT_HEADROOM = 0.1;
const DEFAULT_TOKEN_TIMEOUT_MS = 5_000;

/**
 * A health indicator for `@nestjs/terminus`: Redis reachable, app token obtainable, rate-limit
 * headroom, EventSub transports connected and their subscriptions created. `isHealthy(key)` reports
 * every part under one key; `checkRedis`, `checkAppToken`, `checkRateLimit` and `checkEventSub` one
 * each. Details name what failed (exception class and message), never a token or the client secret.
 * Needs `TwitchModule` global (`isGlobal: true`), or list this class in a module that imports both
 * `TwitchModule` and `TerminusModule`.
 */
@Injectable()
export class TwitchHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly appTokens: TwitchAppTokenManager,
    private readonly api: TwitchApiService,
    private readonly telemetry: TwitchTelemetry,
    @Inject(TWITCH_REDIS) private readonly redis: TwitchRedisHandle | null,
  ) {}

  /** Every part under `key`: down when one is down, degraded when one is degraded. */
  async isHealthy<const Key extends string = 'twitch'>(
    key: Key = 'twitch' as Key,
    options: TwitchHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const [redis, appToken] = await Promise.all([this.redisPart(), this.appTokenPart(options)]);
    const parts: Record<string, TwitchHealthPart> = { redis, appToken, rateLimit: this.rateLimitPart(options) };
    if (options.eventSub) parts.eventSub = this.eventSubPart(options.eventSub);
    if (options.eventSubSubscriptions) parts.eventSubSubscriptions = await this.subscriptionsPart();
    return this.result(key, worst(Object.values(parts)), parts);
  }

  /** Redis answers a PING within `redis.commandTimeoutMs` (up without Redis: `configured: false`). */
  async checkRedis<const Key extends string = 'twitch_redis'>(
    key: Key = 'twitch_redis' as Key,
  ): Promise<HealthIndicatorResult<Key>> {
    const { status, ...details } = await this.redisPart();
    return this.result(key, status, details);
  }

  /** The app access token is held or can be obtained from Twitch now. */
  async checkAppToken<const Key extends string = 'twitch_app_token'>(
    key: Key = 'twitch_app_token' as Key,
    options: TwitchHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const { status, ...details } = await this.appTokenPart(options);
    return this.result(key, status, details);
  }

  /** The last `Ratelimit-*` headers seen, by bucket kind; degraded below `minRateLimitHeadroom`. */
  checkRateLimit<const Key extends string = 'twitch_rate_limit'>(
    key: Key = 'twitch_rate_limit' as Key,
    options: TwitchHealthOptions = {},
  ): HealthIndicatorResult<Key> {
    const { status, ...details } = this.rateLimitPart(options);
    return this.result(key, status, details);
  }

  /** Each transport connected, and none of its subscriptions failed. */
  checkEventSub<const Key extends string = 'twitch_eventsub'>(
    transports: Record<string, TwitchHealthEventSubTransport>,
    key: Key = 'twitch_eventsub' as Key,
  ): HealthIndicatorResult<Key> {
    const { status, ...details } = this.eventSubPart(transports);
    return this.result(key, status, details);
  }

  /**
   * The app's subscriptions as Twitch lists them (webhook and conduit; WebSocket ones belong to user
   * tokens): counts by status of the first page, total cost against the maximum. Degraded when one of
   * them is not `enabled` or the cost is at its maximum; down when Twitch cannot be asked.
   */
  async checkEventSubSubscriptions<const Key extends string = 'twitch_eventsub_subscriptions'>(
    key: Key = 'twitch_eventsub_subscriptions' as Key,
  ): Promise<HealthIndicatorResult<Key>> {
    const { status, ...details } = await this.subscriptionsPart();
    return this.result(key, status, details);
  }

  // ---- parts --------------------------------------------------------------------------------------------

  private async redisPart(): Promise<TwitchHealthPart> {
    if (!this.redis) return { status: 'up', configured: false };
    const started = performance.now();
    try {
      await this.redis.client.ping();
      return { status: 'up', configured: true, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      return { status: 'down', configured: true, ...describe(err) };
    }
  }

  private async appTokenPart(options: TwitchHealthOptions): Promise<TwitchHealthPart> {
    const started = performance.now();
    const signal = AbortSignal.timeout(options.appTokenTimeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS);
    try {
      await this.appTokens.get(signal);
      return { status: 'up', obtainedInMs: Math.round(performance.now() - started) };
    } catch (err) {
      return { status: 'down', ...describe(err) };
    }
  }

  private rateLimitPart(options: TwitchHealthOptions): TwitchHealthPart {
    const min = options.minRateLimitHeadroom ?? DEFAULT_HEADROOM;
    const buckets: Record<string, unknown> = {};
    let status: TwitchHealthPart['status'] = 'up';
    for (const [kind, seen] of this.telemetry.rateLimitSnapshot()) {
      const headroom = seen.limit > 0 ? seen.remaining / seen.limit : 0;
      // A bucket that is full again by now is not short of points.
      const refilled = seen.reset !== undefined && seen.reset.getTime() <= Date.now();
      if (headroom < min && !refilled) status = 'degraded';
      buckets[kind] = {
        limit: seen.limit,
        remaining: seen.remaining,
        headroom: Math.round(headroom * 1000) / 1000,
        ...(seen.reset ? { resetAt: seen.reset.toISOString() } : {}),
        seenAt: seen.seenAt.toISOString(),
      };
    }
    return { status, minHeadroom: min, buckets };
  }

  private async subscriptionsPart(): Promise<TwitchHealthPart> {
    try {
      const page = await this.api.eventSub.getEventSubSubscriptions({});
      const byStatus: Record<string, number> = {};
      for (const s of page.data) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      const notEnabled = page.data.length - (byStatus.enabled ?? 0);
      const full = page.maxTotalCost > 0 && page.totalCost >= page.maxTotalCost;
      return {
        status: notEnabled || full ? 'degraded' : 'up',
        total: page.total,
        totalCost: page.totalCost,
        maxTotalCost: page.maxTotalCost,
        listed: page.data.length,
        byStatus,
      };
    } catch (err) {
      return { status: 'down', ...describe(err) };
    }
  }

  private eventSubPart(transports: Record<string, TwitchHealthEventSubTransport>): TwitchHealthPart {
    const report: Record<string, unknown> = {};
    let status: TwitchHealthPart['status'] = 'up';
    for (const [name, x] of Object.entries(transports)) {
      const results = x.results ?? [];
      const failed = results.filter((r) => r.outcome === 'failed');
      if (!x.connected || failed.length) status = 'down';
      report[name] = {
        connected: x.connected,
        ...(x.sessionId ? { sessionId: x.sessionId } : {}),
        subscriptions: results.length - failed.length,
        failed: failed.map((r) => (r.wanted ? `${r.wanted.type} v${r.wanted.version}` : 'unknown')),
      };
    }
    return { status, transports: report };
  }

  private result<Key extends string>(
    key: Key,
    status: TwitchHealthPart['status'],
    details: Record<string, unknown>,
  ): HealthIndicatorResult<Key> {
    const session = this.health.check(key);
    if (status === 'down') return session.down(details) as HealthIndicatorResult<Key>;
    if (status === 'degraded') return session.degraded(details) as HealthIndicatorResult<Key>;
    return session.up(details) as HealthIndicatorResult<Key>;
  }
}

/**
 * The health indicator with what it needs from `@nestjs/terminus`; `TwitchModule` must be global.
 * Import it next to `TerminusModule` in the app's health module.
 */
@Module({ imports: [TerminusModule], providers: [TwitchHealthIndicator], exports: [TwitchHealthIndicator] })
export class TwitchHealthModule {}

function worst(parts: TwitchHealthPart[]): TwitchHealthPart['status'] {
  if (parts.some((p) => p.status === 'down')) return 'down';
  return parts.some((p) => p.status === 'degraded') ? 'degraded' : 'up';
}

/** What failed: the exception's class and message (the module's messages never hold a secret). */
function describe(err: unknown): { error: string; message: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { error: e.constructor?.name || e.name, message: e.message };
}
