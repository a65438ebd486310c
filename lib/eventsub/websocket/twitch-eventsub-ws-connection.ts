import { Logger } from '@nestjs/common';
import { WebSocket } from 'ws';
import type { TwitchEventSubDelivery, TwitchEventSubSink } from '../transports/twitch-eventsub-transport.interface.js';

/** Twitch's EventSub WebSocket endpoint. */
export const TWITCH_EVENTSUB_WS_URL = 'wss://eventsub.wss.twitch.tv/ws';

/** Options of one EventSub WebSocket connection (a session and the sessions that replace it). */
export interface TwitchEventSubWsConnectionOptions {
  /**
   * URL to connect to (a fresh session). `session_reconnect` URLs are followed as given.
   * @default 'wss://eventsub.wss.twitch.tv/ws'
   */
  url?: string;
  /**
   * `keepalive_timeout_seconds` asked of Twitch, 10–600 (Twitch clamps other values). It is also the
   * time Twitch gives to subscribe after the welcome. @default Twitch's own (10 s)
   */
  keepaliveTimeoutSeconds?: number;
  /**
   * Wait beyond the session's keepalive window (from its welcome) before a silent connection counts
   * as lost and is replaced by a fresh session, ms. @default 3000
   */
  keepaliveMarginMs?: number;
  /** Time to open the socket and read its welcome, ms. @default 10000 */
  connectTimeoutMs?: number;
  /** First backoff delay before a fresh session after a failure, ms (doubled per failure, full jitter). @default 1000 */
  reconnectBaseDelayMs?: number;
  /** Longest backoff delay, ms. @default 60000 */
  reconnectMaxDelayMs?: number;
  /** A session that stayed up this long resets the backoff, ms. @default 30000 */
  stableAfterMs?: number;
  /** Message ids remembered to drop a message Twitch sends twice (at-least-once delivery). @default 10000 */
  dedupeWindow?: number;
  /**
   * What the deliveries are marked as: `websocket` for the WebSocket transport, `conduit` for a
   * conduit shard's session. @default 'websocket'
   */
  deliveryTransport?: 'websocket' | 'conduit';
  /** Conduit shard id put on deliveries (conduit shards only). */
  shardId?: string;
}

/** A session is ready: after a fresh welcome (subscriptions to make), or after following a `session_reconnect`. */
export interface TwitchEventSubWsSessionInfo {
  sessionId: string;
  /** `true` for a new session without subscriptions; `false` when it took over a reconnected session's subscriptions. */
  fresh: boolean;
  /** The session's keepalive window, seconds. */
  keepaliveSeconds: number;
}

/** A socket closed. */
export interface TwitchEventSubWsCloseInfo {
  code: number;
  reason: string;
  sessionId?: string;
  /** What the connection does next. */
  action: TwitchEventSubWsCloseAction;
}

/** What a connection does after a close: a fresh session now, one after the backoff, or nothing (stopped). */
export type TwitchEventSubWsCloseAction = 'reconnect-now' | 'reconnect-backoff' | 'stop';

/** How each of Twitch's close codes (and other closes) is handled. */
export const TWITCH_EVENTSUB_WS_CLOSE_CODES: Readonly<Record<number, { reason: string; action: TwitchEventSubWsCloseAction }>> = {
  4000: { reason: 'internal server error', action: 'reconnect-backoff' },
  4001: { reason: 'client sent inbound traffic', action: 'reconnect-backoff' },
  4002: { reason: 'client failed ping-pong', action: 'reconnect-backoff' },
  4003: { reason: 'connection unused (no subscription in time)', action: 'reconnect-backoff' },
  4004: { reason: 'reconnect grace time expired', action: 'reconnect-now' },
  4005: { reason: 'network timeout', action: 'reconnect-now' },
  4006: { reason: 'network error', action: 'reconnect-now' },
  4007: { reason: 'invalid reconnect', action: 'reconnect-now' },
};

/** Hooks of a connection. */
export interface TwitchEventSubWsConnectionHooks {
  /** Receives every notification and revocation, in order, once per message id. */
  sink: TwitchEventSubSink;
  /**
   * Runs after each welcome: subscribe (fresh sessions) or re-point a shard. A rejection is logged; a
   * fresh session that ends up unused is closed by Twitch (4003) and replaced after the backoff.
   */
  onSession?: (info: TwitchEventSubWsSessionInfo) => Promise<void>;
  /** Told about every close of the active socket. */
  onClose?: (info: TwitchEventSubWsCloseInfo) => void;
}

