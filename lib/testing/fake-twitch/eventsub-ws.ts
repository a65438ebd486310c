/**
 * The fake's EventSub WebSocket server and conduits: sessions with Twitch's messages (welcome,
 * keepalive, notification, reconnect, revocation) and close codes (4000–4007), the subscribe deadline,
 * the per-user limits of WebSocket subscriptions, and conduits whose shards really route each event
 * to their WebSocket session or webhook callback. Faults: drop a socket, stall keepalives, force a
 * reconnect, close with a code, disable a shard.
 *
 * Reached through {@link FakeTwitch.eventSubWs}; the WebSocket endpoint is {@link FakeTwitch.eventSubWsUrl}
 * (`ws://127.0.0.1:<port>/ws`, standing for `wss://eventsub.wss.twitch.tv/ws`).
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { subscriptionJson } from './helix-routes.js';
import type { FakeEventSubSubscription, FakeTwitchRequest, FakeTwitchResponse, FakeTwitchState, TokenInfo } from './types.js';
import { decodeCursor, isObject, paginate, randomUUID, twitchError } from './util.js';

/** Settings of the fake's EventSub WebSocket side; change them with {@link FakeEventSubWs.configure}. */
export interface FakeEventSubWsSettings {
  /** Smallest `keepalive_timeout_seconds` accepted (smaller values are clamped up). Twitch: 10. Default `10`. */
  minKeepaliveSeconds: number;
  /** Keepalive window when the client asks for none, seconds. Twitch: 10. Default `10`. */
  defaultKeepaliveSeconds: number;
  /**
   * Time after the welcome to create a subscription on the session (or assign it to a conduit shard)
   * before the server closes it with 4003, ms. Default: the session's keepalive window (10 s by default).
   */
  subscribeDeadlineMs?: number;
  /** Time a client has to move to the `reconnect_url` before the old socket is closed with 4004, ms. Default `30000`. */
  reconnectGraceMs: number;
  /** WebSocket Ping interval; a Ping left unanswered until the next one closes the session with 4002, ms. Default `5000`. */
  pingIntervalMs: number;
  /** Enabled subscriptions per connection. Twitch: 300. */
  maxSubscriptionsPerConnection: number;
  /** `max_total_cost` of a user token's WebSocket subscriptions. Twitch: 10. */
  maxTotalCost: number;
  /** WebSocket connections with enabled subscriptions per user token. Twitch: 3. */
  maxConnections: number;
  /** Enabled conduits per client. Twitch: 5. */
  maxConduits: number;
}

const DEFAULT_SETTINGS: FakeEventSubWsSettings = {
  minKeepaliveSeconds: 10,
  defaultKeepaliveSeconds: 10,
  reconnectGraceMs: 30_000,
  pingIntervalMs: 5_000,
  maxSubscriptionsPerConnection: 300,
  maxTotalCost: 10,
  maxConnections: 3,
  maxConduits: 5,
};

/** The shard and subscription status Twitch gives a WebSocket transport closed with each code. */
const STATUS_BY_CLOSE_CODE: Record<number, string> = {
  4000: 'websocket_internal_error',
  4001: 'websocket_received_inbound_traffic',
  4002: 'websocket_failed_ping_pong',
  4003: 'websocket_connection_unused',
  4004: 'websocket_failed_to_reconnect',
  4005: 'websocket_network_timeout',
  4006: 'websocket_network_error',
  4007: 'websocket_failed_to_reconnect',
};

const CLOSE_REASONS: Record<number, string> = {
  4000: 'internal server error',
  4001: 'sent inbound traffic',
  4002: 'failed ping pong',
  4003: 'connection unused',
  4004: 'reconnect grace time expired',
  4005: 'network timeout',
  4006: 'network error',
  4007: 'invalid reconnect',
};

/** One EventSub WebSocket session of the fake. */
export interface FakeEventSubWsSession {
  id: string;
  status: 'connected' | 'reconnecting' | 'closed';
  keepaliveSeconds: number;
  connectedAt: string;
  /** The session that took this one's subscriptions after a `session_reconnect`. */
  movedTo?: string;
  /** Close code the session ended with (as the server saw it). */
  closeCode?: number;
  /** `Date.now()` when the welcome was sent. */
  welcomedAt: number;
  /** `Date.now()` when the socket closed. */
  closedAt?: number;
  /** Notifications and revocations written to this session. */
  sent: number;
}

interface SessionInternals extends FakeEventSubWsSession {
  ws: WebSocket;
  stalled: boolean;
  awaitingPong: boolean;
  keepaliveTimer?: NodeJS.Timeout;
  deadlineTimer?: NodeJS.Timeout;
  pingTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  serverCloseCode?: number;
}

