/**
 * A fake Twitch: a real HTTP server on localhost that speaks Helix (`/helix`, every endpoint of the
 * catalog) and id.twitch.tv OAuth2 (`/oauth2`), keeps its state in memory, rate-limits with a real
 * token bucket, answers errors in Twitch's JSON form, records every request and can inject faults.
 *
 * @example
 * ```ts
 * const twitch = await FakeTwitch.start({ seed: { streams: 250 } });
 * const token = twitch.issueAppToken();
 * const res = await fetch(`${twitch.helixUrl}/streams?first=100`, {
 *   headers: { 'Client-Id': twitch.clientId, Authorization: `Bearer ${token}` },
 * });
 * await twitch.close();
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setMaxListeners } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthStore } from './auth-store.js';
import { FakeEventSubWs } from './eventsub-ws.js';
import {
  catalogAnswer,
  catalogMethods,
  catalogRoute,
  checkParams,
  checkToken,
  verifyExtensionJwt,
  type CatalogRoute,
} from './helix-catalog.js';
import { BUILT_IN_ROUTES, PUBLIC_ROUTES, findUserByLogin, type BuiltInRoute, type HelixContext } from './helix-routes.js';
import { FakeEventSub } from './eventsub.js';
import { FakeExtensions } from './extensions.js';
import { FakeChat } from './chat.js';
import { handleActivate, handleOAuth, type OAuthContext } from './oauth.js';
import { baseUsers, makeChannel, makeUser, seededStreamer, seededViewer, GAMES } from './seed.js';
import { TokenBucket, type RateLimitSnapshot } from './token-bucket.js';
import type {
  FakeChannel,
  FakeStream,
  FakeTwitchFault,
  FakeTwitchHandler,
  FakeTwitchOptions,
  FakeTwitchRequest,
  FakeTwitchResponse,
  FakeTwitchRouteKind,
  FakeTwitchState,
  FakeUser,
  TokenInfo,
} from './types.js';
import { BodyTooLargeError, decodeBody, flattenHeaders, parseQuery, readBody, rfc3339, twitchError } from './util.js';

/** A fault rule with its counters. */
interface FaultRule {
  fault: FakeTwitchFault;
  /** Matching requests seen so far. */
  seen: number;
  /** Applications left. */
  left: number;
}

/** Does a fault produce its own response (rather than altering the normal one)? */
function replacesResponse(fault: FakeTwitchFault): boolean {
  return fault.status !== undefined || fault.body !== undefined || fault.drop === true;
}

/** `/helix/streams` → `/streams`; other paths unchanged. */
function routePathOf(path: string, route: FakeTwitchRouteKind): string {
  return route === 'helix' ? path.slice('/helix'.length) || '/' : path;
}

