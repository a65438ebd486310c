/**
 * Twitch Extensions in the fake: the extension frontend's JWTs (what `Twitch.ext.onAuthorized`
 * hands the frontend) and the EBS endpoints, with Twitch's checks: an HS256 JWT signed with a
 * current secret of the extension, `exp`, `role: external`, the owner as `user_id` where Twitch
 * wants it, `channel_id` and `pubsub_perms.send` for PubSub, the extension's client ID as
 * `Client-Id`, body limits, and the per-channel limits (PubSub 100 per minute per channel, chat 12,
 * configuration segments 20 per segment), answered with 429 beyond them.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TokenBucket, type RateLimitSnapshot } from './token-bucket.js';
import type { FakeTwitchRequest, FakeTwitchResponse } from './types.js';
import { twitchError } from './util.js';

/** A sliding-window limit: at most `limit` requests in any `windowMs`. */
export interface FakeWindowLimit {
  limit: number;
  windowMs: number;
}

export interface FakeExtensionOptions {
  /** The extension's client ID (its `Client-Id` on EBS calls). Default: the fake's `clientId`. */
  id?: string;
  /** Owner's user ID (`user_id` of the EBS JWTs). Default `141981764`. */
  ownerId?: string;
  /** The first secret, base64. Default: 32 random bytes. */
  secret?: string;
  /** Released version. Default `1.0.0`. */
  version?: string;
  name?: string;
  /** Send Extension PubSub Message per (extension, broadcaster). Default 100 per 60 s. */
  pubsubLimit?: FakeWindowLimit;
  /** Send Extension Chat Message per channel. Default 12 per 60 s. */
  chatLimit?: FakeWindowLimit;
  /** Get and Set Extension Configuration Segment, each per segment. Default 20 per 60 s. */
  segmentLimit?: FakeWindowLimit;
  /** How long an old secret keeps working after the new one is active (Create Extension Secret). Default 3600 s. */
  rotationOverlapSeconds?: number;
}

/** A secret with Twitch's validity times (epoch ms). */
export interface FakeExtensionSecret {
  content: string;
  activeAt: number;
  expiresAt: number;
}

/** A PubSub message the fake accepted, with the claims of the JWT it came with. */
export interface FakeExtensionPubSubMessage {
  broadcasterId?: string;
  isGlobalBroadcast: boolean;
  target: string[];
  message: string;
  claims: Record<string, unknown>;
  at: number;
}

export interface FakeExtensionJwtOptions {
  /** `channel_id`. */
  channelId: string;
  /** `role`. Default `viewer`. */
  role?: 'broadcaster' | 'moderator' | 'viewer' | 'external';
  /** `user_id`, for a viewer who shared their identity (the broadcaster's own ID for `broadcaster`). */
  userId?: string;
  /** `opaque_user_id`. Default `U<userId>` with a user ID, else a random `A…` (logged out). */
  opaqueUserId?: string;
  /** `is_unlinked`. Default false. */
  isUnlinked?: boolean;
  /** `pubsub_perms`. Default: listen to `broadcast` and the viewer's whisper; broadcasters also send `broadcast`. */
  pubsubPerms?: { listen?: string[]; send?: string[] };
  /** Lifetime; negative for an already expired token. Default 3600. */
  ttlSeconds?: number;
  /** Sign with this secret (base64) instead of the extension's newest active one. */
  secret?: string;
  /** Extra or replacing claims. */
  claims?: Record<string, unknown>;
}

const MAX_5KB = 5 * 1024;
/** An expiry a century away: a secret without a rotation. */
const FOREVER = () => Date.now() + 100 * 365 * 86_400_000;
const ROLES = ['broadcaster', 'moderator', 'viewer', 'external'];

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An HS256 JWT of `claims` signed with the base64 secret. */
export function signFakeExtensionJwt(
  claims: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createHmac('sha256', Buffer.from(secret, 'base64')).update(input).digest();
  return `${input}.${b64url(sig)}`;
}

class SlidingWindow {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly limit: FakeWindowLimit) {}
  /** Counts a request under `key`; false (not counted) beyond the limit. */
  take(key: string, now: number): boolean {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.limit.windowMs);
    if (list.length >= this.limit.limit) {
      this.hits.set(key, list);
      return false;
    }
    list.push(now);
    this.hits.set(key, list);
    return true;
  }
}

