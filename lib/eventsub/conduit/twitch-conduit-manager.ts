import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { TwitchConflictException, TwitchException } from '../../exceptions/twitch.exception.js';
import type { TwitchConduitsApi } from '../../generated/conduits/conduits.api.js';
import type { TwitchEventSubApi } from '../../generated/event-sub/event-sub.api.js';
import type { TwitchRedisClient } from '../../redis/twitch-redis.provider.js';
import type { TwitchKvStore } from '../../store/twitch-kv.store.js';
import { ifLockFree, underSharedLock } from '../../store/twitch-lock.js';
import type {
  TwitchEventSubDelivery,
  TwitchEventSubSink,
  TwitchEventSubSubscribeResult,
  TwitchEventSubWantedSubscription,
} from '../transports/twitch-eventsub-transport.interface.js';
import { TwitchEventSubLimitException } from '../../exceptions/twitch-eventsub-limit.exception.js';
import {
  TwitchEventSubWsConnection,
  type TwitchEventSubWsConnectionOptions,
} from '../websocket/twitch-eventsub-ws-connection.js';
import {
  planShardOwners,
  TwitchMemoryConduitCoordinator,
  TwitchRedisConduitCoordinator,
  type TwitchConduitCoordinator,
} from './twitch-conduit-coordinator.js';
import { twitchKey } from '../../redis/twitch-redis-key.js';

/** How this instance's shards reach it. */
export type TwitchConduitShardTransport =
  | {
      method: 'websocket';
      /** Options of each shard's WebSocket connection (URL, keepalive, backoff). */
      connection?: TwitchEventSubWsConnectionOptions;
    }
  | {
      method: 'webhook';
      /** This instance's callback (HTTPS on 443 for Twitch), served by the webhook receiver. */
      callback: string;
      /** The webhook secret, 10–100 ASCII characters. Never logged. */
      secret: string;
    };

/** Configuration of a {@link TwitchConduitManager}. */
export interface TwitchConduitManagerConfig {
  /** The Helix client (`TwitchApiService`): conduit calls and subscriptions go out with the app token. */
  api: {
    conduits: Pick<
      TwitchConduitsApi,
      'getConduits' | 'createConduits' | 'updateConduits' | 'getConduitShards' | 'updateConduitShards'
    >;
    eventSub: Pick<TwitchEventSubApi, 'createEventSubSubscription'>;
  };
  /** The application's client id (the condition of `conduit.shard.disabled`). */
  clientId: string;
  /** The module's key-value store (`TwitchKvStore`): locks. */
  kv: TwitchKvStore;
  /**
   * The module's Redis client (`TWITCH_REDIS`'s `client`): leases, shard owners and pointers shared
   * by every instance. Without it, this instance owns every shard.
   */
  redis?: TwitchRedisClient | null;
  /** Prefix of every key (the module's `keyPrefix`). @default 'twitch:' */
  keyPrefix?: string;
  /** Name of this app's conduit, to keep conduits of several apps on one client apart. @default 'default' */
  name?: string;
  /**
   * The conduit to use, when you keep its id yourself (configuration). Without it, the id is kept in
   * Redis; without Redis either, every start creates a new conduit (Twitch allows 5 per client).
   * @default the id stored in Redis, else a new conduit
   */
  conduitId?: string;
  /** Shards of the conduit (1–20000). An existing conduit is resized to it. @default 4 */
  shardCount?: number;
  /** Subscriptions to make once against the conduit (app token). */
  subscriptions: readonly TwitchEventSubWantedSubscription[];
  /** Receives every notification and revocation of this instance's shards. */
  sink: TwitchEventSubSink;
  /** How shards reach this instance. @default { method: 'websocket' } */
  transport?: TwitchConduitShardTransport;
  /** Time between heartbeats (lease renewal, rebalancing, repairs), ms. @default 2000 */
  heartbeatMs?: number;
  /** An instance that has not renewed its lease for this long is dead and loses its shards, ms. @default 6000 */
  leaseMs?: number;
  /** Longest wait in {@link TwitchConduitManager.stop} for other instances to take this one's shards, ms. @default 2 × leaseMs */
  handoverMs?: number;
  /** This instance's id. @default a random UUID */
  instanceId?: string;
  /**
   * Every this many heartbeats, the instance that rebalances also reads Get Conduit Shards and makes
   * the owners of shards that are disabled or point elsewhere point them again (0 = never). @default 5
   */
  verifyEveryBeats?: number;
}

