import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TwitchKvStore } from '../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from './twitch-eventsub.constants.js';
import type { TwitchEventSubResolvedOptions, TwitchEventSubResolvedWanted } from './twitch-eventsub.options.js';
import { within } from './twitch-eventsub.util.js';
import { parseJson } from '../utils/json.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

/** How long the shared list of runtime subscriptions lives after its last change (ms). */
const TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The subscriptions added with `TwitchEventSubService.subscribe()`, shared by every instance through the
 * key-value store (Redis when the module has it), so that any instance's reconcile keeps and repairs
 * them, and `prune` never deletes another instance's. Changes are made under a short lock. When the
 * store does not answer in time, the change is kept in this instance only (logged).
 */
@Injectable()
export class TwitchEventSubRuntimeSubscriptions {
  private readonly logger = new Logger('TwitchEventSub');
  private readonly key: string;
  /** Where the list was kept before keys carried hash tags: read while the current key is missing. */
  private readonly legacyKey: string;

  constructor(
    private readonly kv: TwitchKvStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) twitch: TwitchResolvedOptions,
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
  ) {
    this.key = twitchKey(twitch.keyPrefix, 'eventsub:runtime');
    this.legacyKey = `${twitch.keyPrefix}eventsub:runtime`;
  }

  /** Every shared runtime subscription (empty when the store does not answer). */
  async list(): Promise<TwitchEventSubResolvedWanted[]> {
    try {
      return parse(await within(this.read(), this.options.redisTimeoutMs, 'runtime subscriptions'));
    } catch (error) {
      this.logger.warn(`EventSub runtime subscriptions of other instances unavailable (${(error as Error).message})`);
      return [];
    }
  }

  add(w: TwitchEventSubResolvedWanted): Promise<void> {
    return this.change((all) => (all.some((x) => x.key === w.key) ? all : [...all, w]));
  }

  remove(w: TwitchEventSubResolvedWanted): Promise<void> {
    return this.change((all) => all.filter((x) => x.key !== w.key));
  }

  private async read(): Promise<string | undefined> {
    return (await this.kv.get(this.key)) ?? (await this.kv.get(this.legacyKey));
  }

  private async change(fn: (all: TwitchEventSubResolvedWanted[]) => TwitchEventSubResolvedWanted[]): Promise<void> {
    const bound = this.options.redisTimeoutMs;
    const lock = `${this.key}:lock`;
    const token = randomBytes(12).toString('hex');
    try {
      let held = false;
      for (let i = 0; i < 20 && !held; i++) {
        held = await within(this.kv.setIfAbsent(lock, token, 5_000), bound, 'runtime subscriptions lock');
        if (!held) await new Promise((r) => setTimeout(r, 50));
      }
      try {
        const all = parse(await within(this.read(), bound, 'runtime subscriptions'));
        await within(this.kv.set(this.key, JSON.stringify(fn(all)), TTL_MS), bound, 'runtime subscriptions');
      } finally {
        if (held) await within(this.kv.deleteIf(lock, token), bound, 'runtime subscriptions unlock').catch(() => undefined);
      }
    } catch (error) {
      this.logger.warn(`EventSub runtime subscription kept in this instance only (${(error as Error).message})`);
    }
  }
}

function parse(raw: string | undefined): TwitchEventSubResolvedWanted[] {
  const list = parseJson(raw);
  return Array.isArray(list)
    ? list.filter((w): w is TwitchEventSubResolvedWanted => !!w && typeof w.key === 'string' && typeof w.type === 'string')
    : [];
}