/** One extension of the fake, with its secrets and what its EBS sent. */
export class FakeExtension {
  readonly id: string;
  readonly ownerId: string;
  readonly version: string;
  readonly name: string;
  /** Newest last. Tests may change the times (to retire a secret, say). */
  readonly secrets: FakeExtensionSecret[] = [];
  /** Accepted PubSub messages, oldest first. */
  readonly pubsubMessages: FakeExtensionPubSubMessage[] = [];
  /** Accepted extension chat messages. */
  readonly chatMessages: { broadcasterId: string; text: string; extensionVersion: string; at: number }[] = [];
  /** Configuration segments by `segment` or `segment:broadcasterId`. */
  readonly segments = new Map<string, { segment: string; broadcasterId?: string; content: string; version: string }>();
  /** Required configuration per broadcaster. */
  readonly requiredConfigurations = new Map<string, { extensionVersion: string; requiredConfiguration: string }>();
  /** 429s answered, per endpoint name (`pubsub`, `chat`, `segments`). */
  readonly refusals = { pubsub: 0, chat: 0, segments: 0 };
  /** Claims of every EBS JWT the fake accepted, with the endpoint. */
  readonly ebsJwts: { endpoint: string; claims: Record<string, unknown> }[] = [];

  readonly pubsubWindow: SlidingWindow;
  readonly chatWindow: SlidingWindow;
  readonly segmentWindow: SlidingWindow;
  readonly bucket = new TokenBucket(800, 60_000);
  readonly overlapMs: number;

  constructor(defaultId: string, options: FakeExtensionOptions) {
    this.id = options.id ?? defaultId;
    this.ownerId = options.ownerId ?? '141981764';
    this.version = options.version ?? '1.0.0';
    this.name = options.name ?? 'Fake Extension';
    this.overlapMs = (options.rotationOverlapSeconds ?? 3600) * 1000;
    const first = options.secret ?? randomBytes(32).toString('base64');
    this.secrets.push({ content: first, activeAt: Date.now() - 60_000, expiresAt: FOREVER() });
    this.pubsubWindow = new SlidingWindow(options.pubsubLimit ?? { limit: 100, windowMs: 60_000 });
    this.chatWindow = new SlidingWindow(options.chatLimit ?? { limit: 12, windowMs: 60_000 });
    this.segmentWindow = new SlidingWindow(options.segmentLimit ?? { limit: 20, windowMs: 60_000 });
  }

  /** The newest secret that is active now (what Twitch signs frontend JWTs with). */
  get currentSecret(): string {
    const now = Date.now();
    const active = this.secrets.filter((s) => s.activeAt <= now && s.expiresAt > now);
    return (active[active.length - 1] ?? this.secrets[this.secrets.length - 1]).content;
  }

  /**
   * Create Extension Secret: a new secret active in `delaySeconds` (Twitch: at least 300); the
   * current ones then expire `rotationOverlapSeconds` after it becomes active. Returns the new secret.
   */
  rotateSecret(delaySeconds = 300, secret = randomBytes(32).toString('base64')): string {
    const activeAt = Date.now() + delaySeconds * 1000;
    for (const s of this.secrets) s.expiresAt = Math.min(s.expiresAt, activeAt + this.overlapMs);
    this.secrets.push({ content: secret, activeAt, expiresAt: FOREVER() });
    return secret;
  }

  /** A JWT as Twitch gives the extension frontend. */
  issueJwt(opts: FakeExtensionJwtOptions): string {
    const role = opts.role ?? 'viewer';
    const userId = opts.userId;
    const claims: Record<string, unknown> = {
      exp: Math.floor(Date.now() / 1000) + (opts.ttlSeconds ?? 3600),
      opaque_user_id: opts.opaqueUserId ?? (userId ? `U${userId}` : `A${randomBytes(8).toString('hex')}`),
      channel_id: opts.channelId,
      role,
      is_unlinked: opts.isUnlinked ?? false,
      pubsub_perms: opts.pubsubPerms ?? {
        listen: ['broadcast', ...(userId ? [`whisper-${userId}`] : []), 'global'],
        ...(role === 'broadcaster' ? { send: ['broadcast'] } : {}),
      },
      ...(userId ? { user_id: userId } : {}),
      ...opts.claims,
    };
    return signFakeExtensionJwt(claims, opts.secret ?? this.currentSecret);
  }