/** What this instance holds for a shard. */
interface ShardHandle {
  shardId: string;
  /** Session id or callback Twitch was last told. */
  target?: string;
  connection?: TwitchEventSubWsConnection;
  stop(): Promise<void>;
}

/** A conduit's state as this instance sees it. */
export interface TwitchConduitStatus {
  conduitId?: string;
  instanceId: string;
  /** Shards this instance serves, with the session id or callback Twitch routes them to. */
  shards: { shardId: string; target?: string }[];
}

/**
 * The conduit transport: finds or creates the app's conduit and sizes it, makes the subscriptions
 * once against it (app token), and spreads its shards over the running instances through Redis.
 * Each instance renews a lease every `heartbeatMs`; one instance at a time (a lock) reassigns the
 * shards of instances whose lease expired and spreads shards again when instances join; each
 * instance then serves its shards (one WebSocket session per shard, or its webhook callback) and
 * points them at itself with Update Conduit Shards. `conduit.shard.disabled` triggers a repair.
 *
 * Bound: the shards of an instance that dies are re-pointed to live sessions within
 * `leaseMs + heartbeatMs` plus the time to open a session and call Update Conduit Shards.
 */
export class TwitchConduitManager {
  private readonly logger = new Logger('TwitchConduit');
  private readonly coordinator: TwitchConduitCoordinator;
  private readonly instanceId: string;
  private readonly prefix: string;
  private readonly shardCount: number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly handoverMs: number;
  private readonly transport: TwitchConduitShardTransport;
  private readonly handles = new Map<string, ShardHandle>();
  private conduit?: string;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private again = false;
  private stopped = false;
  private subscribeResults: TwitchEventSubSubscribeResult[] = [];
  private beats = 0;
  private readonly verifyEveryBeats: number;

