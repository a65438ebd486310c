/**
 * Public types of the fake Twitch server.
 *
 * State models (`FakeUser`, `FakeChannel`, `FakeStream`, `FakeEventSubSubscription`) use
 * camelCase; the built-in routes serialise them to Twitch's snake_case JSON.
 */
import type { FakeTwitch } from './fake-twitch.js';

/** Options for {@link FakeTwitch.start}. Every field is optional. */
export interface FakeTwitchOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to listen on. Default `0` (a random free port). */
  port?: number;
  /** The one registered application's client id. Default `'fake-client-id'`. */
  clientId?: string;
  /** The one registered application's client secret. Default `'fake-client-secret'`. */
  clientSecret?: string;
  /**
   * Helix token bucket: `capacity` points, refilled continuously so that an empty bucket is
   * full again after `refillMs`. Default `{ capacity: 800, refillMs: 60_000 }`.
   */
  rateLimit?: { capacity: number; refillMs: number };
  /** Lifetime of app access tokens, in seconds. Default `5_000_000`. */
  appTokenTtlSeconds?: number;
  /** Lifetime of user access tokens, in seconds. Default `14_400`. */
  userTokenTtlSeconds?: number;
  /**
   * Deterministic seed data, added after the always-present users (`twitchdev`, `twitchgaming`).
   * `streams`: N users `streamer1`… (ids `'1000'`…) who are live. `users`: N extra offline users
   * `viewer1`… (ids `'500001'`…). Both default to 0.
   */
  seed?: { streams?: number; users?: number };
  /** Device code flow: seconds a client must wait between polls (may be fractional). Default `5`. */
  deviceInterval?: number;
  /** Device code flow: seconds before a device code expires. Default `1800`. */
  deviceExpiresIn?: number;
  /**
   * Start Commercial cooldown, in seconds (reported as `retry_after`). A second commercial inside the
   * cooldown answers an endpoint-specific 429. `0` disables the cooldown. Default `480`.
   */
  commercialCooldownSeconds?: number;
  /**
   * Record requests in {@link FakeTwitch.requests}. Default `true`; benchmarks that send many
   * requests may turn it off to keep memory flat.
   */
  recordRequests?: boolean;
  /**
   * Path prefixes answered as other prefixes, e.g. `{ '/mock/': '/helix/', '/auth/': '/oauth2/' }`
   * serves `/mock/users` as `/helix/users`: for clients with their own mock URL conventions.
   */
  pathAliases?: Record<string, string>;
  /**
   * Called with each request once the fake has answered it (`status` set), whether or not requests
   * are recorded. Not called for dropped sockets.
   */
  onAnswer?: (request: FakeTwitchRequest) => void;
  /**
   * The extension secret (base64, as the developer console shows it) that Extension JWTs must be
   * signed with (HS256). Without it, the Extension endpoints accept any well-formed, unexpired
   * Extension JWT. Default: none.
   */
  extensionSecret?: string;
  /**
   * Items in the list a paginated endpoint answered from Twitch's documented example pages through,
   * `first` at a time (the example's items in turn). Default `50`.
   */
  exampleListLength?: number;
}

/** Which part of the fake a request was addressed to. */
export type FakeTwitchRouteKind = 'helix' | 'oauth2' | 'other';

/** One request received by the fake, as recorded in {@link FakeTwitch.requests}. */
export interface FakeTwitchRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Full path without the query string, e.g. `'/helix/streams'` or `'/oauth2/token'`. */
  path: string;
  /** `'helix'` for `/helix/...`, `'oauth2'` for `/oauth2/...`, otherwise `'other'`. */
  route: FakeTwitchRouteKind;
  /** Query parameters; repeated keys keep every value in order. */
  query: Record<string, string[]>;
  /** Request headers, keys lower-cased, repeated headers joined with `', '`. */
  headers: Record<string, string>;
  /**
   * Parsed body: JSON value for JSON bodies, a `Record<string, string>` for form bodies
   * (`application/x-www-form-urlencoded`), the raw string otherwise, `undefined` when empty.
   */
  body: unknown;
  /** `Date.now()` when the request was received. */
  at: number;
  /** Status the fake answered with; `undefined` while the response is pending or if the socket was dropped. */
  status?: number;
}

/** What the fake knows about an access token. */
export interface TokenInfo {
  accessToken: string;
  kind: 'app' | 'user';
  /** Client the token was issued to. */
  clientId: string;
  /** User the token acts for (user tokens only). */
  userId?: string;
  /** Login of that user (user tokens only). */
  login?: string;
  scopes: string[];
  /** Epoch milliseconds at which the token stops working. */
  expiresAt: number;
  /** Refresh token issued together with this access token, if any. */
  refreshToken?: string;
}