  /** The claims of an HS256 JWT signed with a secret of this extension that has not expired; a reason otherwise. */
  verify(token: string, now = Date.now()): { claims: Record<string, unknown> } | { error: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { error: 'JWT is malformed' };
    let header: { alg?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return { error: 'JWT is malformed' };
    }
    if (header.alg !== 'HS256') return { error: 'JWT algorithm must be HS256' };
    const sig = Buffer.from(parts[2], 'base64url');
    const ok = this.secrets.some((s) => {
      if (s.expiresAt <= now) return false;
      const expected = createHmac('sha256', Buffer.from(s.content, 'base64')).update(`${parts[0]}.${parts[1]}`).digest();
      return expected.length === sig.length && timingSafeEqual(expected, sig);
    });
    if (!ok) return { error: 'JWT could not be verified' };
    if (typeof claims.exp !== 'number') return { error: 'JWT has no exp' };
    if (claims.exp * 1000 <= now) return { error: 'JWT expired' };
    if (!ROLES.includes(claims.role as string)) return { error: 'JWT role is invalid' };
    return { claims };
  }

  secretsBody(): unknown {
    const iso = (ms: number) => new Date(ms).toISOString();
    const secrets = this.secrets.map((s) => ({ content: s.content, active_at: iso(s.activeAt), expires_at: iso(s.expiresAt) }));
    return { data: [{ format_version: 1, secrets }] };
  }
}

/** The extensions of a fake Twitch and their EBS routes. */
export class FakeExtensions {
  private readonly list = new Map<string, FakeExtension>();

  constructor(private readonly defaultId: () => string) {}

  add(options: FakeExtensionOptions = {}): FakeExtension {
    const ext = new FakeExtension(this.defaultId(), options);
    this.list.set(ext.id, ext);
    return ext;
  }

  get(id?: string): FakeExtension | undefined {
    return id === undefined ? this.list.values().next().value : this.list.get(id);
  }

  /**
   * The answer to an EBS request, when extensions are registered and this is an EBS route; else
   * `undefined` (the request goes on to the other Helix routes).
   */
  answer(req: FakeTwitchRequest, helixPath: string): { response: FakeTwitchResponse; rateLimit?: RateLimitSnapshot } | undefined {
    if (this.list.size === 0) return undefined;
    const route = ROUTES[`${req.method} ${helixPath}`];
    if (!route) return undefined;
    const clientId = req.headers['client-id'];
    const ext = clientId ? this.list.get(clientId) : undefined;
    if (!clientId) return { response: twitchError(401, 'Must provide a valid Client-ID or OAuth token') };
    if (!ext) return { response: twitchError(401, 'Client-Id is not an extension of this fake (register it with addExtension)') };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) return { response: twitchError(401, 'OAuth token is missing') };
    const now = Date.now();
    const verified = ext.verify(match[1], now);
    if ('error' in verified) return { response: twitchError(401, verified.error), rateLimit: ext.bucket.snapshot(now) };
    const claims = verified.claims;
    if (claims.role !== 'external') {
      return { response: twitchError(401, 'JWT role must be external'), rateLimit: ext.bucket.snapshot(now) };
    }
    if (route.needsUserId && typeof claims.user_id !== 'string') {
      return { response: twitchError(401, 'JWT user_id must be a string'), rateLimit: ext.bucket.snapshot(now) };
    }
    if (route.ownerOnly && claims.user_id !== ext.ownerId) {
      return { response: twitchError(401, 'JWT user_id must be the extension owner'), rateLimit: ext.bucket.snapshot(now) };
    }
    if (!ext.bucket.take(1, now)) return { response: twitchError(429, 'Too Many Requests'), rateLimit: ext.bucket.snapshot(now) };
    const rateLimit = ext.bucket.snapshot(now);
    const response = route.handle(ext, req, claims, now);
    if (response.status < 300) ext.ebsJwts.push({ endpoint: route.name, claims });
    return { response, rateLimit };
  }
}

interface EbsRoute {
  name: string;
  needsUserId: boolean;
  ownerOnly: boolean;
  handle(ext: FakeExtension, req: FakeTwitchRequest, claims: Record<string, unknown>, now: number): FakeTwitchResponse;
}

