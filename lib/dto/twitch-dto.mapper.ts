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
 * class-transformer's `plainToInstance` for the declared fields; the per-class plan is built once,
 * so mapping costs one property copy per field.
 */
export function mapTwitchDto<T>(cls: new () => T, raw: unknown): T {
  if (raw === null || raw === undefined || typeof raw !== 'object') return raw as T;
  if (Array.isArray(raw)) return raw.map((item) => mapTwitchDto(cls, item)) as T;
  let mapper = compiled.get(cls);
  if (!mapper) {
    mapper = compile(cls as unknown as new () => Record<string, unknown>);
    compiled.set(cls, mapper);
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
  return (raw) => {
    const out = new cls();
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const v = raw[p.name];
      if (v === undefined) continue;
      if (p.kind === 'plain') out[p.key] = v;
      else if (p.kind === 'date') out[p.key] = Array.isArray(v) ? v.map(toTwitchDate) : toTwitchDate(v);
      else out[p.key] = mapTwitchDto(p.nested as new () => unknown, v);
    }
    return out;
  };
}
