/**
 * Small helpers shared by the fake's route modules: error bodies, body parsing, cursors, ids.
 * Internal: not part of the public testing API except {@link twitchError}.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { FakeTwitchResponse } from './types.js';

/** Twitch's reason phrase for a status (`'Too Many Requests'`), as used in the `error` field. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown Error';
}

/**
 * A response carrying Twitch's Helix error body `{"error": <reason phrase>, "status", "message"}`.
 * Handy in custom {@link FakeTwitch.route} handlers.
 */
export function twitchError(status: number, message?: string, headers?: Record<string, string>): FakeTwitchResponse {
  return { status, body: { error: reasonPhrase(status), status, message: message ?? reasonPhrase(status) }, headers };
}

/** id.twitch.tv's error body, which has no `error` field: `{"status", "message"}`. */
export function oauthError(status: number, message: string): FakeTwitchResponse {
  return { status, body: { status, message } };
}

/** Lower-case alphanumeric random string, Twitch-token-like. */
export function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/** Device-flow user code: 8 upper-case letters without easily confused ones. */
export function randomUserCode(): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ';
  let out = '';
  for (let i = 0; i < 8; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export { randomUUID };

/** RFC3339 without fractional seconds, as most Helix timestamps are. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parse a query string into repeated-key form. */
export function parseQuery(search: URLSearchParams): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [key, value] of search) (query[key] ??= []).push(value);
  return query;
}

/** Flatten headers to lower-cased keys with string values. */
export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Thrown when a request body exceeds {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {}

/** Largest request body the fake accepts. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Read the whole request body as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Decode a body by content type: JSON → value, urlencoded form → `Record<string,string>` (last value
 * wins), anything else → raw string. Without a content type, a body that looks like JSON is parsed as
 * JSON and one that looks like a form as a form. Unparseable JSON stays a raw string.
 */
export function decodeBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const trimmed = raw.trimStart();
  if (type.endsWith('/json') || type.endsWith('+json') || (type === '' && (trimmed.startsWith('{') || trimmed.startsWith('[')))) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  if (type === 'application/x-www-form-urlencoded' || (type === '' && /^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(raw))) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  return raw;
}

/** True for a plain (non-array) object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A page position encoded in an opaque cursor: `s` = index of the page's first item, `e` = index after its last. */
export interface CursorPosition {
  s: number;
  e: number;
}

/** Encode a page position as an opaque base64url cursor. */
export function encodeCursor(pos: CursorPosition, kind: string): string {
  return Buffer.from(JSON.stringify({ k: kind, ...pos }), 'utf8').toString('base64url');
}

/** Decode a cursor made by {@link encodeCursor}; `undefined` if it is not a valid cursor of that kind. */
export function decodeCursor(cursor: string, kind: string): CursorPosition | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!isObject(parsed) || parsed.k !== kind) return undefined;
    const { s, e } = parsed;
    if (!Number.isInteger(s) || !Number.isInteger(e) || (s as number) < 0 || (e as number) < (s as number)) return undefined;
    return { s: s as number, e: e as number };
  } catch {
    return undefined;
  }
}

/**
 * Slice one page out of `items` from the Helix `first` / `after` / `before` parameters.
 * `after` starts just after the cursor's page, `before` ends just before it. The returned cursor
 * describes the returned page and is present only when there is more in the direction of travel.
 */
export function paginate<T>(
  items: T[],
  first: number,
  after: CursorPosition | undefined,
  before: CursorPosition | undefined,
  kind: string,
): { page: T[]; cursor?: string } {
  let start: number;
  let end: number;
  if (before && !after) {
    end = Math.min(before.s, items.length);
    start = Math.max(0, end - first);
  } else {
    start = Math.min(after ? after.e : 0, items.length);
    end = Math.min(items.length, start + first);
  }
  const page = items.slice(start, end);
  const more = before && !after ? start > 0 : end < items.length;
  return { page, cursor: more && page.length > 0 ? encodeCursor({ s: start, e: end }, kind) : undefined };
}
