import type { TwitchRedisClient } from '../../redis/twitch-redis.provider.js';

/**
 * The shared state of a conduit's instances: who is alive (leases renewed by heartbeats), which
 * instance owns which shard, and what each shard points at. In Redis for several instances, in
 * memory for one.
 */
export interface TwitchConduitCoordinator {
  /** The conduit id stored for this app, if any. */
  conduitId(): Promise<string | undefined>;
  setConduitId(id: string): Promise<void>;
  /** Renews an instance's lease until `expiresAt` (epoch ms). */
  heartbeat(instanceId: string, expiresAt: number): Promise<void>;
  /** Removes an instance's lease now. */
  leave(instanceId: string): Promise<void>;
  /** Instances whose lease has not expired at `now`, sorted. Expired leases are removed. */
  live(now: number): Promise<string[]>;
  /** Shard id → owning instance. */
  owners(): Promise<Map<string, string>>;
  /** Writes owners (`set`) and removes shards (`remove`). */
  setOwners(set: Map<string, string>, remove: string[]): Promise<void>;
  /** Shard id → `{ instanceId, target }` (the session id or callback Twitch was told). */
  pointers(): Promise<Map<string, { instanceId: string; target: string }>>;
  setPointer(shardId: string, instanceId: string, target: string): Promise<void>;
  /** Forgets what a shard points at (Twitch says otherwise): its owner points it again. */
  deletePointer(shardId: string): Promise<void>;
}

/** One instance alone: everything in memory. */
export class TwitchMemoryConduitCoordinator implements TwitchConduitCoordinator {
  private id?: string;
  private readonly leases = new Map<string, number>();
  private readonly owned = new Map<string, string>();
  private readonly pointed = new Map<string, { instanceId: string; target: string }>();

  async conduitId(): Promise<string | undefined> {
    return this.id;
  }
  async setConduitId(id: string): Promise<void> {
    this.id = id;
  }
  async heartbeat(instanceId: string, expiresAt: number): Promise<void> {
    this.leases.set(instanceId, expiresAt);
  }
  async leave(instanceId: string): Promise<void> {
    this.leases.delete(instanceId);
  }
  async live(now: number): Promise<string[]> {
    for (const [id, at] of this.leases) if (at <= now) this.leases.delete(id);
    return [...this.leases.keys()].sort();
  }
  async owners(): Promise<Map<string, string>> {
    return new Map(this.owned);
  }
  async setOwners(set: Map<string, string>, remove: string[]): Promise<void> {
    for (const [k, v] of set) this.owned.set(k, v);
    for (const k of remove) this.owned.delete(k);
  }
  async pointers(): Promise<Map<string, { instanceId: string; target: string }>> {
    return new Map(this.pointed);
  }
  async setPointer(shardId: string, instanceId: string, target: string): Promise<void> {
    this.pointed.set(shardId, { instanceId, target });
  }
  async deletePointer(shardId: string): Promise<void> {
    this.pointed.delete(shardId);
  }
}

/**
 * Redis keys under `<prefix>`: `id` (the conduit id), `instances` (sorted set: instance → lease
 * expiry, ms), `owners` (hash: shard → instance), `pointers` (hash: shard → `instance target`).
 */
export class TwitchRedisConduitCoordinator implements TwitchConduitCoordinator {
  /**
   * @param legacyPrefix where the conduit id was kept before keys carried hash tags: read when `id` is
   *   missing, and copied to it.
   */
  constructor(
    private readonly redis: TwitchRedisClient,
    private readonly prefix: string,
    private readonly legacyPrefix?: string,
  ) {}

