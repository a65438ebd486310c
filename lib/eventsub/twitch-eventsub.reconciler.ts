import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TwitchApiService } from '../api/twitch-api.service.js';
import { TwitchAuthService } from '../auth/twitch-auth.service.js';
import { TwitchConflictException, TwitchForbiddenException, TwitchRateLimitException } from '../exceptions/twitch.exception.js';
import type { EventSubSubscription } from '../generated/event-sub/event-sub.dto.js';
import { TwitchKvStore } from '../store/twitch-kv.store.js';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { findEventSubType, subscriptionKey, TWITCH_EVENTSUB_BATCHED_TYPES } from './twitch-eventsub.catalog.js';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from './twitch-eventsub.constants.js';
import {
  TwitchEventSubConfigError,
  TwitchEventSubCostExceededException,
  TwitchEventSubMissingAuthorizationException,
} from '../exceptions/twitch-eventsub.exception.js';
import type { TwitchEventSubResolvedOptions, TwitchEventSubResolvedWanted } from './twitch-eventsub.options.js';
import { TWITCH_EVENTSUB_TRANSPORT, type TwitchEventSubTransport } from './transports/twitch-eventsub-transport.interface.js';
import { within } from './twitch-eventsub.util.js';
import { twitchKey } from '../redis/twitch-redis-key.js';

/** One subscription in a reconcile report. `condition` uses Twitch's (snake_case) names. */
export interface TwitchEventSubReconcileEntry {
  type: string;
  version: string;
  condition: Record<string, string>;
  /** Twitch's subscription id (absent when Twitch answered 409 and the existing one was not listed yet). */
  id?: string;
  /** Status Twitch reported; for `recreated`, the status of the subscription that was replaced. */
  status?: string;
}

export interface TwitchEventSubReconcileFailure extends TwitchEventSubReconcileEntry {
  /** `missing_authorization`: Twitch answered 403 (see `scopes`); `cost_exceeded`: `max_total_cost` reached. */
  reason: 'missing_authorization' | 'cost_exceeded' | 'error';
  error: Error;
  /** Scopes the user in the condition must grant (any one inner list), for `missing_authorization`. */
  scopes?: readonly (readonly string[])[];
  /** Where to send that user to grant them, when the module has a `redirectUri`. */
  authorizationUrl?: string;
}

/** What a reconcile did. */
export interface TwitchEventSubReconcileReport {
  /** Wanted, missing at Twitch, created now. */
  created: TwitchEventSubReconcileEntry[];
  /** Wanted and already at Twitch (enabled or waiting for the challenge), or Twitch answered 409. */
  adopted: TwitchEventSubReconcileEntry[];
  /** Wanted, found failed or revoked (`notification_failures_exceeded`, …): deleted and created again. */
  recreated: TwitchEventSubReconcileEntry[];
  /** This app's subscriptions (same callback) that nothing wants, deleted (`prune`). */
  pruned: TwitchEventSubReconcileEntry[];
  failed: TwitchEventSubReconcileFailure[];
  /** Twitch's `total_cost` after the reconcile. */
  totalCost: number;
  /** Twitch's `max_total_cost`. */
  maxTotalCost: number;
}

/** Statuses of a subscription that works or will once the challenge is answered. */
const HEALTHY = new Set(['enabled', 'webhook_callback_verification_pending']);

/**
 * Makes Twitch's subscriptions match the wanted ones: creates the missing, adopts the existing, re-creates
 * the failed, optionally prunes the unwanted. One instance at a time (a lock in the key-value store).
 */
@Injectable()
export class TwitchEventSubReconciler {
  private readonly logger = new Logger('TwitchEventSub');
  private totals = { totalCost: 0, maxTotalCost: 0 };

  constructor(
    private readonly api: TwitchApiService,
    private readonly auth: TwitchAuthService,
    private readonly kv: TwitchKvStore,
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly twitchOptions: TwitchResolvedOptions,
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
    @Inject(TWITCH_EVENTSUB_TRANSPORT) private readonly transport: TwitchEventSubTransport | null,
  ) {}

  /** Twitch's `total_cost` and `max_total_cost` as last seen. */
  get cost(): { totalCost: number; maxTotalCost: number } {
    return { ...this.totals };
  }

