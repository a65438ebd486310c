import { describe, expect, it } from 'vitest';
import {
  appendSetCookie,
  isCookieName,
  isSecureRequest,
  parseCookies,
  readCookie,
  serializeCookie,
  type TwitchCookieAttributes,
} from './twitch-cookies.js';

const request = (cookie?: string | string[]) => ({ headers: { cookie } });
const session: TwitchCookieAttributes = { maxAge: 600, secure: false };

describe('parseCookies', () => {
  it('reads name=value pairs, trimming the blanks around them', () => {
    expect(parseCookies('a=1; b=two;c=3 ;  d = 4 ')).toEqual({ a: '1', b: 'two', c: '3', d: '4' });
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies('')).toEqual({});
  });

  it('keeps the first of two cookies with the same name (the browser sends the most specific path first)', () => {
    expect(parseCookies('sid=inner; sid=outer; other=1; sid=third')).toEqual({ sid: 'inner', other: '1' });
  });

  it('reads every line of a header sent more than once, in order', () => {
    expect(parseCookies(['a=1; b=2', 'b=3; c=4'])).toEqual({ a: '1', b: '2', c: '4' });
  });

  it('decodes percent-encoding, and keeps a value that does not decode as it is', () => {
    expect(parseCookies('a=x%3By%20z; b=%E2%82%AC')).toEqual({ a: 'x;y z', b: '€' });
    expect(parseCookies('a=%E0%A4%A; b=100%; c=%ZZ; d=%C0%80')).toEqual({ a: '%E0%A4%A', b: '100%', c: '%ZZ', d: '%C0%80' });
  });

  it('takes a quoted value without its quotes, and everything after the first = as the value', () => {
    expect(parseCookies('a="quoted"; b=""; c="; d=x=y==')).toEqual({ a: 'quoted', b: '', c: '"', d: 'x=y==' });
  });

  it('skips parts without a name or without =', () => {
    expect(parseCookies('=orphan; flag; ; ;;a=1; =; b=')).toEqual({ a: '1', b: '' });
  });

  it('reads cookies named like Object.prototype members as cookies, and never anything inherited', () => {
    const parsed = parseCookies('constructor=c; toString=t; __proto__=p; hasOwnProperty=h');
    expect(Object.keys(parsed)).toEqual(['constructor', 'toString', '__proto__', 'hasOwnProperty']);
    expect(parsed.constructor).toBe('c');
    expect(parsed.toString).toBe('t');
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('p');
    expect(parsed.hasOwnProperty).toBe('h');
    expect(parseCookies('a=1').constructor).toBeUndefined();
    expect(readCookie(request('a=1'), 'constructor')).toBeUndefined();
    expect(readCookie(request('a=1'), '__proto__')).toBeUndefined();
    expect(readCookie(request('valueOf=v'), 'valueOf')).toBe('v');
  });

  it('reads a cookie at the end of a huge header, and many cookies of one name', () => {
    const filler = Array.from({ length: 5_000 }, (_, i) => `c${i}=${'v'.repeat(20)}`).join('; ');
    const parsed = parseCookies(`${filler}; sid=mine`);
    expect(Object.keys(parsed)).toHaveLength(5_001);
    expect(parsed.sid).toBe('mine');
    const repeated = `sid=first; ${'sid=again; '.repeat(20_000)}`;
    expect(parseCookies(repeated)).toEqual({ sid: 'first' });
    // One enormous value is read as it is.
    expect(parseCookies(`big=${'x'.repeat(200_000)}`).big).toHaveLength(200_000);
  });
});

describe('readCookie', () => {
  it('is the value of the named cookie, undefined when absent or empty', () => {
    expect(readCookie(request('__Host-sid=abc; sid=plain'), '__Host-sid')).toBe('abc');
    expect(readCookie(request('__Host-sid=abc; sid=plain'), 'sid')).toBe('plain');
    expect(readCookie(request('sid='), 'sid')).toBeUndefined();
    expect(readCookie(request('other=1'), 'sid')).toBeUndefined();
    expect(readCookie(request(), 'sid')).toBeUndefined();
    // Names are case-sensitive.
    expect(readCookie(request('SID=abc'), 'sid')).toBeUndefined();
  });
});

