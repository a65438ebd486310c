// The method name rule of the README's Endpoints section, checked over the whole catalog.
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { TwitchEndpointClient } from '../lib/api/twitch-endpoint-binding.js';
import { TWITCH_ENDPOINTS } from '../lib/generated/catalog.js';
import { TwitchApiNamespaces } from '../lib/generated/twitch-api.namespaces.js';

/**
 * The documented rule, written out here on its own: the camelCase of Twitch's reference name without the
 * articles (a, an, the); words are split at spaces and hyphens (Power-up: Power, Up); each word keeps its
 * letters and digits, the first starts lower-case (an acronym is lower-cased whole), the others start
 * upper-case, inner capitals stay.
 */
function ruleName(twitchName: string): string {
  return twitchName
    .split(/[\s-]+/)
    .map((w) => w.replace(/[^A-Za-z0-9]/g, ''))
    .filter((w) => w && !['a', 'an', 'the'].includes(w.toLowerCase()))
    .map((w, i) => {
      if (i > 0) return w[0].toUpperCase() + w.slice(1);
      return /^[A-Z]{2,}s?$/.test(w) ? w.toLowerCase() : w[0].toLowerCase() + w.slice(1);
    })
    .join('');
}

/** Operations whose pages are not a `data` list (Get Channel Stream Schedule pages through `data.segments`). */
const PAGED_WITHOUT_LIST = new Set(['Get Channel Stream Schedule']);

const api = new TwitchApiNamespaces({} as TwitchEndpointClient) as unknown as Record<string, Record<string, unknown>>;
const methodsOf = (namespace: string): string[] =>
  Object.getOwnPropertyNames(Object.getPrototypeOf(api[namespace])).filter((n) => n !== 'constructor');

describe('method names', () => {
  it('the catalog holds every Helix endpoint', () => {
    expect(TWITCH_ENDPOINTS).toHaveLength(149);
  });

  it.each(TWITCH_ENDPOINTS.map((e) => [e.name, e] as const))('%s: methodName follows the rule', (_, e) => {
    expect(e.methodName).toBe(ruleName(e.name));
    expect(typeof api[e.namespace]?.[e.methodName], `${e.namespace}.${e.methodName}`).toBe('function');
  });

  it('reads naturally where Twitch titles carry articles', () => {
    const byName = new Map(TWITCH_ENDPOINTS.map((e) => [e.name, `${e.namespace}.${e.methodName}`]));
    expect(byName.get('Start a raid')).toBe('raids.startRaid');
    expect(byName.get('Cancel a raid')).toBe('raids.cancelRaid');
    expect(byName.get('Send a Shoutout')).toBe('chat.sendShoutout');
    expect(byName.get('Get VIPs')).toBe('moderation.getVIPs');
    expect(byName.get('Get Channel Information')).toBe('channels.getChannelInformation');
    for (const e of TWITCH_ENDPOINTS) expect(e.methodName, e.name).not.toMatch(/(A|An|The)(?=[A-Z]|$)/);
  });

  it('no two methods in a namespace share a name (one-page and paginated methods together)', () => {
    const seen = new Map<string, string>();
    for (const e of TWITCH_ENDPOINTS) {
      const names = e.paginated && !PAGED_WITHOUT_LIST.has(e.name) ? [e.methodName, `${e.methodName}Paginated`] : [e.methodName];
      for (const n of names) {
        const key = `${e.namespace}.${n}`;
        expect(seen.get(key), key).toBeUndefined();
        seen.set(key, e.name);
      }
    }
    // And every method of every namespace is one of them: nothing else is named another way.
    const all = Object.keys(api).flatMap((ns) => methodsOf(ns).map((m) => `${ns}.${m}`));
    expect(all.sort()).toEqual([...seen.keys()].sort());
  });

  it('every paginated endpoint with a data list has <methodName>Paginated, and only those', () => {
    let paginated = 0;
    for (const e of TWITCH_ENDPOINTS) {
      const method = api[e.namespace][`${e.methodName}Paginated`];
      if (e.paginated && !PAGED_WITHOUT_LIST.has(e.name)) {
        paginated++;
        expect(typeof method, `${e.namespace}.${e.methodName}Paginated`).toBe('function');
      } else {
        expect(method, `${e.namespace}.${e.methodName}Paginated`).toBeUndefined();
      }
    }
    expect(paginated).toBeGreaterThan(30);
    expect(methodsOf('streams').filter((m) => /^iterate/.test(m))).toEqual([]);
  });
});