  constructor(private readonly config: TwitchConduitManagerConfig) {
    const shardCount = config.shardCount ?? 4;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 20_000) {
      throw new TypeError(`EventSub conduit: "shardCount" must be an integer from 1 to 20000 (got ${shardCount})`);
    }
    const heartbeatMs = config.heartbeatMs ?? 2_000;
    const leaseMs = config.leaseMs ?? 6_000;
    if (!Number.isInteger(heartbeatMs) || heartbeatMs < 50) {
      throw new TypeError(`EventSub conduit: "heartbeatMs" must be an integer ≥ 50 (got ${heartbeatMs})`);
    }
    if (!Number.isInteger(leaseMs) || leaseMs <= heartbeatMs) {
      throw new TypeError(`EventSub conduit: "leaseMs" must be an integer greater than "heartbeatMs" (got ${leaseMs})`);
    }
    if (config.conduitId !== undefined && (typeof config.conduitId !== 'string' || config.conduitId === '')) {
      throw new TypeError('EventSub conduit: "conduitId" must be a conduit id');
    }
    if (typeof config.clientId !== 'string' || config.clientId === '') {
      throw new TypeError('EventSub conduit: "clientId" is required');
    }
    if (!Array.isArray(config.subscriptions)) throw new TypeError('EventSub conduit: "subscriptions" must be an array');
    const name = config.name ?? 'default';
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw new TypeError(`EventSub conduit: "name" must be 1–64 letters, digits, "_", "." or "-" (got ${JSON.stringify(name)})`);
    }
    const transport = config.transport ?? { method: 'websocket' };
    if (transport.method === 'webhook') {
      if (typeof transport.callback !== 'string' || !/^https?:\/\//.test(transport.callback)) {
        throw new TypeError('EventSub conduit: "transport.callback" must be an http(s) URL');
      }
      if (typeof transport.secret !== 'string' || transport.secret.length < 10 || transport.secret.length > 100) {
        throw new TypeError('EventSub conduit: "transport.secret" must be 10 to 100 characters');
      }
    }
    const verifyEveryBeats = config.verifyEveryBeats ?? 5;
    if (!Number.isInteger(verifyEveryBeats) || verifyEveryBeats < 0) {
      throw new TypeError(`EventSub conduit: "verifyEveryBeats" must be an integer ≥ 0 (got ${verifyEveryBeats})`);
    }
    this.verifyEveryBeats = verifyEveryBeats;
    this.transport = transport;
    this.shardCount = shardCount;
    this.heartbeatMs = heartbeatMs;
    this.leaseMs = leaseMs;
    this.handoverMs = config.handoverMs ?? 2 * leaseMs;
    this.instanceId = config.instanceId ?? randomUUID();
    this.prefix = `${twitchKey(config.keyPrefix ?? 'twitch:', `eventsub:conduit:${name}`)}:`;
    this.coordinator = config.redis
      ? new TwitchRedisConduitCoordinator(config.redis, this.prefix, `${config.keyPrefix ?? 'twitch:'}eventsub:conduit:${name}:`)
      : new TwitchMemoryConduitCoordinator();
  }

  /** The conduit's id (after {@link start}). */
  get conduitId(): string | undefined {
    return this.conduit;
  }

  /** Results of this instance's subscribe round (empty when another instance already made them). */
  get subscriptions(): readonly TwitchEventSubSubscribeResult[] {
    return this.subscribeResults;
  }

  /** What this instance serves now. */
  status(): TwitchConduitStatus {
    return {
      conduitId: this.conduit,
      instanceId: this.instanceId,
      shards: [...this.handles.values()]
        .map((h) => ({ shardId: h.shardId, target: h.target }))
        .sort((a, b) => Number(a.shardId) - Number(b.shardId)),
    };
  }

  /**
   * Finds or creates the conduit (once for all instances), makes the subscriptions, joins the
   * instances and takes its share of shards. Resolves once the first heartbeat has run.
   */
  async start(): Promise<void> {
    this.conduit = await this.setUp();
    await this.subscribeOnce(this.conduit);
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
  }

  /**
   * Leaves: releases this instance's shards, waits (at most `handoverMs`) for other instances to
   * point them at their sessions, then closes its own. The last instance closes at once.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    try {
      await this.coordinator.leave(this.instanceId);
      const others = (await this.coordinator.live(Date.now())).filter((id) => id !== this.instanceId);
      const mine = [...this.handles.keys()];
      if (others.length && mine.length) {
        await this.coordinator.setOwners(planShardOwners(this.shardCount, others, await this.coordinator.owners()), []);
        const until = Date.now() + this.handoverMs;
        while (Date.now() < until) {
          const pointers = await this.coordinator.pointers();
          if (mine.every((s) => pointers.get(s)?.instanceId !== this.instanceId)) break;
          await new Promise((r) => setTimeout(r, Math.min(100, this.heartbeatMs)));
        }
      }
    } catch (err) {
      this.logger.warn(`EventSub conduit: handing over shards failed: ${(err as Error).message}`);
    }
    await Promise.all([...this.handles.values()].map((h) => h.stop()));
    this.handles.clear();
  }

  /** Runs a heartbeat now (it also runs every `heartbeatMs`). Overlapping calls share one run. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        try {
          await this.heartbeat();
        } catch (err) {
          this.logger.warn(`EventSub conduit: heartbeat failed: ${(err as Error).message}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  // ------------------------------------------------------------------ setup

  private async setUp(): Promise<string> {
    return underSharedLock(
      this.config.kv,
      `${this.prefix}setup-lock`,
      { what: 'set up the EventSub conduit', ttlMs: 30_000, waitMs: 60_000, pollMs: 100 },
      {
        ready: async () => undefined,
        work: async () => {
          const conduits = (await this.config.api.conduits.getConduits()).data;
          const given = this.config.conduitId;
          const kept = await this.coordinator.conduitId();
          const stored = given ?? kept;
          const found = conduits.find((c) => c.id === stored);
          if (given !== undefined && !found) {
            throw new Error(`EventSub conduit: the conduit "${given}" (option "conduitId") is not among this client's conduits`);
          }
          if (found) {
            if (found.id !== kept) {
              // Another conduit than the one the shard state is about: start that state over.
              await this.coordinator.setConduitId(found.id);
              await this.coordinator.setOwners(new Map(), [...(await this.coordinator.owners()).keys()]);
            }
            if (found.shardCount !== this.shardCount) {
              this.logger.log(`EventSub conduit ${found.id}: ${found.shardCount} shards → ${this.shardCount}`);
              await this.config.api.conduits.updateConduits({ id: found.id, shardCount: this.shardCount });
            }
            return found.id;
          }
          let created;
          try {
            created = await this.config.api.conduits.createConduits({ shardCount: this.shardCount });
          } catch (err) {
            if (err instanceof TwitchException && err.twitchStatus === 429) {
              throw new TwitchEventSubLimitException(
                'conduits',
                `EventSub conduit: Twitch refused a new conduit: the client already has ${conduits.length} enabled ` +
                  'conduits (Twitch allows 5); delete unused ones',
                5,
                { endpoint: err.endpoint, twitchStatus: 429, twitchMessage: err.twitchMessage, cause: err },
              );
            }
            throw err;
          }
          const id = created.data[0].id;
          await this.coordinator.setConduitId(id);
          // A new conduit: forget the shard state of an old one.
          await this.coordinator.setOwners(new Map(), [...(await this.coordinator.owners()).keys()]);
          this.logger.log(`EventSub conduit ${id} created with ${this.shardCount} shards`);
          return id;
        },
      },
    );
  }

  /** The subscriptions, made once for all instances (a marker keyed by the conduit and the list). */
  private async subscribeOnce(conduitId: string): Promise<void> {
    const wanted: TwitchEventSubWantedSubscription[] = [
      { type: 'conduit.shard.disabled', version: '1', condition: { client_id: this.config.clientId, conduit_id: conduitId } },
      ...this.config.subscriptions,
    ];
    const digest = createHash('sha256').update(conduitId).update(JSON.stringify(wanted)).digest('hex').slice(0, 32);
    const marker = `${this.prefix}subscribed:${digest}`;
    await underSharedLock(
      this.config.kv,
      `${this.prefix}subscribe-lock`,
      { what: 'make the EventSub conduit subscriptions', ttlMs: 60_000, waitMs: 120_000, pollMs: 100 },
      {
        ready: async () => ((await this.config.kv.get(marker)) ? true : undefined),
        work: async () => {
          const results: TwitchEventSubSubscribeResult[] = [];
          for (const w of wanted) {
            try {
              const res = await this.config.api.eventSub.createEventSubSubscription({
                type: w.type as never,
                version: w.version,
                condition: w.condition,
                transport: { method: 'conduit', conduitId },
              });
              results.push({ wanted: w, outcome: 'created', id: res.data[0]?.id });
            } catch (err) {
              if (err instanceof TwitchConflictException) results.push({ wanted: w, outcome: 'exists' });
              else results.push({ wanted: w, outcome: 'failed', error: err as Error });
            }
          }
          this.subscribeResults = results;
          const failed = results.filter((r) => r.outcome === 'failed');
          if (failed.length) {
            this.logger.warn(
              `EventSub conduit: ${failed.length} subscriptions failed: ` +
                failed.map((f) => `${f.wanted.type} v${f.wanted.version}: ${f.error?.message}`).join('; '),
            );
          } else {
            await this.config.kv.set(marker, this.instanceId, 30 * 24 * 3600_000);
          }
          return true;
        },
      },
    );
  }

  // ------------------------------------------------------------------ heartbeat

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    await this.coordinator.heartbeat(this.instanceId, now + this.leaseMs);
    await ifLockFree(this.config.kv, `${this.prefix}rebalance-lock`, Math.max(5_000, this.leaseMs), async () => {
      const live = await this.coordinator.live(Date.now());
      const owners = await this.coordinator.owners();
      const changes = planShardOwners(this.shardCount, live, owners);
      const beyond = [...owners.keys()].filter((s) => Number(s) >= this.shardCount);
      if (changes.size || beyond.length) {
        const moves = [...changes].map(([s, i]) => `${s}→${i}`).join(', ');
        this.logger.log(`EventSub conduit: shards reassigned over ${live.length} instances: ${moves}`);
        await this.coordinator.setOwners(changes, beyond);
      }
      this.beats += 1;
      if (this.verifyEveryBeats > 0 && this.beats % this.verifyEveryBeats === 0) await this.verify();
    });
    if (this.stopped) return;
    const owners = await this.coordinator.owners();
    const pointers = await this.coordinator.pointers();
    for (let shard = 0; shard < this.shardCount; shard++) {
      const id = String(shard);
      const mine = owners.get(id) === this.instanceId;
      const handle = this.handles.get(id);
      if (mine && !handle) this.handles.set(id, this.serve(id));
      // Given away: keep serving until the new owner has pointed the shard at itself.
      if (!mine && handle && pointers.get(id)?.instanceId !== this.instanceId) {
        this.handles.delete(id);
        void handle.stop();
      }
    }
    // A shard this instance serves must point at it; anything else (an old owner's late re-point) is repaired.
    for (const [id, handle] of this.handles) {
      const pointer = pointers.get(id);
      if (owners.get(id) !== this.instanceId || handle.target === undefined) continue;
      if (pointer?.instanceId === this.instanceId && pointer.target === handle.target) continue;
      this.logger.warn(`EventSub conduit: shard ${id} does not point at this instance; pointing it again`);
      await this.point(handle, this.transportFor(handle.target), handle.target).catch((err: unknown) => {
        // The session is gone at Twitch's end: serve the shard with a new one.
        this.logger.warn(`EventSub conduit: pointing shard ${id} again failed (${(err as Error).message}); a new session next`);
        this.handles.delete(id);
        void handle.stop();
      });
    }
    for (const [id, handle] of this.handles) {
      if (Number(id) >= this.shardCount) {
        this.handles.delete(id);
        void handle.stop();
      }
    }
  }

  /**
   * Compares Twitch's shards with the pointers: a disabled or redirected shard loses its pointer, so
   * its owner points it again.
   */
  private async verify(): Promise<void> {
    if (!this.conduit) return;
    const pointers = await this.coordinator.pointers();
    let after: string | undefined;
    do {
      const page = await this.config.api.conduits.getConduitShards({ conduitId: this.conduit, ...(after ? { after } : {}) });
      for (const shard of page.data) {
        const pointer = pointers.get(shard.id);
        if (!pointer) continue;
        const target = shard.transport.sessionId ?? shard.transport.callback;
        const pending = shard.status === 'webhook_callback_verification_pending';
        const healthy = shard.status === 'enabled' || (pending && target === pointer.target);
        if (!healthy || target !== pointer.target) {
          this.logger.warn(`EventSub conduit: Twitch says shard ${shard.id} is ${shard.status}; its owner will point it again`);
          await this.coordinator.deletePointer(shard.id);
        }
      }
      after = page.pagination?.cursor || undefined;
    } while (after);
  }

  /** Starts serving a shard: a WebSocket session pointed at it on every welcome, or the webhook callback. */
  private serve(shardId: string): ShardHandle {
    const handle: ShardHandle = { shardId, stop: async () => undefined };
    if (this.transport.method === 'webhook') {
      const { callback, secret } = this.transport;
      // Once the handle is registered (next turn): point the shard at this instance's callback.
      setImmediate(
        () =>
          void this.point(handle, { method: 'webhook', callback, secret }, callback).catch((err: unknown) => {
            this.logger.warn(`EventSub conduit: pointing shard ${shardId} at ${callback} failed: ${(err as Error).message}`);
            if (this.handles.get(shardId) === handle) this.handles.delete(shardId);
          }),
      );
      return handle;
    }
    const connection = new TwitchEventSubWsConnection(
      { ...this.transport.connection, deliveryTransport: 'conduit', shardId },
      {
        sink: (d) => this.onDelivery(d),
        // Within Twitch's 10 s after the welcome: point the shard at the session.
        onSession: (info) => this.point(handle, { method: 'websocket', sessionId: info.sessionId }, info.sessionId),
      },
    );
    handle.connection = connection;
    handle.stop = () => connection.stop();
    connection.start().catch((err: unknown) => {
      this.logger.warn(`EventSub conduit: shard ${shardId}: no session (${(err as Error).message}); again at the next heartbeat`);
      if (this.handles.get(shardId) === handle) this.handles.delete(shardId);
      void connection.stop();
    });
    return handle;
  }

  private async point(
    handle: ShardHandle,
    transport: { method: 'websocket'; sessionId: string } | { method: 'webhook'; callback: string; secret: string },
    target: string,
  ): Promise<void> {
    if (this.stopped || this.handles.get(handle.shardId) !== handle || !this.conduit) return;
    // Only the owner points a shard: a former owner whose session was replaced must not take it back.
    if ((await this.coordinator.owners()).get(handle.shardId) !== this.instanceId) return;
    const res = await this.config.api.conduits.updateConduitShards({
      conduitId: this.conduit,
      shards: [{ id: handle.shardId, transport }],
    });
    const error = res.errors?.find((e) => e.id === handle.shardId);
    if (error) throw new Error(`EventSub conduit: Twitch refused to point shard ${handle.shardId}: ${error.message}`);
    handle.target = target;
    await this.coordinator.setPointer(handle.shardId, this.instanceId, target);
  }

  private transportFor(
    target: string,
  ): { method: 'websocket'; sessionId: string } | { method: 'webhook'; callback: string; secret: string } {
    return this.transport.method === 'webhook'
      ? { method: 'webhook', callback: this.transport.callback, secret: this.transport.secret }
      : { method: 'websocket', sessionId: target };
  }

  /** Repairs on `conduit.shard.disabled`, then hands every delivery on. */
  private async onDelivery(d: TwitchEventSubDelivery): Promise<void> {
    if (d.messageType === 'notification' && d.subscription.type === 'conduit.shard.disabled') this.shardDisabled(d.event);
    await this.config.sink(d);
  }

  /**
   * A `conduit.shard.disabled` event (raw Twitch JSON) of this conduit: a shard this instance serves at the
   * disabled session or callback is served again, and a heartbeat runs. Webhook shards receive the event on
   * the webhook receiver, which hands it here; WebSocket shards' sessions hand it here themselves.
   */
  shardDisabled(rawEvent: unknown): void {
    type ShardDisabled = { conduit_id?: string; shard_id?: string; transport?: { session_id?: string; callback?: string } };
    const event = rawEvent as ShardDisabled | undefined;
    if (this.stopped || event?.conduit_id !== this.conduit || event?.shard_id === undefined) return;
    const handle = this.handles.get(event.shard_id);
    const target = event.transport?.session_id ?? event.transport?.callback;
    if (handle && handle.target === target) {
      this.logger.warn(`EventSub conduit: shard ${event.shard_id} was disabled; serving it again`);
      this.handles.delete(event.shard_id);
      void handle.stop();
    }
    void this.tick();
  }
}
