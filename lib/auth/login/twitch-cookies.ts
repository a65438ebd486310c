/**
 * Cookies by hand (no cookie-parser), working with Express and Fastify request/response objects.
 */

/** The request fields used here; Express and Fastify requests both have them. */
export interface TwitchHttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
  protocol?: string;
  socket?: { encrypted?: boolean };
}

/**
 * Parses the `Cookie` header. The first of two cookies with the same name wins (the most specific path).
 * The record has no prototype: a cookie named `constructor` or `__proto__` is a cookie like any other, and
 * a name that was not sent reads as undefined.
 */
export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return out;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in out) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

export function readCookie(request: TwitchHttpRequestLike, name: string): string | undefined {
  const value = parseCookies(request.headers.cookie)[name];
  return value ? value : undefined;
}

/** Is the request https (as the platform sees it: Express and Fastify honour their trust-proxy setting)? */
export function isSecureRequest(request: TwitchHttpRequestLike): boolean {
  if (request.protocol) return request.protocol === 'https';
  return request.socket?.encrypted === true;
}

export interface TwitchCookieAttributes {
  /** Seconds; 0 expires the cookie now. */
  maxAge: number;
  secure: boolean;
  path?: string;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `name=value; Path=/; Max-Age=…; HttpOnly; SameSite=Lax[; Secure]`. */
export function serializeCookie(name: string, value: string, attrs: TwitchCookieAttributes): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${name}`);
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${attrs.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(attrs.maxAge))}`,
  ];
  if (attrs.maxAge <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  parts.push('HttpOnly', 'SameSite=Lax');
  if (attrs.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Is this a valid cookie name (RFC 6265 token)? */
export function isCookieName(name: string): boolean {
  return COOKIE_NAME.test(name);
}

/**
 * Adds a `Set-Cookie` header without dropping the ones already set: Fastify's reply (`reply.raw`
 * is the Node response; `reply.header('set-cookie')` appends), Express' response (`res.append`),
 * or a bare Node `ServerResponse`.
 */
export function appendSetCookie(response: unknown, cookie: string): void {
  const res = response as {
    raw?: unknown;
    header?: (name: string, value: unknown) => unknown;
    getHeader?: (name: string) => unknown;
    append?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string | string[]) => unknown;
  };
  if (res.raw && typeof res.header === 'function' && typeof res.getHeader === 'function') {
    // Fastify reply: merge explicitly, so the behaviour does not depend on the Fastify version.
    const current = res.getHeader('set-cookie');
    const values = current === undefined ? [cookie] : [...(Array.isArray(current) ? current : [current]).map(String), cookie];
    (res as { removeHeader?: (n: string) => unknown }).removeHeader?.('set-cookie');
    res.header('set-cookie', values);
    return;
  }
  if (typeof res.append === 'function') {
    res.append('Set-Cookie', cookie);
    return;
  }
  if (typeof res.setHeader === 'function' && typeof res.getHeader === 'function') {
    const current = res.getHeader('Set-Cookie');
    res.setHeader(
      'Set-Cookie',
      current === undefined ? [cookie] : [...(Array.isArray(current) ? current : [current]).map(String), cookie],
    );
    return;
  }
  throw new TypeError('appendSetCookie: unsupported response object (expected an Express response or a Fastify reply)');
}
