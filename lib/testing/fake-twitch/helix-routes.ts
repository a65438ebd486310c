/**
 * Built-in Helix routes backed by the fake's in-memory state. Internal to the fake.
 *
 * Each route runs after authentication and rate limiting, so `ctx.token` is a valid token
 * (except `GET /schedule/icalendar`, which needs none).
 */
import { GAMES, makeChannel } from './seed.js';
import type {
  FakeChannel,
  FakeEventSubSubscription,
  FakeEventSubTransport,
  FakeStream,
  FakeTwitchRequest,
  FakeTwitchResponse,
  FakeTwitchState,
  FakeUser,
  TokenInfo,
} from './types.js';
import { decodeCursor, isObject, paginate, randomUUID, twitchError, type CursorPosition } from './util.js';

/** What a built-in route gets besides the request. */
export interface HelixContext {
  state: FakeTwitchState;
  /** The caller's valid token; absent only for routes that need none. */
  token?: TokenInfo;
  now: number;
  commercialCooldownSeconds: number;
  /** Time of each broadcaster's last commercial, by broadcaster id. */
  lastCommercialAt: Map<string, number>;
}

/** A built-in route. */
export type BuiltInRoute = (req: FakeTwitchRequest, ctx: HelixContext) => FakeTwitchResponse;

const MISSING_USER_TOKEN = 'Missing User OAUTH Token';
const BROADCASTER_MISMATCH = "The ID in broadcaster_id must match the user ID found in the request's OAuth token.";

/** 401 unless the token is a user token carrying `scope`. */
function requireUserScope(token: TokenInfo | undefined, scope: string): FakeTwitchResponse | undefined {
  if (!token || token.kind !== 'user') return twitchError(401, MISSING_USER_TOKEN);
  if (!token.scopes.includes(scope)) return twitchError(401, `Missing scope: ${scope}`);
  return undefined;
}

function missingParam(name: string): FakeTwitchResponse {
  return twitchError(400, `Missing required parameter "${name}"`);
}

function noContent(): FakeTwitchResponse {
  return { status: 204 };
}

function ok(body: unknown, status = 200): FakeTwitchResponse {
  return { status, body };
}

/** Parse `first` (1..max, default `def`); a 400 response if malformed. */
function parseFirst(req: FakeTwitchRequest, def: number, max: number): number | FakeTwitchResponse {
  const raw = req.query.first?.[0];
  if (raw === undefined) return def;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    return twitchError(400, `The parameter "first" was malformed: the value must be between 1 and ${max}`);
  }
  return value;
}

/** Decode `after` / `before`; a 400 response if either is not a cursor of this `kind`. */
function parseCursors(
  req: FakeTwitchRequest,
  kind: string,
): { after?: CursorPosition; before?: CursorPosition } | FakeTwitchResponse {
  const out: { after?: CursorPosition; before?: CursorPosition } = {};
  for (const name of ['after', 'before'] as const) {
    const raw = req.query[name]?.[0];
    if (raw === undefined || raw === '') continue;
    const pos = decodeCursor(raw, kind);
    if (!pos) return twitchError(400, `The cursor specified in the ${name} query parameter is not valid.`);
    out[name] = pos;
  }
  return out;
}

function isResponse(value: unknown): value is FakeTwitchResponse {
  return isObject(value) && typeof value.status === 'number';
}

// ---------------------------------------------------------------- serialisers

/** Get Users item. `email` only when `withEmail`. */
export function userJson(u: FakeUser, withEmail: boolean): Record<string, unknown> {
  return {
    id: u.id,
    login: u.login,
    display_name: u.displayName,
    type: u.type,
    broadcaster_type: u.broadcasterType,
    description: u.description,
    profile_image_url: u.profileImageUrl,
    offline_image_url: u.offlineImageUrl,
    view_count: u.viewCount,
    ...(withEmail ? { email: u.email } : {}),
    created_at: u.createdAt,
  };
}

