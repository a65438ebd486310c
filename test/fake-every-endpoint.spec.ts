/**
 * The fake Twitch answers every endpoint of the catalog out of the box: through `TwitchApiService` (a
 * real Nest app pointed at the fake), with valid params (test/contract/fixtures.generated.json) and the
 * right kind of token, each endpoint answers its success status and Twitch's documented example shape.
 * A wrong token kind or a missing scope gets Twitch's 401 body. Then, over raw HTTP: lookup order
 * (route() > dedicated route > generic answer), 404 / 405, required parameters, ids reflected into the
 * answer, `first` and cursors, Extension JWTs.
 */
import { readFileSync } from 'node:fs';
import { instanceToPlain } from 'class-transformer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwitchEndpointBinding, TwitchEndpointClient } from '../lib/api/twitch-endpoint-binding.js';
import type { TwitchEndpoint } from '../lib/api/twitch-endpoint.interface.js';
import { signExtensionJwt } from '../lib/auth/extension-jwt.js';
import { getTwitchFields } from '../lib/dto/twitch-field.decorator.js';
import { TwitchMissingScopeException } from '../lib/exceptions/twitch-auth.exception.js';
import { TwitchUnauthorizedException } from '../lib/exceptions/twitch.exception.js';
import { TWITCH_ENDPOINTS } from '../lib/generated/catalog.js';
import { TwitchApiNamespaces } from '../lib/generated/twitch-api.namespaces.js';
import type { TwitchRequestOptions } from '../lib/interfaces/twitch-request-options.interface.js';
import { HELIX_EXAMPLES } from '../lib/testing/index.js';
import { createTwitchApp, FakeTwitch, type TestApp } from './support/app.js';

interface Fixture {
  name: string;
  params: Record<string, unknown>;
}

const FIXTURES: readonly Fixture[] = JSON.parse(readFileSync(new URL('./contract/fixtures.generated.json', import.meta.url), 'utf8'));
const FIXTURE = new Map(FIXTURES.map((f) => [f.name, f]));
/** TwitchDev, one of the fake's users. */
const USER_ID = '141981764';
const EXTENSION_SECRET = Buffer.from('fake-every-endpoint-extension-secret').toString('base64');
const LIST_LENGTH = 45;

/** The binding (params and response classes) behind every service method. */
const BINDINGS: Map<string, TwitchEndpointBinding> = (() => {
  const capture = { call: (b: TwitchEndpointBinding) => b, iterate: (b: TwitchEndpointBinding) => b } as unknown as TwitchEndpointClient;
  const api = new TwitchApiNamespaces(capture) as unknown as Record<string, Record<string, (p: object) => TwitchEndpointBinding>>;
  return new Map(TWITCH_ENDPOINTS.map((e) => [e.name, api[e.namespace][e.methodName].call(api[e.namespace], {})]));
})();

type Call = (params: object, options?: TwitchRequestOptions) => Promise<unknown>;
type Iterate = (params: object, options?: TwitchRequestOptions) => AsyncIterable<unknown>;
const serviceMethod = <T>(api: TestApp['api'], e: TwitchEndpoint, name = e.methodName): T | undefined => {
  const ns = (api as unknown as Record<string, Record<string, unknown>>)[e.namespace];
  const fn = ns[name];
  return typeof fn === 'function' ? (fn.bind(ns) as T) : undefined;
};

/** Key paths of a JSON value, arrays collapsed (`data[].id`); `undefined` values have no key. */
function keyPaths(value: unknown, path = '$', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keyPaths(item, `${path}[]`, out);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out.add(`${path}.${k}`);
      keyPaths(v, `${path}.${k}`, out);
    }
  }
  return out;
}

/** Twitch's example as the DTO mapping reproduces it: `Date` fields as ISO strings, everything else as is. */
function mappedExample(cls: Function | undefined, raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map((item) => mappedExample(cls, item));
  if (!cls || raw === null || typeof raw !== 'object') return raw;
  const fields = getTwitchFields(cls);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const type = fields.find((f) => f.name === name)?.type?.();
    out[name] = type && type !== Date ? mappedExample(type, value) : value;
  }
  return out;
}

/** The pagination keys, which a page has or lacks depending on whether more pages follow. */
const withoutPagination = (paths: Set<string>) => [...paths].filter((p) => !p.startsWith('$.pagination')).sort();

/** Every scope of every alternative: a token that satisfies any endpoint. */
const allScopes = (e: TwitchEndpoint): string[] => [...new Set(e.scopes.flat())];

