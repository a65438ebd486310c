/**
 * The generated EventSub catalog against the committed model (scripts/eventsub-model.json) and Twitch's
 * example payloads (test/eventsub/fixtures.generated.json, written by scripts/generate-eventsub.mjs):
 *
 * - one `TWITCH_EVENTSUB_TYPES` entry per documented type/version, with Twitch's name, status, token kind,
 *   transports, doc URL and scopes in any-of/all-of normal form;
 * - every example `event` (primary and variants; each item of `events` for batched types) mapped into the
 *   event DTO with the module's mapper and back with `instanceToPlain` loses no key and changes no value
 *   (timestamps compare by instant);
 * - condition classes accept the example's condition and refuse one without a required field, naming it;
 * - (the typing helpers, checked at compile time, are in test/public-types.spec.ts).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { mapTwitchDto } from '../../lib/dto/twitch-dto.mapper.js';
import { getTwitchFields } from '../../lib/dto/twitch-field.decorator.js';
import * as EventSubTypes from '../../lib/eventsub-types.js';
import type { TwitchEventSubTypeInfo } from '../../lib/eventsub/twitch-eventsub-type.interface.js';
import { TWITCH_EVENTSUB_TYPES } from '../../lib/generated/eventsub/index.js';
import * as HelixGenerated from '../../lib/generated/index.js';
import * as Root from '../../lib/index.js';

interface ConditionFieldFixture {
  key: string;
  wire: string;
  required: boolean;
}
interface ExampleFixture {
  variant: string;
  file: string | null;
  condition: Record<string, unknown> | null;
  /** Why Twitch's example condition does not fit the documented condition fields (listed in the overrides). */
  conditionDefect?: string;
  event?: Record<string, unknown>;
  events?: Record<string, unknown>[];
}
interface TypeFixture {
  type: string;
  version: string;
  className: string;
  batched: boolean;
  conditionFields: ConditionFieldFixture[];
  exactlyOneOf: string[] | null;
  requestCondition: Record<string, unknown> | null;
  examples: ExampleFixture[];
}
interface ModelType {
  type: string;
  version: string;
  name: string;
  status: string;
  token: string;
  scopes: string[][];
  scopesText: string;
  transports: string[];
  docUrl: string;
  condition: { fields: { wire: string; required: boolean }[]; exactlyOneOf: string[] | null };
}

const root = resolve(import.meta.dirname, '../..');
const readJson = <T>(relative: string): T => JSON.parse(readFileSync(resolve(root, relative), 'utf8')) as T;
const MODEL: { types: ModelType[] } = readJson('scripts/eventsub-model.json');
const FIXTURES: TypeFixture[] = readJson('test/eventsub/fixtures.generated.json');
const id = (t: { type: string; version: string }) => `${t.type}@${t.version}`;
const ENTRY = new Map(TWITCH_EVENTSUB_TYPES.map((e) => [id(e), e]));

/**
 * Twitch's JSON as the mapper should give it back after `instanceToPlain`: values of `Date` fields as ISO
 * strings (so they compare by instant), `''`/`null` of `Date` fields as `null`, everything else verbatim.
 */
function expectedPlain(cls: Function | undefined, raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map((item) => expectedPlain(cls, item));
  if (!cls || raw === null || typeof raw !== 'object') return raw;
  const fields = getTwitchFields(cls);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const type = fields.find((f) => f.name === name)?.type?.();
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
    !(k in a) ? [`${path}.${k}`] : missingKeys(a[k], v, `${path}.${k}`),
  );
}

/** The wire condition of an example as the camelCase object the condition class describes. */
function camelCondition(fields: readonly ConditionFieldFixture[], wire: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (wire[f.wire] !== undefined) out[f.key] = wire[f.wire];
  return out;
}

const validate = (cls: new () => object, plain: Record<string, unknown>): ValidationError[] =>
  validateSync(plainToInstance(cls, plain) as object);
const failing = (errors: ValidationError[]) => errors.map((e) => e.property).sort();

