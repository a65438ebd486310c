import { describe, expect, it } from 'vitest';
import { digest } from './hash.js';
import { parseJson, parseJsonObject } from './json.js';

describe('parseJson', () => {
  it('gives the value of a JSON text, undefined for none or one that does not parse', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson('[1]')).toEqual([1]);
    expect(parseJson('null')).toBeNull();
    for (const bad of [undefined, null, '', '{', '<html>', 'undefined']) expect(parseJson(bad), String(bad)).toBeUndefined();
  });

  it('parseJsonObject keeps objects only', () => {
    expect(parseJsonObject('{"userId":"1"}')).toEqual({ userId: '1' });
    for (const other of ['[1]', 'null', '"s"', '3', '{']) expect(parseJsonObject(other), other).toBeUndefined();
  });
});

describe('digest', () => {
  it('is the full SHA-256 in base64url, the same for the same input, and never the input', () => {
    const d = digest('oauth-token-value');
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest('oauth-token-value')).toBe(d);
    expect(digest('oauth-token-valuf')).not.toBe(d);
    expect(d).not.toContain('oauth');
    // The known value, so that keys written by one version are found by the next.
    expect(digest('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});
