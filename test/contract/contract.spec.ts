/**
 * Contract tests: every Helix operation of the catalog, through the real pipeline, against the fake
 * Twitch answering Twitch's documented example. Generated from the catalog and
 * test/contract/fixtures.generated.json (one test per operation), not from hand lists.
 *
 * - the request the fake receives has the fixture's method, path, query and JSON body (Twitch's
 *   names), `Client-Id` and the right bearer token;
 * - the result is `undefined` (204), the text (iCalendar) or an instance of the response DTO whose
 *   `instanceToPlain` equals the documented example, with no example key lost;
 * - bad params (a required one missing, `first` out of range, a wrong enum value) are refused with
 *   `TwitchValidationException` naming the field, and nothing reaches the fake. The rules come from
 *   the params classes' class-validator metadata, cross-checked against scripts/helix-model.json.
 */
import { readFileSync } from 'node:fs';
import { instanceToPlain } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TwitchEndpointBinding, TwitchEndpointClient } from '../../lib/api/twitch-endpoint-binding.js';
import type { TwitchEndpoint } from '../../lib/api/twitch-endpoint.interface.js';
import { signExtensionJwt } from '../../lib/auth/extension-jwt.js';
import { getTwitchFields } from '../../lib/dto/twitch-field.decorator.js';
import { TwitchValidationException } from '../../lib/exceptions/twitch-validation.exception.js';
import { TWITCH_ENDPOINTS } from '../../lib/generated/catalog.js';
import { TwitchApiNamespaces } from '../../lib/generated/twitch-api.namespaces.js';
import type { TwitchRequestOptions } from '../../lib/interfaces/twitch-request-options.interface.js';
import { HELIX_EXAMPLES } from '../../lib/testing/generated/helix-examples.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';

/** One operation of test/contract/fixtures.generated.json. */
interface ContractFixture {
  name: string;
  namespace: string;
  methodName: string;
  params: Record<string, unknown>;
  wire: { method: string; path: string; query: Record<string, string[]>; body: unknown };
  response?: unknown;
}

/** One parameter of scripts/helix-model.json (only what these tests read). */
interface ModelParam {
  name: string;
  required: boolean;
  schema: { type?: string; enum?: unknown[]; items?: { enum?: unknown[] } };
  limits?: { min?: number; max?: number };
}

/** One operation of scripts/helix-model.json (only what these tests read). */
interface ModelOperation {
  name: string;
  method: string;
  path: string;
  query: ModelParam[];
  body: { required: boolean; fields: ModelParam[] } | null;
}

const readJson = <T>(relative: string): T => JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as T;

const FIXTURES: readonly ContractFixture[] = readJson('./fixtures.generated.json');
const MODEL: { operations: ModelOperation[] } = readJson('../../scripts/helix-model.json');

/**
 * The binding behind every `TwitchApiService` method, captured by running the generated namespace
 * classes against a client that returns the binding it is given.
 */
function captureBindings(): Map<string, TwitchEndpointBinding> {
  const capture = {
    call: (binding: TwitchEndpointBinding) => binding,
    iterate: (binding: TwitchEndpointBinding) => binding,
  } as unknown as TwitchEndpointClient;
  const api = new TwitchApiNamespaces(capture) as unknown as Record<string, Record<string, (p: object) => unknown>>;
  const out = new Map<string, TwitchEndpointBinding>();
  for (const e of TWITCH_ENDPOINTS) {
    const method = api[e.namespace]?.[e.methodName];
    if (typeof method !== 'function') continue;
    out.set(e.name, method.call(api[e.namespace], {}) as TwitchEndpointBinding);
  }
  return out;
}

/** What class-validator knows about one top-level property of a params class. */
interface ParamRule {
  key: string;
  required: boolean;
  /** `@IsIn` values, and whether they apply to each array item. */
  enum?: { values: unknown[]; each: boolean };
  /** `@Max` on the property. */
  max?: number;
  /** `@Min` on the property. */
  min?: number;
}

