/**
 * scripts/generate-eventsub.mjs: stage 2 drift check against the committed model, and stage 1's rules on a
 * small reference data set written here (the real one is not read by tests): example fields missing from
 * the schema and schema/example disagreements need an override with a reason; the scope grammar.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const script: string = '../../scripts/generate-eventsub.mjs';
const { parseScopes } = (await import(script)) as { parseScopes: (text: string) => string[][] };
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['scripts/generate-eventsub.mjs', ...args], { cwd: root, encoding: 'utf8' });

describe('generated EventSub catalog', () => {
  it('matches what the generator makes from the committed model (drift check)', () => {
    const out = run('--check');
    expect(out.stderr + out.stdout).not.toMatch(/differs|missing|not generated/i);
    expect(out.status).toBe(0);
  });

  it('the drift check notices a hand edit', () => {
    const file = join(root, 'lib/generated/eventsub/channel.ts');
    const backup = join(mkdtempSync(join(tmpdir(), 'evgen-')), 'copy.ts');
    copyFileSync(file, backup);
    try {
      writeFileSync(file, readFileSync(file, 'utf8').replace("@TwitchField('followed_at'", "@TwitchField('follewed_at'"));
      const out = run('--check');
      expect(out.status).toBe(1);
      expect(out.stdout + out.stderr).toContain('lib/generated/eventsub/channel.ts (differs)');
    } finally {
      copyFileSync(backup, file);
      rmSync(backup);
    }
  });
});

describe('scope grammar', () => {
  it('normalizes to any-of lists of all-of scopes', () => {
    expect(parseScopes('-')).toEqual([]);
    expect(parseScopes('bits:read')).toEqual([['bits:read']]);
    expect(parseScopes('a:r | a:m')).toEqual([['a:r'], ['a:m']]);
    expect(parseScopes('a:r + b:r')).toEqual([['a:r', 'b:r']]);
    expect(parseScopes('(a:r | a:m) + c:r')).toEqual([
      ['a:r', 'c:r'],
      ['a:m', 'c:r'],
    ]);
    expect(parseScopes('(a:r | a:m) + (b:r | b:m)')).toEqual([
      ['a:r', 'b:r'],
      ['a:r', 'b:m'],
      ['a:m', 'b:r'],
      ['a:m', 'b:m'],
    ]);
    expect(parseScopes('a:r | a:r')).toEqual([['a:r']]);
  });

  it('refuses malformed scope text', () => {
    expect(() => parseScopes('(a:r | a:m')).toThrow(/missing \)/);
    expect(() => parseScopes('a:r +')).toThrow(/unexpected end/);
    expect(() => parseScopes('not a scope')).toThrow(/is not a scope/);
  });
});

describe('stage 1 on a small reference data set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evdata-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const TSV_HEAD = 'type\tversion\tname\tstatus\tcondition_fields\tscopes\ttoken\tevent_schema\tdoc_url\tsources';
  const NOTES_HEAD = 'type\tversion\ttransports\tauthorization_notes\tother_notes\tdoc_url_2026_02_page';
  const write = (rel: string, data: unknown) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), typeof data === 'string' ? data : JSON.stringify(data));
  };
  /** One type `x.thing` whose example has `extra` (not in the schema) and `count` as a string (schema: integer). */
  function dataSet(): void {
    write(
      'subscription-types.tsv',
      `${TSV_HEAD}\nx.thing\t1\tThing\tstable\tbroadcaster_user_id,reward_id?\t(a:read | a:manage) + b:read\teither\tThingEvent\thttps://dev.twitch.tv/docs/eventsub/reference/channel/#thing\tdocs\n`,
    );
    write('subscription-types.notes.tsv', `${NOTES_HEAD}\nx.thing\t1\twebhook,websocket,conduit\t-\t-\t-\n`);
    write('eventsub-schemas.json', {
      components: {
        schemas: {
          ThingEvent: {
            type: 'object',
            properties: {
              id: { type: 'string', description: 'The ID.' },
              count: { type: 'integer', description: 'How many.' },
              started_at: { type: 'string', description: 'When it started.' },
            },
          },
          ThingCondition: {
            type: 'object',
            properties: { broadcaster_user_id: { type: 'string' }, reward_id: { type: 'string' } },
          },
        },
      },
    });
    write('examples/manifest.json', [
      { file: 'examples/x.thing.v1.json', type: 'x.thing', version: '1', kind: 'notification', repaired: [], source: 'test' },
    ]);
    write('examples/x.thing.v1.json', {
      subscription: { condition: { broadcaster_user_id: '1' } },
      event: { id: 'a', count: '3', started_at: '2024-01-01T00:00:00Z', extra: true },
    });
  }
  const stage1 = (overrides: unknown) => {
    const file = join(dir, `overrides-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(overrides));
    const model = join(dir, 'model.json');
    rmSync(model, { force: true });
    const out = run('--from', dir, '--overrides', file, '--model', model, '--no-files');
    return { ...out, model: () => JSON.parse(readFileSync(model, 'utf8')) };
  };

  it('refuses example fields missing from the schema and schema/example disagreements, naming them', () => {
    dataSet();
    const out = stage1({ schemaPatches: [] });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('x.thing@1 $.extra');
    expect(out.stderr).toContain('x.thing@1 $.count: schema: integer; example shows string');
  });

  it('takes them once overrides settle them, each with a reason; scopes, transports and timestamps in the model', () => {
    dataSet();
    const patches = [
      {
        schema: 'ThingEvent',
        path: 'extra',
        op: 'add',
        node: { type: 'boolean' },
        description: 'Extra.',
        reason: 'example has it',
      },
      { schema: 'ThingEvent', path: 'count', op: 'set', set: { 'x-accept-example': true }, reason: 'example quotes it' },
    ];
    const noReason = stage1({ schemaPatches: [{ ...patches[0], reason: undefined }, patches[1]] });
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toContain('no reason');

    const out = stage1({ schemaPatches: patches });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const [t] = out.model().types;
    expect(t.scopes).toEqual([
      ['a:read', 'b:read'],
      ['a:manage', 'b:read'],
    ]);
    expect(t.transports).toEqual(['webhook', 'websocket', 'conduit']);
    expect(t.condition.fields).toEqual([
      { wire: 'broadcaster_user_id', required: true, description: '' },
      { wire: 'reward_id', required: false, description: '' },
    ]);
    const fields = Object.fromEntries(t.event.fields.map((f: { wire: string; node: { kind: string } }) => [f.wire, f.node.kind]));
    expect(fields).toEqual({ id: 'string', count: 'integer', started_at: 'date', extra: 'boolean' });
  });

  it('refuses an example condition that does not fit the documented fields unless listed', () => {
    dataSet();
    write('examples/x.thing.v1.json', {
      subscription: { condition: { reward_id: 5 } },
      event: { id: 'a', count: 3, started_at: '2024-01-01T00:00:00Z' },
    });
    const out = stage1({ schemaPatches: [] });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('no broadcaster_user_id, reward_id is number');
    const listed = stage1({ schemaPatches: [], conditionExampleDefects: [{ file: 'examples/x.thing.v1.json', reason: 'slip' }] });
    expect(listed.stderr).toBe('');
    expect(listed.model().types[0].examples[0].conditionDefect).toBe('slip');
  });
});
