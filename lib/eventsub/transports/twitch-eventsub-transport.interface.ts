/**
 * The seam between the EventSub transports (WebSocket session, conduit shards, webhook receiver) and
 * the EventSub core that dedupes messages and runs handlers. A transport reads Twitch's messages and
 * hands each notification or revocation to a {@link TwitchEventSubSink}; it never runs handlers itself.
 */

import type { TwitchEventSubTransportKind } from '../twitch-eventsub-type.interface.js';

/**
 * What the reconciler and the service need from a transport whose subscriptions are managed with Get and
 * Create EventSub Subscription (the webhook transport): how to subscribe through it and how to recognise
 * this app's subscriptions. WebSocket sessions and conduits make their own subscriptions (see
 * `TwitchEventSubWsTransport`, `TwitchConduitManager`) and hand their deliveries to a {@link TwitchEventSubSink}.
 */
export interface TwitchEventSubTransport {
  readonly kind: TwitchEventSubTransportKind;
  /** The `transport` object of Create EventSub Subscription (wire names), secret included. */
  createTransport(): Record<string, unknown>;
  /** Whether a subscription listed by Twitch (its `transport`, wire names) belongs to this transport. */
  owns(transport: Record<string, unknown> | undefined): boolean;
}

/** Injection token of the transport the reconciler subscribes through. */
export const TWITCH_EVENTSUB_TRANSPORT = Symbol('TWITCH_EVENTSUB_TRANSPORT');

/** A subscription's transport as Twitch describes it in messages (snake_case, as sent). */
export interface TwitchEventSubTransportJson {
  method: 'webhook' | 'websocket' | 'conduit' | string;
  callback?: string;
  session_id?: string;
  conduit_id?: string;
  connected_at?: string;
  disconnected_at?: string;
}

/** The `subscription` object of a notification or revocation (raw Twitch JSON). */
export interface TwitchEventSubSubscriptionJson {
  id: string;
  type: string;
  version: string;
  status: string;
  condition: Record<string, unknown>;
  transport: TwitchEventSubTransportJson;
  cost?: number;
  created_at?: string;
}

/** What a transport hands the core for each message Twitch sends. */
export interface TwitchEventSubDelivery {
  /** Twitch's message id (`metadata.message_id`, or the `Twitch-Eventsub-Message-Id` header); the same on a resend. */
  messageId: string;
  messageType: 'notification' | 'revocation';
  /** When Twitch sent the message (`metadata.message_timestamp`). */
  timestamp: Date;
  subscription: TwitchEventSubSubscriptionJson;
  /** Raw Twitch JSON (snake_case) of the event, or the `events` array of batched types; absent in revocations. */
  event?: unknown;
  /** Which transport received the message. */
  transport: 'websocket' | 'conduit' | 'webhook';
  /** The WebSocket session that received the message (WebSocket transport and WebSocket conduit shards). */
  sessionId?: string;
  /** The conduit shard that received the message (conduit transport). */
  shardId?: string;
}

/**
 * Receives each delivery. A transport awaits it before handing over the next message of the same
 * session (deliveries of one session arrive in order); a rejection is logged by the transport and
 * does not stop it.
 */
export type TwitchEventSubSink = (delivery: TwitchEventSubDelivery) => Promise<void>;

/** A subscription a transport should keep: the body of Create EventSub Subscription without its transport. */
export interface TwitchEventSubWantedSubscription {
  /** Subscription type, e.g. `channel.follow`. */
  type: string;
  /** Subscription version, e.g. `'2'`. */
  version: string;
  /** The type's condition, in Twitch's snake_case (`{ broadcaster_user_id: '1234' }`). */
  condition: Record<string, unknown>;
}

/** Outcome of creating one wanted subscription. */
export interface TwitchEventSubSubscribeResult {
  wanted: TwitchEventSubWantedSubscription;
  /** `created`, or `exists` when Twitch answered 409 (an identical subscription is already enabled). */
  outcome: 'created' | 'exists' | 'failed';
  /** Id of the created subscription. */
  id?: string;
  /** What went wrong (`outcome: 'failed'`): a `TwitchException` from the Helix call or a limit. */
  error?: Error;
}