/** The top-level properties of a params class, from its class-validator metadata. */
function paramRules(cls: Function): ParamRule[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const byKey = new Map<string, ParamRule>();
  for (const m of metas) {
    const key = m.propertyName;
    let rule = byKey.get(key);
    if (!rule) byKey.set(key, (rule = { key, required: true }));
    if (m.type === 'conditionalValidation') rule.required = false;
    if (m.name === 'isIn') rule.enum = { values: (m.constraints?.[0] as unknown[]) ?? [], each: !!m.each };
    if (m.name === 'max') rule.max = m.constraints?.[0] as number;
    if (m.name === 'min') rule.min = m.constraints?.[0] as number;
  }
  return [...byKey.values()];
}

/** Top-level params of an operation in the model (query and body fields). */
const modelParams = (op: ModelOperation): ModelParam[] => [...op.query, ...(op.body?.fields ?? [])];

/**
 * Twitch's example JSON as the DTO mapper should reproduce it after `instanceToPlain`: timestamps of
 * `Date` fields as ISO strings (so they compare by time value), `''` and `null` of `Date` fields as
 * `null` (the mapper's "not set"), everything else verbatim.
 */
function expectedPlain(cls: Function | undefined, raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map((item) => expectedPlain(cls, item));
  if (!cls || raw === null || typeof raw !== 'object') return raw;
  const fields = getTwitchFields(cls);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const field = fields.find((f) => f.name === name);
    const type = field?.type?.();
    if (type === Date) out[name] = Array.isArray(value) ? value.map(isoOrNull) : isoOrNull(value);
    else if (type) out[name] = expectedPlain(type, value);
    else out[name] = value;
  }
  return out;
}

function isoOrNull(value: unknown): unknown {
  if (value === '' || value === null) return null;
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? value : new Date(time).toISOString();
}

/** Paths of keys present in `expected` (recursively) that `actual` lacks. */
function missingKeys(actual: unknown, expected: unknown, path = '$'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return actual === undefined ? [path] : [];
    return expected.flatMap((item, i) => missingKeys(actual[i], item, `${path}[${i}]`));
  }
  if (expected === null || typeof expected !== 'object') return [];
  if (actual === null || typeof actual !== 'object') return actual === undefined ? [path] : [];
  const a = actual as Record<string, unknown>;
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
    a[k] === undefined ? [`${path}.${k}`] : missingKeys(a[k], v, `${path}.${k}`),
  );
}

/** The scopes a user token needs for an endpoint: the first alternative. */
const firstScopes = (e: TwitchEndpoint): string[] => [...(e.scopes[0] ?? [])];

// ───────────────────────────────────────────────────────────────────────────── cases

const BINDINGS = captureBindings();
const FIXTURE_BY_NAME = new Map(FIXTURES.map((f) => [f.name, f]));
const MODEL_BY_NAME = new Map(MODEL.operations.map((o) => [o.name, o]));
/** User the user tokens belong to (TwitchDev). */
const USER_ID = '141981764';

interface Case {
  name: string;
  endpoint: TwitchEndpoint;
  fixture: ContractFixture;
  binding: TwitchEndpointBinding;
  model: ModelOperation;
}

const CASES: Case[] = TWITCH_ENDPOINTS.map((endpoint) => ({
  name: endpoint.name,
  endpoint,
  fixture: FIXTURE_BY_NAME.get(endpoint.name)!,
  binding: BINDINGS.get(endpoint.name)!,
  model: MODEL_BY_NAME.get(endpoint.name)!,
}));

const callOf = (api: TestApp['api'], c: Case) =>
  (api as unknown as Record<string, Record<string, (p: object, o?: TwitchRequestOptions) => Promise<unknown>>>)[
    c.endpoint.namespace
  ][c.endpoint.methodName].bind((api as unknown as Record<string, object>)[c.endpoint.namespace]);

