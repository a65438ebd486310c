import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Raised when stored tokens cannot be read back: a wrong or missing encryption key. */
export class TwitchTokenDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwitchTokenDecryptionError';
  }
}

const PREFIX = 'enc1:';

/** Parses a 256-bit key given as 64 hex characters or as base64 of 32 bytes. */
export function parseTokenKey(key: string): Buffer {
  const buf = /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  if (buf.length !== 32) throw new Error('must be 32 bytes: 64 hex characters or base64 of 32 bytes');
  return buf;
}

/** AES-256-GCM for tokens at rest: `enc1:` + base64(iv | tag | ciphertext). */
export class TwitchTokenCipher {
  constructor(private readonly key: Buffer | undefined) {}

  seal(plain: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(stored: string, what: string): string {
    if (!stored.startsWith(PREFIX)) {
      if (this.key) throw new TwitchTokenDecryptionError(`${what} is stored unencrypted but tokens.encryptionKey is set`);
      return stored;
    }
    if (!this.key) throw new TwitchTokenDecryptionError(`${what} is encrypted but no tokens.encryptionKey is set`);
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new TwitchTokenDecryptionError(`${what} cannot be decrypted: wrong tokens.encryptionKey?`);
    }
  }
}
