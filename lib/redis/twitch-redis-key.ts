/**
 * Every Redis key of the module: `<keyPrefix>{<tag>}` then `:<part>` for each further part, for instance
 * `twitch:{rl:<clientId>:app}` or `twitch:{eventsub:conduit:main}:owners`.
 *
 * Redis Cluster places a key by its hash tag, the text between the first `{` and the next `}`. The tag
 * names one entity (a bucket, a user, a session, a message, a conduit): keys of different entities spread
 * over the cluster, and keys that one Lua script or MULTI touches together are given the same tag so that
 * they stay on one slot. Every script and MULTI of the module touches the keys of one tag only.
 *
 * A `keyPrefix` holding a hash tag of its own (`app{1}:`) puts every key on that one slot
 * (see {@link keyPrefixHashTagProblem}). The tag itself may be any text; a `}` in it ends the tag early,
 * which still keeps every key built from the same parts on one slot.
 */
export function twitchKey(keyPrefix: string, tag: string, ...parts: string[]): string {
  let key = `${keyPrefix}{${tag}}`;
  for (const part of parts) key += `:${part}`;
  return key;
}

/**
 * Why a `keyPrefix` would break the hash tags the module adds, or undefined when it does not: a `{` in
 * the prefix must open a non-empty tag closed within the prefix (`{}` makes Redis hash the whole key,
 * and an open `{` would reach into the module's own tag).
 */
export function keyPrefixHashTagProblem(keyPrefix: string): string | undefined {
  const open = keyPrefix.indexOf('{');
  if (open < 0) return undefined;
  const close = keyPrefix.indexOf('}', open + 1);
  if (close < 0) return 'must close every "{" it opens (a Redis Cluster hash tag)';
  if (close === open + 1) return 'must not hold an empty hash tag "{}" (Redis Cluster would then ignore every tag of the key)';
  return undefined;
}
