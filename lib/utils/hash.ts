import { createHash } from 'node:crypto';

/**
 * The module's one digest: SHA-256, base64url (43 characters). Used wherever a secret's identity is needed
 * without the secret itself: in cache keys (a caller's token), in store keys (sessions, cached validations,
 * used login states). One-way and stable across instances and restarts.
 */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
