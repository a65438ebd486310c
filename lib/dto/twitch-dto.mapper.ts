import { getTwitchFields, toTwitchDate } from './twitch-field.decorator.js';

type Mapper = (raw: Record<string, unknown>) => unknown;
interface Plan {
  key: string;
  name: string;
  kind: 'plain' | 'date' | 'nested';
  nested?: Function;
}

/** A DTO class with its own static mapper (every generated Helix DTO has one). */
interface WithMapper {
  fromTwitch(raw: Record<string, unknown>): unknown;
}

const mappers = new WeakMap<Function, Mapper>();

/**
 * Maps Twitch's JSON onto a DTO class declared with `@TwitchField`. The result equals
 * class-transformer's `plainToInstance` for the declared fields. A class's own static
 * `fromTwitch(raw)` does the work when it has one (the generated Helix DTOs: plain code, one property
 * copy per field); any other `@TwitchField` class is mapped by walking its declared fields. Arrays are
 * mapped item by item; arrays and objects are copied, never shared with `raw`.
 */
export function mapTwitchDto<T>(cls: new () => T, raw: unknown): T {
  if (raw === null || raw === undefined || typeof raw !== 'object') return raw as T;
  let mapper = mappers.get(cls);
  if (!mapper) {
    mapper = mapperOf(cls as unknown as new () => Record<string, unknown>);
    mappers.set(cls, mapper);
  }
  if (Array.isArray(raw)) {
    const out = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const item = raw[i];
      out[i] =
        item === null || item === undefined || typeof item !== 'object'
          ? item
          : Array.isArray(item)
            ? mapTwitchDto(cls, item)
            : mapper(item);
    }
    return out as T;
  }
  return mapper(raw as Record<string, unknown>) as T;
}

/** A field copied as it is: numbers, strings and booleans unchanged, arrays and objects copied. */
export function twitchPlain(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? cloneJson(v) : v;
}

/** A timestamp field (or a list of them) as `Date`; an empty string or null becomes `null`. */
export function twitchDate(v: unknown): unknown {
  return Array.isArray(v) ? v.map(toTwitchDate) : toTwitchDate(v);
}

function mapperOf(cls: new () => Record<string, unknown>): Mapper {
  if (Object.hasOwn(cls, 'fromTwitch')) {
    const own = (cls as unknown as WithMapper).fromTwitch;
    if (typeof own === 'function') return (raw) => own.call(cls, raw);
  }
  const plans: Plan[] = getTwitchFields(cls).map((f) => {
    const type = f.type?.();
    if (type === Date) return { key: f.key, name: f.name, kind: 'date' };
    if (type) return { key: f.key, name: f.name, kind: 'nested', nested: type };
    return { key: f.key, name: f.name, kind: 'plain' };
  });
  return (raw) => {
    const out = new cls();
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const v = raw[p.name];
      if (v === undefined) continue;
      if (p.kind === 'plain') out[p.key] = twitchPlain(v);
      else if (p.kind === 'date') out[p.key] = twitchDate(v);
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
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}