/** Get Channel Information item. */
export function channelJson(c: FakeChannel): Record<string, unknown> {
  return {
    broadcaster_id: c.broadcasterId,
    broadcaster_login: c.broadcasterLogin,
    broadcaster_name: c.broadcasterName,
    broadcaster_language: c.broadcasterLanguage,
    game_id: c.gameId,
    game_name: c.gameName,
    title: c.title,
    delay: c.delay,
    tags: c.tags,
    content_classification_labels: c.contentClassificationLabels,
    is_branded_content: c.isBrandedContent,
  };
}

/** Get Streams item. */
export function streamJson(s: FakeStream): Record<string, unknown> {
  return {
    id: s.id,
    user_id: s.userId,
    user_login: s.userLogin,
    user_name: s.userName,
    game_id: s.gameId,
    game_name: s.gameName,
    type: s.type,
    title: s.title,
    tags: s.tags,
    viewer_count: s.viewerCount,
    started_at: s.startedAt,
    language: s.language,
    thumbnail_url: s.thumbnailUrl,
    tag_ids: [],
    is_mature: s.isMature,
  };
}

function transportJson(t: FakeEventSubTransport): Record<string, unknown> {
  switch (t.method) {
    case 'webhook':
      return { method: t.method, callback: t.callback };
    case 'websocket':
      return {
        method: t.method,
        session_id: t.sessionId,
        connected_at: t.connectedAt,
        ...(t.disconnectedAt ? { disconnected_at: t.disconnectedAt } : {}),
      };
    case 'conduit':
      return { method: t.method, conduit_id: t.conduitId };
    default:
      return { method: t.method };
  }
}

/** EventSub subscription item. */
export function subscriptionJson(s: FakeEventSubSubscription): Record<string, unknown> {
  return {
    id: s.id,
    status: s.status,
    type: s.type,
    version: s.version,
    condition: s.condition,
    created_at: s.createdAt,
    transport: transportJson(s.transport),
    cost: s.cost,
  };
}

// ---------------------------------------------------------------- users / channels

const getUsers: BuiltInRoute = (req, { state, token }) => {
  const ids = req.query.id ?? [];
  const logins = (req.query.login ?? []).map((l) => l.toLowerCase());
  if (ids.length + logins.length > 100) {
    return twitchError(400, 'The request exceeded the maximum allowed number of id and/or login query parameters (100).');
  }
  let users: FakeUser[];
  if (ids.length + logins.length === 0) {
    if (token?.kind !== 'user' || !token.userId) return twitchError(400, 'Must provide an ID, Login or OAuth Token.');
    const self = state.users.get(token.userId);
    users = self ? [self] : [];
  } else {
    const seen = new Set<string>();
    users = [];
    const add = (u: FakeUser | undefined): void => {
      if (u && !seen.has(u.id)) {
        seen.add(u.id);
        users.push(u);
      }
    };
    for (const id of ids) add(state.users.get(id));
    for (const login of logins) add(findUserByLogin(state, login));
  }
  const canSeeEmail = (u: FakeUser): boolean =>
    token?.kind === 'user' && token.userId === u.id && token.scopes.includes('user:read:email');
  return ok({ data: users.map((u) => userJson(u, canSeeEmail(u))) });
};

/** The user with this login (case-insensitive). */
export function findUserByLogin(state: FakeTwitchState, login: string): FakeUser | undefined {
  const wanted = login.toLowerCase();
  for (const u of state.users.values()) if (u.login === wanted) return u;
  return undefined;
}

const getChannels: BuiltInRoute = (req, { state }) => {
  const ids = req.query.broadcaster_id ?? [];
  if (ids.length === 0) return missingParam('broadcaster_id');
  if (ids.length > 100) return twitchError(400, 'The request may specify at most 100 broadcaster_id parameters.');
  const data = [...new Set(ids)].map((id) => state.channels.get(id)).filter((c): c is FakeChannel => !!c);
  return ok({ data: data.map(channelJson) });
};

const TAG_PATTERN = /^[\p{L}\p{N}]+$/u;