  async reconcile(wanted: readonly TwitchEventSubResolvedWanted[], prune: boolean): Promise<TwitchEventSubReconcileReport> {
    return this.locked(async () => {
      const report: TwitchEventSubReconcileReport = {
        created: [],
        adopted: [],
        recreated: [],
        pruned: [],
        failed: [],
        totalCost: 0,
        maxTotalCost: 0,
      };
      const ours = (await this.list()).filter((s) => this.owns(s));
      const byKey = new Map<string, EventSubSubscription[]>();
      for (const s of ours) {
        const key = subscriptionKey(s.type, s.version, (s.condition ?? {}) as Record<string, unknown>);
        byKey.set(key, [...(byKey.get(key) ?? []), s]);
      }
      const seen = new Set<string>();
      for (const w of wanted) {
        if (seen.has(w.key)) continue;
        seen.add(w.key);
        const existing = byKey.get(w.key) ?? [];
        const healthy = existing.find((s) => HEALTHY.has(s.status));
        if (healthy) {
          report.adopted.push(entry(w, healthy.id, healthy.status));
          continue;
        }
        const failed = existing[0];
        if (failed) {
          try {
            await this.api.eventSub.deleteEventSubSubscription({ id: failed.id });
          } catch (error) {
            report.failed.push(this.failure(w, error));
            continue;
          }
        }
        const outcome = await this.create(w);
        if ('reason' in outcome) report.failed.push(outcome);
        else if (outcome.adopted) report.adopted.push(outcome.entry);
        else if (failed) report.recreated.push({ ...outcome.entry, status: failed.status });
        else report.created.push(outcome.entry);
      }
      if (prune) {
        for (const s of ours) {
          const key = subscriptionKey(s.type, s.version, (s.condition ?? {}) as Record<string, unknown>);
          if (seen.has(key)) continue;
          try {
            await this.api.eventSub.deleteEventSubSubscription({ id: s.id });
            report.pruned.push({
              type: s.type,
              version: s.version,
              condition: stringCondition(s.condition),
              id: s.id,
              status: s.status,
            });
          } catch (error) {
            const what = { type: s.type, version: s.version, condition: stringCondition(s.condition) };
            report.failed.push({ ...this.failure(what, error), id: s.id });
          }
        }
      }
      for (const f of report.failed) {
        this.logger.error(`EventSub reconcile: ${f.type} v${f.version} ${JSON.stringify(f.condition)}: ${f.error.message}`);
      }
      const changes = report.created.length + report.recreated.length + report.pruned.length;
      this.logger.log(
        `EventSub reconciled: ${report.created.length} created, ${report.adopted.length} adopted, ${report.recreated.length} re-created, ` +
          `${report.pruned.length} pruned, ${report.failed.length} failed${changes ? '' : ' (no change)'}; ` +
          `cost ${this.totals.totalCost}/${this.totals.maxTotalCost}`,
      );
      Object.assign(report, this.totals);
      return report;
    });
  }

  /**
   * Makes sure one wanted subscription exists (creates it, or adopts it on 409 / when listed as healthy).
   * @throws TwitchEventSubMissingAuthorizationException, TwitchEventSubCostExceededException, or Twitch's error
   */
  async ensure(w: TwitchEventSubResolvedWanted): Promise<TwitchEventSubReconcileEntry> {
    const outcome = await this.create(w);
    if ('reason' in outcome) throw outcome.error;
    if (outcome.adopted && !outcome.entry.id) {
      const found = (await this.list(w.type)).find(
        (s) => this.owns(s) && subscriptionKey(s.type, s.version, (s.condition ?? {}) as Record<string, unknown>) === w.key,
      );
      if (found) return entry(w, found.id, found.status);
    }
    return outcome.entry;
  }

  /** Deletes this app's subscriptions matching `w`. Returns how many were deleted. */
  async remove(w: TwitchEventSubResolvedWanted): Promise<number> {
    let n = 0;
    for (const s of await this.list(w.type)) {
      if (!this.owns(s) || subscriptionKey(s.type, s.version, (s.condition ?? {}) as Record<string, unknown>) !== w.key) continue;
      await this.api.eventSub.deleteEventSubSubscription({ id: s.id });
      n++;
    }
    return n;
  }

  private owns(s: EventSubSubscription): boolean {
    return this.webhook().owns(s.transport ? { method: s.transport.method, callback: s.transport.callback } : undefined);
  }

  /** The transport reconciled; WebSocket sessions and conduits make their own subscriptions. */
  private webhook(): TwitchEventSubTransport {
    if (this.transport) return this.transport;
    throw new TwitchEventSubConfigError(
      `reconcile(), subscribe() and unsubscribe() manage webhook subscriptions; with transport "${this.options.transport}" ` +
        'the subscriptions are the handlers\' and the "subscriptions" option\'s, made by the transport itself',
    );
  }

