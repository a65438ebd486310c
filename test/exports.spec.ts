import { describe, expect, it } from 'vitest';
import * as EventSubTypes from '../lib/eventsub-types.js';
import * as Helix from '../lib/helix.js';
import * as Root from '../lib/index.js';
import { pinnedRootExports } from './support/exports.js';

/**
 * Root names that need not say "Twitch": documented helpers whose own name says what they are for, and the
 * chat decorators, named after what they receive (`@OnChatMessage()`, `@OnChatCommand('!so')`).
 */
const UNPREFIXED = new Set(['signExtensionJwt', 'OnChatMessage', 'OnChatCommand']);

describe('the package root', () => {
  it('exports exactly the pinned list of runtime names', () => {
    expect(Object.keys(Root).sort()).toEqual([...pinnedRootExports()].sort());
  });

  it('names every export after Twitch, so none collides with an application name such as User or Stream', () => {
    const bare = Object.keys(Root).filter((n) => !/Twitch|TWITCH_/.test(n) && !UNPREFIXED.has(n));
    expect(bare).toEqual([]);
  });

  it('exports no Helix DTO, params class or endpoint constant, and no EventSub class; those are in their subpaths', () => {
    const helixClasses = Object.keys(Helix).filter((n) => typeof (Helix as Record<string, unknown>)[n] === 'function');
    expect(helixClasses).toEqual(expect.arrayContaining(['User', 'Stream', 'Game', 'GetUsersResponse', 'GetUsersParams']));
    const endpoints = Object.keys(Helix).filter((n) => /^[A-Z][A-Z0-9_]+$/.test(n) && !n.startsWith('TWITCH_'));
    expect(endpoints.length).toBe(149);
    const eventSubClasses = Object.keys(EventSubTypes).filter((n) => /(Event|Condition)$/.test(n));
    expect(eventSubClasses.length).toBeGreaterThan(160);
    const inRoot = [...helixClasses, ...endpoints, ...eventSubClasses].filter((n) => Object.hasOwn(Root, n));
    // The namespace classes and the field decorator are Helix's own, not the root's.
    expect(inRoot).toEqual([]);
  });

  it('does not export the module internals', () => {
    for (const internal of [
      'TwitchEndpointCaller',
      'TwitchCache',
      'mapTwitchDto',
      'resolveTwitchOptions',
      'TwitchLoginController',
      'TwitchHttpClient',
      'TwitchTransport',
      'createTwitchException',
      'TWITCH_RESOLVED_OPTIONS',
      'TWITCH_MODULE_OPTIONS',
    ]) {
      expect(Object.hasOwn(Root, internal), internal).toBe(false);
    }
  });

  it('keeps the catalogs and scopes in the root, as the subpaths have them', () => {
    expect(Root.TWITCH_ENDPOINTS).toBe(Helix.TWITCH_ENDPOINTS);
    expect(Root.TWITCH_ENDPOINTS.length).toBe(149);
    expect(Root.TwitchScopes).toBe(Helix.TwitchScopes);
    expect(Root.TWITCH_EVENTSUB_TYPES).toBe(EventSubTypes.TWITCH_EVENTSUB_TYPES);
  });
});