  async conduitId(): Promise<string | undefined> {
    const v = await this.redis.get(`${this.prefix}id`);
    if (v !== null && v !== undefined) return String(v);
    const old = this.legacyPrefix === undefined ? null : await this.redis.get(`${this.legacyPrefix}id`);
    if (old === null || old === undefined) return undefined;
    await this.redis.set(`${this.prefix}id`, String(old), { NX: true });
    return String(old);
  }
  async setConduitId(id: string): Promise<void> {
    await this.redis.set(`${this.prefix}id`, id);
  }
  async heartbeat(instanceId: string, expiresAt: number): Promise<void> {
    await this.redis.zAdd(`${this.prefix}instances`, { score: expiresAt, value: instanceId });
  }
  async leave(instanceId: string): Promise<void> {
    await this.redis.zRem(`${this.prefix}instances`, instanceId);
  }
  async live(now: number): Promise<string[]> {
    await this.redis.zRemRangeByScore(`${this.prefix}instances`, '-inf', now);
    const ids = (await this.redis.zRangeByScore(`${this.prefix}instances`, now + 1, '+inf')) as unknown[];
    return ids.map(String).sort();
  }
  async owners(): Promise<Map<string, string>> {
    const all = (await this.redis.hGetAll(`${this.prefix}owners`)) as Record<string, string>;
    return new Map(Object.entries(all).map(([k, v]) => [k, String(v)]));
  }
  async setOwners(set: Map<string, string>, remove: string[]): Promise<void> {
    if (set.size) await this.redis.hSet(`${this.prefix}owners`, Object.fromEntries(set));
    if (remove.length) await this.redis.hDel(`${this.prefix}owners`, remove);
  }
  async pointers(): Promise<Map<string, { instanceId: string; target: string }>> {
    const all = (await this.redis.hGetAll(`${this.prefix}pointers`)) as Record<string, string>;
    const out = new Map<string, { instanceId: string; target: string }>();
    for (const [shard, v] of Object.entries(all)) {
      const [instanceId, target] = String(v).split(' ');
      out.set(shard, { instanceId, target: target ?? '' });
    }
    return out;
  }
  async setPointer(shardId: string, instanceId: string, target: string): Promise<void> {
    await this.redis.hSet(`${this.prefix}pointers`, shardId, `${instanceId} ${target}`);
  }
  async deletePointer(shardId: string): Promise<void> {
    await this.redis.hDel(`${this.prefix}pointers`, shardId);
  }
}

/**
 * Spreads `shardCount` shards over the live instances: each keeps what it owns up to its share
 * (`floor(n / live)`, one more for the first `n % live` instances in sorted order); shards of dead
 * instances, shards over a share and every second shard of a run of neighbours on one instance go to
 * the instances under their share, preferably one that owns neither neighbouring shard (Twitch falls
 * back to the next shard when one is disabled). Returns the changed owners.
 */
export function planShardOwners(
  shardCount: number,
  live: readonly string[],
  owners: ReadonlyMap<string, string>,
): Map<string, string> {
  const changes = new Map<string, string>();
  if (live.length === 0) return changes;
  const sorted = [...live].sort();
  const base = Math.floor(shardCount / sorted.length);
  const extra = shardCount % sorted.length;
  const quota = new Map(sorted.map((id, i) => [id, base + (i < extra ? 1 : 0)]));
  const kept = new Map(sorted.map((id) => [id, 0]));
  const free: string[] = [];
  let previousKept: string | undefined;
  for (let shard = 0; shard < shardCount; shard++) {
    const id = String(shard);
    const owner = owners.get(id);
    // A run of neighbours on one instance is broken up where another instance can take one.
    const run = owner !== undefined && owner === previousKept;
    if (owner !== undefined && quota.has(owner) && kept.get(owner)! < quota.get(owner)! && !run) {
      kept.set(owner, kept.get(owner)! + 1);
      previousKept = owner;
    } else {
      free.push(id);
      previousKept = undefined;
    }
  }
  const final = new Map([...owners].filter(([id]) => !free.includes(id)));
  for (const id of free) {
    const open = sorted.filter((inst) => kept.get(inst)! < quota.get(inst)!);
    // Twitch tries the next shard when one is disabled: neighbours on other instances keep an
    // instance's death from disabling both.
    const n = Number(id);
    const neighbours = [String((n + shardCount - 1) % shardCount), String((n + 1) % shardCount)].map((s) => final.get(s));
    const to = open.find((inst) => !neighbours.includes(inst)) ?? open[0];
    kept.set(to, kept.get(to)! + 1);
    final.set(id, to);
    if (owners.get(id) !== to) changes.set(id, to);
  }
  return changes;
}