  /** Every subscription Twitch lists for the app (every page), updating the cost totals. */
  private async list(type?: string): Promise<EventSubSubscription[]> {
    const out: EventSubSubscription[] = [];
    let after: string | undefined;
    for (let page = 0; page < 1_000; page++) {
      const res = await this.api.eventSub.getEventSubSubscriptions({
        ...(type ? { type: type as never } : {}),
        ...(after ? { after } : {}),
      });
      out.push(...(res.data ?? []));
      this.totals = {
        totalCost: res.totalCost ?? this.totals.totalCost,
        maxTotalCost: res.maxTotalCost ?? this.totals.maxTotalCost,
      };
      after = res.pagination?.cursor;
      if (!after || !res.data?.length) break;
    }
    return out;
  }

  private async create(
    w: TwitchEventSubResolvedWanted,
  ): Promise<{ entry: TwitchEventSubReconcileEntry; adopted: boolean } | TwitchEventSubReconcileFailure> {
    const { totalCost, maxTotalCost } = this.totals;
    try {
      const res = await this.api.eventSub.createEventSubSubscription({
        type: w.type as never,
        version: w.version,
        condition: { ...w.condition },
        transport: this.webhook().createTransport() as never,
        ...(TWITCH_EVENTSUB_BATCHED_TYPES.has(w.type) ? { isBatchingEnabled: true } : {}),
      });
      this.totals = { totalCost: res.totalCost ?? totalCost, maxTotalCost: res.maxTotalCost ?? maxTotalCost };
      const created = res.data?.[0];
      return { entry: entry(w, created?.id, created?.status), adopted: false };
    } catch (error) {
      if (error instanceof TwitchConflictException) return { entry: entry(w, error.existingId), adopted: true };
      return this.failure(w, error);
    }
  }

  private failure(
    w: Pick<TwitchEventSubResolvedWanted, 'type' | 'version' | 'condition'>,
    error: unknown,
  ): TwitchEventSubReconcileFailure {
    const base = { type: w.type, version: w.version, condition: w.condition };
    if (error instanceof TwitchForbiddenException) {
      const scopes = findEventSubType(w.type, w.version)?.scopes ?? [];
      let authorizationUrl: string | undefined;
      try {
        authorizationUrl = scopes.length ? this.auth.getAuthorizationUrl({ scopes: [...scopes[0]] as never }) : undefined;
      } catch {
        authorizationUrl = undefined; // no redirectUri: the message says which scopes instead
      }
      const e = new TwitchEventSubMissingAuthorizationException({ ...base, scopes }, authorizationUrl, error);
      return { ...base, reason: 'missing_authorization', error: e, scopes, authorizationUrl };
    }
    const { totalCost, maxTotalCost } = this.totals;
    const costly = maxTotalCost > 0 && totalCost >= maxTotalCost;
    if (error instanceof TwitchRateLimitException && (/cost/i.test(error.twitchMessage ?? '') || costly)) {
      const e = new TwitchEventSubCostExceededException(w.type, w.version, totalCost, maxTotalCost, error);
      return { ...base, reason: 'cost_exceeded', error: e };
    }
    return { ...base, reason: 'error', error: error instanceof Error ? error : new Error(String(error)) };
  }

  /** Runs `fn` while holding the reconcile lock; waits (polling) while another instance holds it. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const key = twitchKey(this.twitchOptions.keyPrefix, 'eventsub:reconcile-lock');
    const token = randomBytes(12).toString('hex');
    const ttl = this.options.reconcile.lockTtlMs;
    const deadline = Date.now() + ttl;
    let held = false;
    for (;;) {
      try {
        held = await within(this.kv.setIfAbsent(key, token, ttl), this.options.redisTimeoutMs, 'reconcile lock');
      } catch (error) {
        this.logger.warn(`EventSub reconcile lock unavailable (${(error as Error).message}); reconciling without it`);
        break;
      }
      if (held || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      return await fn();
    } finally {
      if (held)
        await within(this.kv.deleteIf(key, token), this.options.redisTimeoutMs, 'reconcile unlock').catch(() => undefined);
    }
  }
}

function entry(
  w: Pick<TwitchEventSubResolvedWanted, 'type' | 'version' | 'condition'>,
  id?: string,
  status?: string,
): TwitchEventSubReconcileEntry {
  return {
    type: w.type,
    version: w.version,
    condition: { ...w.condition },
    ...(id ? { id } : {}),
    ...(status ? { status } : {}),
  };
}

function stringCondition(c: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (c && typeof c === 'object')
    for (const [k, v] of Object.entries(c)) if (v !== undefined && v !== null && v !== '') out[k] = String(v);
  return out;
}
