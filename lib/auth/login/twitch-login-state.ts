import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Stateless login `state`: nothing is stored when a login starts. The state is 32 bytes, base64url
 * (43 characters): its expiry (6 bytes, epoch ms), 10 random bytes, and the first 16 bytes of an
 * HMAC-SHA256 over both and the login's `returnTo`. The state cookie carries the state and the
 * `returnTo`; the server keeps only a "used" mark per state that reached the callback, until it expires.
 */

const EXPIRY_BYTES = 6;
const RANDOM_BYTES = 10;
const MAC_BYTES = 16;
const BODY_BYTES = EXPIRY_BYTES + RANDOM_BYTES;
const STATE_BYTES = BODY_BYTES + MAC_BYTES;
const SEPARATOR = '.';

/** The signing key of login states, derived from the client secret (every instance has it). */
export function loginStateKey(clientId: string, clientSecret: string): Buffer {
  return createHmac('sha256', clientSecret).update(`nestjs-twitch/login-state/v1|${clientId}`).digest();
}

/** A new state for a login that must end before `expiresAt` (epoch ms), and its cookie value. */
export function issueLoginState(key: Buffer, expiresAt: number, returnTo?: string): { state: string; cookie: string } {
  const body = Buffer.alloc(BODY_BYTES);
  body.writeUIntBE(Math.floor(expiresAt), 0, EXPIRY_BYTES);
  randomBytes(RANDOM_BYTES).copy(body, EXPIRY_BYTES);
  const state = Buffer.concat([body, mac(key, body, returnTo ?? '')]).toString('base64url');
  return { state, cookie: returnTo ? `${state}${SEPARATOR}${Buffer.from(returnTo, 'utf8').toString('base64url')}` : state };
}

/** The state and `returnTo` a state cookie carries, or undefined when it is not one. */
export function readLoginStateCookie(cookie: string | undefined): { state: string; returnTo?: string } | undefined {
  if (!cookie) return undefined;
  const dot = cookie.indexOf(SEPARATOR);
  if (dot < 0) return { state: cookie };
  const returnTo = Buffer.from(cookie.slice(dot + 1), 'base64url').toString('utf8');
  return { state: cookie.slice(0, dot), ...(returnTo ? { returnTo } : {}) };
}

/**
 * Checks that `state` was issued by this app (the key) for this `returnTo` and has not expired.
 * Returns its expiry (epoch ms) when it is good.
 */
export function verifyLoginState(key: Buffer, state: string, returnTo: string | undefined, now = Date.now()): number | undefined {
  if (state.length !== Math.ceil((STATE_BYTES * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(state)) return undefined;
  const raw = Buffer.from(state, 'base64url');
  if (raw.length !== STATE_BYTES) return undefined;
  const body = raw.subarray(0, BODY_BYTES);
  if (!timingSafeEqual(raw.subarray(BODY_BYTES), mac(key, body, returnTo ?? ''))) return undefined;
  const expiresAt = body.readUIntBE(0, EXPIRY_BYTES);
  return expiresAt > now ? expiresAt : undefined;
}

/** Equality of two secrets in constant time (for equal lengths; different lengths are unequal). */
export function sameLoginState(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function mac(key: Buffer, body: Buffer, returnTo: string): Buffer {
  return createHmac('sha256', key).update(body).update('|').update(returnTo, 'utf8').digest().subarray(0, MAC_BYTES);
}
