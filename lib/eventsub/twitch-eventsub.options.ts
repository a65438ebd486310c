import { TWITCH_EVENTSUB_DEFAULTS } from './twitch-eventsub.constants.js';
import { conditionToWire, describeUnknownType, findEventSubType } from './twitch-eventsub.catalog.js';
import { TwitchEventSubConfigError } from '../exceptions/twitch-eventsub.exception.js';
import type { TwitchEventSubModuleOptions } from './interfaces/twitch-eventsub-options.interface.js';

/** A wanted subscription after validation: wire condition and its key. */
export interface TwitchEventSubResolvedWanted {
  type: string;
  version: string;
  /** Wire (snake_case) condition. */
  condition: Record<string, string>;
  key: string;
  /** Where it comes from, for messages: `option subscriptions[0]`, `Class.method`, `subscribe()`. */
  source: string;
}

/** Options after validation, with every default filled in. */
export interface TwitchEventSubResolvedOptions {
  transport: 'webhook' | 'websocket' | 'conduit';
  websocket?: {
    url: string;
    userId?: string;
    keepaliveTimeoutSeconds?: number;
    keepaliveMarginMs: number;
    connectTimeoutMs: number;
    reconnectBaseDelayMs: number;
    reconnectMaxDelayMs: number;
  };
  conduit?: {
    shardCount: number;
    conduitId?: string;
    name: string;
    shardTransport: 'websocket' | 'webhook';
    url: string;
    heartbeatMs: number;
    leaseMs: number;
  };
  webhook?: { callbackUrl: string; secret: string; path: string; maxMessageAgeMs: number; maxBodyBytes: number };
  subscriptions: { type: string; version: string; condition: Record<string, string>; source: string }[];
  reconcile: { onStartup: boolean; prune: boolean; lockTtlMs: number };
  claimTtlMs: number;
  redisTimeoutMs: number;
  onHandlerError?: TwitchEventSubModuleOptions['onHandlerError'];
  onRevocation?: TwitchEventSubModuleOptions['onRevocation'];
}

function fail(option: string, expected: string): never {
  throw new TwitchEventSubConfigError(`option "${option}" ${expected}`);
}

function object(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(option, 'must be an object');
  return value as Record<string, unknown>;
}

