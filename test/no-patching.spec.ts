// The hot path is plain generated code: no wrapping of class-validator, no code compiled at run time, and
// the generated params checks never accept what class-validator refuses.
import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { afterEach, describe, expect, it } from 'vitest';
import type { TwitchEndpointBinding, TwitchEndpointClient } from '../lib/api/twitch-endpoint-binding.js';
import '../lib/api/twitch-endpoint.caller.js';
import { mapTwitchDto } from '../lib/dto/twitch-dto.mapper.js';
import { TWITCH_ENDPOINTS } from '../lib/generated/catalog.js';
import { GetStreamsResponse, Stream } from '../lib/generated/streams/streams.dto.js';
import { TwitchApiNamespaces } from '../lib/generated/twitch-api.namespaces.js';
import { HELIX_EXAMPLES } from '../lib/testing/generated/helix-examples.js';

const root = resolve(import.meta.dirname, '..');
const FIXTURES = JSON.parse(readFileSync(join(root, 'test/contract/fixtures.generated.json'), 'utf8')) as {
  name: string;
  params: Record<string, unknown>;
}[];
const VALIDATE_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false } as const;

function captureBindings(): Map<string, TwitchEndpointBinding> {
  const capture = {
    call: (b: TwitchEndpointBinding) => b,
    iterate: (b: TwitchEndpointBinding) => b,
  } as unknown as TwitchEndpointClient;
  const api = new TwitchApiNamespaces(capture) as unknown as Record<string, Record<string, (p: object) => unknown>>;
  return new Map(
    TWITCH_ENDPOINTS.map((e) => [e.name, api[e.namespace][e.methodName].call(api[e.namespace], {}) as TwitchEndpointBinding]),
  );
}
const BINDINGS = captureBindings();

const classValidatorAccepts = (binding: TwitchEndpointBinding, params: object): boolean =>
  validateSync(plainToInstance(binding.params, params) as object, VALIDATE_OPTIONS).length === 0;

/** Values a caller could pass by mistake (or on purpose) for any one property. */
const ODD_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'not-a-twitch-value',
  'x'.repeat(600),
  '😀'.repeat(3),
  '\uFE0F',
  0,
  -1,
  1,
  1.5,
  100,
  101,
  1000,
  1e9,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  [],
  [''],
  ['x'],
  [1],
  [null],
  Array.from({ length: 101 }, (_, i) => `${i}`),
  {},
  { x: 1 },
  new Date('2021-03-10T15:04:21Z'),
  new Date('nope'),
  '2021-03-10T15:04:21Z',
  '2021-13-40T99:99:99Z',
  new Map(),
];

/** Every params object one change away from `params`: a leaf replaced, a key dropped, or an unknown key added, at any depth. */
function variants(params: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ ...params, notATwitchParam: 'x' }];
  for (const [key, value] of Object.entries(params)) {
    const without = { ...params };
    delete without[key];
    out.push(without);
    for (const odd of ODD_VALUES) out.push({ ...params, [key]: odd });
    if (Array.isArray(value)) {
      out.push({ ...params, [key]: [...value, ...value] });
      value.forEach((item, i) => {
        if (item && typeof item === 'object' && !Array.isArray(item)) {
          for (const inner of variants(item as Record<string, unknown>))
            out.push({ ...params, [key]: value.map((v, j) => (i === j ? inner : v)) });
        } else {
          for (const odd of ODD_VALUES) out.push({ ...params, [key]: value.map((v, j) => (i === j ? odd : v)) });
        }
      });
    } else if (value && typeof value === 'object' && !(value instanceof Date)) {
      for (const inner of variants(value as Record<string, unknown>)) out.push({ ...params, [key]: inner });
    }
  }
  return out;
}

describe('generated params checks', () => {
  it('every binding has one, and it passes the documented params (so the common call skips class-validator)', () => {
    for (const f of FIXTURES) {
      const binding = BINDINGS.get(f.name)!;
      expect(typeof binding.valid, f.name).toBe('function');
      expect(classValidatorAccepts(binding, f.params), `${f.name}: class-validator`).toBe(true);
      expect(binding.valid!(f.params), `${f.name}: quick check`).toBe(true);
    }
  });

  it('never accept what class-validator refuses (one change away from the documented params, all endpoints)', () => {
    let refused = 0;
    let checked = 0;
    for (const f of FIXTURES) {
      const binding = BINDINGS.get(f.name)!;
      for (const params of variants(f.params)) {
        checked++;
        const accepts = classValidatorAccepts(binding, params);
        if (!accepts) refused++;
        if (binding.valid!(params)) expect(accepts, `${f.name} ${JSON.stringify(params)}`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(refused).toBeGreaterThan(5_000);
  });
});

describe('no patching of dependencies', () => {
  const realFunction = globalThis.Function;
  afterEach(() => {
    globalThis.Function = realFunction;
  });

  it("class-validator's metadata storage is its own (nothing wrapped)", () => {
    const storage = getMetadataStorage();
    expect(Object.hasOwn(storage, 'getTargetValidationMetadatas')).toBe(false);
    expect(storage.getTargetValidationMetadatas).toBe(Object.getPrototypeOf(storage).getTargetValidationMetadatas);
  });

  it('mapping an answer compiles no code: the generated DTOs carry a static mapper that mapTwitchDto runs', () => {
    let compiled = 0;
    globalThis.Function = new Proxy(realFunction, {
      construct(target, args) {
        compiled++;
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        compiled++;
        return Reflect.apply(target, self, args);
      },
    });
    const body = HELIX_EXAMPLES['Get Streams'].body;
    const mapped = mapTwitchDto(GetStreamsResponse, body);
    expect(compiled).toBe(0);
    expect(Object.hasOwn(GetStreamsResponse, 'fromTwitch')).toBe(true);
    expect(mapped).toBeInstanceOf(GetStreamsResponse);
    expect(instanceToPlain(mapped)).toEqual(instanceToPlain(plainToInstance(GetStreamsResponse, body)));
  });

  it("a subclass of a generated DTO is mapped onto itself (the parent's own fromTwitch is not used for it)", () => {
    class LiveStream extends Stream {}
    const raw = (HELIX_EXAMPLES['Get Streams'].body as { data: Record<string, unknown>[] }).data[0];
    const mapped = mapTwitchDto(LiveStream, raw);
    expect(mapped).toBeInstanceOf(LiveStream);
    expect(instanceToPlain(mapped)).toEqual(instanceToPlain(Stream.fromTwitch(raw)));
    expect(mapped.startedAt).toBeInstanceOf(Date);
  });

  it('the library source compiles no code at run time and neither replaces nor reads class-validator internals', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const abs = join(dir, name);
        if (statSync(abs).isDirectory()) walk(abs);
        else if (name.endsWith('.ts')) files.push(abs);
      }
    };
    walk(join(root, 'lib'));
    // The generator writes down what the module (and its fake Twitch) needs to know about the rules, so nothing
    // looks into class-validator's metadata storage, let alone replaces its methods.
    const patching = /new Function\b|\bFunction\(\s*['"`]|getMetadataStorage|validationMetadatas\b|(?<![.\w])eval\(/;
    const offending = files.filter((f) => patching.test(readFileSync(f, 'utf8')));
    expect(offending.map((f) => f.slice(root.length + 1))).toEqual([]);
  });
});
