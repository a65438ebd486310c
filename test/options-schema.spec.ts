import { createRequire } from 'node:module';
import type * as TS from 'typescript';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TWITCH_DEFAULTS } from '../lib/twitch.constants.js';
import { KNOWN_OPTIONS, resolveTwitchOptions, type TwitchOptionKeys } from '../lib/twitch-options.js';

// Loaded with require: importing TypeScript's 9 MB CommonJS file from ESM makes Node scan it for export
// names first (about a second of CPU).
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

/**
 * The options have one schema: `KNOWN_OPTIONS` (every key), `TWITCH_DEFAULTS` (every default, in the options'
 * shape). The options' JSDoc `@default`, the README's options tables and what `resolveTwitchOptions` fills in
 * must all agree with it.
 */

const root = resolve(import.meta.dirname, '..');
/** Options whose default is a part the module builds (Redis or memory), not a constant. */
const PLUGGABLE = ['tokens.store', 'rateLimit.store', 'stateStore', 'cache.manager'];

/** Every option path, `a.b` for nested ones. */
function optionPaths(known: TwitchOptionKeys = KNOWN_OPTIONS, prefix = ''): string[] {
  return Object.entries(known).flatMap(([k, v]) =>
    v === true ? [prefix + k] : [prefix + k, ...optionPaths(v, `${prefix}${k}.`)],
  );
}
const LEAVES = optionPaths().filter((p) => !optionPaths().some((q) => q.startsWith(`${p}.`)));

/** The default of a path in `TWITCH_DEFAULTS`, or undefined when it has none. */
function defaultOf(path: string): unknown {
  let at: unknown = TWITCH_DEFAULTS;
  for (const k of path.split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}
/** The paths `TWITCH_DEFAULTS` gives a value. */
function defaultPaths(value: object = TWITCH_DEFAULTS, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? defaultPaths(v as object, `${prefix}${k}.`) : [prefix + k],
  );
}

/** How a default is written in the JSDoc and the README: `60000`, `true`, `'/'` or `/`, `[]`. */
function written(value: unknown): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}
/** A JSDoc or README default as a bare value: first word (or quoted string), quotes and backticks off. */
function bare(text: string): string {
  const t = text.trim().replace(/`/g, '');
  const quoted = /^'([^']*)'/.exec(t);
  return quoted ? quoted[1] : t.split(/\s/)[0];
}

/**
 * The `@default` of every option, read from the declarations with the type checker: path → text. Only the
 * two files that declare the options are read (`noResolve`): the types they import from elsewhere (Redis,
 * cache-manager, the stores) hold no option of their own.
 */
function jsdocDefaults(): Map<string, string> {
  const file = resolve(root, 'lib/interfaces/twitch-module-options.interface.ts');
  const login = resolve(root, 'lib/interfaces/twitch-login-options.interface.ts');
  const program = ts.createProgram([file, login], { strict: true, noEmit: true, noResolve: true, noLib: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  let optionsType: TS.Type | undefined;
  ts.forEachChild(source, (n) => {
    if (ts.isInterfaceDeclaration(n) && n.name.text === 'TwitchModuleOptions') optionsType = checker.getTypeAtLocation(n);
  });
  const out = new Map<string, string>();
  const walk = (type: TS.Type, known: TwitchOptionKeys, prefix: string) => {
    for (const prop of checker.getPropertiesOfType(type)) {
      const path = prefix + prop.name;
      const tag = prop.getJsDocTags(checker).find((t) => t.name === 'default');
      if (tag) out.set(path, ts.displayPartsToString(tag.text));
      const nested = known[prop.name];
      if (nested && nested !== true) {
        const decl = prop.valueDeclaration ?? prop.declarations?.[0];
        const propType = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(prop, decl!));
        walk(propType, nested, `${path}.`);
      }
    }
  };
  walk(optionsType!, KNOWN_OPTIONS, '');
  return out;
}

/** Rows of the README's options tables: path → default cell. The `login` table's keys are under `login.`. */
function readmeDefaults(): Map<string, string> {
  const lines = readFileSync(resolve(root, 'README.md'), 'utf8').split('\n');
  const out = new Map<string, string>();
  const config = lines.findIndex((l) => l === '## Configuration');
  const login = lines.findIndex((l) => l === '#### `login` options');
  const rows = (from: number, prefix: string) => {
    let i = lines.findIndex((l, j) => j > from && l.startsWith('|'));
    for (i += 2; lines[i]?.startsWith('|'); i++) {
      const [, key, def] = lines[i].split('|').map((c) => c.trim());
      out.set(prefix + key.replace(/`/g, ''), def);
    }
  };
  rows(config, '');
  rows(login, 'login.');
  return out;
}