/** A path given by a caller, without query, with a leading and no trailing slash. */
function normalisePath(path: string): string {
  let p = path.split('?')[0];
  if (!p.startsWith('/')) p = `/${p}`;
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Drop the keys whose value is `undefined`, so they do not override defaults when spread. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A Helix path given by a caller (`'/streams'`, `'streams'` or `'/helix/streams'`) → `'/streams'`. */
function normaliseHelixPath(path: string): string {
  const p = normalisePath(path);
  return p === '/helix' || p.startsWith('/helix/') ? p.slice('/helix'.length) || '/' : p;
}

/**
 * The fake Twitch server. Create one with {@link FakeTwitch.start}; always {@link FakeTwitch.close} it.
 */
export class FakeTwitch {
  /** Every request received, oldest first (empty if started with `recordRequests: false`). */
  readonly requests: FakeTwitchRequest[] = [];

  /** In-memory state. Tests may read and change it directly. */
  readonly state: FakeTwitchState = {
    users: new Map(),
    channels: new Map(),
    streams: [],
    eventSubSubscriptions: new Map(),
  };

  /** EventSub: subscriptions, webhook challenges and signed deliveries (`fake.eventSub.emit(...)`). See {@link FakeEventSub}. */
  readonly eventSub: FakeEventSub;
  /**
   * Twitch Extensions: `fake.extensions.add({ ownerId, secret })` registers one (its client ID is the
   * fake's `clientId` unless given); then the EBS routes check its JWTs and limits, and
   * `extension.issueJwt({ channelId, role, userId })` makes frontend JWTs. See `extensions.ts`.
   */
  readonly extensions = new FakeExtensions(() => this.clientId);
  /**
   * The EventSub WebSocket server (at {@link eventSubWsUrl}) and the conduits: emit events, force
   * reconnects, drop sockets, stall keepalives, disable shards. See {@link FakeEventSubWs}.
   */
  readonly eventSubWs: FakeEventSubWs;
  /**
   * Chat: `fake.chat.post({ channel, userId, text })` emits `channel.chat.message` on every transport; Send
   * Chat Message, announcements, shoutouts and whispers are answered with Twitch's limits (`fake.chat.limits`),
   * drops counted in `fake.chat.drops`. See {@link FakeChat}.
   */
  readonly chat: FakeChat;

  /** The registered application's client id. */
  readonly clientId: string;
  /** The registered application's client secret. */
  readonly clientSecret: string;

  private readonly options: Required<
    Omit<
      FakeTwitchOptions,
      'seed' | 'host' | 'port' | 'clientId' | 'clientSecret' | 'recordRequests' | 'pathAliases' | 'onAnswer' | 'extensionSecret'
    >
  >;
  private readonly extensionSecret?: string;
  private readonly recordRequests: boolean;
  private readonly pathAliases: [string, string][];
  private readonly onAnswer?: (request: FakeTwitchRequest) => void;
  private readonly auth: AuthStore;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly routes = new Map<string, FakeTwitchHandler>();
  private readonly lastCommercialAt = new Map<string, number>();
  private readonly aborter = new AbortController();
  private faults: FaultRule[] = [];
  private streamSeq = 0;
  private baseUrl = '';
  private closing: Promise<void> | undefined;

  private constructor(options: FakeTwitchOptions) {
    this.clientId = options.clientId ?? 'fake-client-id';
    this.clientSecret = options.clientSecret ?? 'fake-client-secret';
    this.options = {
      rateLimit: { ...(options.rateLimit ?? { capacity: 800, refillMs: 60_000 }) },
      appTokenTtlSeconds: options.appTokenTtlSeconds ?? 5_000_000,
      userTokenTtlSeconds: options.userTokenTtlSeconds ?? 14_400,
      deviceInterval: options.deviceInterval ?? 5,
      deviceExpiresIn: options.deviceExpiresIn ?? 1800,
      commercialCooldownSeconds: options.commercialCooldownSeconds ?? 480,
      exampleListLength: options.exampleListLength ?? 50,
    };
    if (!Number.isInteger(this.options.exampleListLength) || this.options.exampleListLength < 1) {
      throw new Error('FakeTwitch: exampleListLength must be a positive integer');
    }
    const secret = options.extensionSecret;
    if (secret !== undefined && (typeof secret !== 'string' || secret.trim() === '')) {
      throw new Error('FakeTwitch: extensionSecret must be the extension secret, a non-empty base64 string');
    }
    this.extensionSecret = secret?.trim();
    this.recordRequests = options.recordRequests ?? true;
    this.pathAliases = Object.entries(options.pathAliases ?? {});
    this.onAnswer = options.onAnswer;
    // Every pending delay listens to this signal; there may be many at once.
    setMaxListeners(Infinity, this.aborter.signal);
    this.auth = new AuthStore({
      appTokenTtlSeconds: this.options.appTokenTtlSeconds,
      userTokenTtlSeconds: this.options.userTokenTtlSeconds,
      deviceIntervalSeconds: this.options.deviceInterval,
      deviceExpiresInSeconds: this.options.deviceExpiresIn,
      codeTtlSeconds: 600,
    });
    this.seed(options.seed ?? {});
    this.eventSub = new FakeEventSub(
      this,
      this.state,
      (clientId, userId) => this.auth.grantedScopes(clientId, userId),
      this.aborter.signal,
    );
    for (const [method, path, handler] of this.eventSub.routes()) this.route(method, path, (req) => handler(req));

    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // Last resort: a bug in the fake must not leave the client hanging.
        if (!res.headersSent && !res.destroyed) {
          this.write(res, twitchError(500, error instanceof Error ? error.message : String(error)));
        } else {
          res.destroy();
        }
      });
    });
    this.server.keepAliveTimeout = 60_000;
    this.eventSubWs = new FakeEventSubWs({ state: this.state, clientId: this.clientId, baseUrl: () => this.baseUrl });
    this.eventSubWs.attach(this.server);
    this.chat = new FakeChat(
      this.state,
      () => this.eventSub,
      () => this.eventSubWs,
      (clientId, userId) => this.auth.grantedScopes(clientId, userId),
      (userId) => this.loginOf(userId),
    );
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * Start a fake Twitch server and wait until it listens.
   * @param options see {@link FakeTwitchOptions}; by default a random port on 127.0.0.1.
   */
  static async start(options: FakeTwitchOptions = {}): Promise<FakeTwitch> {
    const fake = new FakeTwitch(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, host, () => {
        fake.server.off('error', reject);
        resolve();
      });
    });
    const { port } = fake.server.address() as AddressInfo;
    const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
    fake.baseUrl = `http://${urlHost}:${port}`;
    return fake;
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.baseUrl;
  }

  /** Helix base URL: {@link url} + `/helix`. */
  get helixUrl(): string {
    return `${this.baseUrl}/helix`;
  }

  /** EventSub WebSocket URL: `ws://127.0.0.1:<port>/ws` (stands for `wss://eventsub.wss.twitch.tv/ws`). */
  get eventSubWsUrl(): string {
    return this.eventSubWs.url;
  }

  /** OAuth2 base URL: {@link url} + `/oauth2` (stands for `https://id.twitch.tv/oauth2`). */
  get authUrl(): string {
    return `${this.baseUrl}/oauth2`;
  }

  /**
   * The `TwitchModule` options that point the module at this fake (its application's credentials and
   * URLs): `TwitchModule.forRoot({ ...fake.moduleOptions(), redis })`.
   */
  moduleOptions(): { clientId: string; clientSecret: string; helixUrl: string; authUrl: string } {
    return { clientId: this.clientId, clientSecret: this.clientSecret, helixUrl: this.helixUrl, authUrl: this.authUrl };
  }

  // ------------------------------------------------------------------ requests

  /**
   * Recorded requests with this method and path. `path` is a Helix path (`'/streams'`), or a full
   * path (`'/oauth2/token'`, `'/helix/streams'`, `'/activate'`).
   */
  requestsTo(method: string, path: string): FakeTwitchRequest[] {
    const m = method.toUpperCase();
    const p = normalisePath(path);
    return this.requests.filter(
      (r) => r.method === m && (r.path === p || (r.route === 'helix' && routePathOf(r.path, 'helix') === p)),
    );
  }

  /** Forget the recorded requests. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  // ------------------------------------------------------------------ tokens

  /**
   * Mint an app access token, as the client credentials flow would.
   * @param opts.clientId client the token belongs to (default: {@link clientId}); another value lets
   *   tests provoke "Client ID and OAuth token do not match".
   */
  issueAppToken(opts: { ttlSeconds?: number; clientId?: string } = {}): string {
    return this.auth.issueApp(opts.clientId ?? this.clientId, opts.ttlSeconds ?? this.options.appTokenTtlSeconds).accessToken;
  }

  /**
   * Mint a user access token and its refresh token, as the authorization code flow would. The user
   * need not exist in {@link state}; `login` defaults to the user's login there, else `user<id>`.
   */
  issueUserToken(opts: { userId: string; login?: string; scopes?: string[]; ttlSeconds?: number; clientId?: string }): {
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
  } {
    const ttlSeconds = opts.ttlSeconds ?? this.options.userTokenTtlSeconds;
    const info = this.auth.issueUser({
      clientId: opts.clientId ?? this.clientId,
      userId: opts.userId,
      login: opts.login ?? this.loginOf(opts.userId),
      scopes: opts.scopes ?? [],
      ttlSeconds,
    });
    return { accessToken: info.accessToken, refreshToken: info.refreshToken!, expiresIn: ttlSeconds };
  }

  /** What the fake knows about a token (also for expired tokens); `undefined` if unknown or revoked. */
  tokenInfo(accessToken: string): TokenInfo | undefined {
    const info = this.auth.peek(accessToken);
    return info ? { ...info, scopes: [...info.scopes] } : undefined;
  }

  /** Expire a token now: Helix answers 401 "Invalid OAuth token", validate answers 401. Its refresh token still works. */
  expireToken(accessToken: string): void {
    this.auth.expire(accessToken);
  }

  /** Revoke a token, as `POST /oauth2/revoke` would. Its refresh token still works. */
  revokeToken(accessToken: string): void {
    this.auth.revoke(accessToken);
  }

  // ------------------------------------------------------------------ device code flow

  /**
   * Approve a pending device code flow as this user (what the user does on the activation page).
   * `login` defaults to the user's login in {@link state}, else `user<id>`.
   * @throws if no pending, unexpired flow has this user code.
   */
  approveDevice(userCode: string, user: { userId: string; login?: string }): void {
    if (!this.auth.approveDevice(userCode, { userId: user.userId, login: user.login ?? this.loginOf(user.userId) })) {
      throw new Error(`FakeTwitch: no pending device code flow with user code ${userCode}`);
    }
  }

  /**
   * Deny a pending device code flow: the next poll answers `access_denied`.
   * @throws if no pending, unexpired flow has this user code.
   */
  denyDevice(userCode: string): void {
    if (!this.auth.denyDevice(userCode)) throw new Error(`FakeTwitch: no pending device code flow with user code ${userCode}`);
  }

  // ------------------------------------------------------------------ rate limit

  /** Change the Helix bucket size and refill time. Every bucket starts over, full. */
  setRateLimit(opts: { capacity: number; refillMs: number }): void {
    this.options.rateLimit = { capacity: opts.capacity, refillMs: opts.refillMs };
    this.buckets.clear();
  }

  // ------------------------------------------------------------------ faults

  /**
   * Queue a fault rule. Rules are checked in order; the first that applies to a request is used
   * and counts down its `times` (removed at 0). Faulted Helix responses carry the rate-limit
   * headers but cost no point. See {@link FakeTwitchFault}.
   */
  inject(fault: FakeTwitchFault): void {
    if (fault.every !== undefined && (!Number.isInteger(fault.every) || fault.every < 1)) {
      throw new Error('FakeTwitch: fault.every must be a positive integer');
    }
    const times = fault.times ?? (fault.every !== undefined ? Infinity : 1);
    const path = typeof fault.path === 'string' ? normalisePath(fault.path) : fault.path;
    if (times > 0) this.faults.push({ fault: { ...fault, path }, seen: 0, left: times });
  }

  /** Remove every queued fault rule. */
  clearFaults(): void {
    this.faults = [];
  }

  // ------------------------------------------------------------------ routes

  /**
   * Serve a Helix route with a handler. It wins over the fake's own answer for the same method and
   * path (a state-backed route or an endpoint's documented example) and may add paths Helix does
   * not have. Authentication (`Client-Id` + bearer token, or an Extension JWT on the Extension
   * endpoints) and rate limiting happen before the handler; checking the token's kind, its scopes
   * and the parameters is then up to the handler.
   * @param helixPath e.g. `'/chat/announcements'` (a leading `/helix` is accepted).
   */
  route(method: string, helixPath: string, handler: FakeTwitchHandler): void {
    this.routes.set(`${method.toUpperCase()} ${normaliseHelixPath(helixPath)}`, handler);
  }

  /** Serve a Helix route with a fixed status and body (objects as JSON). */
  respondWith(method: string, helixPath: string, status: number, body?: unknown): void {
    this.route(method, helixPath, () => ({ status, body }));
  }

  // ------------------------------------------------------------------ state

  /** Add (or replace) a user; also creates its channel if it has none. Returns the stored user. */
  addUser(user: Partial<FakeUser> & { id: string; login: string }): FakeUser {
    const full = makeUser({ ...defined(user), id: user.id, login: user.login });
    this.state.users.set(full.id, full);
    const channel = this.state.channels.get(full.id);
    if (channel) {
      channel.broadcasterLogin = full.login;
      channel.broadcasterName = full.displayName;
    } else {
      this.state.channels.set(full.id, makeChannel(full));
    }
    return full;
  }

  /**
   * Put a user live (replacing their current stream, if any). Missing fields come from the user's
   * channel; an unknown user is created with login `user<id>`. Returns the stored stream.
   */
  addStream(stream: Partial<FakeStream> & { userId: string }): FakeStream {
    const user =
      this.state.users.get(stream.userId) ??
      this.addUser({ id: stream.userId, login: stream.userLogin ?? `user${stream.userId}` });
    const channel = this.state.channels.get(user.id) as FakeChannel;
    const gameId = stream.gameId ?? channel.gameId;
    const full: FakeStream = {
      id: String(50_000_000_000 + ++this.streamSeq),
      userLogin: user.login,
      userName: user.displayName,
      gameId,
      gameName: stream.gameName ?? (gameId === channel.gameId ? channel.gameName : (GAMES[gameId] ?? '')),
      type: 'live',
      title: channel.title,
      tags: [...channel.tags],
      viewerCount: 0,
      startedAt: rfc3339(Date.now()),
      language: channel.broadcasterLanguage,
      thumbnailUrl: `https://static-cdn.jtvnw.net/previews-ttv/live_user_${user.login}-{width}x{height}.jpg`,
      isMature: false,
      ...defined(stream),
      userId: user.id,
    };
    this.removeStream(full.userId);
    this.state.streams.push(full);
    return full;
  }

  /** Take a user offline. Returns whether they were live. */
  removeStream(userId: string): boolean {
    const index = this.state.streams.findIndex((s) => s.userId === userId);
    if (index < 0) return false;
    this.state.streams.splice(index, 1);
    return true;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Stop the server: closes every socket (keep-alive included) and cancels pending delays. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.aborter.abort();
      this.eventSubWs.close();
      const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const socketsClosed = [...this.sockets].map((socket) =>
        socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      for (const socket of this.sockets) socket.destroy();
      this.server.closeAllConnections();
      await Promise.all([serverClosed, ...socketsClosed]);
      this.sockets.clear();
    })();
    return this.closing;
  }

  // ------------------------------------------------------------------ internals

  private seed(seed: { streams?: number; users?: number }): void {
    for (const { user, channel } of baseUsers()) {
      this.state.users.set(user.id, user);
      this.state.channels.set(user.id, makeChannel(user, channel));
    }
    const streams = seed.streams ?? 0;
    for (let i = 0; i < streams; i++) {
      const { user, channel, stream } = seededStreamer(i, streams);
      this.state.users.set(user.id, user);
      this.state.channels.set(user.id, channel);
      this.state.streams.push(stream);
    }
    for (let i = 0; i < (seed.users ?? 0); i++) {
      const user = seededViewer(i);
      this.state.users.set(user.id, user);
      this.state.channels.set(user.id, makeChannel(user));
    }
  }

  private loginOf(userId: string): string {
    return this.state.users.get(userId)?.login ?? `user${userId}`;
  }

  private oauthContext(): OAuthContext {
    return {
      auth: this.auth,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      baseUrl: this.baseUrl,
      deviceIntervalSeconds: this.options.deviceInterval,
      deviceExpiresInSeconds: this.options.deviceExpiresIn,
      findUserByLogin: (login) => findUserByLogin(this.state, login),
      defaultLogin: () => this.state.users.values().next().value?.login ?? 'twitchdev',
    };
  }

  private bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.options.rateLimit.capacity, this.options.rateLimit.refillMs);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** App bucket per client id; user bucket per (client id, user id). */
  private bucketFor(token: TokenInfo): TokenBucket {
    return this.bucket(token.kind === 'user' ? `user:${token.clientId}:${token.userId}` : `app:${token.clientId}`);
  }

  /** The token a Helix request carries, if valid. */
  private bearer(req: FakeTwitchRequest): TokenInfo | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return match ? this.auth.lookup(match[1]) : undefined;
  }

  /** Rate-limit headers for a request that costs nothing: its token's bucket, else the Client-Id's app bucket. */
  private peekRateLimit(req: FakeTwitchRequest): RateLimitSnapshot {
    const token = this.bearer(req);
    return (token ? this.bucketFor(token) : this.bucket(`app:${req.headers['client-id'] || this.clientId}`)).snapshot();
  }

  /** Authenticate a Helix request: the token, or the 401 to answer. */
  private authenticate(req: FakeTwitchRequest): TokenInfo | FakeTwitchResponse {
    const header = req.headers.authorization;
    if (!header) return twitchError(401, 'OAuth token is missing');
    const token = this.bearer(req);
    if (!token) return twitchError(401, 'Invalid OAuth token');
    const clientId = req.headers['client-id'];
    if (!clientId) return twitchError(401, 'Must provide a valid Client-ID or OAuth token');
    if (clientId !== token.clientId) return twitchError(401, 'Client ID and OAuth token do not match');
    return token;
  }

  /** Find the fault for a request, updating the rules' counters. */
  private takeFault(method: string, path: string, routePath: string): FakeTwitchFault | undefined {
    let chosen: FaultRule | undefined;
    for (const rule of this.faults) {
      const f = rule.fault;
      if (f.method !== undefined && f.method.toUpperCase() !== method) continue;
      if (typeof f.path === 'string' && f.path !== routePath && f.path !== path) continue;
      if (f.path instanceof RegExp && !(f.path.test(routePath) || f.path.test(path))) continue;
      rule.seen += 1;
      const applies = f.every === undefined || rule.seen % f.every === 0;
      if (applies && !chosen) {
        chosen = rule;
        rule.left -= 1;
      }
    }
    if (chosen && chosen.left <= 0) this.faults = this.faults.filter((r) => r !== chosen);
    return chosen?.fault;
  }

  /** Wait `ms`, or until the fake closes. Returns false if it closed. */
  private async delay(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.aborter.signal });
      return true;
    } catch {
      return false;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(this.unalias(req.url ?? '/'), 'http://fake.invalid');
    let path = url.pathname;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route: FakeTwitchRouteKind =
      path === '/helix' || path.startsWith('/helix/')
        ? 'helix'
        : path === '/oauth2' || path.startsWith('/oauth2/')
          ? 'oauth2'
          : 'other';
    const headers = flattenHeaders(req);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        this.write(res, twitchError(413, 'Request body too large'), undefined, { Connection: 'close' });
        return;
      }
      throw error;
    }
    const record: FakeTwitchRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      route,
      query: parseQuery(url.searchParams),
      headers,
      body: decodeBody(raw, headers['content-type']),
      at,
    };
    if (this.recordRequests) this.requests.push(record);
    const routePath = routePathOf(path, route);

    const fault = this.takeFault(record.method, path, routePath);
    if (fault?.delayMs && fault.delayMs > 0 && !(await this.delay(fault.delayMs))) return;
    if (this.aborter.signal.aborted) return;
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }

    let response: FakeTwitchResponse;
    let rateLimit: RateLimitSnapshot | undefined;
    if (fault && replacesResponse(fault)) {
      const status = fault.status ?? 200;
      response = fault.body !== undefined ? { status, body: fault.body } : twitchError(status, fault.message);
      if (route === 'helix') rateLimit = this.peekRateLimit(record);
    } else if (route === 'helix') {
      ({ response, rateLimit } = await this.helix(record, routePath));
    } else if (route === 'oauth2') {
      response = handleOAuth(record, this.oauthContext());
    } else if (path === '/activate') {
      response = handleActivate(record, this.oauthContext());
    } else {
      response = twitchError(404, `Unknown path: ${path}`);
    }
    if (this.aborter.signal.aborted || res.destroyed) return;
    if (rateLimit && fault?.rateLimitRemaining !== undefined) rateLimit = { ...rateLimit, remaining: fault.rateLimitRemaining };
    record.status = response.status;
    this.write(res, response, rateLimit, fault?.headers);
    this.onAnswer?.(record);
  }

  private unalias(url: string): string {
    for (const [from, to] of this.pathAliases) if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  }

  /**
   * Authenticate, rate-limit and dispatch a Helix request. One lookup order, by method and path:
   * 1. a {@link route} / {@link respondWith} handler; 2. a dedicated route backed by {@link state}
   * (users, channels, streams, …); 3. the generic answer of the catalog's endpoint (Twitch's
   * documented example, after Twitch's token, scope and parameter checks). A path none of them knows
   * answers 404; a known path asked with another method, 405. Neither costs a point.
   */
  private async helix(
    req: FakeTwitchRequest,
    helixPath: string,
  ): Promise<{ response: FakeTwitchResponse; rateLimit?: RateLimitSnapshot }> {
    const key = `${req.method} ${helixPath}`;
    const ebs = this.extensions.answer(req, helixPath);
    if (ebs) return ebs;
    const custom = this.routes.get(key);
    // The EventSub WebSocket side answers the conduit endpoints and websocket/conduit subscriptions.
    const eventSubWs = this.eventSubWs.routeFor(req, helixPath);
    const builtIn: BuiltInRoute | undefined = eventSubWs
      ? (_r, ctx) => eventSubWs(ctx.token!)
      : (this.chat.routeFor(key) ?? BUILT_IN_ROUTES.get(key));
    const catalog = catalogRoute(req.method, helixPath);
    if (!custom && !builtIn && !catalog) {
      return { response: this.unknownRoute(req.method, helixPath), rateLimit: this.peekRateLimit(req) };
    }
    const now = Date.now();
    const serve = (builtInRoute: BuiltInRoute | undefined, token?: TokenInfo): FakeTwitchResponse =>
      builtInRoute ? builtInRoute(req, this.helixContext(now, token)) : this.catalogResponse(catalog!, req, token);

    if (PUBLIC_ROUTES.has(key) || catalog?.endpoint.auth === 'none') {
      return { response: custom ? await custom({ ...req }, this) : serve(builtIn) };
    }

    let token: TokenInfo | undefined;
    let extension: Record<string, unknown> | undefined;
    let bucket: TokenBucket;
    if (catalog?.endpoint.auth === 'jwt') {
      bucket = this.bucket(`extension:${this.clientId}`);
      const auth = this.authenticateExtension(req, now);
      if (!('claims' in auth)) return { response: auth, rateLimit: bucket.snapshot(now) };
      extension = auth.claims;
    } else {
      const auth = this.authenticate(req);
      if ('status' in auth) return { response: auth, rateLimit: this.peekRateLimit(req) };
      token = auth;
      bucket = this.bucketFor(token);
    }
    if (!bucket.take(1, now)) return { response: twitchError(429, 'Too Many Requests'), rateLimit: bucket.snapshot(now) };
    const rateLimit = bucket.snapshot(now);

    const caller = { ...(token ? { token: { ...token, scopes: [...token.scopes] } } : {}), ...(extension ? { extension } : {}) };
    const response = custom ? await custom({ ...req, ...caller }, this) : serve(builtIn, token);
    return { response, rateLimit };
  }

  private helixContext(now: number, token?: TokenInfo): HelixContext {
    return {
      state: this.state,
      token,
      now,
      commercialCooldownSeconds: this.options.commercialCooldownSeconds,
      lastCommercialAt: this.lastCommercialAt,
    };
  }

  /** The generic answer of a catalog endpoint: Twitch's checks, then its documented example shaped by the request. */
  private catalogResponse(route: CatalogRoute, req: FakeTwitchRequest, token: TokenInfo | undefined): FakeTwitchResponse {
    return (
      (token && checkToken(route, token)) ||
      checkParams(route, req) ||
      catalogAnswer(route, req, { state: this.state, listLength: this.options.exampleListLength })
    );
  }

  /** Authenticate a request to an Extension endpoint: the claims of its Extension JWT, or the 401 to answer. */
  private authenticateExtension(req: FakeTwitchRequest, now: number): { claims: Record<string, unknown> } | FakeTwitchResponse {
    const header = req.headers.authorization;
    if (!header) return twitchError(401, 'OAuth token is missing');
    const clientId = req.headers['client-id'];
    if (!clientId) return twitchError(401, 'Must provide a valid Client-ID or OAuth token');
    if (clientId !== this.clientId) return twitchError(401, 'Client ID and OAuth token do not match');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const claims = match ? verifyExtensionJwt(match[1], this.extensionSecret, now) : 'The JWT token is not valid';
    return typeof claims === 'string' ? twitchError(401, claims) : { claims };
  }

  /** 405 for a known path asked with another method (with `Allow`), 404 for a path Helix does not have. */
  private unknownRoute(method: string, helixPath: string): FakeTwitchResponse {
    const allowed = new Set(catalogMethods(helixPath));
    for (const routes of [BUILT_IN_ROUTES.keys(), this.routes.keys()]) {
      for (const key of routes) {
        const space = key.indexOf(' ');
        if (key.slice(space + 1) === helixPath) allowed.add(key.slice(0, space));
      }
    }
    if (allowed.size > 0) {
      const list = [...allowed].sort().join(', ');
      return twitchError(405, `Method ${method} is not allowed on /helix${helixPath} (allowed: ${list})`, { Allow: list });
    }
    return twitchError(404, `No Helix endpoint ${method} /helix${helixPath} (register one with route() or respondWith())`);
  }

  /** Send a response. */
  private write(
    res: ServerResponse,
    response: FakeTwitchResponse,
    rateLimit?: RateLimitSnapshot,
    extra?: Record<string, string>,
  ): void {
    const headers: Record<string, string> = {};
    if (rateLimit) {
      headers['Ratelimit-Limit'] = String(rateLimit.limit);
      headers['Ratelimit-Remaining'] = String(rateLimit.remaining);
      headers['Ratelimit-Reset'] = String(rateLimit.reset);
    }
    const given = { ...response.headers, ...extra };
    const hasContentType = Object.keys(given).some((k) => k.toLowerCase() === 'content-type');
    let payload: string | Buffer | undefined;
    const body = response.body;
    if (response.status === 204 || response.status === 304 || body === undefined || body === null) {
      payload = undefined;
    } else if (typeof body === 'string') {
      payload = body;
      if (!hasContentType) headers['Content-Type'] = 'text/plain; charset=utf-8';
    } else if (Buffer.isBuffer(body)) {
      payload = body;
      if (!hasContentType) headers['Content-Type'] = 'application/octet-stream';
    } else {
      payload = JSON.stringify(body);
      if (!hasContentType) headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
    else if (response.status !== 204 && response.status !== 304) headers['Content-Length'] = '0';
    for (const [name, value] of Object.entries(given)) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      headers[name] = value;
    }
    res.writeHead(response.status, headers);
    res.end(payload);
  }
}
