/**
 * The fake's answer for every Helix endpoint of the catalog that no dedicated route serves: Twitch's
 * documented example (`HELIX_EXAMPLES`), shaped by the request, after the checks Twitch makes (token
 * kind, scopes, required parameters). Internal to the fake.
 *
 * Everything is derived at runtime from `TWITCH_ENDPOINTS`, `HELIX_EXAMPLES` and `HELIX_PARAM_RULES`
 * (generated from the same model as the params classes: which parameters are required or lists, and the
 * bounds of `first`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TwitchEndpoint } from '../../api/twitch-endpoint.interface.js';
import { TWITCH_ENDPOINTS } from '../../generated/catalog.js';
import { HELIX_EXAMPLES } from '../generated/helix-examples.js';
import { HELIX_PARAM_RULES } from '../generated/helix-param-rules.js';
import { findUserByLogin } from './helix-routes.js';
import type { FakeTwitchRequest, FakeTwitchResponse, FakeTwitchState, TokenInfo } from './types.js';
import { decodeCursor, isObject, paginate, twitchError, type CursorPosition } from './util.js';

/** Default page size of a paginated endpoint when the request has no `first` (Twitch's usual 20). */
const DEFAULT_FIRST = 20;
/** Upper bound of `first` when the params class gives none. */
const DEFAULT_MAX_FIRST = 100;

/** What the fake needs to know about one wire parameter. */
interface WireRule {
  /** Twitch's name. */
  name: string;
  required: boolean;
  /** A list parameter (`?id=1&id=2`). */
  list: boolean;
}

/** One catalog endpoint, with what the generic answer needs. */
export interface CatalogRoute {
  readonly endpoint: TwitchEndpoint;
  readonly query: readonly WireRule[];
  readonly body: readonly WireRule[];
  /** Bounds of `first`, for paginated endpoints that take it. */
  readonly first?: { max: number };
  /** Twitch's documented example answer, if there is one. */
  readonly example?: unknown;
}

/** Context of a generic answer. */
export interface CatalogContext {
  state: FakeTwitchState;
  /** Items in the list a paginated endpoint pages through. */
  listLength: number;
}

// ---------------------------------------------------------------- catalog lookup

let routesByKey: Map<string, CatalogRoute> | undefined;
let methodsByPath: Map<string, string[]> | undefined;

function build(): void {
  routesByKey = new Map();
  methodsByPath = new Map();
  for (const endpoint of TWITCH_ENDPOINTS) {
    const rules = HELIX_PARAM_RULES[endpoint.name] ?? {};
    const wire = (fields: TwitchEndpoint['query']): WireRule[] =>
      fields.map((f) => ({ name: f.name, required: rules[f.key]?.required ?? false, list: rules[f.key]?.list ?? false }));
    const firstField = endpoint.query.find((f) => f.name === 'first');
    const example = HELIX_EXAMPLES[endpoint.name];
    const route: CatalogRoute = {
      endpoint,
      query: wire(endpoint.query),
      body: wire(endpoint.body),
      first: endpoint.paginated && firstField ? { max: rules[firstField.key]?.max ?? DEFAULT_MAX_FIRST } : undefined,
      example: example && example.method === endpoint.method && example.path === endpoint.path ? example.body : undefined,
    };
    routesByKey.set(`${endpoint.method} ${endpoint.path}`, route);
    const methods = methodsByPath.get(endpoint.path) ?? [];
    methods.push(endpoint.method);
    methodsByPath.set(endpoint.path, methods);
  }
}

/** The catalog endpoint with this method and Helix path (`'/channels/followed'`). */
export function catalogRoute(method: string, helixPath: string): CatalogRoute | undefined {
  if (!routesByKey) build();
  return routesByKey!.get(`${method} ${helixPath}`);
}

/** The methods the catalog lists for a Helix path (empty for a path Twitch does not have). */
export function catalogMethods(helixPath: string): readonly string[] {
  if (!methodsByPath) build();
  return methodsByPath!.get(helixPath) ?? [];
}

// ---------------------------------------------------------------- checks

const MISSING_USER_TOKEN = 'Missing User OAUTH Token';
const APP_TOKEN_REQUIRED = 'The Authorization header is required and must specify an app access token';

/**
 * Twitch's 401 when the token is of the wrong kind or lacks the endpoint's scopes, else `undefined`.
 * App tokens pass the scope check of endpoints that take either kind: the fake does not model the
 * scopes users granted an application (Send Chat Message as a bot, for instance).
 */