describe('options from one schema', () => {
  let jsdoc: Map<string, string>;
  let readme: Map<string, string>;
  beforeAll(() => {
    jsdoc = jsdocDefaults();
    readme = readmeDefaults();
  });

  it('TWITCH_DEFAULTS has only known options', () => {
    expect(defaultPaths().filter((p) => !optionPaths().includes(p))).toEqual([]);
  });

  it("every default's JSDoc @default says what TWITCH_DEFAULTS holds, and no other option claims a constant one", () => {
    expect(jsdoc.size).toBeGreaterThan(20);
    const wrong = defaultPaths()
      .filter((p) => bare(jsdoc.get(p) ?? '(none)') !== written(defaultOf(p)))
      .map((p) => `${p}: JSDoc ${jsdoc.get(p) ?? '(none)'}, TWITCH_DEFAULTS ${written(defaultOf(p))}`);
    expect(wrong).toEqual([]);
    const extra = [...jsdoc.keys()].filter((p) => defaultOf(p) === undefined && !PLUGGABLE.includes(p));
    expect(extra).toEqual([]);
  });

  it('the README has a row for every option, with the default TWITCH_DEFAULTS holds', () => {
    const documented = (p: string) => readme.has(p) || readme.has(p.split('.').slice(0, -1).join('.'));
    expect(LEAVES.filter((p) => !documented(p))).toEqual([]);
    expect([...readme.keys()].filter((p) => !optionPaths().includes(p))).toEqual([]);
    const wrong = defaultPaths()
      .filter((p) => bare(readme.get(p) ?? '(none)') !== written(defaultOf(p)))
      .map((p) => `${p}: README ${readme.get(p) ?? '(none)'}, TWITCH_DEFAULTS ${written(defaultOf(p))}`);
    expect(wrong).toEqual([]);
  });

  it('the pluggable parts are options, documented with their default', () => {
    for (const p of PLUGGABLE) {
      expect(optionPaths(), p).toContain(p);
      expect(jsdoc.get(p), p).toBeTruthy();
      expect(readme.get(p), p).toBeTruthy();
    }
  });

  it("every option is validated: a value of no option's type is refused, naming the option", () => {
    const unchecked = LEAVES.filter((path) => {
      // redis.url, redis.cluster and redis.client exclude each other: probe the cluster's option on its own.
      const redis = path.startsWith('redis.cluster') ? {} : { url: 'redis://127.0.0.1:1' };
      const options: Record<string, unknown> = { clientId: 'id', redis };
      let at = options;
      const keys = path.split('.');
      for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
      at[keys.at(-1)!] = Symbol('not an option value');
      try {
        resolveTwitchOptions(options as never);
        return true;
      } catch (err) {
        return !(err instanceof Error && err.message.startsWith(`TwitchModule: option "${path}" `));
      }
    });
    expect(unchecked).toEqual([]);
  });

  it('resolveTwitchOptions fills in exactly TWITCH_DEFAULTS', () => {
    const resolved = resolveTwitchOptions({ clientId: 'id', redis: { url: 'redis://127.0.0.1:1' } }) as unknown as Record<
      string,
      unknown
    >;
    const at = (path: string) => {
      if (path === 'redis.commandTimeoutMs') return resolved.redisCommandTimeoutMs;
      let v: unknown = resolved;
      for (const k of path.split('.')) v = (v as Record<string, unknown>)[k];
      return v;
    };
    const wrong = defaultPaths().filter((p) => JSON.stringify(at(p)) !== JSON.stringify(defaultOf(p)));
    expect(wrong).toEqual([]);
  });
});