describe('the fake answers every catalog endpoint with its documented example shape', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  let jwt: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { streams: 3 }, extensionSecret: EXTENSION_SECRET, exampleListLength: LIST_LENGTH });
    t = await createTwitchApp(fake);
    jwt = await signExtensionJwt({ secret: EXTENSION_SECRET, ownerId: USER_ID, channelId: USER_ID, pubsubPerms: { send: ['broadcast'] } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => fake.clearRequests());

  /** Options with the token an endpoint takes: a user token with its scopes, the JWT, or the managed app token. */
  const optionsFor = (e: TwitchEndpoint): TwitchRequestOptions => {
    if (e.auth === 'user' || e.name === 'Get Users') {
      // Get Users as the user with user:read:email, so that `email` is in the answer as in Twitch's example.
      const scopes = e.name === 'Get Users' ? ['user:read:email'] : allScopes(e);
      return { accessToken: fake.issueUserToken({ userId: USER_ID, scopes }).accessToken };
    }
    if (e.auth === 'jwt') return { accessToken: jwt };
    return {};
  };

  /** A webhook subscription of the fake, for the EventSub cases that need one. */
  const subscribe = async (sub: { type: string; version: string; condition: object }): Promise<string> => {
    const create = serviceMethod<Call>(t.api, TWITCH_ENDPOINTS.find((e) => e.name === 'Create EventSub Subscription')!)!;
    const transport = { method: 'webhook', callback: 'https://example.com/eventsub', secret: 'a-webhook-secret' };
    const created = (await create({ ...sub, transport })) as { data: { id: string }[] };
    return created.data[0].id;
  };

  /** Valid params per endpoint: the fixture's, adjusted where a dedicated route looks at the fake's state. */
  const paramsFor = async (e: TwitchEndpoint): Promise<Record<string, unknown>> => {
    const params = { ...FIXTURE.get(e.name)!.params };
    switch (e.name) {
      case 'Modify Channel Information':
        return { ...params, broadcasterId: USER_ID };
      case 'Create EventSub Subscription':
        // Webhook subscriptions need a secret; the condition differs from the one Get EventSub Subscriptions creates.
        return { ...params, condition: { user_id: '1000' }, transport: { ...(params.transport as object), secret: 'a-webhook-secret' } };
      case 'Delete EventSub Subscription':
        return { id: await subscribe({ type: 'user.update', version: '1', condition: { user_id: '1001' } }) };
      case 'Get EventSub Subscriptions':
        // The subscriptions of Twitch's example (their conditions have different keys).
        for (const sub of (HELIX_EXAMPLES[e.name].body as { data: { type: string; version: string; condition: object }[] }).data) {
          await subscribe({ type: sub.type, version: sub.version, condition: sub.condition });
        }
        return params;
      default:
        return params;
    }
  };

  it('has a fixture and a documented example for each of the 144 endpoints', () => {
    expect(TWITCH_ENDPOINTS).toHaveLength(144);
    for (const e of TWITCH_ENDPOINTS) {
      expect(FIXTURE.get(e.name), e.name).toBeDefined();
      expect(HELIX_EXAMPLES[e.name], e.name).toMatchObject({ method: e.method, path: e.path });
    }
  });

  it.each(TWITCH_ENDPOINTS.map((endpoint) => ({ name: endpoint.name, endpoint })))('$name', async ({ endpoint }) => {
    const binding = BINDINGS.get(endpoint.name)!;
    const params = await paramsFor(endpoint);
    fake.clearRequests();
    const result = await serviceMethod<Call>(t.api, endpoint)!(params, optionsFor(endpoint));

    const sent = fake.requests.filter((r) => r.route === 'helix');
    expect(sent.map((r) => [r.method, r.path, r.status])).toEqual([[endpoint.method, `/helix${endpoint.path}`, endpoint.successStatus]]);
    if (endpoint.successStatus === 204) {
      expect(result).toBeUndefined();
      return;
    }
    if (binding.text) {
      expect(result).toMatch(/^BEGIN:VCALENDAR/);
      return;
    }
    expect(result).toBeInstanceOf(binding.response!);
    const example = mappedExample(binding.response, HELIX_EXAMPLES[endpoint.name].body);
    expect(withoutPagination(keyPaths(instanceToPlain(result)))).toEqual(withoutPagination(keyPaths(example)));
  });

  const paginated = TWITCH_ENDPOINTS.filter((e) => e.paginated && e.auth !== 'none' && !e.path.startsWith('/eventsub/subscriptions'));
  it('pages through a list for every paginated endpoint: every iterate… method ends', async () => {
    let iterated = 0;
    for (const e of paginated) {
      const iterate = serviceMethod<Iterate>(t.api, e, `iterate${e.methodName[0].toUpperCase()}${e.methodName.slice(1)}`);
      if (!iterate) continue;
      iterated++;
      const params = { ...FIXTURE.get(e.name)!.params };
      delete params.first;
      fake.clearRequests();
      let items = 0;
      for await (const _ of iterate(params, optionsFor(e))) if (++items > 10_000) break;
      const pages = fake.requests.filter((r) => r.route === 'helix').length;
      if (e.path === '/streams' || e.path === '/clips' || e.path === '/videos' || e.path === '/polls' || e.path === '/predictions') {
        // Dedicated route (the fake's 3 live streams) or ids in the params: one item per id asked for, one page.
        expect([items, pages], e.name).toEqual([e.path === '/streams' ? 3 : 1, 1]);
      } else {
        expect([items, pages], e.name).toEqual([LIST_LENGTH, Math.ceil(LIST_LENGTH / 20)]);
      }
    }
    expect(iterated).toBeGreaterThan(25);
  });
});

