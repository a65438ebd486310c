import { Inject, Injectable, Logger, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { mapTwitchDto } from '../dto/twitch-dto.mapper.js';
import { toTwitchDate } from '../dto/twitch-field.decorator.js';
import { TwitchTelemetry } from '../observability/twitch-telemetry.js';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from './twitch-eventsub.constants.js';
import { findEventSubType } from './twitch-eventsub.catalog.js';
import { TwitchEventSubClaimsStore } from './twitch-eventsub-claims.store.js';
import type { TwitchEventSubResolvedOptions } from './twitch-eventsub.options.js';
import type {
  TwitchEventSubInboundMessage,
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from './interfaces/twitch-eventsub-message.interface.js';

/** A typed handler: `@OnTwitchEvent` methods and runtime handlers. */
export interface TwitchEventSubRegisteredHandler {
  /** `Class.method`, for logs and `onHandlerError`. */
  name: string;
  type: string;
  version: string;
  /** Wire condition the notification's subscription must match (every key); none = every notification. */
  condition?: Record<string, string>;
  call: (event: unknown, notification: TwitchEventSubNotification) => unknown;
}

/** A listener of every notification, or of every revocation. */
export interface TwitchEventSubListener {
  name: string;
  call: (notification: TwitchEventSubNotification) => unknown;
}

/** What a transport gets back for a verified message. */
export interface TwitchEventSubAcceptance {
  /** `duplicate`: the message id was already claimed (by this or another instance); nothing will run. */
  outcome: 'accepted' | 'duplicate';
  /** Runs the handlers; call it once the message has been acknowledged. Never rejects. */
  start(): void;
}

const NOTHING = (): void => undefined;

/**
 * Claim → map → handlers, shared by every transport. A message id is claimed before anything runs, so it
 * is handled at most once across the instances sharing the claims store; handlers start only when the
 * transport has acknowledged the message, and their failures are reported, never thrown back.
 */
@Injectable()
export class TwitchEventSubDispatcher implements OnApplicationShutdown {
  private readonly logger = new Logger('TwitchEventSub');
  private readonly handlers: TwitchEventSubRegisteredHandler[] = [];
  private readonly notificationListeners: TwitchEventSubListener[] = [];
  private readonly revocationListeners: TwitchEventSubListener[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
    private readonly claims: TwitchEventSubClaimsStore,
    @Optional() private readonly telemetry?: TwitchTelemetry,
  ) {}

  addHandler(handler: TwitchEventSubRegisteredHandler): () => void {
    return add(this.handlers, handler);
  }

  addNotificationListener(listener: TwitchEventSubListener): () => void {
    return add(this.notificationListeners, listener);
  }

  addRevocationListener(listener: TwitchEventSubListener): () => void {
    return add(this.revocationListeners, listener);
  }

  /** Handlers registered for a type and version (for the reconciler's "is it wanted" view and tests). */
  handlersOf(type: string, version: string): readonly TwitchEventSubRegisteredHandler[] {
    return this.handlers.filter((h) => h.type === type && h.version === version);
  }

  /**
   * Claims the message; on success the returned `start()` runs its handlers. A batched message (`events:
   * [{ id, data }]`, e.g. `drop.entitlement.grant`) is claimed item by item (by each item's `id`, as Twitch
   * advises) and each item claimed here is handed to the handlers as a notification of its own.
   */
  async accept(message: TwitchEventSubInboundMessage): Promise<TwitchEventSubAcceptance> {
    const acceptance = await this.claim(message);
    const type = message.body.subscription?.type;
    const { transport, messageType, timestamp } = message;
    this.telemetry?.eventSubDelivery(
      { type: typeof type === 'string' ? type : '', transport, messageType, timestamp },
      acceptance.outcome,
    );
    return acceptance;
  }

  private async claim(message: TwitchEventSubInboundMessage): Promise<TwitchEventSubAcceptance> {
    const items = message.messageType === 'notification' ? message.body.events : undefined;
    let notifications: TwitchEventSubNotification[];
    if (Array.isArray(items)) {
      const records = items.filter(isRecord);
      const claims = await Promise.all(
        records.map((item, i) => {
          const id = typeof item.id === 'string' && item.id !== '' ? item.id : `${message.messageId}#${i}`;
          return this.claims.claim(`event:${id}`, this.options.claimTtlMs).then((claim) => ({ claim, id, item }));
        }),
      );
      const claimed = claims.filter((c) => c.claim === 'claimed');
      if (!claimed.length) return { outcome: 'duplicate', start: NOTHING };
      notifications = claimed.map((c) => this.toNotification(message, c.item, c.id));
    } else {
      const claim = await this.claims.claim(message.messageId, this.options.claimTtlMs);
      if (claim === 'duplicate') return { outcome: 'duplicate', start: NOTHING };
      notifications = [this.toNotification(message, isRecord(message.body.event) ? message.body.event : undefined)];
    }
    return {
      outcome: 'accepted',
      start: () => {
        for (const notification of notifications) {
          const run = this.run(notification).finally(() => this.running.delete(run));
          this.running.add(run);
        }
      },
    };
  }

  /** Resolves once every handler started so far has settled. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /** Lets running handlers finish (at most 10 s) before the app closes. */
  async onApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
    clearTimeout(timer);
  }

  private toNotification(
    message: TwitchEventSubInboundMessage,
    rawEvent: Record<string, unknown> | undefined,
    eventId?: string,
  ): TwitchEventSubNotification {
    const sub = message.body.subscription ?? {};
    const subscription: TwitchEventSubSubscriptionInfo = {
      id: String(sub.id ?? ''),
      type: String(sub.type ?? ''),
      version: String(sub.version ?? ''),
      status: String(sub.status ?? ''),
      condition: isRecord(sub.condition) ? { ...sub.condition } : {},
      cost: typeof sub.cost === 'number' ? sub.cost : 0,
      createdAt: typeof sub.created_at === 'string' ? (toTwitchDate(sub.created_at) ?? undefined) : undefined,
    };
    const info = findEventSubType(subscription.type, subscription.version);
    let event: unknown;
    if (message.messageType === 'notification' && rawEvent) {
      event = info ? mapTwitchDto(info.event as new () => object, rawEvent) : { ...rawEvent };
    }
    return {
      messageId: message.messageId,
      ...(eventId !== undefined ? { eventId } : {}),
      ...(message.retry !== undefined ? { retry: message.retry } : {}),
      messageType: message.messageType,
      timestamp: message.timestamp,
      transport: message.transport,
      type: subscription.type,
      version: subscription.version,
      subscription,
      event,
      rawEvent,
    };
  }

  private async run(notification: TwitchEventSubNotification): Promise<void> {
    // One macrotask later: the acknowledgement is on its way before any handler code runs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (notification.messageType === 'revocation') {
      const s = notification.subscription;
      this.logger.warn(
        `EventSub subscription ${s.id} (${s.type} v${s.version} ${JSON.stringify(s.condition)}) revoked by Twitch: ${s.status}`,
      );
      const calls: Promise<void>[] = [];
      if (this.options.onRevocation) calls.push(this.invoke('onRevocation', () => this.options.onRevocation!(s), notification));
      for (const l of this.revocationListeners) calls.push(this.invoke(l.name, () => l.call(notification), notification));
      await Promise.all(calls);
      return;
    }
    const calls: Promise<void>[] = [];
    for (const h of this.handlers) {
      if (h.type !== notification.type || h.version !== notification.version) continue;
      if (h.condition && !matches(h.condition, notification.subscription.condition)) continue;
      calls.push(this.invoke(h.name, () => h.call(notification.event, notification), notification));
    }
    for (const l of this.notificationListeners) calls.push(this.invoke(l.name, () => l.call(notification), notification));
    if (!calls.length) {
      const item = notification.eventId === undefined ? '' : ` event ${notification.eventId}`;
      const what = `${notification.type} v${notification.version} message ${notification.messageId}${item}`;
      this.logger.warn(`EventSub ${what}: no handler wants it`);
    }
    await Promise.all(calls);
  }

  private async invoke(name: string, call: () => unknown, notification: TwitchEventSubNotification): Promise<void> {
    try {
      await call();
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.logger.error(
        `EventSub handler ${name} failed on ${notification.type} v${notification.version} message ${notification.messageId}: ${err.message}`,
        err.stack,
      );
      this.telemetry?.eventSubHandlerFailed(notification.type, name, error);
      if (!this.options.onHandlerError) return;
      try {
        await this.options.onHandlerError(error, { handler: name, notification });
      } catch (hookError) {
        this.logger.error(`EventSub onHandlerError hook failed: ${(hookError as Error)?.message ?? String(hookError)}`);
      }
    }
  }
}

function add<T>(list: T[], item: T): () => void {
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function matches(wanted: Record<string, string>, actual: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(wanted)) if (String(actual[k] ?? '') !== v) return false;
  return true;
}
