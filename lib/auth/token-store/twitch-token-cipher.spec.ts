import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTokenKey, TwitchTokenCipher, TwitchTokenDecryptionError } from './twitch-token-cipher.js';

const KEY = randomBytes(32);

/** A record as earlier versions sealed it: AES-256-GCM without additional data. */
function sealedWithoutContext(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return 'enc1:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
}

function openError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected open() to throw');
}

describe('TwitchTokenCipher', () => {
  it('seals for a context and opens only under that context', () => {
    const cipher = new TwitchTokenCipher(KEY);
    const sealed = cipher.seal('{"accessToken":"secret-a"}', 'user-token:1');
    expect(sealed.startsWith('enc1:')).toBe(true);
    expect(sealed).not.toContain('secret-a');
    expect(cipher.open(sealed, 'the record', 'user-token:1')).toBe('{"accessToken":"secret-a"}');
    // Another owner, another purpose, a wrong key: the same error, never the content.
    for (const fn of [
      () => cipher.open(sealed, 'the record', 'user-token:2'),
      () => cipher.open(sealed, 'the record', 'app-token:1'),
      () => cipher.open(sealed, 'the record', 'user-token:2', { legacy: true }),
      () => new TwitchTokenCipher(randomBytes(32)).open(sealed, 'the record', 'user-token:1'),
    ]) {
      const err = openError(fn);
      expect(err).toBeInstanceOf(TwitchTokenDecryptionError);
      expect(err.message).toContain('cannot be decrypted');
      expect(err.message).not.toContain('secret-a');
    }
  });

  it('two seals of one text differ (random IV)', () => {
    const cipher = new TwitchTokenCipher(KEY);
    expect(cipher.seal('x', 'c')).not.toBe(cipher.seal('x', 'c'));
  });

  it('reads records sealed without context only when asked to (legacy: true)', () => {
    const cipher = new TwitchTokenCipher(KEY);
    const old = sealedWithoutContext(KEY, 'old record');
    expect(cipher.open(old, 'the record', 'user-token:1', { legacy: true })).toBe('old record');
    expect(() => cipher.open(old, 'the record', 'user-token:1')).toThrow(TwitchTokenDecryptionError);
  });

  it('refuses clear text while a key is set, and encrypted text without a key', () => {
    expect(() => new TwitchTokenCipher(KEY).open('{"a":1}', 'the record', 'c')).toThrow(
      'stored unencrypted but tokens.encryptionKey is set',
    );
    const sealed = new TwitchTokenCipher(KEY).seal('x', 'c');
    expect(() => new TwitchTokenCipher(undefined).open(sealed, 'the record', 'c')).toThrow('no tokens.encryptionKey is set');
  });

  it('refuses a truncated or damaged record with TwitchTokenDecryptionError', () => {
    const cipher = new TwitchTokenCipher(KEY);
    expect(() => cipher.open('enc1:AAAA', 'the record', 'c')).toThrow(TwitchTokenDecryptionError);
    const sealed = cipher.seal('hello', 'c');
    const raw = Buffer.from(sealed.slice(5), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => cipher.open(`enc1:${raw.toString('base64')}`, 'the record', 'c')).toThrow(TwitchTokenDecryptionError);
  });

  it('without a key, seal and open pass the text through', () => {
    const cipher = new TwitchTokenCipher(undefined);
    expect(cipher.encrypts).toBe(false);
    expect(cipher.seal('plain', 'c')).toBe('plain');
    expect(cipher.open('plain', 'the record', 'c')).toBe('plain');
  });
});

describe('parseTokenKey', () => {
  it('takes 64 hex characters or base64 of 32 bytes', () => {
    expect(parseTokenKey(KEY.toString('hex'))).toEqual(KEY);
    expect(parseTokenKey(KEY.toString('base64'))).toEqual(KEY);
    expect(() => parseTokenKey('short')).toThrow('32 bytes');
  });
});