export function checkToken(route: CatalogRoute, token: TokenInfo): FakeTwitchResponse | undefined {
  const { auth, scopes } = route.endpoint;
  if (auth === 'user' && token.kind !== 'user') return twitchError(401, MISSING_USER_TOKEN);
  if (auth === 'app' && token.kind !== 'app') return twitchError(401, APP_TOKEN_REQUIRED);
  if (token.kind !== 'user' || scopes.length === 0) return undefined;
  const granted = new Set(token.scopes);
  const missing = scopes.map((alternative) => alternative.filter((s) => !granted.has(s)));
  if (missing.some((m) => m.length === 0)) return undefined;
  return twitchError(401, `Missing scope: ${missing.map((m) => m.join(' and ')).join(' or ')}`);
}

/** Twitch's 400 for the first required query parameter or body field that is absent, else `undefined`. */
export function checkParams(route: CatalogRoute, req: FakeTwitchRequest): FakeTwitchResponse | undefined {
  for (const q of route.query) {
    if (q.required && !(req.query[q.name] ?? []).some((v) => v !== '')) return missingParameter(q.name);
  }
  const required = route.body.filter((b) => b.required);
  if (required.length === 0) return undefined;
  if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
  const body = req.body;
  for (const b of required) if (body[b.name] === undefined || body[b.name] === null) return missingParameter(b.name);
  return undefined;
}

function missingParameter(name: string): FakeTwitchResponse {
  return twitchError(400, `Missing required parameter "${name}"`);
}

