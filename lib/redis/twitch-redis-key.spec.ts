import { describe, expect, it } from 'vitest';
import { resolveTwitchOptions, TwitchOptionsError } from '../twitch-options.js';
import { keyPrefixHashTagProblem, twitchKey } from './twitch-redis-key.js';

/** The part of a key Redis Cluster hashes (cluster spec, "Hash tags"). */
function hashed(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close < 0 || close === open + 1 ? key : key.slice(open + 1, close);
}

describe('twitchKey', () => {
  it('puts the entity in a hash tag right after the prefix, further parts after it', () => {
    expect(twitchKey('twitch:', 'rl:abc:app')).toBe('twitch:{rl:abc:app}');
    expect(twitchKey('twitch:', 'eventsub:conduit:main', 'owners')).toBe('twitch:{eventsub:conduit:main}:owners');
    expect(hashed(twitchKey('twitch:', 'eventsub:conduit:main', 'owners'))).toBe('eventsub:conduit:main');
  });

  it('keys of one entity share their hash tag whatever the entity holds; a prefix tag takes over for all', () => {
    for (const entity of ['user-token:1', 'eventsub:msg:a}b{c', 'x']) {
      expect(hashed(twitchKey('p:', entity, 'one'))).toBe(hashed(twitchKey('p:', entity, 'two')));
    }
    expect(hashed(twitchKey('app{1}:', 'rl:x'))).toBe('1');
  });

  it('refuses a keyPrefix whose braces would change what Redis hashes, naming the option', () => {
    expect(keyPrefixHashTagProblem('twitch:')).toBeUndefined();
    expect(keyPrefixHashTagProblem('app{1}:')).toBeUndefined();
    expect(keyPrefixHashTagProblem('a}b:')).toBeUndefined();
    for (const bad of ['app{', 'app{}:', 'a{b:']) {
      expect(() => resolveTwitchOptions({ clientId: 'x', keyPrefix: bad })).toThrow(TwitchOptionsError);
      expect(() => resolveTwitchOptions({ clientId: 'x', keyPrefix: bad })).toThrow('option "keyPrefix"');
    }
  });
});

describe('option redis.cluster', () => {
  it('takes a non-empty list of redis:// URLs, and names the bad entry otherwise', () => {
    expect(
      resolveTwitchOptions({ clientId: 'x', redis: { cluster: { rootNodes: ['redis://10.0.0.1:6379'] } } }).redis,
    ).toBeDefined();
    const cases: [unknown, string][] = [
      [{ rootNodes: [] }, 'redis.cluster.rootNodes'],
      [{ rootNodes: 'redis://10.0.0.1:6379' }, 'redis.cluster.rootNodes'],
      [{ rootNodes: ['redis://a:1', 'http://b:2'] }, 'redis.cluster.rootNodes[1]'],
      [{ rootNodes: ['redis://a:1'], nodes: 1 }, 'redis.cluster.nodes'],
    ];
    for (const [cluster, option] of cases) {
      expect(() => resolveTwitchOptions({ clientId: 'x', redis: { cluster } as never })).toThrow(`option "${option}"`);
    }
  });
});
