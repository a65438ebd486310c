import { describe, expect, it } from 'vitest';
import { TwitchLoginException } from '../../exceptions/twitch-login.exception.js';
import { normaliseReturnTo } from './twitch-return-to.js';

function refusal(value: unknown): TwitchLoginException {
  try {
    normaliseReturnTo(value);
  } catch (err) {
    return err as TwitchLoginException;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe('normaliseReturnTo', () => {
  it('keeps paths of this site, resolving dot segments as a browser does', () => {
    expect(normaliseReturnTo(undefined)).toBeUndefined();
    expect(normaliseReturnTo('')).toBeUndefined();
    expect(normaliseReturnTo('/')).toBe('/');
    expect(normaliseReturnTo('/me?tab=follows#top')).toBe('/me?tab=follows#top');
    expect(normaliseReturnTo('/a/../me')).toBe('/me');
    expect(normaliseReturnTo('/a/./b/%2e%2e/c')).toBe('/a/c');
    expect(normaliseReturnTo('/../../me')).toBe('/me');
    expect(normaliseReturnTo('/@evil.example')).toBe('/@evil.example');
    expect(normaliseReturnTo('/me?next=//evil.example')).toBe('/me?next=//evil.example');
  });

  it.each([
    '/.//evil.example',
    '/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/a/..//evil.example',
    '/a/%2e%2e//evil.example',
    '/./%2e/..//evil.example',
    '/%2F%2Fevil.example',
    '/%2f/evil.example',
  ])('refuses %s, which resolves to a scheme-relative //host', (value) => {
    const err = refusal(value);
    expect(err).toBeInstanceOf(TwitchLoginException);
    expect(err.getStatus()).toBe(400);
    expect(err.reason).toBe('invalid_return_to');
  });

  it.each([
    '//evil.example',
    'https://evil.example/',
    'evil.example',
    'me',
    'javascript:alert(1)',
    '/\\evil.example',
    '/a\\..\\..\\evil.example',
    '/%5Cevil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/%09/evil.example',
    '/%00',
    '/%E0%A4%A',
  ])('refuses %j (not a path, a backslash, a control character, raw or encoded)', (value) => {
    expect(refusal(value).reason).toBe('invalid_return_to');
  });

  it('refuses what is not a string, and very long values', () => {
    expect(refusal(['/me']).reason).toBe('invalid_return_to');
    expect(refusal({ toString: () => '/me' }).reason).toBe('invalid_return_to');
    expect(refusal(`/${'a'.repeat(2048)}`).reason).toBe('invalid_return_to');
  });
});
