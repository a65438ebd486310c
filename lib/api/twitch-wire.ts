import type { TwitchWireField } from './twitch-endpoint.interface.js';

/** Builds the wire object (Twitch's snake_case names) from camelCase params, following the field list. */
export function toWire(fields: readonly TwitchWireField[], params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = params[f.key];
    if (v === undefined) continue;
    out[f.name] = f.fields ? nested(f.fields, v) : v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

function nested(fields: readonly TwitchWireField[], v: unknown): unknown {
  if (Array.isArray(v)) return v.map((item) => nested(fields, item));
  if (v && typeof v === 'object' && !(v instanceof Date)) return toWire(fields, v as Record<string, unknown>);
  return v;
}