/** A conduit shard of the fake. The webhook `secret` is kept but never returned. */
export interface FakeConduitShard {
  id: string;
  status: string;
  transport: {
    method: 'websocket' | 'webhook' | '';
    sessionId?: string;
    callback?: string;
    secret?: string;
    connectedAt?: string;
    disconnectedAt?: string;
  };
}

/** A conduit of the fake. */
export interface FakeConduit {
  id: string;
  clientId: string;
  shards: FakeConduitShard[];
}

/** Where one emitted message went, see {@link FakeEventSubWs.emit}. */
export interface FakeEventSubDeliveryRecord {
  messageId: string;
  subscriptionId: string;
  messageType: 'notification' | 'revocation';
  /** `delivered` (written to a live socket, or answered 2xx by a webhook callback), `dropped` (nowhere to go). */
  outcome: 'delivered' | 'dropped' | 'pending';
  /** Why it was dropped. */
  reason?: string;
  sessionId?: string;
  conduitId?: string;
  shardId?: string;
  callback?: string;
  /** `Date.now()` when the fake wrote it. */
  at: number;
}

/** What the fake's WebSocket side needs from its {@link FakeTwitch}. */
export interface FakeEventSubWsHost {
  state: FakeTwitchState;
  clientId: string;
  /** Base URL of the fake (`http://127.0.0.1:port`). */
  baseUrl(): string;
}

/** RFC3339 with nanoseconds, as EventSub timestamps are. */
function nanoTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/Z$/, '000000Z');
}

/** FNV-1a: the fake's stand-in for Twitch's hash of the channel id. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Canonical JSON with sorted keys, to compare conditions. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function shardJson(shard: FakeConduitShard): Record<string, unknown> {
  const t = shard.transport;
  const transport: Record<string, unknown> =
    t.method === 'webhook'
      ? { method: 'webhook', callback: t.callback }
      : t.method === 'websocket'
        ? {
            method: 'websocket',
            session_id: t.sessionId,
            connected_at: t.connectedAt,
            ...(t.disconnectedAt ? { disconnected_at: t.disconnectedAt } : {}),
          }
        : {};
  return { id: shard.id, status: shard.status, transport };
}

function newShard(id: number): FakeConduitShard {
  return { id: String(id), status: 'websocket_disconnected', transport: { method: '' } };
}

/** The body of Create EventSub Subscription, checked. */
interface SubscriptionBody {
  type: string;
  version: string;
  condition: Record<string, unknown>;
  transport: Record<string, unknown>;
}

/** 1 to 20,000 shards. */
function validShardCount(count: unknown): count is number {
  return Number.isInteger(count) && (count as number) >= 1 && (count as number) <= 20_000;
}

const APP_TOKEN_REQUIRED = 'The Authorization header is required and must specify an app access token';

/**
 * The EventSub WebSocket server and conduits of a {@link FakeTwitch}. Tests drive it: {@link emit}
 * events, {@link requestReconnect}, {@link dropSession}, {@link closeSession}, {@link stallKeepalives},
 * {@link disableShard}, and read {@link sessions}, {@link conduits}, {@link deliveries}.
 */
export class FakeEventSubWs {
  /** Every session ever opened, by id (closed ones stay, with `status: 'closed'`): a snapshot. */
  get sessions(): Map<string, FakeEventSubWsSession> {
    return new Map([...this.all].map(([id, s]) => [id, this.publicSession(s)]));
  }
  /** Conduits by id. */
  readonly conduits = new Map<string, FakeConduit>();
  /** Every message {@link emit} or {@link revoke} produced, oldest first. */
  readonly deliveries: FakeEventSubDeliveryRecord[] = [];

  private settings: FakeEventSubWsSettings = { ...DEFAULT_SETTINGS };
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly live = new Map<string, SessionInternals>();
  private readonly all = new Map<string, SessionInternals>();
  private readonly reconnectTokens = new Map<string, string>();
  private closed = false;

  constructor(private readonly host: FakeEventSubWsHost) {}