const patchChannels: BuiltInRoute = (req, { state, token }) => {
  const broadcasterId = req.query.broadcaster_id?.[0];
  if (!broadcasterId) return missingParam('broadcaster_id');
  const denied = requireUserScope(token, 'channel:manage:broadcast');
  if (denied) return denied;
  if (token!.userId !== broadcasterId) return twitchError(401, BROADCASTER_MISMATCH);
  const user = state.users.get(broadcasterId);
  if (!user) return twitchError(400, 'The ID in broadcaster_id is not valid.');
  if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
  const b = req.body;
  const fields = [
    'game_id',
    'broadcaster_language',
    'title',
    'delay',
    'tags',
    'content_classification_labels',
    'is_branded_content',
  ];
  if (!fields.some((f) => b[f] !== undefined)) return twitchError(400, 'The request must update at least one property.');

  // Validate everything before changing anything.
  if (b.game_id !== undefined && typeof b.game_id !== 'string') return twitchError(400, 'The ID in game_id is not valid.');
  if (
    b.broadcaster_language !== undefined &&
    (typeof b.broadcaster_language !== 'string' || !/^([a-z]{2}|other)$/.test(b.broadcaster_language))
  ) {
    return twitchError(400, 'The value in broadcaster_language is not valid.');
  }
  if (b.title !== undefined && (typeof b.title !== 'string' || b.title.trim() === '')) {
    return twitchError(400, 'The title field may not contain an empty string.');
  }
  if (b.delay !== undefined) {
    if (typeof b.delay !== 'number' || !Number.isInteger(b.delay) || b.delay < 0 || b.delay > 900) {
      return twitchError(400, 'The value in delay is not valid.');
    }
    if (b.delay > 0 && user.broadcasterType !== 'partner') {
      return twitchError(400, 'To update the delay field, the broadcaster must have partner status.');
    }
  }
  if (b.tags !== undefined) {
    if (!Array.isArray(b.tags) || !b.tags.every((t) => typeof t === 'string'))
      return twitchError(400, 'The tags field must be an array of strings.');
    if (b.tags.length > 10) return twitchError(400, 'The list in the tags field exceeds the maximum number of tags allowed.');
    for (const tag of b.tags as string[]) {
      if (tag === '') return twitchError(400, 'A tag in the tags field is empty.');
      if (tag.length > 25) return twitchError(400, 'A tag in the tags field exceeds the maximum length allowed.');
      if (!TAG_PATTERN.test(tag)) return twitchError(400, 'A tag in the tags field contains special characters or spaces.');
    }
  }
  let labels: { id: string; is_enabled: boolean }[] | undefined;
  if (b.content_classification_labels !== undefined) {
    const raw = b.content_classification_labels;
    if (!Array.isArray(raw) || !raw.every((l) => isObject(l) && typeof l.id === 'string' && typeof l.is_enabled === 'boolean')) {
      return twitchError(400, 'The content_classification_labels field must be an array of {id, is_enabled} objects.');
    }
    labels = raw as { id: string; is_enabled: boolean }[];
  }
  if (b.is_branded_content !== undefined && typeof b.is_branded_content !== 'boolean') {
    return twitchError(400, 'The value in is_branded_content is not valid.');
  }

  let channel = state.channels.get(broadcasterId);
  if (!channel) {
    channel = makeChannel(user);
    state.channels.set(broadcasterId, channel);
  }
  if (typeof b.game_id === 'string') {
    const cleared = b.game_id === '' || b.game_id === '0';
    channel.gameId = cleared ? '' : b.game_id;
    channel.gameName = cleared ? '' : (GAMES[b.game_id] ?? '');
  }
  if (typeof b.broadcaster_language === 'string') channel.broadcasterLanguage = b.broadcaster_language;
  if (typeof b.title === 'string') channel.title = b.title;
  if (typeof b.delay === 'number') channel.delay = b.delay;
  if (Array.isArray(b.tags)) channel.tags = [...(b.tags as string[])];
  if (labels) {
    const set = new Set(channel.contentClassificationLabels);
    for (const l of labels) {
      if (l.is_enabled) set.add(l.id);
      else set.delete(l.id);
    }
    channel.contentClassificationLabels = [...set];
  }
  if (typeof b.is_branded_content === 'boolean') channel.isBrandedContent = b.is_branded_content;

  // A live stream shows the channel's current title, category, language and tags.
  const stream = state.streams.find((s) => s.userId === broadcasterId);
  if (stream) {
    stream.title = channel.title;
    stream.gameId = channel.gameId;
    stream.gameName = channel.gameName;
    stream.language = channel.broadcasterLanguage;
    stream.tags = [...channel.tags];
  }
  return noContent();
};