interface Sock {
  ws: WebSocket;
  sessionId?: string;
  keepaliveSeconds: number;
  watchdog?: NodeJS.Timeout;
  openedAt: number;
  welcomed: boolean;
  retired: boolean;
}

interface Message {
  metadata?: { message_id?: string; message_type?: string; message_timestamp?: string };
  payload?: {
    session?: { id?: string; keepalive_timeout_seconds?: number | null; reconnect_url?: string | null };
    subscription?: TwitchEventSubDelivery['subscription'];
    event?: unknown;
    events?: unknown;
  };
}

/**
 * One EventSub WebSocket connection: connects, reads the welcome, hands every notification and
 * revocation to the sink (in order, each message id once), watches the keepalive, follows
 * `session_reconnect` (the new socket is opened and its welcome read before the old one is closed,
 * so nothing is lost), and replaces a lost or closed session by a fresh one (close codes handled
 * as in {@link TWITCH_EVENTSUB_WS_CLOSE_CODES}, with exponential backoff and jitter).
 *
 * The client is `ws`: it answers Twitch's Pings by itself (a missed Pong is a 4002), has a handshake
 * timeout, and `terminate()` drops a dead socket at once where a WHATWG `WebSocket` (undici's) can only
 * start a close handshake the silent peer never answers; it also exposes the close code of every close.
 */
export class TwitchEventSubWsConnection {
  private readonly logger = new Logger('TwitchEventSubWs');
  private readonly opts: Required<Omit<TwitchEventSubWsConnectionOptions, 'keepaliveTimeoutSeconds' | 'shardId'>> &
    Pick<TwitchEventSubWsConnectionOptions, 'keepaliveTimeoutSeconds' | 'shardId'>;
  private current?: Sock;
  private pending?: Sock;
  private stopped = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private firstSession?: { resolve: (id: string) => void; reject: (err: Error) => void };