  /** Change settings (only the given ones). Applies to sessions opened afterwards, and to limits at once. */
  configure(settings: Partial<FakeEventSubWsSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  /** The WebSocket URL (`ws://host:port/ws`). */
  get url(): string {
    return `${this.host.baseUrl().replace(/^http/, 'ws')}/ws`;
  }

  /** Serve WebSocket upgrades to `/ws` on the fake's HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      if (this.closed || url.pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, url));
    });
  }

  // ------------------------------------------------------------------ faults and events

  /** Sessions open now (connected or reconnecting). */
  openSessions(): FakeEventSubWsSession[] {
    return [...this.live.values()].map((s) => this.publicSession(s));
  }

  /** Destroy a session's socket without a close frame (a lost connection). */
  dropSession(sessionId: string): void {
    this.liveSession(sessionId).ws.terminate();
  }

  /** Close a session with a close code (4000–4007), as Twitch does. */
  closeSession(sessionId: string, code: number): void {
    this.serverClose(this.liveSession(sessionId), code);
  }

  /** Stop (or resume) a session's keepalive messages: a client must notice the silence. */
  stallKeepalives(sessionId: string, stalled = true): void {
    const s = this.liveSession(sessionId);
    s.stalled = stalled;
    // Stalled: not even the keepalive already due goes out.
    if (stalled) clearTimeout(s.keepaliveTimer);
    else this.armKeepalive(s);
  }

  /**
   * Send `session_reconnect` to a session: its client must connect to the returned `reconnect_url`,
   * read the welcome and close the old socket within `reconnectGraceMs` (else 4004). The
   * subscriptions move to the new session when its welcome is sent. With `invalidUrl`, the URL is
   * one the server refuses (4007).
   */
  requestReconnect(sessionId: string, opts: { invalidUrl?: boolean } = {}): string {
    const s = this.liveSession(sessionId);
    const token = randomUUID();
    // An invalid reconnect URL: connecting to it is closed with 4007.
    if (!opts.invalidUrl) this.reconnectTokens.set(token, s.id);
    const reconnectUrl = `${this.url}?reconnect_id=${token}`;
    s.status = 'reconnecting';
    this.send(s, 'session_reconnect', {
      session: {
        id: s.id,
        status: 'reconnecting',
        keepalive_timeout_seconds: null,
        reconnect_url: reconnectUrl,
        connected_at: s.connectedAt,
      },
    });
    s.graceTimer = setTimeout(() => {
      if (this.live.has(s.id)) this.serverClose(s, 4004);
    }, this.settings.reconnectGraceMs);
    return reconnectUrl;
  }

  /**
   * Disable a conduit shard (its transport stops receiving, `conduit.shard.disabled` is emitted).
   * A WebSocket shard's session is closed with 4000 unless `keepSession` is set.
   */
  disableShard(conduitId: string, shardId: string, opts: { status?: string; keepSession?: boolean } = {}): void {
    const shard = this.conduits.get(conduitId)?.shards.find((s) => s.id === shardId);
    if (!shard) throw new Error(`FakeEventSubWs: no shard ${shardId} in conduit ${conduitId}`);
    this.markShardDisabled(conduitId, shard, opts.status ?? 'websocket_disconnected', opts.keepSession === true);
  }

  /**
   * Emit a notification for a subscription, as Twitch would: to its WebSocket session, or through its
   * conduit to the shard chosen by hashing the routing key (the event's `broadcaster_user_id`, else the
   * condition's, else the subscription id), trying one other shard when that one is disabled.
   */
  emit(
    subscriptionId: string,
    event: unknown,
    opts: { messageId?: string; routingKey?: string } = {},
  ): FakeEventSubDeliveryRecord {
    const sub = this.host.state.eventSubSubscriptions.get(subscriptionId);
    const record: FakeEventSubDeliveryRecord = {
      messageId: opts.messageId ?? randomUUID(),
      subscriptionId,
      messageType: 'notification',
      outcome: 'dropped',
      at: Date.now(),
    };
    this.deliveries.push(record);
    if (!sub) return { ...record, reason: 'unknown subscription' };
    if (sub.status !== 'enabled') {
      record.reason = `subscription is ${sub.status}`;
      return record;
    }
    const key =
      opts.routingKey ?? String((isObject(event) && event.broadcaster_user_id) || sub.condition.broadcaster_user_id || sub.id);
    this.route(record, sub, { subscription: subscriptionJson(sub), event }, key);
    return record;
  }

  /** Revoke a subscription with a reason (`authorization_revoked`, `user_removed`, `version_removed`) and send the revocation. */
  revoke(subscriptionId: string, status = 'authorization_revoked'): FakeEventSubDeliveryRecord {
    const sub = this.host.state.eventSubSubscriptions.get(subscriptionId);
    if (!sub) throw new Error(`FakeEventSubWs: no subscription ${subscriptionId}`);
    const record: FakeEventSubDeliveryRecord = {
      messageId: randomUUID(),
      subscriptionId,
      messageType: 'revocation',
      outcome: 'dropped',
      at: Date.now(),
    };
    this.deliveries.push(record);
    const wasEnabled = sub.status === 'enabled';
    sub.status = status;
    if (wasEnabled) this.route(record, sub, { subscription: subscriptionJson(sub) }, sub.id);
    return record;
  }

  /** Close every session and forget pending timers. */
  close(): void {
    this.closed = true;
    for (const s of this.live.values()) {
      this.clearTimers(s);
      s.ws.terminate();
    }
    this.wss.close();
  }

  // ------------------------------------------------------------------ Helix routes

  /**
   * The dedicated Helix route for a request, if this side answers it: the conduit endpoints, and
   * Create EventSub Subscription with `transport.method` `websocket` or `conduit`.
   */
  routeFor(req: FakeTwitchRequest, helixPath: string): ((token: TokenInfo) => FakeTwitchResponse) | undefined {
    const key = `${req.method} ${helixPath}`;
    switch (key) {
      case 'GET /eventsub/conduits':
        return (t) => this.getConduits(t);
      case 'POST /eventsub/conduits':
        return (t) => this.createConduit(req, t);
      case 'PATCH /eventsub/conduits':
        return (t) => this.updateConduit(req, t);
      case 'DELETE /eventsub/conduits':
        return (t) => this.deleteConduit(req, t);
      case 'GET /eventsub/conduits/shards':
        return (t) => this.getShards(req, t);
      case 'PATCH /eventsub/conduits/shards':
        return (t) => this.updateShards(req, t);
      case 'POST /eventsub/subscriptions': {
        const method = isObject(req.body) && isObject(req.body.transport) ? req.body.transport.method : undefined;
        if (method === 'websocket') return (t) => this.createWebSocketSubscription(req, t);
        if (method === 'conduit') return (t) => this.createConduitSubscription(req, t);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private checkBody(req: FakeTwitchRequest): SubscriptionBody | FakeTwitchResponse {
    if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
    const { type, version, condition, transport } = req.body;
    if (typeof type !== 'string' || type === '') return twitchError(400, 'The type field is required.');
    if (typeof version !== 'string' || version === '') return twitchError(400, 'The version field is required.');
    if (!isObject(condition)) return twitchError(400, 'The condition field is required.');
    return { type, version, condition, transport: transport as Record<string, unknown> };
  }

  private createWebSocketSubscription(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    const body = this.checkBody(req);
    if ('status' in body) return body;
    if (token.kind !== 'user') return twitchError(400, 'invalid transport and auth combination');
    const sessionId = body.transport.session_id;
    if (typeof sessionId !== 'string' || sessionId === '') {
      return twitchError(400, 'The session_id field is required if you specify the WebSocket transport method.');
    }
    const session = this.live.get(sessionId);
    if (!session) return twitchError(400, 'websocket transport session does not exist or has already disconnected');
    const mine = [...this.host.state.eventSubSubscriptions.values()].filter(
      (s) =>
        s.status === 'enabled' &&
        s.transport.method === 'websocket' &&
        s.clientId === token.clientId &&
        s.ownerUserId === token.userId,
    );
    const cond = canonical(body.condition);
    if (mine.some((s) => s.type === body.type && s.version === body.version && canonical(s.condition) === cond)) {
      return twitchError(409, 'subscription already exists');
    }
    if (mine.filter((s) => s.transport.sessionId === sessionId).length >= this.settings.maxSubscriptionsPerConnection) {
      return twitchError(429, 'number of subscriptions for this websocket transport exceeds the limit');
    }
    const sessions = new Set(mine.map((s) => s.transport.sessionId));
    if (!sessions.has(sessionId) && sessions.size >= this.settings.maxConnections) {
      return twitchError(429, 'number of websocket transports with enabled subscriptions exceeds the limit');
    }
    // Cost 0 when the condition names the token's user (they authorized the app), else 1.
    const cost = Object.values(body.condition).some((v) => v === token.userId) ? 0 : 1;
    const totalCost = mine.reduce((sum, s) => sum + s.cost, 0);
    if (totalCost + cost > this.settings.maxTotalCost) {
      const max = this.settings.maxTotalCost;
      const totals = `total_cost ${totalCost}, max_total_cost ${max}`;
      return twitchError(429, `subscription cost exceeds the maximum total cost (${totals})`);
    }
    const now = Date.now();
    const sub: FakeEventSubSubscription = {
      id: randomUUID(),
      status: 'enabled',
      type: body.type,
      version: body.version,
      condition: { ...body.condition },
      createdAt: new Date(now).toISOString(),
      transport: { method: 'websocket', sessionId, connectedAt: session.connectedAt },
      cost,
      clientId: token.clientId,
      ownerUserId: token.userId,
    };
    this.host.state.eventSubSubscriptions.set(sub.id, sub);
    const all = [...mine, sub];
    return {
      status: 202,
      body: {
        data: [subscriptionJson(sub)],
        total: all.length,
        total_cost: totalCost + cost,
        max_total_cost: this.settings.maxTotalCost,
      },
    };
  }

  private createConduitSubscription(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    const body = this.checkBody(req);
    if ('status' in body) return body;
    if (token.kind !== 'app') return twitchError(400, 'invalid transport and auth combination');
    const conduitId = body.transport.conduit_id;
    if (typeof conduitId !== 'string' || conduitId === '') {
      return twitchError(400, 'The conduit_id field is required if you specify the Conduit transport method.');
    }
    const conduit = this.conduits.get(conduitId);
    if (!conduit || conduit.clientId !== token.clientId) return twitchError(400, 'The conduit was not found.');
    const visible = [...this.host.state.eventSubSubscriptions.values()].filter(
      (s) => s.clientId === token.clientId && s.transport.method !== 'websocket',
    );
    const cond = canonical(body.condition);
    const same = (s: FakeEventSubSubscription) =>
      s.type === body.type && s.version === body.version && canonical(s.condition) === cond;
    if (visible.some((s) => s.status === 'enabled' && same(s))) {
      return twitchError(409, 'subscription already exists');
    }
    const now = Date.now();
    const sub: FakeEventSubSubscription = {
      id: randomUUID(),
      status: 'enabled',
      type: body.type,
      version: body.version,
      condition: { ...body.condition },
      createdAt: new Date(now).toISOString(),
      transport: { method: 'conduit', conduitId },
      cost: body.type === 'conduit.shard.disabled' ? 0 : 1,
      clientId: token.clientId,
    };
    this.host.state.eventSubSubscriptions.set(sub.id, sub);
    const all = [...visible, sub];
    return {
      status: 202,
      body: {
        data: [subscriptionJson(sub)],
        total: all.length,
        total_cost: all.reduce((n, s) => n + s.cost, 0),
        max_total_cost: 10_000,
      },
    };
  }

  private ownConduit(id: unknown, token: TokenInfo): FakeConduit | undefined {
    const conduit = typeof id === 'string' ? this.conduits.get(id) : undefined;
    return conduit && conduit.clientId === token.clientId ? conduit : undefined;
  }

  private getConduits(token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    const data = [...this.conduits.values()]
      .filter((c) => c.clientId === token.clientId)
      .map((c) => ({ id: c.id, shard_count: c.shards.length }));
    return { status: 200, body: { data } };
  }

  private createConduit(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    const count = isObject(req.body) ? req.body.shard_count : undefined;
    if (!validShardCount(count)) return twitchError(400, 'Invalid shard count.');
    if ([...this.conduits.values()].filter((c) => c.clientId === token.clientId).length >= this.settings.maxConduits) {
      return twitchError(429, 'Conduit limit reached.');
    }
    const conduit: FakeConduit = { id: randomUUID(), clientId: token.clientId, shards: [] };
    for (let i = 0; i < (count as number); i++) conduit.shards.push(newShard(i));
    this.conduits.set(conduit.id, conduit);
    return { status: 200, body: { data: [{ id: conduit.id, shard_count: conduit.shards.length }] } };
  }

  private updateConduit(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
    const count = req.body.shard_count;
    if (!validShardCount(count)) return twitchError(400, 'Invalid shard count.');
    const conduit = this.ownConduit(req.body.id, token);
    if (!conduit) return twitchError(404, 'Conduit not found.');
    conduit.shards.length = Math.min(conduit.shards.length, count as number);
    for (let i = conduit.shards.length; i < (count as number); i++) conduit.shards.push(newShard(i));
    return { status: 200, body: { data: [{ id: conduit.id, shard_count: conduit.shards.length }] } };
  }

  private deleteConduit(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    const id = req.query.id?.[0];
    if (!id) return twitchError(400, 'Missing required parameter "id"');
    const conduit = this.ownConduit(id, token);
    if (!conduit) return twitchError(404, 'Conduit not found.');
    this.conduits.delete(id);
    for (const sub of this.host.state.eventSubSubscriptions.values()) {
      if (sub.transport.method === 'conduit' && sub.transport.conduitId === id) sub.status = 'conduit_deleted';
    }
    return { status: 204 };
  }

  private getShards(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    const id = req.query.conduit_id?.[0];
    if (!id) return twitchError(400, 'Missing required parameter "conduit_id"');
    const conduit = this.ownConduit(id, token);
    if (!conduit) return twitchError(404, 'Conduit not found.');
    const status = req.query.status?.[0];
    const after = req.query.after?.[0];
    const position = after === undefined ? undefined : decodeCursor(after, 'shards');
    if (after !== undefined && !position) return twitchError(400, 'The cursor is not valid.');
    const shards = conduit.shards.filter((s) => status === undefined || s.status === status);
    const { page, cursor } = paginate(shards, 100, position, undefined, 'shards');
    return { status: 200, body: { data: page.map(shardJson), pagination: cursor ? { cursor } : {} } };
  }

  private updateShards(req: FakeTwitchRequest, token: TokenInfo): FakeTwitchResponse {
    if (token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
    if (!isObject(req.body) || !Array.isArray(req.body.shards)) return twitchError(400, 'The shards field is required.');
    const conduit = this.ownConduit(req.body.conduit_id, token);
    if (!conduit) return twitchError(404, 'Conduit not found.');
    const data: Record<string, unknown>[] = [];
    const errors: { id: string; message: string; code: string }[] = [];
    for (const item of req.body.shards as unknown[]) {
      const id = isObject(item) ? String(item.id) : '';
      const fail = (message: string, code: string) => errors.push({ id, message, code });
      const shard = conduit.shards.find((s) => s.id === id);
      if (!shard) {
        fail('The shard id is outside of the conduit’s range.', 'invalid_shard_id');
        continue;
      }
      const t = isObject(item) && isObject(item.transport) ? item.transport : {};
      if (t.method === 'websocket') {
        if (typeof t.session_id !== 'string' || t.session_id === '') {
          fail('The session_id field is required if you specify the WebSocket transport method.', 'missing_session_id');
          continue;
        }
        const session = this.live.get(t.session_id);
        if (!session || session.status === 'closed') {
          fail('The websocket session is not connected.', 'websocket_session_not_connected');
          continue;
        }
        shard.transport = { method: 'websocket', sessionId: session.id, connectedAt: session.connectedAt };
        shard.status = 'enabled';
      } else if (t.method === 'webhook') {
        if (typeof t.callback !== 'string' || !/^https?:\/\/[^/\s]+/i.test(t.callback)) {
          fail('The callback field is required if you specify the webhook transport method.', 'missing_callback');
          continue;
        }
        if (typeof t.secret !== 'string' || t.secret.length < 10 || t.secret.length > 100) {
          fail('The length of the string in the secret field is not valid.', 'invalid_secret');
          continue;
        }
        shard.transport = { method: 'webhook', callback: t.callback, secret: t.secret };
        shard.status = 'webhook_callback_verification_pending';
        void this.verifyWebhookShard(conduit, shard);
      } else {
        fail('The value specified in the method field is not valid.', 'invalid_method');
        continue;
      }
      data.push(shardJson(shard));
    }
    return { status: 202, body: { data, errors } };
  }

  // ------------------------------------------------------------------ sessions

  private open(ws: WebSocket, url: URL): void {
    const reconnectId = url.searchParams.get('reconnect_id');
    let keepalive = this.settings.defaultKeepaliveSeconds;
    let from: SessionInternals | undefined;
    if (reconnectId !== null) {
      const oldId = this.reconnectTokens.get(reconnectId);
      this.reconnectTokens.delete(reconnectId);
      from = oldId ? this.live.get(oldId) : undefined;
      if (!from) {
        ws.close(4007, CLOSE_REASONS[4007]);
        return;
      }
      keepalive = from.keepaliveSeconds;
    } else {
      const asked = url.searchParams.get('keepalive_timeout_seconds');
      if (asked !== null && /^\d+$/.test(asked)) {
        keepalive = Math.min(600, Math.max(this.settings.minKeepaliveSeconds, Number(asked)));
      }
    }
    const s: SessionInternals = {
      id: `${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      status: 'connected',
      keepaliveSeconds: keepalive,
      connectedAt: new Date().toISOString(),
      welcomedAt: 0,
      sent: 0,
      ws,
      stalled: false,
      awaitingPong: false,
    };
    this.live.set(s.id, s);
    this.all.set(s.id, s);
    ws.on('message', () => this.serverClose(s, 4001));
    ws.on('pong', () => (s.awaitingPong = false));
    ws.on('close', (code) => this.onClosed(s, code));
    ws.on('error', () => undefined);
    s.pingTimer = setInterval(() => {
      if (s.awaitingPong) return this.serverClose(s, 4002);
      s.awaitingPong = true;
      ws.ping();
    }, this.settings.pingIntervalMs);
    s.welcomedAt = Date.now();
    this.send(s, 'session_welcome', {
      session: {
        id: s.id,
        status: 'connected',
        connected_at: nanoTime(Date.parse(s.connectedAt)),
        keepalive_timeout_seconds: keepalive,
        reconnect_url: null,
      },
    });
    if (from) {
      this.moveSession(from, s);
    } else {
      s.deadlineTimer = setTimeout(
        () => {
          if (this.live.has(s.id) && !this.sessionUsed(s.id)) this.serverClose(s, 4003);
        },
        this.settings.subscribeDeadlineMs ?? keepalive * 1000,
      );
    }
  }

  /** Subscriptions and shards of `from` now belong to `to` (after `to`'s welcome). */
  private moveSession(from: SessionInternals, to: SessionInternals): void {
    from.movedTo = to.id;
    for (const sub of this.host.state.eventSubSubscriptions.values()) {
      if (sub.transport.method === 'websocket' && sub.transport.sessionId === from.id) {
        sub.transport = { ...sub.transport, sessionId: to.id, connectedAt: to.connectedAt };
      }
    }
    for (const conduit of this.conduits.values()) {
      for (const shard of conduit.shards) {
        if (shard.transport.sessionId === from.id) {
          shard.transport = { method: 'websocket', sessionId: to.id, connectedAt: to.connectedAt };
        }
      }
    }
  }

  private sessionUsed(sessionId: string): boolean {
    for (const sub of this.host.state.eventSubSubscriptions.values()) {
      if (sub.status === 'enabled' && sub.transport.method === 'websocket' && sub.transport.sessionId === sessionId) return true;
    }
    for (const conduit of this.conduits.values()) {
      if (conduit.shards.some((s) => s.status === 'enabled' && s.transport.sessionId === sessionId)) return true;
    }
    return false;
  }

  private onClosed(s: SessionInternals, clientCode: number): void {
    this.clearTimers(s);
    this.live.delete(s.id);
    s.status = 'closed';
    s.closeCode = s.serverCloseCode ?? clientCode;
    s.closedAt = Date.now();
    if (s.movedTo) return;
    const status = STATUS_BY_CLOSE_CODE[s.closeCode] ?? 'websocket_disconnected';
    const at = new Date().toISOString();
    for (const sub of this.host.state.eventSubSubscriptions.values()) {
      if (sub.status === 'enabled' && sub.transport.method === 'websocket' && sub.transport.sessionId === s.id) {
        sub.status = status;
        sub.transport = { ...sub.transport, disconnectedAt: at };
      }
    }
    for (const conduit of this.conduits.values()) {
      for (const shard of conduit.shards) {
        if (shard.status === 'enabled' && shard.transport.sessionId === s.id) {
          this.markShardDisabled(conduit.id, shard, status === 'websocket_connection_unused' ? 'websocket_disconnected' : status);
        }
      }
    }
  }

  private markShardDisabled(conduitId: string, shard: FakeConduitShard, status: string, keepSession = false): void {
    shard.status = status;
    if (shard.transport.method === 'websocket') {
      shard.transport = { ...shard.transport, disconnectedAt: new Date().toISOString() };
      const session = shard.transport.sessionId ? this.live.get(shard.transport.sessionId) : undefined;
      if (session && !keepSession && !this.sessionUsed(session.id)) this.serverClose(session, 4000);
    }
    const conduit = this.conduits.get(conduitId);
    for (const sub of [...this.host.state.eventSubSubscriptions.values()]) {
      if (sub.status !== 'enabled' || sub.type !== 'conduit.shard.disabled' || sub.clientId !== conduit?.clientId) continue;
      if (sub.condition.conduit_id !== undefined && sub.condition.conduit_id !== conduitId) continue;
      const t = shard.transport;
      const transport =
        t.method === 'webhook'
          ? { method: 'webhook', callback: t.callback }
          : { method: 'websocket', session_id: t.sessionId, connected_at: t.connectedAt, disconnected_at: t.disconnectedAt };
      const event = { conduit_id: conduitId, shard_id: shard.id, status, transport };
      this.emit(sub.id, event, { routingKey: `${conduitId}:${shard.id}` });
    }
  }

  private serverClose(s: SessionInternals, code: number): void {
    if (s.serverCloseCode !== undefined) return;
    s.serverCloseCode = code;
    this.clearTimers(s);
    s.ws.close(code, CLOSE_REASONS[code] ?? '');
    // A client that never answers the close handshake is cut off.
    setTimeout(() => s.ws.terminate(), 2_000).unref();
  }

  private clearTimers(s: SessionInternals): void {
    clearTimeout(s.keepaliveTimer);
    clearTimeout(s.deadlineTimer);
    clearInterval(s.pingTimer);
    clearTimeout(s.graceTimer);
  }

  private armKeepalive(s: SessionInternals): void {
    clearTimeout(s.keepaliveTimer);
    if (s.stalled || !this.live.has(s.id)) return;
    s.keepaliveTimer = setTimeout(() => this.send(s, 'session_keepalive', {}), s.keepaliveSeconds * 1000);
  }

  /** Write one message; any message resets the keepalive window. Returns whether it was written to an open socket. */
  private send(
    s: SessionInternals,
    messageType: string,
    payload: Record<string, unknown>,
    messageId: string = randomUUID(),
    sub?: FakeEventSubSubscription,
  ): boolean {
    if (s.ws.readyState !== WebSocket.OPEN || s.serverCloseCode !== undefined) return false;
    const metadata: Record<string, unknown> = { message_id: messageId, message_type: messageType, message_timestamp: nanoTime() };
    if (sub) {
      metadata.subscription_type = sub.type;
      metadata.subscription_version = sub.version;
    }
    s.ws.send(JSON.stringify({ metadata, payload }));
    this.armKeepalive(s);
    return true;
  }

  private route(
    record: FakeEventSubDeliveryRecord,
    sub: FakeEventSubSubscription,
    payload: Record<string, unknown>,
    key: string,
  ): void {
    if (sub.transport.method === 'websocket') {
      const s = sub.transport.sessionId ? this.live.get(sub.transport.sessionId) : undefined;
      record.sessionId = sub.transport.sessionId;
      if (s && this.send(s, record.messageType, payload, record.messageId, sub)) {
        s.sent += 1;
        record.outcome = 'delivered';
      } else {
        record.reason = 'session is not connected';
      }
      return;
    }
    if (sub.transport.method !== 'conduit') {
      record.reason = `the ${sub.transport.method} transport is not served by this side of the fake`;
      return;
    }
    const conduit = sub.transport.conduitId ? this.conduits.get(sub.transport.conduitId) : undefined;
    record.conduitId = sub.transport.conduitId;
    if (!conduit || conduit.shards.length === 0) {
      record.reason = 'conduit not found';
      return;
    }
    const first = hash(key) % conduit.shards.length;
    const candidates = [conduit.shards[first], conduit.shards[(first + 1) % conduit.shards.length]];
    let shard: FakeConduitShard | undefined;
    for (const candidate of candidates) {
      if (candidate.status !== 'enabled') continue;
      if (candidate.transport.method !== 'websocket') {
        shard = candidate;
        break;
      }
      // A WebSocket shard whose socket is already gone counts as disabled: the other shard is tried.
      const s = candidate.transport.sessionId ? this.live.get(candidate.transport.sessionId) : undefined;
      if (s && this.send(s, record.messageType, payload, record.messageId, sub)) {
        s.sent += 1;
        record.outcome = 'delivered';
        record.shardId = candidate.id;
        record.sessionId = s.id;
        return;
      }
    }
    if (!shard) {
      record.shardId = conduit.shards[first].id;
      record.reason = 'shard and its fallback are disabled';
      return;
    }
    record.shardId = shard.id;
    record.callback = shard.transport.callback;
    record.outcome = 'pending';
    void this.postWebhook(shard, record.messageType, record.messageId, sub, payload).then((ok) => {
      record.outcome = ok ? 'delivered' : 'dropped';
      if (!ok) record.reason = 'webhook callback failed';
    });
  }

  private async postWebhook(
    shard: FakeConduitShard,
    messageType: string,
    messageId: string,
    sub: FakeEventSubSubscription | undefined,
    payload: Record<string, unknown>,
  ): Promise<boolean> {
    const { callback, secret } = shard.transport;
    if (!callback || !secret) return false;
    const body = JSON.stringify(payload);
    const timestamp = nanoTime();
    const signature = `sha256=${createHmac('sha256', secret)
      .update(messageId + timestamp + body)
      .digest('hex')}`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Twitch-Eventsub-Message-Id': messageId,
      'Twitch-Eventsub-Message-Retry': '0',
      'Twitch-Eventsub-Message-Type': messageType,
      'Twitch-Eventsub-Message-Signature': signature,
      'Twitch-Eventsub-Message-Timestamp': timestamp,
    };
    if (sub) {
      headers['Twitch-Eventsub-Subscription-Type'] = sub.type;
      headers['Twitch-Eventsub-Subscription-Version'] = sub.version;
    }
    try {
      const signal = AbortSignal.timeout(10_000);
      const res = await fetch(callback, { method: 'POST', headers, body, redirect: 'manual', signal });
      const text = await res.text();
      return messageType === 'webhook_callback_verification'
        ? res.status === 200 && text === (payload.challenge as string)
        : res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }

  private async verifyWebhookShard(conduit: FakeConduit, shard: FakeConduitShard): Promise<void> {
    const challenge = randomUUID();
    const transport = shard.transport;
    const ok = await this.postWebhook(shard, 'webhook_callback_verification', randomUUID(), undefined, {
      challenge,
      conduit_shard: { conduit_id: conduit.id, shard: shard.id },
    });
    if (shard.transport !== transport) return;
    shard.status = ok ? 'enabled' : 'webhook_callback_verification_failed';
  }

  private liveSession(sessionId: string): SessionInternals {
    const s = this.live.get(sessionId);
    if (!s) throw new Error(`FakeEventSubWs: no open session ${sessionId}`);
    return s;
  }

  private publicSession(s: SessionInternals): FakeEventSubWsSession {
    return {
      id: s.id,
      status: s.status,
      keepaliveSeconds: s.keepaliveSeconds,
      connectedAt: s.connectedAt,
      welcomedAt: s.welcomedAt,
      ...(s.closedAt !== undefined ? { closedAt: s.closedAt } : {}),
      ...(s.movedTo ? { movedTo: s.movedTo } : {}),
      ...(s.closeCode !== undefined ? { closeCode: s.closeCode } : {}),
      sent: s.sent,
    };
  }
}
