import { describe, expect, it } from 'vitest';
import { issueLoginState, loginStateKey, readLoginStateCookie, sameLoginState, verifyLoginState } from './twitch-login-state.js';

const KEY = loginStateKey('client-id', 'client-secret');
const HOUR = 3_600_000;

describe('login state', () => {
  it('is 43 base64url characters, different every time, and verifies until it expires', () => {
    const now = Date.now();
    const a = issueLoginState(KEY, now + HOUR);
    const b = issueLoginState(KEY, now + HOUR);
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.state).not.toBe(b.state);
    expect(a.cookie).toBe(a.state);
    expect(verifyLoginState(KEY, a.state, undefined, now)).toBe(Math.floor(now + HOUR));
    expect(verifyLoginState(KEY, a.state, undefined, now + HOUR)).toBeUndefined();
  });

  it('carries returnTo in the cookie, bound to the state by the signature', () => {
    const { state, cookie } = issueLoginState(KEY, Date.now() + HOUR, '/me?tab=1');
    expect(readLoginStateCookie(cookie)).toEqual({ state, returnTo: '/me?tab=1' });
    expect(verifyLoginState(KEY, state, '/me?tab=1')).toBeDefined();
    expect(verifyLoginState(KEY, state, '//evil.example')).toBeUndefined();
    expect(verifyLoginState(KEY, state, undefined)).toBeUndefined();
  });

  it('refuses states of another key, altered ones and made-up ones', () => {
    const { state } = issueLoginState(KEY, Date.now() + HOUR);
    expect(verifyLoginState(loginStateKey('client-id', 'another-secret'), state, undefined)).toBeUndefined();
    expect(verifyLoginState(loginStateKey('another-client', 'client-secret'), state, undefined)).toBeUndefined();
    const flipped = Buffer.from(state, 'base64url');
    flipped[0] ^= 0x01; // a later expiry
    expect(verifyLoginState(KEY, flipped.toString('base64url'), undefined)).toBeUndefined();
    for (const made of ['', 'made-up-state', 'A'.repeat(43), `${state}A`, state.slice(1), `${state.slice(0, 42)}+`]) {
      expect(verifyLoginState(KEY, made, undefined)).toBeUndefined();
    }
  });

  it('reads cookies without returnTo, and nothing from an empty cookie', () => {
    expect(readLoginStateCookie(undefined)).toBeUndefined();
    expect(readLoginStateCookie('')).toBeUndefined();
    expect(readLoginStateCookie('abc')).toEqual({ state: 'abc' });
    expect(readLoginStateCookie('abc.')).toEqual({ state: 'abc' });
  });

  it('compares states in constant time, any lengths', () => {
    expect(sameLoginState('abc', 'abc')).toBe(true);
    expect(sameLoginState('abc', 'abd')).toBe(false);
    expect(sameLoginState('abc', 'abcd')).toBe(false);
  });
});
