import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { TwitchApiService } from '../../api/twitch-api.service.js';
import type { TwitchRedisHandle } from '../../redis/twitch-redis.provider.js';
import { TwitchKvStore } from '../../store/twitch-kv.store.js';
import { TWITCH_REDIS, TWITCH_RESOLVED_OPTIONS } from '../../twitch.constants.js';
import type { TwitchResolvedOptions } from '../../twitch-options.js';
import { TwitchConduitManager, type TwitchConduitStatus } from '../conduit/twitch-conduit-manager.js';
import { subscriptionKey } from '../twitch-eventsub.catalog.js';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from '../twitch-eventsub.constants.js';
import { TwitchEventSubDispatcher } from '../twitch-eventsub.dispatcher.js';
import type { TwitchEventSubResolvedOptions } from '../twitch-eventsub.options.js';
import { TwitchEventSubService } from '../twitch-eventsub.service.js';
import { TwitchEventSubLimitException } from '../../exceptions/twitch-eventsub-limit.exception.js';
import { TwitchEventSubWsTransport } from '../websocket/twitch-eventsub-ws-transport.js';
import type {
  TwitchEventSubDelivery,
  TwitchEventSubSubscribeResult,
  TwitchEventSubWantedSubscription,
} from './twitch-eventsub-transport.interface.js';

/**
 * Runs the `websocket` and `conduit` transports of `TwitchEventSubModule`: at application bootstrap it
 * opens the WebSocket session (subscribed with `websocket.userId`'s token on every fresh session) or joins
 * the conduit (subscriptions made once against it with the app token; for webhook shards, once the HTTP
 * server listens), and hands every delivery to the dispatcher, the path webhooks take (claim per message
 * id, DTO mapping, handlers). At shutdown it closes the session, or hands this instance's shards over.
 */
