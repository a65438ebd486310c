import type { TwitchEventSubTransportKind } from '../twitch-eventsub-type.interface.js';

/** The `subscription` object Twitch sends with every message. */
export interface TwitchEventSubSubscriptionInfo {
  id: string;
  type: string;
  version: string;
  /** `enabled`, or the reason of a revocation (`authorization_revoked`, `notification_failures_exceeded`, …). */
  status: string;
  /** The condition as Twitch sends it (snake_case keys). */
  condition: Record<string, unknown>;
  cost: number;
  createdAt?: Date;
}

/** One message from Twitch, as handed to handlers and listeners. */
export interface TwitchEventSubNotification<E = unknown> {
  /** `Twitch-Eventsub-Message-Id` (WebSocket: `metadata.message_id`): the same on every retry. */
  messageId: string;
  /**
   * Batched types (`drop.entitlement.grant`): the `id` of this item of the message's `events` list, which is
   * what the item is claimed by (one message carries several items; each is handed to handlers on its own);
   * `<messageId>#<index>` for an item without an id. `undefined` for every other type.
   */
  eventId?: string;
  /**
   * `Twitch-Eventsub-Message-Retry` as a number (`0` on the first delivery; Twitch does not document the
   * format further); `undefined` when absent or not a number, and on transports without it (WebSocket).
   */
  retry?: number;
  messageType: 'notification' | 'revocation';
  /** When Twitch sent the message. */
  timestamp: Date;
  transport: TwitchEventSubTransportKind;
  /** Subscription type, e.g. `channel.follow`. */
  type: string;
  version: string;
  subscription: TwitchEventSubSubscriptionInfo;
  /** The event DTO (camelCase, dates as `Date`); `undefined` for revocations. Batched types: one item (`{ id, data }`). */
  event: E;
  /** The event as Twitch sent it (snake_case); batched types: the item. */
  rawEvent?: Record<string, unknown>;
}

/** A verified message handed by a transport to the dispatcher. */
export interface TwitchEventSubInboundMessage {
  messageId: string;
  messageType: 'notification' | 'revocation';
  timestamp: Date;
  transport: TwitchEventSubTransportKind;
  /** `Twitch-Eventsub-Message-Retry`, when the transport has it. */
  retry?: number;
  /** Twitch's JSON body (`subscription`, and `event`, or `events: [{ id, data }]` for batched types). */
  body: { subscription: Record<string, unknown>; event?: Record<string, unknown>; events?: unknown[] };
}
