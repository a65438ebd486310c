import { describe, expect, it } from 'vitest';
import { TwitchMemoryKvStore } from '../../store/twitch-kv.store.js';
import { resolveTwitchOptions } from '../../twitch-options.js';
import type { TwitchLoginOptions } from '../../interfaces/twitch-login-options.interface.js';
import { TwitchSessions } from './twitch-sessions.js';

/** A bare Node-like response that collects Set-Cookie headers. */
function response() {
  const headers: Record<string, string | string[]> = {};
  return {
    headers,
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: string | string[]) => void (headers[name.toLowerCase()] = value),
    cookies: () => [headers['set-cookie'] ?? []].flat(),
  };
}

const sessions = (login: TwitchLoginOptions = {}) =>
  new TwitchSessions(new TwitchMemoryKvStore(), resolveTwitchOptions({ clientId: 'x', keyPrefix: 'k:', login }));
const http = (cookie?: string) => ({ headers: cookie ? { cookie } : {}, protocol: 'http' });
const https = (cookie?: string) => ({ headers: cookie ? { cookie } : {}, protocol: 'https' });

describe('TwitchSessions cookies', () => {
  it('names Secure cookies __Host-…, plain ones as configured', () => {
    const auto = sessions();
    expect(auto.cookieNameFor('twitch_session', http())).toBe('twitch_session');
    expect(auto.cookieNameFor('twitch_session', https())).toBe('__Host-twitch_session');
    expect(sessions({ secureCookie: true }).cookieNameFor('sid', http())).toBe('__Host-sid');
    expect(sessions({ secureCookie: false }).cookieNameFor('sid', https())).toBe('sid');
  });

  it('sets __Host- cookies with Secure, Path=/ and no Domain', () => {
    const res = response();
    sessions().setCookie(res, 'twitch_session_state', 'abc', 600, https());
    const [cookie] = res.cookies();
    expect(cookie).toMatch(/^__Host-twitch_session_state=abc; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('reads only the name the request uses: on https the unprefixed cookie is ignored', async () => {
    const s = sessions();
    const res = response();
    await s.create('141981764', https(), res);
    const id = String(res.cookies()[0]).split(';')[0].split('=')[1];
    expect(s.sessionId(https(`__Host-twitch_session=${id}`))).toBe(id);
    expect(s.sessionId(https(`twitch_session=${id}`))).toBeUndefined();
    expect(s.sessionId(http(`__Host-twitch_session=${id}`))).toBeUndefined();
    expect(await s.userId(id)).toBe('141981764');
  });

  it('clears a cookie under the same name it was set with', () => {
    const res = response();
    sessions({ secureCookie: true }).clearCookie(res, 'sid', http());
    expect(res.cookies()[0]).toMatch(
      /^__Host-sid=; Path=\/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax; Secure$/,
    );
  });
});