describe('contract: the catalog, the fixtures and the service agree', () => {
  it('covers all 149 operations, each with a fixture, a model entry and a service method', () => {
    expect(TWITCH_ENDPOINTS).toHaveLength(149);
    expect(new Set(TWITCH_ENDPOINTS.map((e) => e.name)).size).toBe(149);
    expect(FIXTURES.map((f) => f.name)).toEqual(TWITCH_ENDPOINTS.map((e) => e.name));
    for (const c of CASES) {
      expect(c.fixture, c.name).toBeDefined();
      expect(c.model, c.name).toBeDefined();
      expect(c.binding, `${c.endpoint.namespace}.${c.endpoint.methodName}`).toBeDefined();
      // The service method sends this very endpoint.
      expect(c.binding.endpoint, c.name).toBe(c.endpoint);
      expect([c.fixture.namespace, c.fixture.methodName], c.name).toEqual([c.endpoint.namespace, c.endpoint.methodName]);
    }
  });
});

describe('contract: every endpoint against Twitch’s documented example', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  let extensionJwt: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake);
    extensionJwt = await signExtensionJwt({
      secret: Buffer.from('contract-test-extension-secret').toString('base64'),
      ownerId: USER_ID,
      channelId: USER_ID,
      pubsubPerms: { send: ['broadcast'] },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  it.each(CASES)('$name', async (c) => {
    const { endpoint, fixture, binding } = c;
    const { method, path } = fixture.wire;
    const example = HELIX_EXAMPLES[c.name];
    expect(example, 'documented example').toBeDefined();
    expect([example.method, example.path, example.status]).toEqual([method, path, endpoint.successStatus]);

    // The fake answers the documented route (from the fixture, not the catalog) with the example.
    const body = endpoint.successStatus === 204 ? undefined : example.body;
    fake.respondWith(method, path, endpoint.successStatus, body);
    let options: TwitchRequestOptions = {};
    let token: string | undefined;
    if (endpoint.auth === 'user') {
      token = fake.issueUserToken({ userId: USER_ID, scopes: firstScopes(endpoint) }).accessToken;
      options = { accessToken: token };
    } else if (endpoint.auth === 'jwt') {
      // The fake only accepts tokens it issued, and an Extension JWT is checked by Twitch against the
      // extension secret, which the fake does not model: a one-shot response for exactly this route
      // stands in for the Helix route (it answers before the fake's token check; the request is still
      // recorded, so everything below is asserted the same way).
      token = extensionJwt;
      options = { accessToken: token };
      fake.inject({ method, path, status: endpoint.successStatus, body });
    } else if (endpoint.auth === 'app' || endpoint.auth === 'either') {
      token = await t.auth.getAppToken();
    }

    // Settle first, so a wrong method or path shows up as a request mismatch rather than a 404.
    const outcome = await callOf(t.api, c)(fixture.params, options).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );

    // The request, as Twitch would see it.
    const helix = fake.requests.filter((r) => r.route === 'helix');
    expect(helix.map((r) => `${r.method} ${r.path}`)).toEqual([`${method} /helix${path}`]);
    expect([endpoint.method, endpoint.path], 'catalog method and path').toEqual([method, path]);
    const [req] = helix;
    expect(req.query, 'query').toEqual(fixture.wire.query);
    expect(req.body ?? null, 'JSON body').toEqual(fixture.wire.body);
    if (fixture.wire.body !== null) expect(req.headers['content-type']).toMatch(/^application\/json/);
    if (endpoint.auth === 'none') {
      expect(req.headers.authorization).toBeUndefined();
      expect(req.headers['client-id']).toBeUndefined();
    } else {
      expect(req.headers['client-id']).toBe(fake.clientId);
      expect(req.headers.authorization).toBe(`Bearer ${token}`);
    }
    expect(req.status).toBe(endpoint.successStatus);

    // The result.
    if (!outcome.ok) throw outcome.error;
    const result = outcome.value;
    if (endpoint.successStatus === 204) {
      expect(result).toBeUndefined();
      return;
    }
    if (binding.text) {
      expect(typeof example.body).toBe('string');
      expect(result).toBe(example.body);
      return;
    }
    expect(binding.response, 'response DTO class').toBeDefined();
    expect(result).toBeInstanceOf(binding.response!);
    const plain = instanceToPlain(result);
    expect(missingKeys(plain, example.body), 'example keys lost by the mapping').toEqual([]);
    expect(plain).toEqual(expectedPlain(binding.response, example.body));
  });
});