describe('TWITCH_EVENTSUB_TYPES', () => {
  it('has one entry per documented type/version of the model (83), in the model order', () => {
    expect(MODEL.types).toHaveLength(83);
    expect(TWITCH_EVENTSUB_TYPES).toHaveLength(MODEL.types.length);
    expect(TWITCH_EVENTSUB_TYPES.map(id)).toEqual(MODEL.types.map(id));
    expect(new Set(TWITCH_EVENTSUB_TYPES.map(id)).size).toBe(83);
    expect(FIXTURES.map(id)).toEqual(MODEL.types.map(id));
  });

  it.each(MODEL.types)('$type v$version: name, status, token, transports, doc URL and condition fields', (m) => {
    const e = ENTRY.get(id(m))!;
    expect(e).toBeDefined();
    expect([e.name, e.status, e.token, e.transports, e.docUrl]).toEqual([m.name, m.status, m.token, m.transports, m.docUrl]);
    expect(e.conditionFields.map((f) => [f.wire, f.required])).toEqual(m.condition.fields.map((f) => [f.wire, f.required]));
    for (const f of e.conditionFields) expect(f.key).toBe(f.wire.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    expect(typeof e.condition).toBe('function');
    expect(typeof e.event).toBe('function');
    // Scopes: normal form of the TSV text, no scope lost, no list repeated.
    expect(e.scopes).toEqual(m.scopes);
    const named = new Set(m.scopesText.match(/[a-z_]+(?::[a-z_]+)+/g) ?? []);
    expect(new Set(e.scopes.flat())).toEqual(named);
    expect(new Set(e.scopes.map((l) => [...l].sort().join(' '))).size).toBe(e.scopes.length);
    if (m.status === 'beta') expect(m.version).toBe('beta');
    if (m.token === 'app') expect(e.transports).not.toContain('websocket');
  });

  it('scopes: `a | b` is any one, `a + b` all, `(a | b) + c` distributes', () => {
    const scopes = (type: string, version: string) => ENTRY.get(`${type}@${version}`)!.scopes;
    expect(scopes('stream.online', '1')).toEqual([]);
    expect(scopes('channel.follow', '2')).toEqual([['moderator:read:followers']]);
    expect(scopes('channel.unban_request.create', '1')).toEqual([
      ['moderator:read:unban_requests'],
      ['moderator:manage:unban_requests'],
    ]);
    const moderate = scopes('channel.moderate', '2');
    expect(moderate).toHaveLength(2 ** 6);
    for (const list of moderate) {
      expect(list).toHaveLength(8);
      expect(list).toEqual(expect.arrayContaining(['moderator:read:moderators', 'moderator:read:vips']));
      expect(list.filter((s) => /^moderator:(read|manage):warnings$/.test(s))).toHaveLength(1);
    }
    expect(moderate[0]).toEqual([
      'moderator:read:blocked_terms',
      'moderator:read:chat_settings',
      'moderator:read:unban_requests',
      'moderator:read:banned_users',
      'moderator:read:chat_messages',
      'moderator:read:warnings',
      'moderator:read:moderators',
      'moderator:read:vips',
    ]);
    expect(scopes('channel.moderate', '1')).toHaveLength(2 ** 5);
  });

  it('transports follow the notes: app-token types are webhook and conduit only', () => {
    const app = TWITCH_EVENTSUB_TYPES.filter((e) => e.token === 'app');
    expect(app.map(id).sort()).toEqual(
      [
        'conduit.shard.disabled@1',
        'drop.entitlement.grant@1',
        'extension.bits_transaction.create@1',
        'user.authorization.grant@1',
        'user.authorization.revoke@1',
      ].sort(),
    );
    for (const e of app) expect(e.transports).toEqual(['webhook', 'conduit']);
    expect(ENTRY.get('channel.follow@2')!.transports).toEqual(['webhook', 'websocket', 'conduit']);
  });

  it('names: the newest version keeps the plain name, older ones carry the version', () => {
    expect(ENTRY.get('channel.follow@2')!.event.name).toBe('ChannelFollowEvent');
    expect(ENTRY.get('channel.follow@2')!.condition.name).toBe('ChannelFollowCondition');
    expect(ENTRY.get('automod.message.hold@2')!.event.name).toBe('AutomodMessageHoldEvent');
    expect(ENTRY.get('automod.message.hold@1')!.event.name).toBe('AutomodMessageHoldV1Event');
    expect(ENTRY.get('channel.channel_points_custom_reward.add@1')!.event.name).toBe('ChannelPointsCustomRewardAddEvent');
    expect(new Set(TWITCH_EVENTSUB_TYPES.map((e) => e.event)).size).toBe(83);
    expect(new Set(TWITCH_EVENTSUB_TYPES.map((e) => e.condition)).size).toBe(83);
  });

  it('is exported from the package root with the typing helpers; the classes only from the eventsub-types module', () => {
    expect(Root.TWITCH_EVENTSUB_TYPES).toBe(TWITCH_EVENTSUB_TYPES);
    expect(EventSubTypes.TWITCH_EVENTSUB_TYPES).toBe(TWITCH_EVENTSUB_TYPES);
    expect('ChannelFollowEvent' in Root).toBe(false);
    expect(EventSubTypes.ChannelFollowEvent).toBe(ENTRY.get('channel.follow@2')!.event);
    for (const e of TWITCH_EVENTSUB_TYPES) {
      expect((EventSubTypes as Record<string, unknown>)[e.event.name], e.event.name).toBe(e.event);
      expect((EventSubTypes as Record<string, unknown>)[e.condition.name], e.condition.name).toBe(e.condition);
    }
  });

  it('no generated EventSub class name collides with a Helix export or a root export', () => {
    const classes = Object.keys(EventSubTypes).filter((k) => typeof (EventSubTypes as Record<string, unknown>)[k] === 'function');
    expect(classes.length).toBeGreaterThan(166);
    const taken = new Set([...Object.keys(HelixGenerated), ...Object.keys(Root)]);
    const shared = classes.filter((n) => taken.has(n) && n !== 'TwitchExactlyOneOf');
    expect(shared).toEqual([]);
  });
});

describe('event DTOs: every documented example survives the round trip', () => {
  const cases = FIXTURES.flatMap((f) =>
    f.examples.flatMap((ex) =>
      (ex.events ?? [ex.event!]).map((event, i) => ({
        name: `${f.type} v${f.version} ${ex.variant}${ex.events ? ` events[${i}]` : ''}`,
        f,
        ex,
        event,
      })),
    ),
  );

  it('covers all 89 notification examples, the event-only one and a synthesized one for the type without an example', () => {
    const files = FIXTURES.flatMap((f) => f.examples.map((e) => e.file)).filter(Boolean);
    expect(files).toHaveLength(90);
    expect(new Set(files).size).toBe(90);
    const synthesized = FIXTURES.filter((f) => f.examples.some((e) => e.variant === 'synthesized')).map(id);
    expect(synthesized).toEqual(['channel.custom_power_up_redemption.add@1']);
    expect(FIXTURES.filter((f) => f.batched).map(id)).toEqual(['drop.entitlement.grant@1']);
  });

  it.each(cases)('$name', ({ f, event }) => {
    const entry: TwitchEventSubTypeInfo = ENTRY.get(id(f))!;
    expect(event && typeof event === 'object').toBe(true);
    const dto = mapTwitchDto(entry.event as new () => object, event);
    expect(dto).toBeInstanceOf(entry.event);
    const plain = instanceToPlain(dto);
    expect(missingKeys(plain, event), 'example keys lost by the DTO').toEqual([]);
    expect(plain).toEqual(expectedPlain(entry.event, event));
  });

  it('timestamps become Dates, nested objects their classes, camelCase keys', () => {
    const follow = FIXTURES.find((f) => id(f) === 'channel.follow@2')!.examples[0].event!;
    const dto = mapTwitchDto(EventSubTypes.ChannelFollowEvent, follow);
    expect(dto.followedAt).toBeInstanceOf(Date);
    expect(dto.followedAt.getTime()).toBe(Date.parse(follow.followed_at as string));
    expect(dto.userLogin).toBe(follow.user_login);

    const poll = FIXTURES.find((f) => id(f) === 'channel.poll.begin@1')!.examples[0].event!;
    const p = mapTwitchDto(EventSubTypes.ChannelPollBeginEvent, poll);
    expect(p.choices[0]).toBeInstanceOf(EventSubTypes.ChannelPollBeginEventChoice);
    expect(p.channelPointsVoting).toBeInstanceOf(EventSubTypes.ChannelPollBeginEventChannelPointsVoting);
    expect(p.startedAt).toBeInstanceOf(Date);

    const shard = FIXTURES.find((f) => id(f) === 'conduit.shard.disabled@1')!.examples[0].event!;
    const s = mapTwitchDto(EventSubTypes.ConduitShardDisabledEvent, shard);
    expect(s.transport.connectedAt).toBeInstanceOf(Date);
  });

  it('Date fields are exactly the `_at` timestamps', () => {
    const seen = new Set<Function>();
    const dates: string[] = [];
    const notDates: string[] = [];
    const walk = (cls: Function) => {
      if (seen.has(cls)) return;
      seen.add(cls);
      for (const f of getTwitchFields(cls)) {
        const type = f.type?.();
        if (type === Date) dates.push(`${cls.name}.${f.name}`);
        else if (f.name.endsWith('_at')) notDates.push(`${cls.name}.${f.name}`);
        if (type && type !== Date) walk(type);
      }
    };
    for (const e of TWITCH_EVENTSUB_TYPES) walk(e.event);
    expect(dates.length).toBeGreaterThan(40);
    for (const name of dates) expect(name).toMatch(/_at$/);
    expect(notDates).toEqual([]);
  });
});

describe('condition classes', () => {
  const withCondition = FIXTURES.flatMap((f) =>
    [
      ...f.examples.map((e) => ({ from: e.variant, wire: e.condition, defect: e.conditionDefect })),
      { from: 'create request', wire: f.requestCondition },
    ]
      .filter((c): c is { from: string; wire: Record<string, unknown>; defect: string | undefined } => !!c.wire)
      .map((c) => ({ name: `${f.type} v${f.version} (${c.from})`, f, wire: c.wire, defect: c.defect })),
  );
  const good = withCondition.filter((c) => !c.defect);
  const slips = withCondition.filter((c) => c.defect);

  it('every type has a documented (or synthesized) condition that fits its fields', () => {
    expect(new Set(good.map((c) => id(c.f))).size).toBe(83);
    expect(slips.map((c) => c.name)).toHaveLength(6);
  });

  it.each(slips)("$name: Twitch's slip in the example condition is refused, naming the field", ({ f, wire }) => {
    const entry = ENTRY.get(id(f))!;
    const plain = camelCondition(f.conditionFields, wire);
    const bad = entry.conditionFields.filter((c) => (plain[c.key] === undefined ? c.required : typeof plain[c.key] !== 'string'));
    expect(bad.length).toBeGreaterThan(0);
    expect(failing(validate(entry.condition as new () => object, plain))).toEqual(bad.map((c) => c.key).sort());
  });

  it.each(good)('$name: the documented condition is accepted, without a required field refused', ({ f, wire }) => {
    const entry = ENTRY.get(id(f))!;
    const cls = entry.condition as new () => object;
    const known = new Set(entry.conditionFields.map((c) => c.wire));
    expect(
      Object.keys(wire).filter((k) => !known.has(k)),
      'condition keys not in the catalog',
    ).toEqual([]);
    const plain = camelCondition(f.conditionFields, wire);
    expect(validate(cls, plain)).toEqual([]);
    for (const field of entry.conditionFields.filter((c) => c.required)) {
      const without = { ...plain };
      delete without[field.key];
      const errors = validate(cls, without);
      expect(failing(errors), `${field.key} missing`).toEqual([field.key]);
      expect(Object.values(errors[0].constraints ?? {}).join(' ')).toContain(field.key);
      expect(failing(validate(cls, { ...plain, [field.key]: '' })), `${field.key} empty`).toEqual([field.key]);
      expect(failing(validate(cls, { ...plain, [field.key]: 1337 })), `${field.key} a number`).toEqual([field.key]);
    }
    for (const field of entry.conditionFields.filter((c) => !c.required && !f.exactlyOneOf?.includes(c.wire))) {
      const without = { ...plain };
      delete without[field.key];
      expect(validate(cls, without), `${field.key} is optional`).toEqual([]);
      expect(failing(validate(cls, { ...without, [field.key]: '' })), `${field.key} empty`).toEqual([field.key]);
    }
  });

  it('channel.raid: exactly one of fromBroadcasterUserId and toBroadcasterUserId', () => {
    const cls = EventSubTypes.ChannelRaidCondition;
    expect(validate(cls, { fromBroadcasterUserId: '1337' })).toEqual([]);
    expect(validate(cls, { toBroadcasterUserId: '1337' })).toEqual([]);
    const none = validate(cls, {});
    expect(failing(none)).toEqual(['fromBroadcasterUserId', 'toBroadcasterUserId']);
    expect(Object.values(none[0].constraints ?? {})).toContain(
      'exactly one of fromBroadcasterUserId, toBroadcasterUserId must be set',
    );
    const both = validate(cls, { fromBroadcasterUserId: '1', toBroadcasterUserId: '2' });
    expect(failing(both)).toEqual(['fromBroadcasterUserId', 'toBroadcasterUserId']);
    expect(both.every((e) => Object.keys(e.constraints ?? {}).includes('twitchExactlyOneOf'))).toBe(true);
    expect(failing(validate(cls, { fromBroadcasterUserId: '' }))).toEqual(['fromBroadcasterUserId']);
  });
});