const q = (req: FakeTwitchRequest, name: string) => req.query[name]?.[0];
const body = (req: FakeTwitchRequest) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

const ROUTES: Record<string, EbsRoute> = {
  'GET /extensions/jwt/secrets': {
    name: 'Get Extension Secrets',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext) => ({ status: 200, body: ext.secretsBody() }),
  },
  'POST /extensions/jwt/secrets': {
    name: 'Create Extension Secret',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext, req) => {
      if (q(req, 'extension_id') !== ext.id) return twitchError(400, 'extension_id must be the Client-Id');
      const delay = q(req, 'delay') === undefined ? 300 : Number(q(req, 'delay'));
      if (!Number.isInteger(delay) || delay < 300) return twitchError(400, 'delay must be at least 300');
      ext.rotateSecret(delay);
      return { status: 200, body: ext.secretsBody() };
    },
  },
  'POST /extensions/pubsub': {
    name: 'Send Extension PubSub Message',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext, req, claims, now) => {
      const b = body(req);
      const target = b.target;
      const valid = (t: unknown) => typeof t === 'string' && /^(broadcast|global|whisper-\d+)$/.test(t);
      if (!Array.isArray(target) || target.length === 0 || !target.every(valid)) {
        return twitchError(400, 'target must be a list of broadcast, global or whisper-<user-id>');
      }
      if (typeof b.message !== 'string') return twitchError(400, 'message is required');
      if (Buffer.byteLength(b.message) > MAX_5KB) return twitchError(422, 'message is larger than 5 KB');
      const global = b.is_global_broadcast === true;
      const broadcasterId = typeof b.broadcaster_id === 'string' ? b.broadcaster_id : undefined;
      if (global ? broadcasterId !== undefined : !broadcasterId) {
        const message = global ? 'broadcaster_id must be left out with is_global_broadcast' : 'broadcaster_id is required';
        return twitchError(400, message);
      }
      const channel = global ? 'all' : broadcasterId!;
      if (claims.channel_id !== channel) {
        return twitchError(401, `JWT channel_id must be ${global ? '"all"' : 'the broadcaster_id'}`);
      }
      const send = (claims.pubsub_perms as { send?: unknown } | undefined)?.send;
      if (!Array.isArray(send) || !target.every((t) => send.includes(t) || send.includes('*'))) {
        return twitchError(401, 'JWT pubsub_perms.send does not allow the target');
      }
      if (!ext.pubsubWindow.take(channel, now)) {
        ext.refusals.pubsub++;
        return twitchError(429, 'Too many PubSub messages for this channel');
      }
      const message = b.message;
      ext.pubsubMessages.push({ broadcasterId, isGlobalBroadcast: global, target: [...target], message, claims, at: now });
      return { status: 204 };
    },
  },
  'POST /extensions/chat': {
    name: 'Send Extension Chat Message',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext, req, _claims, now) => {
      const b = body(req);
      const broadcasterId = q(req, 'broadcaster_id');
      if (!broadcasterId) return twitchError(400, 'broadcaster_id is required');
      if (b.extension_id !== ext.id) return twitchError(400, 'extension_id must be the Client-Id');
      if (typeof b.extension_version !== 'string' || b.extension_version === '') {
        return twitchError(400, 'extension_version is required');
      }
      if (typeof b.text !== 'string' || b.text === '' || [...b.text].length > 280) {
        return twitchError(400, 'text must have 1 to 280 characters');
      }
      if (!ext.chatWindow.take(broadcasterId, now)) {
        ext.refusals.chat++;
        return twitchError(429, 'Too many chat messages for this channel');
      }
      ext.chatMessages.push({ broadcasterId, text: b.text, extensionVersion: b.extension_version, at: now });
      return { status: 204 };
    },
  },
  'GET /extensions/configurations': {
    name: 'Get Extension Configuration Segment',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext, req, _claims, now) => {
      const segment = q(req, 'segment');
      const broadcasterId = q(req, 'broadcaster_id');
      const bad = segmentError(ext, q(req, 'extension_id'), segment, broadcasterId);
      if (bad) return bad;
      const key = segmentKey(segment!, broadcasterId);
      if (!ext.segmentWindow.take(`get:${key}`, now)) {
        ext.refusals.segments++;
        return twitchError(429, 'Too many requests for this segment');
      }
      const s = ext.segments.get(key);
      return {
        status: 200,
        body: {
          data: s
            ? [
                {
                  segment: s.segment,
                  ...(s.broadcasterId ? { broadcaster_id: s.broadcasterId } : {}),
                  content: s.content,
                  version: s.version,
                },
              ]
            : [],
        },
      };
    },
  },
  'PUT /extensions/configurations': {
    name: 'Set Extension Configuration Segment',
    needsUserId: true,
    ownerOnly: false,
    handle: (ext, req, _claims, now) => {
      const b = body(req);
      const segment = typeof b.segment === 'string' ? b.segment : undefined;
      const broadcasterId = typeof b.broadcaster_id === 'string' ? b.broadcaster_id : undefined;
      const bad = segmentError(ext, b.extension_id, segment, broadcasterId);
      if (bad) return bad;
      const content = typeof b.content === 'string' ? b.content : '';
      if (Buffer.byteLength(content) > MAX_5KB) return twitchError(422, 'content is larger than 5 KB');
      const key = segmentKey(segment!, broadcasterId);
      if (!ext.segmentWindow.take(`set:${key}`, now)) {
        ext.refusals.segments++;
        return twitchError(429, 'Too many requests for this segment');
      }
      const version = typeof b.version === 'string' ? b.version : '';
      ext.segments.set(key, { segment: segment!, broadcasterId, content, version });
      return { status: 204 };
    },
  },
  'PUT /extensions/required_configuration': {
    name: 'Set Extension Required Configuration',
    needsUserId: true,
    ownerOnly: true,
    handle: (ext, req) => {
      const b = body(req);
      const broadcasterId = q(req, 'broadcaster_id');
      if (!broadcasterId) return twitchError(400, 'broadcaster_id is required');
      if (b.extension_id !== ext.id) return twitchError(400, 'extension_id must be the Client-Id');
      if (typeof b.extension_version !== 'string' || typeof b.required_configuration !== 'string') {
        return twitchError(400, 'extension_version and required_configuration are required');
      }
      const config = { extensionVersion: b.extension_version, requiredConfiguration: b.required_configuration };
      ext.requiredConfigurations.set(broadcasterId, config);
      return { status: 204 };
    },
  },
  'GET /extensions': {
    name: 'Get Extensions',
    needsUserId: false,
    ownerOnly: false,
    handle: (ext, req) => {
      if (q(req, 'extension_id') !== ext.id) return twitchError(400, 'extension_id must be the Client-Id');
      const version = q(req, 'extension_version') ?? ext.version;
      if (version !== ext.version) return { status: 200, body: { data: [] } };
      return {
        status: 200,
        body: {
          data: [
            {
              author_name: 'twitchdev',
              bits_enabled: false,
              can_install: true,
              configuration_location: 'hosted',
              description: 'A fake extension',
              eula_tos_url: '',
              has_chat_support: true,
              icon_url: '',
              icon_urls: {},
              id: ext.id,
              name: ext.name,
              privacy_policy_url: '',
              request_identity_link: true,
              screenshot_urls: [],
              state: 'Released',
              subscriptions_support_level: 'none',
              summary: '',
              support_email: '',
              version: ext.version,
              viewer_summary: '',
              views: {},
              allowlisted_config_urls: [],
              allowlisted_panel_urls: [],
            },
          ],
        },
      };
    },
  },
};

function segmentKey(segment: string, broadcasterId?: string): string {
  return segment === 'global' ? 'global' : `${segment}:${broadcasterId}`;
}

function segmentError(
  ext: FakeExtension,
  extensionId: unknown,
  segment?: string,
  broadcasterId?: string,
): FakeTwitchResponse | undefined {
  if (extensionId !== ext.id) return twitchError(400, 'extension_id must be the Client-Id');
  if (!segment || !['broadcaster', 'developer', 'global'].includes(segment)) {
    return twitchError(400, 'segment must be broadcaster, developer or global');
  }
  if (segment === 'global' && broadcasterId !== undefined) {
    return twitchError(400, 'broadcaster_id must be left out for the global segment');
  }
  if (segment !== 'global' && !broadcasterId) return twitchError(400, 'broadcaster_id is required for this segment');
  return undefined;
}
