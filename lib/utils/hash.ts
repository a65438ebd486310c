import { createHash } from 'node:crypto';

/** A short, stable, one-way digest: used wherever a token's identity is needed without the token. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}