  constructor(
    options: TwitchEventSubWsConnectionOptions,
    private readonly hooks: TwitchEventSubWsConnectionHooks,
  ) {
    const k = options.keepaliveTimeoutSeconds;
    if (k !== undefined && (!Number.isInteger(k) || k < 10 || k > 600)) {
      throw new TypeError(`EventSub WebSocket: option "keepaliveTimeoutSeconds" must be an integer from 10 to 600 (got ${k})`);
    }
    const numbers = [
      'keepaliveMarginMs',
      'connectTimeoutMs',
      'reconnectBaseDelayMs',
      'reconnectMaxDelayMs',
      'stableAfterMs',
      'dedupeWindow',
    ] as const;
    for (const name of numbers) {
      const v = options[name];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
        throw new TypeError(`EventSub WebSocket: option "${name}" must be a number ≥ 0 (got ${v})`);
      }
    }
    this.opts = {
      url: options.url ?? TWITCH_EVENTSUB_WS_URL,
      keepaliveTimeoutSeconds: k,
      keepaliveMarginMs: options.keepaliveMarginMs ?? 3_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      reconnectBaseDelayMs: options.reconnectBaseDelayMs ?? 1_000,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 60_000,
      stableAfterMs: options.stableAfterMs ?? 30_000,
      dedupeWindow: options.dedupeWindow ?? 10_000,
      deliveryTransport: options.deliveryTransport ?? 'websocket',
      shardId: options.shardId,
    };
  }

  /** The id of the active session, if connected. */
  get sessionId(): string | undefined {
    return this.current?.sessionId;
  }

  /** Whether a session is up now. */
  get connected(): boolean {
    return this.current?.welcomed === true && this.current.ws.readyState === WebSocket.OPEN;
  }

  /**
   * Connects and resolves with the first session's id once its `onSession` hook has run. Rejects if
   * the first connection fails (it is not retried then: the caller decides), or if stopped meanwhile.
   */
  start(): Promise<string> {
    if (this.stopped) return Promise.reject(new Error('EventSub WebSocket: the connection was stopped'));
    return new Promise<string>((resolve, reject) => {
      this.firstSession = { resolve, reject };
      this.connectFresh();
    });
  }

  /** Closes the sockets (code 1000) and stops reconnecting. Resolves when queued deliveries are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const sock of [this.current, this.pending]) if (sock) this.retire(sock);
    this.current = this.pending = undefined;
    this.firstSession?.reject(new Error('EventSub WebSocket: the connection was stopped'));
    this.firstSession = undefined;
    await this.queue;
  }

  /** Drops the active socket (as if the network failed) and starts a fresh session. For tests and operators. */
  recycle(): void {
    this.current?.ws.terminate();
  }

  // ------------------------------------------------------------------ internals

  private wsUrl(): string {
    const k = this.opts.keepaliveTimeoutSeconds;
    if (k === undefined) return this.opts.url;
    const url = new URL(this.opts.url);
    url.searchParams.set('keepalive_timeout_seconds', String(k));
    return url.toString();
  }

  private connectFresh(): void {
    if (this.stopped) return;
    const sock = this.open(this.wsUrl());
    this.current = sock;
  }

  private open(url: string): Sock {
    const ws = new WebSocket(url, { handshakeTimeout: this.opts.connectTimeoutMs, perMessageDeflate: false });
    const sock: Sock = { ws, keepaliveSeconds: 0, openedAt: Date.now(), welcomed: false, retired: false };
    // Until the welcome, the watchdog is the connect timeout.
    sock.watchdog = setTimeout(() => {
      this.logger.warn(`EventSub WebSocket: no welcome within ${this.opts.connectTimeoutMs} ms`);
      ws.terminate();
    }, this.opts.connectTimeoutMs);
    ws.on('message', (data) => this.onMessage(sock, data.toString()));
    ws.on('close', (code, reason) => this.onClose(sock, code, reason.toString()));
    ws.on('error', (err) => this.logger.debug(`EventSub WebSocket error: ${err.message}`));
    return sock;
  }

  private arm(sock: Sock): void {
    clearTimeout(sock.watchdog);
    if (sock.retired || !sock.welcomed) return;
    const ms = sock.keepaliveSeconds * 1000 + this.opts.keepaliveMarginMs;
    sock.watchdog = setTimeout(() => {
      this.logger.warn(`EventSub WebSocket: nothing from session ${sock.sessionId} for ${ms} ms; replacing it`);
      sock.ws.terminate();
    }, ms);
  }

  private onMessage(sock: Sock, raw: string): void {
    // A retired socket's last messages (sent before Twitch moved its subscriptions) still count.
    let msg: Message;
    try {
      msg = JSON.parse(raw) as Message;
    } catch {
      this.logger.warn('EventSub WebSocket: a message that is not JSON was ignored');
      return;
    }
    const type = msg.metadata?.message_type;
    if (type === 'session_welcome') return this.onWelcome(sock, msg);
    this.arm(sock);
    if (type === 'notification' || type === 'revocation') return this.deliver(sock, type, msg);
    if (type === 'session_reconnect') return this.followReconnect(sock, msg.payload?.session?.reconnect_url ?? undefined);
    // session_keepalive, or a type this version does not know: the watchdog was reset, nothing else to do.
  }

  private onWelcome(sock: Sock, msg: Message): void {
    const session = msg.payload?.session;
    const sessionId = session?.id;
    if (!session || !sessionId || sock.welcomed) return;
    sock.welcomed = true;
    sock.sessionId = sessionId;
    sock.keepaliveSeconds = session.keepalive_timeout_seconds ?? this.opts.keepaliveTimeoutSeconds ?? 10;
    this.arm(sock);
    let fresh = true;
    if (sock === this.pending) {
      // A reconnect target is up: it has the subscriptions now; the old socket goes.
      const old = this.current;
      this.current = sock;
      this.pending = undefined;
      fresh = false;
      if (old) this.retire(old);
    } else if (sock !== this.current) {
      return;
    }
    const info = { sessionId, fresh, keepaliveSeconds: sock.keepaliveSeconds };
    const hook = this.hooks.onSession ? this.hooks.onSession(info) : Promise.resolve();
    hook
      .catch((err: unknown) => {
        this.logger.warn(`EventSub WebSocket: setting up session ${sessionId} failed: ${(err as Error)?.message ?? err}`);
        if (this.firstSession) {
          this.firstSession.reject(err as Error);
          this.firstSession = undefined;
        }
      })
      .then(() => {
        this.firstSession?.resolve(sessionId);
        this.firstSession = undefined;
      });
  }

  private deliver(sock: Sock, type: 'notification' | 'revocation', msg: Message): void {
    const id = msg.metadata?.message_id;
    const subscription = msg.payload?.subscription;
    if (!id || !subscription) return;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > this.opts.dedupeWindow) this.seen.delete(this.seenOrder.shift()!);
    const delivery: TwitchEventSubDelivery = {
      messageId: id,
      messageType: type,
      timestamp: new Date(msg.metadata?.message_timestamp ?? Date.now()),
      subscription,
      ...(msg.payload?.event !== undefined
        ? { event: msg.payload.event }
        : msg.payload?.events !== undefined
          ? { event: msg.payload.events }
          : {}),
      transport: this.opts.deliveryTransport,
      sessionId: sock.sessionId,
      ...(this.opts.shardId !== undefined ? { shardId: this.opts.shardId } : {}),
    };
    this.queue = this.queue
      .then(() => this.hooks.sink(delivery))
      .catch((err: unknown) =>
        this.logger.error(`EventSub WebSocket: the sink failed for message ${id}: ${(err as Error)?.message ?? err}`),
      );
  }

  private followReconnect(sock: Sock, url: string | undefined): void {
    if (sock !== this.current || this.pending || this.stopped) return;
    if (!url) {
      this.logger.warn('EventSub WebSocket: session_reconnect without reconnect_url; waiting for the old session to close');
      return;
    }
    this.pending = this.open(url);
  }

  private retire(sock: Sock): void {
    sock.retired = true;
    clearTimeout(sock.watchdog);
    if (sock.ws.readyState === WebSocket.OPEN) sock.ws.close(1000);
    else sock.ws.terminate();
  }

  private onClose(sock: Sock, code: number, reason: string): void {
    clearTimeout(sock.watchdog);
    if (sock.retired || this.stopped) return;
    if (sock === this.pending) {
      // The reconnect target failed; the old session keeps working until Twitch closes it (4004).
      this.pending = undefined;
      const why = reason || TWITCH_EVENTSUB_WS_CLOSE_CODES[code]?.reason || '';
      this.logger.warn(`EventSub WebSocket: the reconnect URL failed (${code} ${why})`);
      return;
    }
    if (sock !== this.current) return;
    this.current = undefined;
    const known = TWITCH_EVENTSUB_WS_CLOSE_CODES[code];
    if (code === 4001) {
      this.logger.error('EventSub WebSocket: Twitch says this client sent a message (only Pong frames are allowed)');
    }
    if (!sock.welcomed && this.firstSession) {
      const why = `close ${code}${reason ? ` ${reason}` : ''}`;
      this.firstSession.reject(new Error(`EventSub WebSocket: could not open a session at ${this.opts.url} (${why})`));
      this.firstSession = undefined;
      this.stopped = true;
      this.hooks.onClose?.({ code, reason, action: 'stop' });
      return;
    }
    if (sock.welcomed && Date.now() - sock.openedAt >= this.opts.stableAfterMs) this.failures = 0;
    let action: TwitchEventSubWsCloseAction = known?.action ?? 'reconnect-backoff';
    if (action === 'reconnect-now' && this.failures > 0) action = 'reconnect-backoff';
    const delay = action === 'reconnect-now' ? 0 : this.backoff();
    this.failures += 1;
    this.logger.warn(
      `EventSub WebSocket: session ${sock.sessionId ?? '(no welcome)'} closed (${code} ${reason || known?.reason || ''}); ` +
        `a fresh session in ${delay} ms`,
    );
    this.hooks.onClose?.({ code, reason: reason || known?.reason || '', sessionId: sock.sessionId, action });
    this.retryTimer = setTimeout(() => this.connectFresh(), delay);
  }

  private backoff(): number {
    const cap = Math.min(this.opts.reconnectMaxDelayMs, this.opts.reconnectBaseDelayMs * 2 ** Math.min(this.failures, 30));
    return Math.round(cap / 2 + (Math.random() * cap) / 2);
  }
}