/** The claims of a valid Extension JWT, or the message of Twitch's 401. */
export function verifyExtensionJwt(jwt: string, secret: string | undefined, now: number): Record<string, unknown> | string {
  const invalid = 'The JWT token is not valid';
  const parts = jwt.split('.');
  if (parts.length !== 3) return invalid;
  const [header, payload, signature] = parts;
  const json = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  const head = json(header);
  const claims = json(payload);
  if (!isObject(head) || head.alg !== 'HS256' || !isObject(claims)) return invalid;
  if (secret !== undefined) {
    const expected = createHmac('sha256', Buffer.from(secret, 'base64')).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'The JWT token has expired';
  if (typeof claims.role !== 'string') return invalid;
  return claims;
}

// ---------------------------------------------------------------- the answer

/** Query parameters and body fields whose value is an id or a login reflected into the answer. */
const isIdName = (name: string): boolean => name === 'id' || name.endsWith('_id') || name === 'login' || name.endsWith('_login');

/** The documented example, shaped by the request. Assumes the checks passed. */
export function catalogAnswer(route: CatalogRoute, req: FakeTwitchRequest, ctx: CatalogContext): FakeTwitchResponse {
  const { endpoint } = route;
  if (endpoint.successStatus === 204) return { status: 204 };
  const example = route.example;
  if (example === undefined || example === null) {
    return { status: endpoint.successStatus, body: endpoint.paginated ? { data: [], pagination: {} } : { data: [] } };
  }
  if (typeof example === 'string') return { status: endpoint.successStatus, body: example };
  if (!isObject(example)) return { status: endpoint.successStatus, body: structuredClone(example) };

  const body: Record<string, unknown> = structuredClone(example);
  const { selectors, scalars } = reflections(route, req);
  const data = body.data;
  if (Array.isArray(data) && data.length > 0 && data.every(isObject)) {
    const items = data as Record<string, unknown>[];
    const selected = selectors.filter((s) => s.name in items[0]);
    let list: Record<string, unknown>[];
    if (selected.length > 0) {
      // One item per requested id or login, in the order asked.
      const asked = selected.flatMap((s) => s.values.map((value) => ({ name: s.name, value })));
      list = asked.map(({ name, value }, i) => {
        const item = structuredClone(items[i % items.length]);
        setId(item, name, value, ctx.state);
        return item;
      });
    } else if (endpoint.paginated) {
      const length = Math.max(ctx.listLength, items.length);
      list = Array.from({ length }, (_, k) => variant(items[k % items.length], k, items.length));
    } else {
      list = items.map((item) => structuredClone(item));
    }
    for (const item of list) for (const s of scalars) if (s.name in item) setId(item, s.name, s.value, ctx.state);
    if (!endpoint.paginated) {
      body.data = list;
    } else {
      const page = pageOf(route, req, list);
      if ('status' in page) return page;
      body.data = page.items;
      body.pagination = pagination(example, page.cursor);
      if (typeof body.total === 'number') body.total = list.length;
    }
  } else if (Array.isArray(data) && data.length > 0 && data.every((d) => typeof d === 'string')) {
    // A list of ids (Delete Videos): the ids asked for.
    const ids = selectors.find((s) => s.name === 'id')?.values;
    if (ids) body.data = [...ids];
  } else if (isObject(data)) {
    for (const s of scalars) if (s.name in data) setId(data, s.name, s.value, ctx.state);
    if (endpoint.paginated) body.pagination = {};
  } else if (endpoint.paginated && 'pagination' in body) {
    body.pagination = pagination(example, undefined);
  }
  return { status: endpoint.successStatus, body };
}

/** `{ cursor }`, or `{}` on the last page; a bare string where Twitch sends one (Get Extension Live Channels). */
function pagination(example: Record<string, unknown>, cursor: string | undefined): unknown {
  if (typeof example.pagination === 'string') return cursor ?? '';
  return cursor ? { cursor } : {};
}

/** The ids and logins of a request: list parameters select items, single values are set on every item. */
function reflections(
  route: CatalogRoute,
  req: FakeTwitchRequest,
): { selectors: { name: string; values: string[] }[]; scalars: { name: string; value: string }[] } {
  const selectors: { name: string; values: string[] }[] = [];
  const scalars: { name: string; value: string }[] = [];
  for (const q of route.query) {
    if (!isIdName(q.name)) continue;
    const values = [...new Set((req.query[q.name] ?? []).filter((v) => v !== ''))];
    if (values.length === 0) continue;
    if (q.list) selectors.push({ name: q.name, values });
    else scalars.push({ name: q.name, value: values[0] });
  }
  if (isObject(req.body)) {
    for (const b of route.body) {
      const value = req.body[b.name];
      if (isIdName(b.name) && typeof value === 'string' && value !== '' && !scalars.some((s) => s.name === b.name)) {
        scalars.push({ name: b.name, value });
      }
    }
  }
  return { selectors, scalars };
}

/**
 * Set an id or login field of an item, and its `_login` / `_name` / `_id` companions when the fake
 * knows that user (`broadcaster_id` → `broadcaster_login`, `broadcaster_name`).
 */
function setId(item: Record<string, unknown>, name: string, value: string, state: FakeTwitchState): void {
  const current = item[name];
  if (current !== null && current !== undefined && typeof current !== 'string') return;
  item[name] = value;
  const byLogin = name === 'login' || name.endsWith('_login');
  const prefix = name === 'id' || name === 'login' ? '' : name.slice(0, name.lastIndexOf('_') + 1);
  if (prefix === '' && name === 'id') return;
  const user = byLogin ? findUserByLogin(state, value) : state.users.get(value);
  if (!user) return;
  const companions: Record<string, string> = {
    [`${prefix}id`]: user.id,
    [`${prefix}login`]: user.login,
    [`${prefix}name`]: user.displayName,
    ...(prefix === '' ? { display_name: user.displayName } : {}),
  };
  for (const [key, v] of Object.entries(companions)) if (key !== name && typeof item[key] === 'string') item[key] = v;
}

/**
 * Item `k` of a paginated list: the example's items in turn, the repeats with their own `id` (or,
 * for lists of users such as followers, their own `user_id`, `user_login` and `user_name`).
 */
function variant(item: Record<string, unknown>, k: number, examples: number): Record<string, unknown> {
  const copy = structuredClone(item);
  if (k < examples) return copy;
  let keys: string[] = [];
  if (typeof copy.id === 'string') keys = ['id'];
  else if (typeof copy.user_id === 'string') keys = ['user_id', 'user_login', 'user_name'];
  for (const key of keys) if (typeof copy[key] === 'string') copy[key] = `${copy[key] as string}${key === 'id' ? '-' : '_'}${k}`;
  return copy;
}

/** One page of `list` from `first`, `after` and `before`, or Twitch's 400. */
function pageOf<T>(route: CatalogRoute, req: FakeTwitchRequest, list: T[]): { items: T[]; cursor?: string } | FakeTwitchResponse {
  let first = DEFAULT_FIRST;
  const raw = req.query.first?.[0];
  if (route.first && raw !== undefined) {
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < 1 || value > route.first.max) {
      return twitchError(400, `The parameter "first" was malformed: the value must be between 1 and ${route.first.max}`);
    }
    first = value;
  }
  const kind = `${route.endpoint.method} ${route.endpoint.path}`;
  const cursors: { after?: CursorPosition; before?: CursorPosition } = {};
  for (const name of ['after', 'before'] as const) {
    const value = req.query[name]?.[0];
    if (value === undefined || value === '') continue;
    const pos = decodeCursor(value, kind);
    if (!pos) return twitchError(400, `The cursor specified in the ${name} query parameter is not valid.`);
    cursors[name] = pos;
  }
  const { page, cursor } = paginate(list, first, cursors.after, cursors.before, kind);
  return { items: page, cursor };
}
