import { validateSync } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { TWITCH_EVENTSUB_TYPES } from '../generated/eventsub/index.js';
import type { TwitchEventSubTypeInfo } from './twitch-eventsub-type.interface.js';

let byKey: Map<string, TwitchEventSubTypeInfo> | undefined;

/**
 * Types whose notifications Twitch batches: the body carries `events: [{ id, data }]` instead of `event`, and
 * the subscription is created with `is_batching_enabled: true`.
 */
export const TWITCH_EVENTSUB_BATCHED_TYPES: ReadonlySet<string> = new Set(['drop.entitlement.grant']);

/** The catalog entry of a type and version, or undefined. */
export function findEventSubType(type: string, version: string): TwitchEventSubTypeInfo | undefined {
  byKey ??= new Map(TWITCH_EVENTSUB_TYPES.map((t) => [`${t.type}@${t.version}`, t]));
  return byKey.get(`${type}@${version}`);
}

/** The documented versions of a type (empty when the type is unknown). */
export function versionsOf(type: string): string[] {
  return TWITCH_EVENTSUB_TYPES.filter((t) => t.type === type).map((t) => t.version);
}

/** `'unknown type "x"'` or `'unknown version "9" of "x" (documented: 1, 2)'`. */
export function describeUnknownType(type: string, version: string): string {
  const versions = versionsOf(type);
  return versions.length
    ? `unknown version "${version}" of EventSub type "${type}" (documented: ${versions.join(', ')})`
    : `unknown EventSub type "${type}"`;
}

/**
 * Checks a camelCase condition against the type's condition class and returns the wire (snake_case)
 * condition, or the list of problems (each naming the field).
 */
export function conditionToWire(
  info: TwitchEventSubTypeInfo,
  condition: unknown,
): { wire: Record<string, string> } | { problems: string[] } {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition))
    return { problems: ['condition must be an object'] };
  const problems: string[] = [];
  const known = new Set(info.conditionFields.map((f) => f.key));
  for (const key of Object.keys(condition)) {
    if (!known.has(key))
      problems.push(`condition.${key} is not a field of ${info.type} v${info.version} (fields: ${[...known].join(', ')})`);
  }
  const instance = plainToInstance(info.condition, condition) as object;
  for (const error of validateSync(instance, { forbidUnknownValues: false })) {
    problems.push(`condition.${error.property}: ${Object.values(error.constraints ?? {}).join('; ') || 'invalid'}`);
  }
  if (problems.length) return { problems };
  const wire: Record<string, string> = {};
  for (const f of info.conditionFields) {
    const v = (condition as Record<string, unknown>)[f.key];
    if (v !== undefined && v !== null) wire[f.wire] = String(v);
  }
  return { wire };
}

/** The camelCase condition of a wire condition. */
export function conditionFromWire(info: TwitchEventSubTypeInfo, wire: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of info.conditionFields) if (wire[f.wire] !== undefined && wire[f.wire] !== '') out[f.key] = wire[f.wire];
  return out;
}

/** A stable key of type, version and wire condition (empty values dropped, keys sorted). */
export function subscriptionKey(type: string, version: string, wire: Record<string, unknown>): string {
  const parts = Object.keys(wire)
    .filter((k) => wire[k] !== undefined && wire[k] !== null && wire[k] !== '')
    .sort()
    .map((k) => `${k}=${String(wire[k])}`);
  return `${type}@${version}?${parts.join('&')}`;
}