describe('contract: bad params are refused before anything is sent', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  const options: TwitchRequestOptions = { accessToken: 'never-sent' };

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => fake.clearRequests());

  const rulesOf = (c: Case) => paramRules(c.binding.params);

  /** Calls with `params`; expects a TwitchValidationException naming exactly `key` and no request. */
  async function expectRefused(c: Case, params: Record<string, unknown>, key: string): Promise<void> {
    const error = await callOf(t.api, c)(params, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `${c.name} accepted ${JSON.stringify(params)}`).toBeInstanceOf(TwitchValidationException);
    const fields = (error as TwitchValidationException).fields.map((f) => f.field);
    expect(fields, (error as Error).message).toEqual([key]);
    expect((error as Error).message).toContain(key);
    expect(fake.requests, 'requests that reached the fake').toEqual([]);
  }

  it('the params classes match the model: same required params, `first` bounds and enums', () => {
    for (const c of CASES) {
      const rules = new Map(rulesOf(c).map((r) => [r.key, r]));
      const model = modelParams(c.model);
      expect(rules.size, `${c.name}: one params property per model param`).toBe(model.length);
      expect(rulesOf(c).filter((r) => r.required).length, `${c.name}: required params`).toBe(
        model.filter((p) => p.required).length,
      );
      const first = model.find((p) => p.name === 'first');
      if (first) {
        const rule = rules.get('first');
        expect(rule, `${c.name}: first`).toBeDefined();
        expect([rule!.min, rule!.max], `${c.name}: first bounds`).toEqual([first.limits?.min, first.limits?.max]);
      }
      const enums = model.filter((p) => p.schema.enum ?? p.schema.items?.enum).length;
      expect(rulesOf(c).filter((r) => r.enum).length, `${c.name}: enum params`).toBe(enums);
    }
  });

  const required = CASES.flatMap((c) =>
    rulesOf(c)
      .filter((r) => r.required)
      .map((r) => ({ name: c.name, key: r.key, c })),
  );
  it.each(required)('$name without $key', async ({ c, key }) => {
    const params = { ...c.fixture.params };
    expect(params[key], 'the fixture sets every required param').toBeDefined();
    delete params[key];
    await expectRefused(c, params, key);
  });

  const paged = CASES.filter((c) => rulesOf(c).some((r) => r.key === 'first'));
  it('every `first` has bounds 1..max with max ≤ 1000', () => {
    expect(paged.length).toBeGreaterThan(25);
    for (const c of paged) {
      const rule = rulesOf(c).find((r) => r.key === 'first')!;
      expect(rule.min, c.name).toBe(1);
      expect(rule.max, c.name).toBeGreaterThanOrEqual(1);
      expect(rule.max, c.name).toBeLessThanOrEqual(1000);
    }
  });
  /** 0, and the first value above the endpoint's max (101 for the usual 1..100). */
  const outOfRange = (c: Case) => [0, rulesOf(c).find((r) => r.key === 'first')!.max! + 1];
  it.each(paged.flatMap((c) => outOfRange(c).map((first) => ({ name: c.name, first, c }))))(
    '$name with first: $first',
    async ({ c, first }) => {
      await expectRefused(c, { ...c.fixture.params, first }, 'first');
    },
  );

  const enums = CASES.flatMap((c) =>
    rulesOf(c)
      .filter((r) => r.enum)
      .map((r) => ({ name: c.name, key: r.key, each: r.enum!.each, c })),
  );
  it.each(enums)('$name with a wrong $key', async ({ c, key, each }) => {
    const wrong = 'not-a-twitch-value';
    await expectRefused(c, { ...c.fixture.params, [key]: each ? [wrong] : wrong }, key);
  });
});
