/**
 * The fake Twitch answers every endpoint of the catalog out of the box: through `TwitchApiService` (a
 * real Nest app pointed at the fake), with valid params (test/contract/fixtures.generated.json) and the
 * right kind of token, each endpoint answers its success status and Twitch's documented example shape.
 * A wrong token kind or a missing scope gets Twitch's 401 body. Then, over raw HTTP: lookup order
 * (route() > dedicated route > generic answer), 404 / 405, required parameters, ids reflected into the
 * answer, `first` and cursors, Extension JWTs.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { instanceToPlain } from 'class-transformer';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwitchEndpointBinding, TwitchEndpointClient } from '../lib/api/twitch-endpoint-binding.js';
import type { TwitchEndpoint } from '../lib/api/twitch-endpoint.interface.js';
import { signExtensionJwt } from '../lib/auth/extension-jwt.js';
import { getTwitchFields } from '../lib/dto/twitch-field.decorator.js';
import { TwitchMissingScopeException } from '../lib/exceptions/twitch-oauth.exception.js';
import { TwitchUnauthorizedException } from '../lib/exceptions/twitch.exception.js';
import { TWITCH_ENDPOINTS } from '../lib/generated/catalog.js';
import { TwitchApiNamespaces } from '../lib/generated/twitch-api.namespaces.js';
import type { TwitchRequestOptions } from '../lib/interfaces/twitch-request-options.interface.js';
import { catalogAnswer, catalogRoute } from '../lib/testing/fake-twitch/helix-catalog.js';
import { HELIX_EXAMPLES } from '../lib/testing/index.js';
import { createTwitchApp, FakeTwitch, type TestApp } from './support/app.js';

interface Fixture {
  name: string;
  params: Record<string, unknown>;
}

const FIXTURES: readonly Fixture[] = JSON.parse(
  readFileSync(new URL('./contract/fixtures.generated.json', import.meta.url), 'utf8'),
);
const FIXTURE = new Map(FIXTURES.map((f) => [f.name, f]));
/** TwitchDev, one of the fake's users. */
const USER_ID = '141981764';
const EXTENSION_SECRET = Buffer.from('fake-every-endpoint-extension-secret').toString('base64');
const LIST_LENGTH = 45;