describe('the fake checks the token as Twitch does', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  let appToken: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start({ extensionSecret: EXTENSION_SECRET });
    t = await createTwitchApp(fake);
    appToken = await t.auth.getAppToken();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  /**
   * Calls an endpoint with the fixture's params and a token. Returns the error, and the body Twitch's
   * answer had (the request the fake received, sent again as it was).
   */
  const failure = async (e: TwitchEndpoint, accessToken: string): Promise<{ error: unknown; body: unknown }> => {
    const params = { ...FIXTURE.get(e.name)!.params, ...(e.name === 'Modify Channel Information' ? { broadcasterId: USER_ID } : {}) };
    fake.clearRequests();
    const error = await serviceMethod<Call>(t.api, e)!(params, { accessToken }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const sent = fake.requests.filter((r) => r.route === 'helix');
    expect(sent.map((r) => r.status)).toEqual([401]);
    const [req] = sent;
    const query = new URLSearchParams(Object.entries(req.query).flatMap(([k, vs]) => vs.map((v) => [k, v])));
    const again = await fetch(`${fake.url}${req.path}?${query}`, {
      method: req.method,
      headers: { 'Client-Id': req.headers['client-id'], Authorization: req.headers.authorization, 'Content-Type': 'application/json' },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    expect(again.status).toBe(401);
    return { error, body: await again.json() };
  };

  const userEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'user');
  it.each(userEndpoints.map((endpoint) => ({ name: endpoint.name, endpoint })))('$name with an app token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, appToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({ error: 'Unauthorized', status: 401, message: 'Missing User OAUTH Token' });
  });

  const appEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'app');
  it.each(appEndpoints.map((endpoint) => ({ name: endpoint.name, endpoint })))('$name with a user token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, fake.issueUserToken({ userId: USER_ID }).accessToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({
      error: 'Unauthorized',
      status: 401,
      message: 'The Authorization header is required and must specify an app access token',
    });
  });

  const jwtEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'jwt');
  it.each(jwtEndpoints.map((endpoint) => ({ name: endpoint.name, endpoint })))('$name with an app token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, appToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({ error: 'Unauthorized', status: 401, message: 'The JWT token is not valid' });
  });

  const scoped = TWITCH_ENDPOINTS.filter((e) => e.scopes.length > 0 && (e.auth === 'user' || e.auth === 'either'));
  it.each(scoped.map((endpoint) => ({ name: endpoint.name, endpoint })))(
    '$name with a user token lacking its scope → 401 Missing scope → TwitchMissingScopeException',
    async ({ endpoint }) => {
      // Every scope but the endpoint's: a token of the right kind that still lacks what it needs.
      const needed = new Set(endpoint.scopes.flat());
      const others = [...new Set(TWITCH_ENDPOINTS.flatMap((e) => e.scopes.flat()))].filter((s) => !needed.has(s));
      const { error, body } = await failure(endpoint, fake.issueUserToken({ userId: USER_ID, scopes: others }).accessToken);
      expect(error).toBeInstanceOf(TwitchMissingScopeException);
      const expected = endpoint.scopes.map((alternative) => alternative.join(' and ')).join(' or ');
      expect(body).toEqual({ error: 'Unauthorized', status: 401, message: `Missing scope: ${expected}` });
      expect((error as TwitchMissingScopeException).requiredScopes).toEqual(endpoint.scopes);
    },
  );
});