describe('serializeCookie', () => {
  it('writes name=value; Path=/; Max-Age; HttpOnly; SameSite=Lax, and Secure when asked', () => {
    expect(serializeCookie('sid', 'abc', session)).toBe('sid=abc; Path=/; Max-Age=600; HttpOnly; SameSite=Lax');
    expect(serializeCookie('__Host-sid', 'abc', { maxAge: 600, secure: true })).toBe(
      '__Host-sid=abc; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure',
    );
    expect(serializeCookie('sid', 'abc', { ...session, path: '/auth' })).toContain('; Path=/auth;');
  });

  it('never writes a Domain (a __Host- cookie must not have one)', () => {
    for (const secure of [true, false])
      expect(serializeCookie('__Host-sid', 'abc', { maxAge: 1, secure })).not.toMatch(/domain/i);
  });

  it('writes whole seconds, and expires the cookie now for a Max-Age of 0 or less', () => {
    expect(serializeCookie('sid', 'a', { maxAge: 600.9, secure: false })).toContain('; Max-Age=600;');
    const expired = 'sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax';
    expect(serializeCookie('sid', '', { maxAge: 0, secure: false })).toBe(expired);
    expect(serializeCookie('sid', '', { maxAge: -30, secure: false })).toBe(expired);
  });

  it('encodes the value so that it cannot add attributes or cookies, and reads back as it was', () => {
    const hostile = 'x; Domain=evil.example; Path=/\r\nSet-Cookie: y=1, z="2" €';
    const header = serializeCookie('sid', hostile, session);
    expect(header.split('; ')).toEqual([
      'sid=' + encodeURIComponent(hostile),
      'Path=/',
      'Max-Age=600',
      'HttpOnly',
      'SameSite=Lax',
    ]);
    expect(header).not.toMatch(/[\r\n",]/);
    const sent = header.split(';')[0];
    expect(parseCookies(`${sent}; other=1`)).toEqual({ sid: hostile, other: '1' });
  });

  it('refuses a name that is not an RFC 6265 token', () => {
    for (const name of ['', 'a b', 'a;b', 'a=b', 'a,b', 'a"b', 'a\r\nb', 'sid€', '(sid)', 'a/b', 'a\tb']) {
      expect(isCookieName(name)).toBe(false);
      expect(() => serializeCookie(name, 'v', session)).toThrow(TypeError);
    }
    for (const name of ['sid', '__Host-sid', 'twitch_session_state', "a!#$%&'*+-.^_`|~9Z"]) {
      expect(isCookieName(name)).toBe(true);
      expect(() => serializeCookie(name, 'v', session)).not.toThrow();
    }
  });
});

describe('isSecureRequest', () => {
  it("takes the platform's protocol (which honours trust proxy), else whether the socket is TLS", () => {
    expect(isSecureRequest({ headers: {}, protocol: 'https' })).toBe(true);
    expect(isSecureRequest({ headers: {}, protocol: 'http' })).toBe(false);
    expect(isSecureRequest({ headers: {}, protocol: 'http', socket: { encrypted: true } })).toBe(false);
    expect(isSecureRequest({ headers: {}, socket: { encrypted: true } })).toBe(true);
    expect(isSecureRequest({ headers: {}, socket: {} })).toBe(false);
    expect(isSecureRequest({ headers: {} })).toBe(false);
    // A forwarded header alone is not trusted: the platform decides (trust proxy).
    expect(isSecureRequest({ headers: { 'x-forwarded-proto': 'https' } })).toBe(false);
  });
});

describe('appendSetCookie', () => {
  /** A response's headers as Node keeps them (lower-case names). */
  const headerStore = (initial?: string | string[]) => {
    const headers: Record<string, unknown> = initial === undefined ? {} : { 'set-cookie': initial };
    return {
      headers,
      getHeader: (name: string) => headers[name.toLowerCase()],
      setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = value),
      removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    };
  };

  /** A response's `Set-Cookie` before (none, one, two) and after appending `b=2`. */
  const MERGES = [
    [undefined, ['b=2']],
    ['a=1', ['a=1', 'b=2']],
    [
      ['a=1', 'c=3'],
      ['a=1', 'c=3', 'b=2'],
    ],
  ] as const;

  it('adds to the cookies a Node response already sets', () => {
    for (const [initial, expected] of MERGES) {
      const res = headerStore(initial as string | string[] | undefined);
      appendSetCookie(res, 'b=2');
      expect(res.headers['set-cookie']).toEqual(expected);
    }
  });

  it("uses Express' res.append", () => {
    const appended: [string, string][] = [];
    const res = { ...headerStore(), append: (name: string, value: string) => void appended.push([name, value]) };
    appendSetCookie(res, 'a=1');
    appendSetCookie(res, 'b=2');
    expect(appended).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
  });

  it("merges into a Fastify reply's set-cookie itself, whatever reply.header does with an existing one", () => {
    for (const [initial, expected] of MERGES) {
      const store = headerStore(initial as string | string[] | undefined);
      // Like Fastify's reply.header('set-cookie', …): appends to what is there.
      const header = (name: string, value: unknown) => {
        const current = store.getHeader(name);
        store.setHeader(name, current === undefined ? value : [current, value].flat());
      };
      const reply = { raw: {}, header, getHeader: store.getHeader, removeHeader: store.removeHeader };
      appendSetCookie(reply, 'b=2');
      expect(store.headers['set-cookie']).toEqual(expected);
    }
  });

  it('refuses an object that is no response', () => {
    expect(() => appendSetCookie({}, 'a=1')).toThrow(TypeError);
    expect(() => appendSetCookie({ setHeader: () => undefined }, 'a=1')).toThrow(TypeError);
  });
});
