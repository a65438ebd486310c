import { Logger } from '@nestjs/common';
import { TwitchConflictException, TwitchException } from '../../exceptions/twitch.exception.js';
import type { TwitchEventSubApi } from '../../generated/event-sub/event-sub.api.js';
import type {
  TwitchEventSubSink,
  TwitchEventSubSubscribeResult,
  TwitchEventSubWantedSubscription,
} from '../transports/twitch-eventsub-transport.interface.js';
import { TwitchEventSubLimitException } from '../../exceptions/twitch-eventsub-limit.exception.js';
import {
  TwitchEventSubWsConnection,
  type TwitchEventSubWsCloseInfo,
  type TwitchEventSubWsConnectionOptions,
  type TwitchEventSubWsSessionInfo,
} from './twitch-eventsub-ws-connection.js';

/** Twitch's limits for WebSocket subscriptions, per user token (client ID + user ID). */
export const TWITCH_EVENTSUB_WS_LIMITS = {
  /** WebSocket connections with enabled subscriptions. */
  connections: 3,
  /** Enabled subscriptions per connection. */
  subscriptionsPerConnection: 300,
  /** `max_total_cost` across the user's WebSocket subscriptions. */
  maxTotalCost: 10,
} as const;

/** Configuration of a {@link TwitchEventSubWsTransport}. */
export interface TwitchEventSubWsTransportConfig {
  /**
   * The Helix client for Create EventSub Subscription (`TwitchApiService` has it). Calls go out with
   * `{ userId }`, so the user's stored token is used and refreshed on a 401 like any other call.
   */
  api: { eventSub: Pick<TwitchEventSubApi, 'createEventSubSubscription'> };
  /** The user whose token makes the subscriptions (WebSocket subscriptions need a user access token). */
  userId: string;
  /** The subscriptions to keep on the connection (at most 300). */
  subscriptions: readonly TwitchEventSubWantedSubscription[];
  /** Receives every notification and revocation. */
  sink: TwitchEventSubSink;
  /** The connection's options (URL, keepalive, backoff). */
  connection?: TwitchEventSubWsConnectionOptions;
  /** Create EventSub Subscription calls at a time on a fresh session. @default 10 */
  subscribeConcurrency?: number;
  /** Told about each fresh session's subscribe results (failures included). */
  onSubscribed?: (sessionId: string, results: TwitchEventSubSubscribeResult[]) => void;
  /** Told about every close of the active socket. */
  onClose?: (info: TwitchEventSubWsCloseInfo) => void;
}

/** Connections open per user in this process (the connection limit is per user token). */
const openPerUser = new Map<string, number>();

/**
 * The EventSub WebSocket transport for one user: one connection (see {@link TwitchEventSubWsConnection})
 * whose every fresh session gets the wanted subscriptions, created with the user's token within
 * Twitch's subscribe deadline. Limits are checked before anything is sent where they can be (3
 * connections per user in this process, 300 subscriptions per connection) and Twitch's own limit
 * answers (cost, connections, identical subscriptions) become {@link TwitchEventSubLimitException}s.
 */
export class TwitchEventSubWsTransport {
  private readonly logger = new Logger('TwitchEventSubWs');
  private readonly connection: TwitchEventSubWsConnection;
  private started = false;
  private lastResults: TwitchEventSubSubscribeResult[] = [];
  private fatal?: TwitchEventSubLimitException;

