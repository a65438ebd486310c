import type { Type } from '@nestjs/common';

/** Which token Twitch accepts when subscribing: `app` = app access token only (webhook, conduit); `either` also takes a user token (WebSocket). */
export type TwitchEventSubTokenKind = 'app' | 'either';

/** Lifecycle status Twitch gives a subscription type version. */
export type TwitchEventSubStatus = 'stable' | 'beta' | 'deprecated';

/** EventSub transports. */
export type TwitchEventSubTransportKind = 'webhook' | 'websocket' | 'conduit';

/** One field of a subscription condition. */
export interface TwitchEventSubConditionField {
  /** Property name on the condition class (camelCase): `broadcasterUserId`. */
  readonly key: string;
  /** Field name on the wire (snake_case): `broadcaster_user_id`. */
  readonly wire: string;
  readonly required: boolean;
}

/** One subscription type and version, as Twitch documents it. Entries of `TWITCH_EVENTSUB_TYPES`. */
export interface TwitchEventSubTypeInfo {
  /** Subscription type: `channel.follow`. */
  readonly type: string;
  /** Version as sent to Twitch: `'1'`, `'2'`, `'beta'`. */
  readonly version: string;
  /** Twitch's display name: `Channel Follow`. */
  readonly name: string;
  readonly status: TwitchEventSubStatus;
  /** Condition class (camelCase properties, class-validator rules). */
  readonly condition: Type<object>;
  readonly conditionFields: readonly TwitchEventSubConditionField[];
  /** Event DTO class (`@TwitchField` properties), built from the notification's `event` object. */
  readonly event: Type<object>;
  /**
   * Scopes the authorizing user must have granted: any one inner list, all of its scopes.
   * Empty when the type needs no scope.
   */
  readonly scopes: readonly (readonly string[])[];
  readonly token: TwitchEventSubTokenKind;
  /** Transports Twitch accepts for this type. */
  readonly transports: readonly TwitchEventSubTransportKind[];
  /** Twitch's reference page for the type. */
  readonly docUrl: string;
}

/*
 * Typing of handlers and conditions. `TwitchEventSubMap` is generated from the catalog
 * (lib/generated/eventsub/): `{ 'channel.follow': { '2': { condition: ...; event: ... } } }`.
 */
import type { TwitchEventSubMap } from '../generated/eventsub/index.js';

/** Every documented subscription type name. */
export type TwitchEventSubTypeName = keyof TwitchEventSubMap & string;
/** The documented versions of type `T`. */
export type TwitchEventSubVersionOf<T extends TwitchEventSubTypeName> = keyof TwitchEventSubMap[T] & string;
/** The event DTO of type `T`, version `V`. */
export type TwitchEventSubEventOf<
  T extends TwitchEventSubTypeName,
  V extends TwitchEventSubVersionOf<T>,
> = TwitchEventSubMap[T][V] extends { event: infer E } ? E : never;
/** The condition (camelCase) of type `T`, version `V`. */
export type TwitchEventSubConditionOf<
  T extends TwitchEventSubTypeName,
  V extends TwitchEventSubVersionOf<T>,
> = TwitchEventSubMap[T][V] extends { condition: infer C } ? C : never;
