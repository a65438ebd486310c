import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' || e.name === 'testing' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

/** The module's own sources (not the generated code, not the fake Twitch), with their text. */
const files = sources(join(root, 'lib')).map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));

describe('one helper for each job', () => {
  it('one digest: lib/utils/hash.ts', () => {
    const defining = files.filter((f) => /function digest\b/.test(f.text)).map((f) => f.file);
    expect(defining).toEqual(['lib/utils/hash.ts']);
    const ownSha = files.filter((f) => /createHash\('sha256'\)[^;]*\.digest\('base64url'\)/.test(f.text)).map((f) => f.file);
    expect(ownSha).toEqual(['lib/utils/hash.ts']);
  });

  it('one "parse JSON or undefined": lib/utils/json.ts', () => {
    // A JSON.parse whose failure is swallowed into "nothing": try { … JSON.parse … } catch { return undefined / [] }.
    const swallowing = files
      .filter((f) =>
        /try \{[^}]*JSON\.parse\([^}]*\}\s*catch\s*\{\s*(return (undefined|\[\]|\{\})|\/\*[^*]*\*\/)\s*;?\s*\}/.test(f.text),
      )
      .map((f) => f.file);
    expect(swallowing).toEqual(['lib/utils/json.ts']);
  });
});