function integer(value: unknown, option: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function boolean(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(option, 'must be true or false');
  return value;
}

function fn<T>(value: T | undefined, option: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(option, 'must be a function');
  return value;
}

/** `eventsub`, `/eventsub/` → `/eventsub`. */
export function normaliseWebhookPath(path: unknown, option: string): string {
  if (path === undefined) return TWITCH_EVENTSUB_DEFAULTS.webhookPath;
  if (typeof path !== 'string' || /[?#\s]/.test(path) || path.replace(/^\/+|\/+$/g, '') === '') {
    fail(option, 'must be a route path such as "/eventsub"');
  }
  return `/${path.replace(/^\/+|\/+$/g, '')}`;
}

/** Validates the module options (every message names the option) and fills in the defaults. */
export function resolveEventSubOptions(input: TwitchEventSubModuleOptions, mountedPath: string): TwitchEventSubResolvedOptions {
  const options = object(input, 'options') as TwitchEventSubModuleOptions;
  if (options.transport !== undefined && !['webhook', 'websocket', 'conduit'].includes(options.transport as string)) {
    fail('transport', 'must be "webhook", "websocket" or "conduit"');
  }
  const transport = options.transport ?? (options.webhook !== undefined ? 'webhook' : 'websocket');
  const needsWebhook = transport === 'webhook' || (transport === 'conduit' && options.conduit?.shardTransport === 'webhook');
  if (needsWebhook && options.webhook === undefined) {
    fail(
      'webhook',
      `is required with ${transport === 'webhook' ? 'transport "webhook"' : 'conduit.shardTransport "webhook"'}: { callbackUrl, secret }`,
    );
  }
  const webhook = options.webhook === undefined ? undefined : resolveWebhook(options.webhook, mountedPath);
  const websocket = transport === 'websocket' ? resolveWebSocket(options.websocket) : undefined;
  if (transport !== 'websocket' && options.websocket !== undefined)
    fail('websocket', `is only read with transport "websocket" (transport is "${transport}")`);
  const conduit = transport === 'conduit' ? resolveConduit(options.conduit) : undefined;
  if (transport !== 'conduit' && options.conduit !== undefined)
    fail('conduit', `is only read with transport "conduit" (transport is "${transport}")`);

  if (options.subscriptions !== undefined && !Array.isArray(options.subscriptions)) fail('subscriptions', 'must be an array');
  const subscriptions = (options.subscriptions ?? []).map((s, i) => {
    const name = `subscriptions[${i}]`;
    const entry = object(s, name);
    if (typeof entry.type !== 'string' || typeof entry.version !== 'string') fail(name, 'must have a string type and version');
    const info = findEventSubType(entry.type, entry.version);
    if (!info) fail(name, `names an ${describeUnknownType(entry.type, entry.version)}`);
    const checked = conditionToWire(info, entry.condition);
    if ('problems' in checked) fail(`${name}.condition`, `is invalid: ${checked.problems.join('; ')}`);
    return { type: entry.type, version: entry.version, condition: checked.wire, source: `option ${name}` };
  });

  const r = object(options.reconcile, 'reconcile');
  const max24h = 24 * 60 * 60 * 1000;
  return {
    transport,
    ...(websocket ? { websocket } : {}),
    ...(conduit ? { conduit } : {}),
    webhook,
    subscriptions,
    reconcile: {
      onStartup: boolean(r.onStartup, 'reconcile.onStartup', true),
      prune: boolean(r.prune, 'reconcile.prune', false),
      lockTtlMs: integer(r.lockTtlMs, 'reconcile.lockTtlMs', 1_000, 10 * 60 * 1000, TWITCH_EVENTSUB_DEFAULTS.reconcileLockTtlMs),
    },
    claimTtlMs: integer(options.claimTtlMs, 'claimTtlMs', 1_000, 7 * max24h, TWITCH_EVENTSUB_DEFAULTS.claimTtlMs),
    redisTimeoutMs: integer(options.redisTimeoutMs, 'redisTimeoutMs', 10, 60_000, TWITCH_EVENTSUB_DEFAULTS.redisTimeoutMs),
    onHandlerError: fn(options.onHandlerError, 'onHandlerError'),
    onRevocation: fn(options.onRevocation, 'onRevocation'),
  };
}

function resolveWebhook(input: unknown, mountedPath: string): NonNullable<TwitchEventSubResolvedOptions['webhook']> {
  const w = object(input, 'webhook');
  if (typeof w.callbackUrl !== 'string' || w.callbackUrl.trim() === '') fail('webhook.callbackUrl', 'must be a non-empty string');
  let url: URL;
  try {
    url = new URL(w.callbackUrl);
  } catch {
    fail('webhook.callbackUrl', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('webhook.callbackUrl', 'must be an https URL (Twitch requires HTTPS on port 443)');
  }
  if (typeof w.secret !== 'string' || w.secret.length < 10 || w.secret.length > 100 || !/^[\x20-\x7e]+$/.test(w.secret)) {
    fail('webhook.secret', 'must be an ASCII string of 10 to 100 characters');
  }
  if (w.path !== undefined) {
    const path = normaliseWebhookPath(w.path, 'webhook.path');
    if (path !== mountedPath) {
      fail(
        'webhook.path',
        `is "${path}" but the webhook route is mounted at "${mountedPath}": with forRootAsync, give the path as forRootAsync({ webhookPath })`,
      );
    }
  }
  return {
    callbackUrl: w.callbackUrl,
    secret: w.secret,
    path: mountedPath,
    maxMessageAgeMs: integer(
      w.maxMessageAgeMs,
      'webhook.maxMessageAgeMs',
      1_000,
      24 * 60 * 60 * 1000,
      TWITCH_EVENTSUB_DEFAULTS.maxMessageAgeMs,
    ),
    maxBodyBytes: integer(
      w.maxBodyBytes,
      'webhook.maxBodyBytes',
      256 * 1024,
      64 * 1024 * 1024,
      TWITCH_EVENTSUB_DEFAULTS.maxBodyBytes,
    ),
  };
}

function url(value: unknown, option: string): string {
  if (value === undefined) return TWITCH_EVENTSUB_DEFAULTS.webSocketUrl;
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:')) fail(option, 'must be a wss:// URL');
  return value as string;
}

function resolveWebSocket(input: unknown): NonNullable<TwitchEventSubResolvedOptions['websocket']> {
  const o = object(input, 'websocket');
  if (o.userId !== undefined && (typeof o.userId !== 'string' || !/^\d{1,20}$/.test(o.userId))) {
    fail('websocket.userId', 'must be a Twitch user id (digits)');
  }
  const base = integer(
    o.reconnectBaseDelayMs,
    'websocket.reconnectBaseDelayMs',
    1,
    60_000,
    TWITCH_EVENTSUB_DEFAULTS.reconnectBaseDelayMs,
  );
  const max = integer(
    o.reconnectMaxDelayMs,
    'websocket.reconnectMaxDelayMs',
    1,
    10 * 60_000,
    TWITCH_EVENTSUB_DEFAULTS.reconnectMaxDelayMs,
  );
  if (max < base) fail('websocket.reconnectMaxDelayMs', 'must not be less than websocket.reconnectBaseDelayMs');
  return {
    url: url(o.url, 'websocket.url'),
    ...(o.userId !== undefined ? { userId: o.userId as string } : {}),
    ...(o.keepaliveTimeoutSeconds !== undefined
      ? { keepaliveTimeoutSeconds: integer(o.keepaliveTimeoutSeconds, 'websocket.keepaliveTimeoutSeconds', 10, 600, 10) }
      : {}),
    keepaliveMarginMs: integer(
      o.keepaliveMarginMs,
      'websocket.keepaliveMarginMs',
      0,
      60_000,
      TWITCH_EVENTSUB_DEFAULTS.keepaliveMarginMs,
    ),
    connectTimeoutMs: integer(
      o.connectTimeoutMs,
      'websocket.connectTimeoutMs',
      100,
      120_000,
      TWITCH_EVENTSUB_DEFAULTS.connectTimeoutMs,
    ),
    reconnectBaseDelayMs: base,
    reconnectMaxDelayMs: max,
  };
}

function resolveConduit(input: unknown): NonNullable<TwitchEventSubResolvedOptions['conduit']> {
  const o = object(input, 'conduit');
  if (o.conduitId !== undefined && (typeof o.conduitId !== 'string' || o.conduitId.trim() === '')) {
    fail('conduit.conduitId', 'must be a conduit id');
  }
  const name = o.name ?? TWITCH_EVENTSUB_DEFAULTS.conduitName;
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name))
    fail('conduit.name', 'must be 1 to 64 letters, digits, "_", "." or "-"');
  const shardTransport = o.shardTransport ?? 'websocket';
  if (shardTransport !== 'websocket' && shardTransport !== 'webhook')
    fail('conduit.shardTransport', 'must be "websocket" or "webhook"');
  const heartbeatMs = integer(o.heartbeatMs, 'conduit.heartbeatMs', 50, 60_000, TWITCH_EVENTSUB_DEFAULTS.conduitHeartbeatMs);
  const leaseMs = integer(o.leaseMs, 'conduit.leaseMs', 100, 10 * 60_000, TWITCH_EVENTSUB_DEFAULTS.conduitLeaseMs);
  if (leaseMs <= heartbeatMs) fail('conduit.leaseMs', `must be greater than conduit.heartbeatMs (${heartbeatMs})`);
  return {
    shardCount: integer(o.shardCount, 'conduit.shardCount', 1, 20_000, TWITCH_EVENTSUB_DEFAULTS.conduitShardCount),
    ...(o.conduitId !== undefined ? { conduitId: o.conduitId as string } : {}),
    name,
    shardTransport,
    url: url(o.url, 'conduit.url'),
    heartbeatMs,
    leaseMs,
  };
}