/** Result of a {@link FakeTwitchHandler}. */
export interface FakeTwitchResponse {
  status: number;
  /** Objects and arrays are sent as JSON; strings as-is (`text/plain` unless a content-type header is given); `undefined` = empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The request handed to a custom Helix route: the recorded request plus the caller's token, or, on
 * the Extension endpoints (which take an Extension JWT), the JWT's claims.
 */
export type FakeTwitchHandlerRequest = FakeTwitchRequest & { token?: TokenInfo; extension?: Record<string, unknown> };

/**
 * A custom Helix route handler. It runs after authentication and rate limiting (so `req.token` is
 * set, except for `GET /schedule/icalendar`, which needs no token, and the Extension endpoints, which
 * set `req.extension`). It replaces the fake's own checks of token kind, scopes and parameters.
 */
export type FakeTwitchHandler = (
  req: FakeTwitchHandlerRequest,
  fake: FakeTwitch,
) => FakeTwitchResponse | Promise<FakeTwitchResponse>;

/**
 * A fault rule, see {@link FakeTwitch.inject}. Rules are checked in the order they were injected;
 * the first one that applies to a request is used and counts one of its `times`.
 *
 * A rule with `status`, `body` or `drop` replaces the response; a rule with only `delayMs`,
 * `headers` and/or `rateLimitRemaining` lets the request through normally and alters the response.
 */
export interface FakeTwitchFault {
  /** HTTP method to match (case-insensitive). Omitted = any. */
  method?: string;
  /**
   * Path to match, without query. A string is a Helix path (`'/streams'`) or a full path
   * (`'/oauth2/token'`, `'/helix/streams'`). A RegExp is tested against both the Helix-relative
   * path and the full path. Omitted = any.
   */
  path?: string | RegExp;
  /** Apply to every Nth matching request only (the Nth, 2Nth, …). With `every`, `times` defaults to Infinity. */
  every?: number;
  /** Answer this status with Twitch's error body `{error, status, message}`. */
  status?: number;
  /** `message` of the error body. Default: the reason phrase. */
  message?: string;
  /** Send this body instead of the error body (objects as JSON, strings as-is). Status defaults to 200. */
  body?: unknown;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Value of the `Ratelimit-Remaining` header on this response (Helix only). */
  rateLimitRemaining?: number;
  /** Delay the response by this many milliseconds. */
  delayMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Number of times this rule applies before it is removed. Default 1 (Infinity with `every`). */
  times?: number;
}

/** A Twitch user (Get Users). */
export interface FakeUser {
  id: string;
  login: string;
  displayName: string;
  /** `''`, `'admin'`, `'global_mod'` or `'staff'`. */
  type: string;
  /** `''`, `'affiliate'` or `'partner'`. */
  broadcasterType: string;
  description: string;
  profileImageUrl: string;
  offlineImageUrl: string;
  viewCount: number;
  /** Returned only to a user token of this user with `user:read:email`. */
  email: string;
  /** RFC3339. */
  createdAt: string;
}

/** A channel (Get Channel Information). One per user. */
export interface FakeChannel {
  broadcasterId: string;
  broadcasterLogin: string;
  broadcasterName: string;
  broadcasterLanguage: string;
  gameId: string;
  gameName: string;
  title: string;
  delay: number;
  tags: string[];
  contentClassificationLabels: string[];
  isBrandedContent: boolean;
}

/** A live stream (Get Streams). At most one per user. */
export interface FakeStream {
  id: string;
  userId: string;
  userLogin: string;
  userName: string;
  gameId: string;
  gameName: string;
  /** Always `'live'`. */
  type: string;
  title: string;
  tags: string[];
  viewerCount: number;
  /** RFC3339. */
  startedAt: string;
  language: string;
  thumbnailUrl: string;
  isMature: boolean;
}

/** Transport of an EventSub subscription. `secret` is kept but never returned. */
export interface FakeEventSubTransport {
  method: 'webhook' | 'websocket' | 'conduit' | string;
  callback?: string;
  secret?: string;
  sessionId?: string;
  connectedAt?: string;
  disconnectedAt?: string;
  conduitId?: string;
}

/** An EventSub subscription (Create / Get EventSub Subscriptions). */
export interface FakeEventSubSubscription {
  id: string;
  status: string;
  type: string;
  version: string;
  condition: Record<string, unknown>;
  createdAt: string;
  transport: FakeEventSubTransport;
  cost: number;
  /** Client that created the subscription. */
  clientId: string;
  /** User of the token that created it (WebSocket subscriptions are per user). */
  ownerUserId?: string;
}

/** The fake's in-memory state. Tests may read and change it directly. */
export interface FakeTwitchState {
  users: Map<string, FakeUser>;
  /** Keyed by broadcaster id. */
  channels: Map<string, FakeChannel>;
  streams: FakeStream[];
  /** Keyed by subscription id. */
  eventSubSubscriptions: Map<string, FakeEventSubSubscription>;
}
