import type { TwitchEventSubTransportKind } from '../twitch-eventsub-type.interface.js';

/**
 * What the reconciler and the service need from a transport: how to subscribe through it and how to
 * recognise this app's subscriptions in Get EventSub Subscriptions. Every transport hands its verified
 * messages to `TwitchEventSubDispatcher.dispatch()`.
 */
export interface TwitchEventSubTransport {
  readonly kind: TwitchEventSubTransportKind;
  /** The `transport` object of Create EventSub Subscription (wire names), secret included. */
  createTransport(): Record<string, unknown>;
  /** Whether a subscription listed by Twitch (its `transport`, wire names) belongs to this transport. */
  owns(transport: Record<string, unknown> | undefined): boolean;
}

/** Injection token of the active transport. */
export const TWITCH_EVENTSUB_TRANSPORT = Symbol('TWITCH_EVENTSUB_TRANSPORT');