  constructor(private readonly config: TwitchEventSubWsTransportConfig) {
    if (typeof config.userId !== 'string' || !/^\d+$/.test(config.userId)) {
      throw new TypeError(`EventSub WebSocket: "userId" must be a Twitch user id (digits), got ${JSON.stringify(config.userId)}`);
    }
    if (!Array.isArray(config.subscriptions) || config.subscriptions.length === 0) {
      throw new TypeError(
        'EventSub WebSocket: "subscriptions" must list at least one subscription (an unused session is closed by Twitch)',
      );
    }
    config.subscriptions.forEach((s, i) => {
      const valid = s && typeof s.type === 'string' && typeof s.version === 'string';
      if (!valid || typeof s.condition !== 'object' || s.condition === null) {
        throw new TypeError(`EventSub WebSocket: "subscriptions[${i}]" must be { type, version, condition }`);
      }
    });
    const max = TWITCH_EVENTSUB_WS_LIMITS.subscriptionsPerConnection;
    if (config.subscriptions.length > max) {
      throw new TwitchEventSubLimitException(
        'subscriptions-per-connection',
        `EventSub WebSocket: ${config.subscriptions.length} subscriptions were asked for user ${config.userId} on one ` +
          `connection; Twitch allows at most ${max} enabled subscriptions per connection`,
        max,
      );
    }
    const concurrency = config.subscribeConcurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError('EventSub WebSocket: "subscribeConcurrency" must be a positive integer');
    }
    this.connection = new TwitchEventSubWsConnection(
      { ...config.connection, deliveryTransport: 'websocket' },
      { sink: config.sink, onSession: (info) => this.onSession(info), onClose: config.onClose },
    );
  }

  /** The active session's id. */
  get sessionId(): string | undefined {
    return this.connection.sessionId;
  }

  /** Whether a session is up now (welcomed, socket open). */
  get connected(): boolean {
    return this.connection.connected;
  }

  /** Results of the last fresh session's subscribe round. */
  get results(): readonly TwitchEventSubSubscribeResult[] {
    return this.lastResults;
  }

  /**
   * Connects and subscribes. Resolves with the subscribe results of the first session; rejects with
   * a {@link TwitchEventSubLimitException} (connection closed) when a limit is hit, or when the first
   * connection cannot be opened.
   */
  async start(): Promise<TwitchEventSubSubscribeResult[]> {
    if (this.started) throw new Error('EventSub WebSocket: start() was already called');
    const open = openPerUser.get(this.config.userId) ?? 0;
    const max = TWITCH_EVENTSUB_WS_LIMITS.connections;
    if (open >= max) {
      throw new TwitchEventSubLimitException(
        'connections',
        `EventSub WebSocket: user ${this.config.userId} already has ${open} connections in this process; Twitch allows ` +
          `at most ${max} WebSocket connections with enabled subscriptions per user token`,
        max,
      );
    }
    this.started = true;
    openPerUser.set(this.config.userId, open + 1);
    try {
      await this.connection.start();
    } catch (err) {
      await this.stop();
      throw this.fatal ?? err;
    }
    if (this.fatal) {
      await this.stop();
      throw this.fatal;
    }
    return this.lastResults;
  }

  /** Closes the connection. Twitch disables the session's subscriptions. */
  async stop(): Promise<void> {
    if (this.started) {
      this.started = false;
      const n = (openPerUser.get(this.config.userId) ?? 1) - 1;
      if (n > 0) openPerUser.set(this.config.userId, n);
      else openPerUser.delete(this.config.userId);
    }
    await this.connection.stop();
  }

  /** Drops the socket as a network failure would; a fresh session follows and is subscribed again. */
  recycle(): void {
    this.connection.recycle();
  }

  private async onSession(info: TwitchEventSubWsSessionInfo): Promise<void> {
    if (!info.fresh) return; // a reconnect carries the subscriptions over
    const results = await this.subscribeAll(info.sessionId);
    this.lastResults = results;
    this.config.onSubscribed?.(info.sessionId, results);
    const limit = results.find((r) => r.error instanceof TwitchEventSubLimitException)?.error as
      TwitchEventSubLimitException | undefined;
    if (limit) {
      this.fatal = limit;
      throw limit;
    }
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length) {
      this.logger.warn(
        `EventSub WebSocket: ${failed.length} of ${results.length} subscriptions failed on session ${info.sessionId}: ` +
          failed.map((f) => `${f.wanted.type} v${f.wanted.version}: ${f.error?.message}`).join('; '),
      );
    }
  }

  private async subscribeAll(sessionId: string): Promise<TwitchEventSubSubscribeResult[]> {
    const wanted = this.config.subscriptions;
    const results: TwitchEventSubSubscribeResult[] = new Array(wanted.length);
    let next = 0;
    const worker = async () => {
      while (next < wanted.length && !this.fatal) {
        const i = next++;
        results[i] = await this.subscribeOne(sessionId, wanted[i]);
        const error = results[i].error;
        if (error instanceof TwitchEventSubLimitException) this.fatal = error;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.subscribeConcurrency ?? 10, wanted.length) }, worker));
    const done = results.filter(Boolean);
    this.fatal = undefined; // re-raised by onSession from the results
    return done;
  }

  private async subscribeOne(
    sessionId: string,
    wanted: TwitchEventSubWantedSubscription,
  ): Promise<TwitchEventSubSubscribeResult> {
    try {
      const res = await this.config.api.eventSub.createEventSubSubscription(
        {
          type: wanted.type as never,
          version: wanted.version,
          condition: wanted.condition,
          transport: { method: 'websocket', sessionId },
        },
        { userId: this.config.userId },
      );
      return { wanted, outcome: 'created', id: res.data[0]?.id };
    } catch (err) {
      if (err instanceof TwitchConflictException) return { wanted, outcome: 'exists' };
      return { wanted, outcome: 'failed', error: this.limitError(err, wanted) };
    }
  }

  /** Twitch's 429 answers to Create EventSub Subscription, as limit errors naming the limit. */
  private limitError(err: unknown, wanted: TwitchEventSubWantedSubscription): Error {
    if (!(err instanceof TwitchException) || err.twitchStatus !== 429) return err as Error;
    const said = err.twitchMessage ?? err.message;
    const what = `${wanted.type} v${wanted.version} for user ${this.config.userId}`;
    const details = { endpoint: err.endpoint, twitchStatus: 429, twitchMessage: said, cause: err };
    if (/cost/i.test(said)) {
      return new TwitchEventSubLimitException(
        'cost',
        `EventSub WebSocket: ${what} would exceed the user's max_total_cost (${TWITCH_EVENTSUB_WS_LIMITS.maxTotalCost}); ` +
          `Twitch said: ${said}`,
        TWITCH_EVENTSUB_WS_LIMITS.maxTotalCost,
        details,
      );
    }
    if (/transport/i.test(said) && /number of websocket transports|connections?/i.test(said)) {
      return new TwitchEventSubLimitException(
        'connections',
        `EventSub WebSocket: ${what}: the user already has ${TWITCH_EVENTSUB_WS_LIMITS.connections} WebSocket connections ` +
          `with enabled subscriptions; Twitch said: ${said}`,
        TWITCH_EVENTSUB_WS_LIMITS.connections,
        details,
      );
    }
    if (/per websocket|for this websocket|subscriptions per/i.test(said)) {
      return new TwitchEventSubLimitException(
        'subscriptions-per-connection',
        `EventSub WebSocket: ${what}: the connection already has ${TWITCH_EVENTSUB_WS_LIMITS.subscriptionsPerConnection} ` +
          `enabled subscriptions; Twitch said: ${said}`,
        TWITCH_EVENTSUB_WS_LIMITS.subscriptionsPerConnection,
        details,
      );
    }
    return new TwitchEventSubLimitException(
      'same-type-and-condition',
      `EventSub WebSocket: ${what}: too many subscriptions with this type and condition (Twitch allows 3); Twitch said: ${said}`,
      3,
      details,
    );
  }
}
