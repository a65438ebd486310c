import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Raised when stored tokens cannot be read back: a wrong or missing encryption key, or a record that
 * was sealed for another owner (copied from another user's key, say).
 */
export class TwitchTokenDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwitchTokenDecryptionError';
  }
}

const PREFIX = 'enc1:';
const AAD_LABEL = 'nestjs-twitch/token-record/v2';

/** Parses a 256-bit key given as 64 hex characters or as base64 of 32 bytes. */
export function parseTokenKey(key: string): Buffer {
  const buf = /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  if (buf.length !== 32) throw new Error('must be 32 bytes: 64 hex characters or base64 of 32 bytes');
  return buf;
}

/**
 * AES-256-GCM for tokens at rest: `enc1:` + base64(iv | tag | ciphertext). Every record is sealed for
 * one owner, its `context` (a purpose label and the record's owner, such as `user-token:141981764`),
 * which goes into the additional authenticated data: a ciphertext opened under another context fails
 * exactly as under a wrong key. Without a key, `seal` returns the text as it is.
 *
 * Records sealed by earlier versions carry no additional data; `open` reads them only when asked to
 * (`legacy: true`), and the caller must then check the owner named inside the record.
 */
export class TwitchTokenCipher {
  constructor(private readonly key: Buffer | undefined) {}

  /** Whether records are encrypted (a key is configured). */
  get encrypts(): boolean {
    return this.key !== undefined;
  }

  seal(plain: string, context: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /**
   * The text sealed for `context`. `what` names the record in errors (never its content).
   * Throws `TwitchTokenDecryptionError` for a wrong or missing key, a record of another context,
   * a damaged record, or a clear record while a key is set.
   */
  open(stored: string, what: string, context: string, opts: { legacy?: boolean } = {}): string {
    if (!stored.startsWith(PREFIX)) {
      if (this.key) throw new TwitchTokenDecryptionError(`${what} is stored unencrypted but tokens.encryptionKey is set`);
      return stored;
    }
    if (!this.key) throw new TwitchTokenDecryptionError(`${what} is encrypted but no tokens.encryptionKey is set`);
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const plain = decrypt(this.key, raw, aad(context)) ?? (opts.legacy ? decrypt(this.key, raw, undefined) : undefined);
    if (plain === undefined) {
      throw new TwitchTokenDecryptionError(
        `${what} cannot be decrypted: wrong tokens.encryptionKey, or a record of another owner?`,
      );
    }
    return plain;
  }
}

function decrypt(key: Buffer, raw: Buffer, additional: Buffer | undefined): string | undefined {
  if (raw.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    if (additional) decipher.setAAD(additional);
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function aad(context: string): Buffer {
  return Buffer.from(`${AAD_LABEL}|${context}`, 'utf8');
}
