/**
 * The condition and event classes of every documented EventSub subscription type (`ChannelFollowEvent`,
 * `ChannelFollowCondition`, …), for `instanceof` checks and explicit typing. Kept out of the package root so
 * that their names cannot collide with an application's own classes; the root exports the catalog
 * (`TWITCH_EVENTSUB_TYPES`) and the typing helpers (`TwitchEventSubEventOf<'channel.follow', '2'>`).
 */
export * from './generated/eventsub/classes.js';
export { TWITCH_EVENTSUB_TYPES, type TwitchEventSubMap } from './generated/eventsub/index.js';
export type {
  TwitchEventSubConditionField,
  TwitchEventSubConditionOf,
  TwitchEventSubEventOf,
  TwitchEventSubStatus,
  TwitchEventSubTokenKind,
  TwitchEventSubTransportKind,
  TwitchEventSubTypeInfo,
  TwitchEventSubTypeName,
  TwitchEventSubVersionOf,
} from './eventsub/twitch-eventsub-type.interface.js';
export { TwitchExactlyOneOf } from './eventsub/twitch-eventsub-condition.validators.js';
