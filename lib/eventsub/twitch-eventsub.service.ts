import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { conditionToWire, describeUnknownType, findEventSubType, subscriptionKey } from './twitch-eventsub.catalog.js';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from './twitch-eventsub.constants.js';
import { TwitchEventSubDispatcher } from './twitch-eventsub.dispatcher.js';
import { TwitchEventSubConfigError } from '../exceptions/twitch-eventsub.exception.js';
import type { TwitchEventSubResolvedOptions, TwitchEventSubResolvedWanted } from './twitch-eventsub.options.js';
import {
  TwitchEventSubReconciler,
  type TwitchEventSubReconcileEntry,
  type TwitchEventSubReconcileReport,
} from './twitch-eventsub.reconciler.js';
import { TwitchValidationException } from '../exceptions/twitch-validation.exception.js';
import { TwitchEventSubRuntimeSubscriptions } from './twitch-eventsub-runtime.store.js';
import type {
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from './interfaces/twitch-eventsub-message.interface.js';
import type {
  TwitchEventSubConditionOf,
  TwitchEventSubEventOf,
  TwitchEventSubTypeName,
  TwitchEventSubVersionOf,
} from './twitch-eventsub-type.interface.js';

/**
 * EventSub at runtime: subscribe and unsubscribe, listen to every notification or revocation, and
 * reconcile Twitch's subscriptions with the wanted ones (those of `@OnTwitchEvent` handlers with a
 * condition, of the `subscriptions` option and of `subscribe()`).
 */
@Injectable()
export class TwitchEventSubService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TwitchEventSub');
  private readonly fixed = new Map<string, TwitchEventSubResolvedWanted>();
  private readonly runtime = new Map<string, TwitchEventSubResolvedWanted>();
  private listening?: Subscription;
  private startup?: Promise<TwitchEventSubReconcileReport | undefined>;
  private resolveStartup?: (report: TwitchEventSubReconcileReport | undefined) => void;

  constructor(
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
    private readonly dispatcher: TwitchEventSubDispatcher,
    private readonly reconciler: TwitchEventSubReconciler,
    private readonly adapterHost: HttpAdapterHost,
    private readonly shared: TwitchEventSubRuntimeSubscriptions,
  ) {
    for (const s of options.subscriptions) this.want(this.fixed, { ...s, key: subscriptionKey(s.type, s.version, s.condition) });
  }

  /** Startup reconcile: once the HTTP server listens (Twitch's challenge needs it). */
  onApplicationBootstrap(): void {
    // WebSocket sessions and conduits make their subscriptions themselves (TwitchEventSubTransportRunner).
    if (!this.options.reconcile.onStartup || this.options.transport !== 'webhook') return;
    this.startup = new Promise((resolve) => (this.resolveStartup = resolve));
    const run = () => {
      this.reconcile().then(
        (report) => this.resolveStartup?.(report),
        (error: unknown) => {
          this.logger.error(`EventSub startup reconcile failed: ${(error as Error)?.message ?? String(error)}`);
          this.resolveStartup?.(undefined);
        },
      );
    };
    const host = this.adapterHost;
    if (!host.httpAdapter) {
      this.logger.warn('EventSub: no HTTP server in this application; call reconcile() yourself');
      this.resolveStartup?.(undefined);
      return;
    }
    if (host.listening) run();
    else this.listening = host.listen$.subscribe(() => run());
  }

  onModuleDestroy(): void {
    this.listening?.unsubscribe();
    this.resolveStartup?.(undefined);
  }

  /**
   * The report of the startup reconcile, once it has run (`undefined` if it was off, failed, or there
   * is no HTTP server).
   */
  startupReconcile(): Promise<TwitchEventSubReconcileReport | undefined> {
    return this.startup ?? Promise.resolve(undefined);
  }

  /**
   * Compares the wanted subscriptions with Get EventSub Subscriptions and fixes the difference (see
   * `TwitchEventSubReconcileReport`). One instance at a time; missing authorizations are reported per
   * subscription, not thrown.
   */
  async reconcile(options: { prune?: boolean } = {}): Promise<TwitchEventSubReconcileReport> {
    this.webhookOnly('reconcile()');
    const wanted = this.wanted();
    const keys = new Set(wanted.map((w) => w.key));
    for (const w of await this.shared.list()) if (!keys.has(w.key)) wanted.push(w);
    return this.reconciler.reconcile(wanted, options.prune ?? this.options.reconcile.prune);
  }

  /**
   * The wanted subscriptions this instance knows (wire conditions): handlers, the `subscriptions` option and
   * its own `subscribe()` calls. `reconcile()` adds those other instances subscribed to at runtime.
   */
  wanted(): TwitchEventSubResolvedWanted[] {
    const all = new Map(this.fixed);
    for (const [k, v] of this.runtime) if (!all.has(k)) all.set(k, v);
    return [...all.values()];
  }

  /** Twitch's `total_cost` and `max_total_cost` as last seen. */
  get cost(): { totalCost: number; maxTotalCost: number } {
    return this.reconciler.cost;
  }

  /**
   * Subscribes at runtime (condition in camelCase, checked against the type's condition class: a bad one
   * is a `TwitchValidationException` and nothing is sent). An existing subscription is adopted.
   * @throws TwitchEventSubMissingAuthorizationException when the user in the condition never granted the scopes
   */
  async subscribe<T extends TwitchEventSubTypeName, V extends TwitchEventSubVersionOf<T>>(
    type: T,
    version: V,
    condition: TwitchEventSubConditionOf<T, V>,
  ): Promise<TwitchEventSubReconcileEntry> {
    this.webhookOnly('subscribe()');
    const w = this.resolve(type, version, condition, 'subscribe()');
    const result = await this.reconciler.ensure(w);
    this.want(this.runtime, w);
    await this.shared.add(w);
    return result;
  }

  /** Deletes this app's subscriptions of that type, version and condition, and stops wanting them. Returns how many were deleted. */
  async unsubscribe<T extends TwitchEventSubTypeName, V extends TwitchEventSubVersionOf<T>>(
    type: T,
    version: V,
    condition: TwitchEventSubConditionOf<T, V>,
  ): Promise<number> {
    this.webhookOnly('unsubscribe()');
    const w = this.resolve(type, version, condition, 'unsubscribe()');
    this.runtime.delete(w.key);
    await this.shared.remove(w);
    if (this.fixed.has(w.key)) {
      this.logger.warn(
        `EventSub ${w.type} v${w.version}: unsubscribed, but a handler or option still wants it (the next reconcile re-creates it)`,
      );
    }
    return this.reconciler.remove(w);
  }

  /** A typed handler added at runtime; without `condition` it gets every notification of the type and version. Returns a remover. */
  on<T extends TwitchEventSubTypeName, V extends TwitchEventSubVersionOf<T>>(
    type: T,
    version: V,
    handler: (
      event: TwitchEventSubEventOf<T, V>,
      notification: TwitchEventSubNotification<TwitchEventSubEventOf<T, V>>,
    ) => unknown,
    condition?: TwitchEventSubConditionOf<T, V>,
  ): () => void {
    const wire = condition === undefined ? undefined : this.resolve(type, version, condition, 'on()').condition;
    if (!findEventSubType(type, version)) throw new TwitchEventSubConfigError(`on(): ${describeUnknownType(type, version)}`);
    return this.dispatcher.addHandler({ name: `on(${type})`, type, version, condition: wire, call: handler as never });
  }

  /** Every notification of every type (audit, logging). Returns a remover. */
  onNotification(listener: (notification: TwitchEventSubNotification) => unknown): () => void {
    return this.dispatcher.addNotificationListener({ name: 'onNotification', call: listener });
  }

  /** Every revocation (`subscription.status` is the reason). Returns a remover. */
  onRevocation(
    listener: (subscription: TwitchEventSubSubscriptionInfo, notification: TwitchEventSubNotification) => unknown,
  ): () => void {
    return this.dispatcher.addRevocationListener({ name: 'onRevocation', call: (n) => listener(n.subscription, n) });
  }

  /** Resolves once every handler started so far has settled (tests, graceful shutdown). */
  idle(): Promise<void> {
    return this.dispatcher.idle();
  }

  /** Adds a wanted subscription declared at startup (by a handler). */
  addStartupSubscription(w: TwitchEventSubResolvedWanted): void {
    this.want(this.fixed, w);
  }

  private webhookOnly(what: string): void {
    if (this.options.transport === 'webhook') return;
    throw new TwitchEventSubConfigError(
      `${what} manages webhook subscriptions; with transport "${this.options.transport}" the transport makes the subscriptions ` +
        'of the handlers and of the "subscriptions" option on its own',
    );
  }

  private want(map: Map<string, TwitchEventSubResolvedWanted>, w: TwitchEventSubResolvedWanted): void {
    if (!map.has(w.key)) map.set(w.key, w);
  }

  private resolve(type: string, version: string, condition: unknown, source: string): TwitchEventSubResolvedWanted {
    const info = findEventSubType(type, version);
    if (!info) {
      throw new TwitchValidationException(`EventSub ${source}`, [
        { field: 'type', messages: [describeUnknownType(type, version)] },
      ]);
    }
    const checked = conditionToWire(info, condition);
    if ('problems' in checked) {
      throw new TwitchValidationException(`EventSub ${source} ${type} v${version}`, [
        { field: 'condition', messages: checked.problems },
      ]);
    }
    return { type, version, condition: checked.wire, key: subscriptionKey(type, version, checked.wire), source };
  }
}