// ---------------------------------------------------------------- streams

/** Streams in Get Streams order: most viewers first, then by stream id. */
export function sortedStreams(streams: FakeStream[]): FakeStream[] {
  return [...streams].sort((a, b) => b.viewerCount - a.viewerCount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const getStreams: BuiltInRoute = (req, { state }) => {
  const first = parseFirst(req, 20, 100);
  if (isResponse(first)) return first;
  for (const name of ['user_id', 'user_login', 'game_id', 'language']) {
    if ((req.query[name]?.length ?? 0) > 100) return twitchError(400, `The request may specify at most 100 ${name} parameters.`);
  }
  const type = req.query.type?.[0] ?? 'all';
  if (type !== 'all' && type !== 'live') return twitchError(400, 'The value in the type query parameter is not valid.');
  const cursors = parseCursors(req, 'streams');
  if (isResponse(cursors)) return cursors;

  const userIds = new Set(req.query.user_id ?? []);
  const userLogins = new Set((req.query.user_login ?? []).map((l) => l.toLowerCase()));
  const gameIds = new Set(req.query.game_id ?? []);
  const languages = new Set(req.query.language ?? []);
  const filtered = sortedStreams(state.streams).filter(
    (s) =>
      (userIds.size + userLogins.size === 0 || userIds.has(s.userId) || userLogins.has(s.userLogin)) &&
      (gameIds.size === 0 || gameIds.has(s.gameId)) &&
      (languages.size === 0 || languages.has(s.language)),
  );
  const { page, cursor } = paginate(filtered, first, cursors.after, cursors.before, 'streams');
  return ok({ data: page.map(streamJson), pagination: cursor ? { cursor } : {} });
};

// ---------------------------------------------------------------- ads

const startCommercial: BuiltInRoute = (req, ctx) => {
  const { state, token, now } = ctx;
  const denied = requireUserScope(token, 'channel:edit:commercial');
  if (denied) return denied;
  if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
  const broadcasterId = req.body.broadcaster_id;
  if (typeof broadcasterId !== 'string' || broadcasterId === '') return missingParam('broadcaster_id');
  const length = req.body.length;
  if (length === undefined) return missingParam('length');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 180) {
    return twitchError(400, 'The value in length is not valid: it must be a whole number of seconds between 1 and 180.');
  }
  if (token!.userId !== broadcasterId) return twitchError(401, BROADCASTER_MISMATCH);
  if (!state.users.has(broadcasterId)) return twitchError(404, 'The ID in broadcaster_id was not found.');
  const cooldownMs = ctx.commercialCooldownSeconds * 1000;
  const last = ctx.lastCommercialAt.get(broadcasterId);
  if (cooldownMs > 0 && last !== undefined && now - last < cooldownMs) {
    return twitchError(429, 'The broadcaster may not run another commercial until the cooldown period expires.');
  }
  ctx.lastCommercialAt.set(broadcasterId, now);
  return ok({ data: [{ length, message: '', retry_after: ctx.commercialCooldownSeconds }] });
};

// ---------------------------------------------------------------- eventsub

const SUBSCRIPTION_STATUSES = new Set([
  'enabled',
  'webhook_callback_verification_pending',
  'webhook_callback_verification_failed',
  'notification_failures_exceeded',
  'authorization_revoked',
  'moderator_removed',
  'user_removed',
  'chat_user_banned',
  'version_removed',
  'beta_maintenance',
  'websocket_disconnected',
  'websocket_failed_ping_pong',
  'websocket_received_inbound_traffic',
  'websocket_connection_unused',
  'websocket_internal_error',
  'websocket_network_timeout',
  'websocket_network_error',
  'websocket_failed_to_reconnect',
  'conduit_deleted',
]);

/** Max total cost of the subscriptions visible to a token. */
function maxTotalCost(token: TokenInfo): number {
  return token.kind === 'app' ? 10_000 : 10;
}

/**
 * Subscriptions a token sees: an app token sees its client's webhook and conduit subscriptions;
 * a user token sees the WebSocket subscriptions it created for its client.
 */
function visibleSubscriptions(state: FakeTwitchState, token: TokenInfo): FakeEventSubSubscription[] {
  return [...state.eventSubSubscriptions.values()].filter((s) => {
    if (s.clientId !== token.clientId) return false;
    if (token.kind === 'app') return s.transport.method !== 'websocket';
    return s.transport.method === 'websocket' && s.ownerUserId === token.userId;
  });
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

function totals(
  subs: FakeEventSubSubscription[],
  token: TokenInfo,
): { total: number; total_cost: number; max_total_cost: number } {
  return { total: subs.length, total_cost: subs.reduce((sum, s) => sum + s.cost, 0), max_total_cost: maxTotalCost(token) };
}

const createSubscription: BuiltInRoute = (req, { state, token, now }) => {
  const t = token!;
  if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
  const { type, version, condition, transport } = req.body;
  if (typeof type !== 'string' || type === '') return twitchError(400, 'The type field is required.');
  if (typeof version !== 'string' || version === '') return twitchError(400, 'The version field is required.');
  if (!isObject(condition)) return twitchError(400, 'The condition field is required.');
  if (!isObject(transport) || typeof transport.method !== 'string') return twitchError(400, 'The transport field is required.');

  let stored: FakeEventSubTransport;
  switch (transport.method) {
    case 'webhook': {
      if (t.kind !== 'app') return twitchError(400, 'invalid transport and auth combination');
      const { callback, secret } = transport;
      if (typeof callback !== 'string' || callback === '')
        return twitchError(400, 'The callback field is required if you specify the webhook transport method.');
      if (!/^https:\/\/[^/\s]+/i.test(callback)) {
        return twitchError(
          400,
          "The URL in the transport's callback field is not valid. The URL must use the HTTPS protocol and the 443 port number.",
        );
      }
      if (typeof secret !== 'string' || secret.length < 10 || secret.length > 100) {
        return twitchError(400, 'The length of the string in the secret field is not valid.');
      }
      stored = { method: 'webhook', callback, secret };
      break;
    }
    case 'websocket': {
      if (t.kind !== 'user') return twitchError(400, 'invalid transport and auth combination');
      if (typeof transport.session_id !== 'string' || transport.session_id === '') {
        return twitchError(400, 'The session_id field is required if you specify the WebSocket transport method.');
      }
      stored = { method: 'websocket', sessionId: transport.session_id, connectedAt: new Date(now).toISOString() };
      break;
    }
    case 'conduit': {
      if (t.kind !== 'app') return twitchError(400, 'invalid transport and auth combination');
      if (typeof transport.conduit_id !== 'string' || transport.conduit_id === '') {
        return twitchError(400, 'The conduit_id field is required if you specify the Conduit transport method.');
      }
      stored = { method: 'conduit', conduitId: transport.conduit_id };
      break;
    }
    default:
      return twitchError(400, 'The value specified in the method field is not valid.');
  }

  const key = canonical(condition);
  const visible = visibleSubscriptions(state, t);
  if (visible.some((s) => s.type === type && canonical(s.condition) === key)) {
    return twitchError(409, 'subscription already exists');
  }
  const sub: FakeEventSubSubscription = {
    id: randomUUID(),
    status: stored.method === 'webhook' ? 'webhook_callback_verification_pending' : 'enabled',
    type,
    version,
    condition: { ...condition },
    createdAt: new Date(now).toISOString(),
    transport: stored,
    cost: t.kind === 'user' ? 0 : 1,
    clientId: t.clientId,
    ownerUserId: t.userId,
  };
  state.eventSubSubscriptions.set(sub.id, sub);
  return ok({ data: [subscriptionJson(sub)], ...totals([...visible, sub], t) }, 202);
};

const deleteSubscription: BuiltInRoute = (req, { state, token }) => {
  const id = req.query.id?.[0];
  if (!id) return missingParam('id');
  const sub = visibleSubscriptions(state, token!).find((s) => s.id === id);
  if (!sub) return twitchError(404, 'The subscription was not found.');
  state.eventSubSubscriptions.delete(id);
  return noContent();
};

const getSubscriptions: BuiltInRoute = (req, { state, token }) => {
  const t = token!;
  const filters = ['status', 'type', 'user_id', 'subscription_id'].filter((f) => req.query[f]?.[0] !== undefined);
  if (filters.length > 1) return twitchError(400, 'The request may specify only one filter query parameter.');
  const status = req.query.status?.[0];
  if (status !== undefined && !SUBSCRIPTION_STATUSES.has(status))
    return twitchError(400, 'The value in the status query parameter is not valid.');
  const cursors = parseCursors(req, 'eventsub');
  if (isResponse(cursors)) return cursors;

  const visible = visibleSubscriptions(state, t);
  const type = req.query.type?.[0];
  const userId = req.query.user_id?.[0];
  const subscriptionId = req.query.subscription_id?.[0];
  const filtered = visible.filter(
    (s) =>
      (status === undefined || s.status === status) &&
      (type === undefined || s.type === type) &&
      (subscriptionId === undefined || s.id === subscriptionId) &&
      (userId === undefined || Object.values(s.condition).some((v) => v === userId)),
  );
  // Get EventSub Subscriptions has no `first`: pages are 100 items.
  const { page, cursor } = paginate(filtered, 100, cursors.after, undefined, 'eventsub');
  return ok({ data: page.map(subscriptionJson), ...totals(visible, t), pagination: cursor ? { cursor } : {} });
};

// ---------------------------------------------------------------- schedule

const getICalendar: BuiltInRoute = (req, { state, now }) => {
  const broadcasterId = req.query.broadcaster_id?.[0];
  if (!broadcasterId) return missingParam('broadcaster_id');
  const user = state.users.get(broadcasterId);
  if (!user) return twitchError(404, 'The broadcaster was not found.');
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const body = [
    'BEGIN:VCALENDAR',
    'PRODID:-//fake-twitch//Twitch Schedule//EN',
    'VERSION:2.0',
    'CALSCALE:GREGORIAN',
    `X-WR-CALNAME:${user.displayName}`,
    `X-WR-TIMEZONE:UTC`,
    `DTSTAMP:${stamp}`,
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  return { status: 200, body, headers: { 'Content-Type': 'text/calendar; charset=utf-8' } };
};

/** Built-in routes by `'METHOD /helix-path'`. */
export const BUILT_IN_ROUTES: ReadonlyMap<string, BuiltInRoute> = new Map<string, BuiltInRoute>([
  ['GET /users', getUsers],
  ['GET /channels', getChannels],
  ['PATCH /channels', patchChannels],
  ['GET /streams', getStreams],
  ['POST /channels/commercial', startCommercial],
  ['POST /eventsub/subscriptions', createSubscription],
  ['DELETE /eventsub/subscriptions', deleteSubscription],
  ['GET /eventsub/subscriptions', getSubscriptions],
  ['GET /schedule/icalendar', getICalendar],
]);

/** Helix routes that need neither `Client-Id` nor a token. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /schedule/icalendar']);