@Injectable()
export class TwitchEventSubTransportRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger('TwitchEventSub');
  /**
   * WebSocket sessions by the user whose token subscribes, each with its list: revoked subscriptions leave
   * it, so fresh sessions do not ask for them again.
   */
  private readonly sessions = new Map<string, { ws?: TwitchEventSubWsTransport; wanted: TwitchEventSubWantedSubscription[] }>();
  private conduit?: TwitchConduitManager;
  private removeRepair?: () => void;
  private running?: Promise<void>;
  private listening?: Subscription;
  private notListening?: () => void;
  private stopped = false;
  /** Wakes the backoff waits of first connections (at shutdown). */
  private readonly retries = new Map<string, () => void>();

  constructor(
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly twitchOptions: TwitchResolvedOptions,
    @Inject(TWITCH_REDIS) private readonly redis: TwitchRedisHandle | null,
    private readonly dispatcher: TwitchEventSubDispatcher,
    private readonly service: TwitchEventSubService,
    private readonly api: TwitchApiService,
    private readonly kv: TwitchKvStore,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.transport === 'websocket') this.run(() => this.startWebSocket());
    if (this.options.transport !== 'conduit') return;
    const host = this.adapterHost;
    // Webhook shards are pointed at this instance's callback: Twitch's challenge needs a listening server.
    if (this.options.conduit!.shardTransport === 'webhook' && host.httpAdapter && !host.listening) {
      // started() waits for the server; an app closed before it listens settles it at stop().
      this.run(
        () =>
          new Promise<void>((resolve, reject) => {
            this.notListening = resolve;
            this.listening = host.listen$.subscribe(() => {
              this.notListening = undefined;
              this.listening?.unsubscribe();
              this.startConduit().then(resolve, reject);
            });
          }),
      );
    } else {
      this.run(() => this.startConduit());
    }
  }

  /**
   * Resolves once the transport has started: the first WebSocket session is open and subscribed (a first
   * connection that fails is tried again with the backoff until it opens or the app closes), or the conduit
   * is set up and this instance took its first shards. Rejects when it cannot start (a Twitch limit, a
   * conduit that cannot be set up; also logged).
   */
  started(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Subscribe results of the WebSocket sessions' last fresh sessions, or of this instance's conduit round. */
  get subscriptions(): readonly TwitchEventSubSubscribeResult[] {
    if (this.conduit) return this.conduit.subscriptions;
    return [...this.sessions.values()].flatMap((s) => s.ws?.results ?? []);
  }

  /** The active WebSocket session's id (`transport: 'websocket'`; the first user's, with one session per user). */
  get sessionId(): string | undefined {
    return [...this.sessions.values()][0]?.ws?.sessionId;
  }

  /** The active WebSocket session of each user whose token subscribes (`transport: 'websocket'`). */
  sessionIds(): Map<string, string | undefined> {
    return new Map([...this.sessions].map(([userId, s]) => [userId, s.ws?.sessionId]));
  }

  /** The conduit and the shards this instance serves (`transport: 'conduit'`). */
  conduitStatus(): TwitchConduitStatus | undefined {
    return this.conduit?.status();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onModuleDestroy(): Promise<void> {
    this.listening?.unsubscribe();
  }

  /** Closes the WebSocket session or hands the conduit's shards over (called at shutdown). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.listening?.unsubscribe();
    this.notListening?.();
    for (const wake of this.retries.values()) wake();
    // A session still opening is dropped at once (its start() rejects), then the start settles.
    const stopSessions = () => Promise.all([...this.sessions.values()].map((x) => x.ws?.stop()));
    await stopSessions();
    await this.running?.catch(() => undefined);
    await stopSessions();
    this.removeRepair?.();
    await this.conduit?.stop();
  }

  private run(start: () => Promise<void>): void {
    this.running = start();
    this.running.catch((error: unknown) => {
      this.logger.error(
        `EventSub ${this.options.transport} transport failed to start: ${(error as Error)?.message ?? String(error)}`,
      );
    });
  }

  private wanted(): TwitchEventSubWantedSubscription[] {
    return this.service.wanted().map((w) => ({ type: w.type, version: w.version, condition: { ...w.condition } }));
  }

  private async startWebSocket(): Promise<void> {
    const o = this.options.websocket!;
    for (const w of this.wanted()) {
      const userId = o.userId ?? tokenUserOf(w.condition);
      if (userId === undefined) {
        this.logger.warn(
          `EventSub WebSocket: ${w.type} v${w.version} ${JSON.stringify(w.condition)} names no user whose token could ` +
            'subscribe to it; set option "websocket.userId"',
        );
        continue;
      }
      const session = this.sessions.get(userId) ?? { wanted: [] };
      session.wanted.push(w);
      this.sessions.set(userId, session);
    }
    if (!this.sessions.size) {
      // Twitch closes a session without subscriptions (4003): nothing to connect for.
      this.logger.warn(
        'EventSub WebSocket: no subscription is wanted (no handler with a condition, no "subscriptions"); not connecting',
      );
      return;
    }
    await Promise.all([...this.sessions.keys()].map((userId) => this.keepTrying(userId)));
  }

  /** The first connection is tried until it opens (later losses are the connection's own to recover). */
  private async keepTrying(userId: string): Promise<void> {
    const o = this.options.websocket!;
    for (let failures = 0; !this.stopped; failures++) {
      try {
        await this.connectWebSocket(userId);
        return;
      } catch (error) {
        if (error instanceof TwitchEventSubLimitException || this.stopped) throw error;
        const delay = Math.random() * Math.min(o.reconnectMaxDelayMs, o.reconnectBaseDelayMs * 2 ** Math.min(failures, 20));
        this.logger.warn(
          `EventSub WebSocket: no session for user ${userId} (${(error as Error).message}); trying again in ${Math.round(delay)} ms`,
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.retries.set(userId, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        this.retries.delete(userId);
      }
    }
  }

  private async connectWebSocket(userId: string): Promise<void> {
    const o = this.options.websocket!;
    const session = this.sessions.get(userId)!;
    const ws = new TwitchEventSubWsTransport({
      api: this.api,
      userId,
      subscriptions: session.wanted,
      sink: (d) => this.deliver(d),
      connection: {
        url: o.url,
        ...(o.keepaliveTimeoutSeconds !== undefined ? { keepaliveTimeoutSeconds: o.keepaliveTimeoutSeconds } : {}),
        keepaliveMarginMs: o.keepaliveMarginMs,
        connectTimeoutMs: o.connectTimeoutMs,
        reconnectBaseDelayMs: o.reconnectBaseDelayMs,
        reconnectMaxDelayMs: o.reconnectMaxDelayMs,
      },
    });
    session.ws = ws;
    const results = await ws.start();
    const made = results.filter((r) => r.outcome !== 'failed').length;
    this.logger.log(
      `EventSub WebSocket session ${ws.sessionId} (user ${userId}): ${made} of ${results.length} subscriptions made`,
    );
  }

  private async startConduit(): Promise<void> {
    if (this.stopped) return;
    const o = this.options.conduit!;
    const webhook = this.options.webhook;
    this.conduit = new TwitchConduitManager({
      api: this.api,
      clientId: this.twitchOptions.clientId,
      kv: this.kv,
      redis: this.redis?.client ?? null,
      keyPrefix: this.twitchOptions.keyPrefix,
      name: o.name,
      ...(o.conduitId !== undefined ? { conduitId: o.conduitId } : {}),
      shardCount: o.shardCount,
      heartbeatMs: o.heartbeatMs,
      leaseMs: o.leaseMs,
      subscriptions: this.wanted(),
      sink: (d) => this.deliver(d),
      transport:
        o.shardTransport === 'webhook'
          ? { method: 'webhook', callback: webhook!.callbackUrl, secret: webhook!.secret }
          : { method: 'websocket', connection: { url: o.url } },
    });
    if (o.shardTransport === 'webhook') {
      // Webhook shards' messages reach the webhook receiver, and so the dispatcher: it hands the repairs on.
      const manager = this.conduit;
      this.removeRepair = this.dispatcher.addHandler({
        name: 'TwitchConduitManager.shardDisabled',
        type: 'conduit.shard.disabled',
        version: '1',
        call: (_event, n) => manager.shardDisabled(n.rawEvent),
      });
    }
    await this.conduit.start();
    const shards = this.conduit.status().shards.map((s) => s.shardId);
    this.logger.log(`EventSub conduit ${this.conduit.conduitId}: this instance serves shards [${shards.join(', ')}]`);
  }

  /** One delivery of a WebSocket session or a conduit shard, through the dispatcher (claim → DTO → handlers). */
  private async deliver(d: TwitchEventSubDelivery): Promise<void> {
    if (d.messageType === 'revocation' && d.transport === 'websocket') this.forget(d);
    const body: { subscription: Record<string, unknown>; event?: Record<string, unknown>; events?: unknown[] } = {
      subscription: d.subscription as unknown as Record<string, unknown>,
    };
    if (Array.isArray(d.event)) body.events = d.event;
    else if (d.event !== null && typeof d.event === 'object') body.event = d.event as Record<string, unknown>;
    const acceptance = await this.dispatcher.accept({
      messageId: d.messageId,
      messageType: d.messageType,
      timestamp: d.timestamp,
      transport: d.transport,
      body,
    });
    // Nothing to acknowledge on a socket: handlers start at once (one macrotask later, as for webhooks).
    acceptance.start();
  }

  /** A revoked WebSocket subscription is not made again on the next fresh session. */
  private forget(d: TwitchEventSubDelivery): void {
    const s = d.subscription;
    const key = subscriptionKey(s.type, s.version, s.condition ?? {});
    const list = [...this.sessions.values()].find((x) => x.ws?.sessionId === d.sessionId)?.wanted;
    const i = list?.findIndex((w) => subscriptionKey(w.type, w.version, w.condition) === key) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    this.logger.warn(
      `EventSub WebSocket: ${s.type} v${s.version} ${JSON.stringify(s.condition)} was revoked (${s.status}); fresh sessions no longer ask for it`,
    );
  }
}

/**
 * The user whose token may subscribe over a WebSocket: Twitch wants the token of the user the condition
 * names (the moderator or the user where the type has one, else the broadcaster).
 */
function tokenUserOf(condition: Record<string, unknown>): string | undefined {
  for (const key of ['moderator_user_id', 'user_id', 'broadcaster_user_id', 'to_broadcaster_user_id']) {
    const v = condition[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}