/** The binding (params and response classes) behind every service method. */
const BINDINGS: Map<string, TwitchEndpointBinding> = (() => {
  const returnBinding = (b: TwitchEndpointBinding) => b;
  const capture = { call: returnBinding, iterate: returnBinding } as unknown as TwitchEndpointClient;
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
    const pubsubPerms = { send: ['broadcast'] };
    jwt = await signExtensionJwt({ secret: EXTENSION_SECRET, ownerId: USER_ID, channelId: USER_ID, pubsubPerms });
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
    const create = serviceMethod<Call>(
      t.api,
      TWITCH_ENDPOINTS.find((e) => e.name === 'Create EventSub Subscription')!,
    )!;
    const transport = { method: 'webhook', callback: 'https://example.com/eventsub', secret: 'a-webhook-secret' };
    const created = (await create({ ...sub, transport })) as { data: { id: string }[] };
    return created.data[0].id;
  };

  /** A live EventSub WebSocket session of the fake. */
  const openSession = async (): Promise<{ id: string; ws: WebSocket }> => {
    const ws = new WebSocket(fake.eventSubWsUrl);
    const welcome = await new Promise<{ payload: { session: { id: string } } }>((r) =>
      ws.once('message', (d) => r(JSON.parse(d.toString()))),
    );
    return { id: welcome.payload.session.id, ws };
  };

  /** A conduit of the fake whose shards have every transport shape: webhook, WebSocket, disconnected WebSocket. */
  let conduitId: string | undefined;
  const conduit = async (): Promise<string> => {
    if (conduitId && fake.eventSubWs.conduits.has(conduitId)) return conduitId;
    const id = (await t.api.conduits.createConduits({ shardCount: 4 })).data[0].id;
    const [live, gone] = [await openSession(), await openSession()];
    await t.api.conduits.updateConduitShards({
      conduitId: id,
      shards: [
        { id: '0', transport: { method: 'webhook', callback: `${fake.url}/eventsub-callback`, secret: 'a-webhook-secret' } },
        { id: '1', transport: { method: 'websocket', sessionId: live.id } },
        { id: '2', transport: { method: 'websocket', sessionId: gone.id } },
      ],
    });
    gone.ws.terminate();
    await expect.poll(() => fake.eventSubWs.conduits.get(id)?.shards[2].status).toBe('websocket_disconnected');
    return (conduitId = id);
  };

  /** Valid params per endpoint: the fixture's, adjusted where a dedicated route looks at the fake's state. */
  const paramsFor = async (e: TwitchEndpoint): Promise<Record<string, unknown>> => {
    const params = { ...FIXTURE.get(e.name)!.params };
    switch (e.name) {
      case 'Modify Channel Information':
        return { ...params, broadcasterId: USER_ID };
      case 'Create EventSub Subscription':
        // Webhook subscriptions need a secret; the condition differs from the one Get EventSub Subscriptions creates.
        return {
          ...params,
          condition: { user_id: '1000' },
          transport: { ...(params.transport as object), secret: 'a-webhook-secret' },
        };
      case 'Delete EventSub Subscription':
        return { id: await subscribe({ type: 'user.update', version: '1', condition: { user_id: '1001' } }) };
      // Conduits are kept by the fake: the cases work on one it holds.
      case 'Get Conduits':
        await conduit();
        return params;
      case 'Update Conduits':
        return { ...params, id: await conduit(), shardCount: 4 };
      case 'Delete Conduit':
        return { id: (await t.api.conduits.createConduits({ shardCount: 1 })).data[0].id };
      case 'Get Conduit Shards':
        return { conduitId: await conduit() };
      case 'Update Conduit Shards': {
        type Shard = { id: string; transport: object };
        // Webhook shards need a secret; shard 3 of the fixture is out of a two-shard conduit's range.
        const id = (await t.api.conduits.createConduits({ shardCount: 2 })).data[0].id;
        const shards = (params.shards as Shard[]).map((x) => ({
          ...x,
          transport: { ...x.transport, secret: 'a-webhook-secret' },
        }));
        return { ...params, conduitId: id, shards };
      }
      case 'Get EventSub Subscriptions':
        // The subscriptions of Twitch's example (their conditions have different keys).
        type Sub = { type: string; version: string; condition: object };
        for (const sub of (HELIX_EXAMPLES[e.name].body as { data: Sub[] }).data) {
          await subscribe({ type: sub.type, version: sub.version, condition: sub.condition });
        }
        return params;
      default:
        return params;
    }
  };

  it('has a fixture and a documented example for each of the 149 endpoints', () => {
    expect(TWITCH_ENDPOINTS).toHaveLength(149);
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
    expect(sent.map((r) => [r.method, r.path, r.status])).toEqual([
      [endpoint.method, `/helix${endpoint.path}`, endpoint.successStatus],
    ]);
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

  // EventSub subscriptions and conduit shards page through what the fake holds: not the example's list.
  const paginated = TWITCH_ENDPOINTS.filter(
    (e) => e.paginated && !e.path.startsWith('/eventsub/subscriptions') && !e.path.startsWith('/eventsub/conduits'),
  );
  it('pages through a list for every paginated endpoint: every …Paginated method ends', async () => {
    let iterated = 0;
    for (const e of paginated) {
      const iterate = serviceMethod<Iterate>(t.api, e, `${e.methodName}Paginated`);
      if (!iterate) continue;
      iterated++;
      const params = { ...FIXTURE.get(e.name)!.params };
      delete params.first;
      fake.clearRequests();
      let items = 0;
      for await (const _ of iterate(params, optionsFor(e))) if (++items > 10_000) break;
      const pages = fake.requests.filter((r) => r.route === 'helix').length;
      // Ids asked for (Get Clips `id`, Get Videos `id`…): one item each, one page.
      const idList = Object.entries(params).find(([k, v]) => Array.isArray(v) && /^(id|login)$|(Id|Login)$/.test(k));
      const ids = idList?.[1] as unknown[] | undefined;
      if (e.path === '/streams')
        expect([items, pages], e.name).toEqual([3, 1]); // the dedicated route: the fake's live streams
      else if (ids) expect([items, pages], e.name).toEqual([ids.length, 1]);
      else expect([items, pages], e.name).toEqual([LIST_LENGTH, Math.ceil(LIST_LENGTH / 20)]);
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
    const params = { ...FIXTURE.get(e.name)!.params };
    if (e.name === 'Modify Channel Information') params.broadcasterId = USER_ID;
    fake.clearRequests();
    const error = await serviceMethod<Call>(t.api, e)!(params, { accessToken }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const sent = fake.requests.filter((r) => r.route === 'helix');
    expect(sent.map((r) => r.status)).toEqual([401]);
    const [req] = sent;
    const query = new URLSearchParams(Object.entries(req.query).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v])));
    const again = await fetch(`${fake.url}${req.path}?${query}`, {
      method: req.method,
      headers: {
        'Client-Id': req.headers['client-id'],
        Authorization: req.headers.authorization,
        'Content-Type': 'application/json',
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
    });
    expect(again.status).toBe(401);
    return { error, body: await again.json() };
  };

  const userEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'user');
  const cases = (endpoints: TwitchEndpoint[]) => endpoints.map((endpoint) => ({ name: endpoint.name, endpoint }));
  it.each(cases(userEndpoints))('$name with an app token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, appToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({ error: 'Unauthorized', status: 401, message: 'Missing User OAUTH Token' });
  });

  const appEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'app');
  it.each(cases(appEndpoints))('$name with a user token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, fake.issueUserToken({ userId: USER_ID }).accessToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({
      error: 'Unauthorized',
      status: 401,
      message: 'The Authorization header is required and must specify an app access token',
    });
  });

  const jwtEndpoints = TWITCH_ENDPOINTS.filter((e) => e.auth === 'jwt');
  it.each(cases(jwtEndpoints))('$name with an app token → 401', async ({ endpoint }) => {
    const { error, body } = await failure(endpoint, appToken);
    expect(error).toBeInstanceOf(TwitchUnauthorizedException);
    expect(body).toEqual({ error: 'Unauthorized', status: 401, message: 'The JWT token is not valid' });
  });

  const scoped = TWITCH_ENDPOINTS.filter((e) => e.scopes.length > 0 && (e.auth === 'user' || e.auth === 'either'));
  it.each(cases(scoped))(
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

describe('the generic answers over HTTP', () => {
  let fake: FakeTwitch;
  let app: string;
  let user: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start({
      extensionSecret: EXTENSION_SECRET,
      exampleListLength: 7,
      // A bucket that refills one point a day: point counts compared across requests never race a refill.
      rateLimit: { capacity: 800, refillMs: 800 * 86_400_000 },
    });
    app = fake.issueAppToken();
    const scopes = [...new Set(TWITCH_ENDPOINTS.flatMap((e) => e.scopes.flat()))];
    user = fake.issueUserToken({ userId: USER_ID, scopes }).accessToken;
  });
  afterAll(async () => {
    await fake?.close();
  });

  const helix = (path: string, token?: string, init: { method?: string; body?: unknown; clientId?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (init.clientId !== null) headers['Client-Id'] = init.clientId ?? fake.clientId;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    return fetch(`${fake.helixUrl}${path}`, { method: init.method ?? 'GET', headers, body });
  };
  const json = async (res: Response) => (await res.json()) as Record<string, any>;
  const remaining = (res: Response) => Number(res.headers.get('ratelimit-remaining'));

  it('a path Helix does not have → 404, a known path with another method → 405 with Allow; neither costs a point', async () => {
    const before = remaining(await helix('/games/top', app));
    const unknown = await helix('/games/nope', app);
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ error: 'Not Found', status: 404 });
    const wrong = await helix('/games/top', app, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await json(wrong)).toMatchObject({ error: 'Method Not Allowed', status: 405 });
    expect((await helix('/users', app, { method: 'PATCH' })).headers.get('allow')).toBe('GET, PUT');
    expect(remaining(unknown)).toBe(before);
    expect(remaining(await helix('/games/top', app))).toBe(before - 1);
  });

  it('a required query parameter or body field missing → 400 in Twitch’s words', async () => {
    const res = await helix('/channels/ads', user);
    expect(res.status).toBe(400);
    const missing = { error: 'Bad Request', status: 400, message: 'Missing required parameter "broadcaster_id"' };
    expect(await json(res)).toEqual(missing);
    const rewards = `/channel_points/custom_rewards?broadcaster_id=${USER_ID}`;
    const noCost = await helix(rewards, user, { method: 'POST', body: { title: 'x' } });
    expect(await json(noCost)).toEqual({ error: 'Bad Request', status: 400, message: 'Missing required parameter "cost"' });
    expect((await helix('/channels/ads?broadcaster_id=1', user)).status).toBe(200);
  });

  it('reflects ids: list parameters choose the items, single values fill every item, known users their names', async () => {
    const clips = await json(await helix('/clips?id=a&id=b&id=c', app));
    expect(clips.data.map((c: { id: string }) => c.id)).toEqual(['a', 'b', 'c']);
    expect(clips.pagination).toEqual({});

    const colors = await json(await helix(`/chat/color?user_id=${USER_ID}&user_id=527115020&user_id=99`, app));
    expect(colors.data.map((c: Record<string, string>) => [c.user_id, c.user_login, c.user_name])).toEqual([
      [USER_ID, 'twitchdev', 'TwitchDev'],
      ['527115020', 'twitchgaming', 'TwitchGaming'],
      ['99', 'speedyspeedster1', 'SpeedySpeedster1'], // unknown to the fake: the example's names
    ]);

    const rewards = await json(await helix(`/channel_points/custom_rewards?broadcaster_id=${USER_ID}`, user));
    const broadcaster = { broadcaster_id: USER_ID, broadcaster_login: 'twitchdev', broadcaster_name: 'TwitchDev' };
    expect(rewards.data[0]).toMatchObject(broadcaster);

    const choices = [{ title: 'Heads' }, { title: 'Tails' }];
    const pollBody = { broadcaster_id: '527115020', title: 'Heads or Tails?', choices, duration: 60 };
    const poll = await json(await helix('/polls', user, { method: 'POST', body: pollBody }));
    expect(poll.data[0]).toMatchObject({ broadcaster_id: '527115020', broadcaster_login: 'twitchgaming' });
  });

  it('pages through a deterministic list with first, after and before; total counts the list', async () => {
    const path = `/channels/followers?broadcaster_id=${USER_ID}&first=3`;
    const pages: Record<string, any>[] = [];
    let after = '';
    do {
      pages.push(await json(await helix(`${path}${after ? `&after=${encodeURIComponent(after)}` : ''}`, user)));
      after = pages.at(-1)!.pagination.cursor ?? '';
    } while (after && pages.length < 10);
    expect(pages.map((p) => p.data.length)).toEqual([3, 3, 1]);
    expect(pages.at(-1)!.pagination).toEqual({});
    expect(pages.every((p) => p.total === 7)).toBe(true);
    const ids = pages.flatMap((p) => p.data.map((f: { user_id: string }) => f.user_id));
    expect(new Set(ids).size).toBe(7);
    expect(await json(await helix(path, user))).toEqual(pages[0]);
    const back = await json(await helix(`${path}&before=${encodeURIComponent(pages[1].pagination.cursor)}`, user));
    expect(back.data).toEqual(pages[0].data);

    const tooMany = await helix(`/channels/followers?broadcaster_id=${USER_ID}&first=101`, user);
    expect(await json(tooMany)).toEqual({
      error: 'Bad Request',
      status: 400,
      message: 'The parameter "first" was malformed: the value must be between 1 and 100',
    });
    const foreign = await helix(`/clips?broadcaster_id=1&first=1`, app).then(json);
    const mixed = await helix(`${path}&after=${encodeURIComponent(foreign.pagination.cursor)}`, user);
    expect(mixed.status).toBe(400);

    // Get Extension Live Channels sends its cursor as a string, as Twitch does.
    const live = await json(await helix('/extensions/live?extension_id=x&first=5', app));
    expect([live.data.length, typeof live.pagination]).toEqual([5, 'string']);
    const next = encodeURIComponent(live.pagination);
    const rest = await json(await helix(`/extensions/live?extension_id=x&first=5&after=${next}`, app));
    expect([rest.data.length, rest.pagination]).toEqual([2, '']);
  });

  it('answers the catalog’s success status: 204 without a body, 202; with the token bucket’s headers', async () => {
    const bans = `/moderation/bans?broadcaster_id=${USER_ID}&moderator_id=${USER_ID}&user_id=1`;
    const unban = await helix(bans, user, { method: 'DELETE' });
    expect(unban.status).toBe(204);
    expect(unban.headers.get('content-type')).toBeNull();
    expect(await unban.text()).toBe('');
    const clip = await helix(`/clips?broadcaster_id=${USER_ID}`, user, { method: 'POST' });
    expect(clip.status).toBe(202);
    expect(remaining(clip)).toBe(remaining(unban) - 1);
    expect(Number(clip.headers.get('ratelimit-limit'))).toBe(800);
  });

  it('app tokens skip the scope check of endpoints taking either kind; user tokens do not', async () => {
    const body = { broadcaster_id: USER_ID, sender_id: USER_ID, message: 'hi' };
    expect((await helix('/chat/messages', app, { method: 'POST', body })).status).toBe(200);
    const bare = fake.issueUserToken({ userId: USER_ID }).accessToken;
    const refused = await helix('/chat/messages', bare, { method: 'POST', body });
    expect(await json(refused)).toEqual({
      error: 'Unauthorized',
      status: 401,
      message: 'Missing scope: user:write:chat or user:bot and channel:bot',
    });
    const bot = fake.issueUserToken({ userId: USER_ID, scopes: ['user:bot', 'channel:bot'] }).accessToken;
    expect((await helix('/chat/messages', bot, { method: 'POST', body })).status).toBe(200);
  });

  it('Extension endpoints take an Extension JWT signed with the extension secret', async () => {
    const jwt = await signExtensionJwt({ secret: EXTENSION_SECRET, ownerId: USER_ID });
    expect((await helix('/extensions/jwt/secrets', jwt)).status).toBe(200);
    const otherSecret = await signExtensionJwt({ secret: Buffer.from('another secret').toString('base64'), ownerId: USER_ID });
    expect(await json(await helix('/extensions/jwt/secrets', otherSecret))).toEqual({
      error: 'Unauthorized',
      status: 401,
      message: 'The JWT token is not valid',
    });
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = { exp: Math.floor(Date.now() / 1000) - 10, user_id: USER_ID, role: 'external' };
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    const signature = createHmac('sha256', Buffer.from(EXTENSION_SECRET, 'base64')).update(unsigned).digest('base64url');
    const expired = await json(await helix('/extensions/jwt/secrets', `${unsigned}.${signature}`));
    expect(expired.message).toBe('The JWT token has expired');
    expect((await helix('/extensions/jwt/secrets', jwt, { clientId: null })).status).toBe(401);
    expect((await helix('/extensions/jwt/secrets')).status).toBe(401);

    let seen: Record<string, unknown> | undefined;
    fake.route('GET', '/extensions/jwt/secrets', (req) => ((seen = req.extension), { status: 200, body: { data: [] } }));
    expect((await helix('/extensions/jwt/secrets', jwt)).status).toBe(200);
    expect(seen).toMatchObject({ user_id: USER_ID, role: 'external' });
  });

  it('route() and respondWith() win over the dedicated routes and the generic answers, and replace their checks', async () => {
    fake.respondWith('GET', '/users', 200, { data: [] });
    expect(await json(await helix(`/users?id=${USER_ID}`, app))).toEqual({ data: [] });
    fake.route('GET', '/channels/followed', (req) => ({
      status: 200,
      body: { data: [], total: 0, pagination: {}, kind: req.token?.kind },
    }));
    const followed = await json(await helix('/channels/followed', app)); // an app token, no user_id: the handler decides
    expect(followed).toEqual({ data: [], total: 0, pagination: {}, kind: 'app' });
  });
});

describe('an endpoint without a documented example', () => {
  const request = (method: string, path: string) => ({
    method,
    path: `/helix${path}`,
    route: 'helix' as const,
    query: {},
    headers: {},
    body: undefined,
    at: 0,
  });
  const state = { users: new Map(), channels: new Map(), streams: [], eventSubSubscriptions: new Map() };
  const answer = (method: string, path: string) => {
    const route = catalogRoute(method, path)!;
    return catalogAnswer({ ...route, example: undefined }, request(method, path), { state, listLength: 5 });
  };

  it('answers { data: [] } (with an empty pagination when paginated), or 204 as the catalog says', () => {
    expect(answer('GET', '/clips')).toEqual({ status: 200, body: { data: [], pagination: {} } });
    expect(answer('GET', '/chat/settings')).toEqual({ status: 200, body: { data: [] } });
    expect(answer('POST', '/clips')).toEqual({ status: 202, body: { data: [] } });
    expect(answer('DELETE', '/moderation/bans')).toEqual({ status: 204 });
  });
});
