// Compiled by test/public-types.spec.ts against the built declarations: every line must type-check, and
// every `@ts-expect-error` must meet an error (an unused one fails the check).
import { expectTypeOf } from 'vitest';
import type { ChannelFollowCondition, ChannelFollowEvent, ChannelRaidCondition } from 'nestjs-twitch/eventsub-types';
import type {
  TwitchEventSubConditionOf,
  TwitchEventSubEventOf,
  TwitchEventSubMap,
  TwitchEventSubTypeName,
  TwitchEventSubVersionOf,
} from 'nestjs-twitch';

type Follow = TwitchEventSubEventOf<'channel.follow', '2'>;

expectTypeOf<Follow>().toEqualTypeOf<ChannelFollowEvent>();
expectTypeOf<Follow['userLogin']>().toEqualTypeOf<string>();
expectTypeOf<Follow['followedAt']>().toEqualTypeOf<Date>();
expectTypeOf<TwitchEventSubConditionOf<'channel.follow', '2'>>().toEqualTypeOf<ChannelFollowCondition>();
expectTypeOf<TwitchEventSubConditionOf<'channel.follow', '2'>['moderatorUserId']>().toEqualTypeOf<string>();
expectTypeOf<TwitchEventSubConditionOf<'channel.raid', '1'>>().toEqualTypeOf<ChannelRaidCondition>();
expectTypeOf<TwitchEventSubVersionOf<'automod.message.hold'>>().toEqualTypeOf<'1' | '2'>();
expectTypeOf<TwitchEventSubVersionOf<'channel.guest_star_session.begin'>>().toEqualTypeOf<'beta'>();
expectTypeOf<'channel.follow'>().toMatchTypeOf<TwitchEventSubTypeName>();
expectTypeOf<keyof TwitchEventSubMap>().toEqualTypeOf<TwitchEventSubTypeName>();

declare const follow: Follow;
const login: string = follow.userLogin;
// @ts-expect-error: ChannelFollowEvent has no `followerLogin`
const wrong = follow.followerLogin;
// @ts-expect-error: the wire name is not a DTO property
const wire = follow.user_login;

// @ts-expect-error: channel.follow v1 is not documented any more
type FollowV1 = TwitchEventSubEventOf<'channel.follow', '1'>;
// @ts-expect-error: not a subscription type
type Nope = TwitchEventSubEventOf<'channel.fallow', '2'>;

const condition: TwitchEventSubConditionOf<'channel.follow', '2'> = { broadcasterUserId: '1', moderatorUserId: '2' };
// @ts-expect-error: a condition needs its required fields
const partial: TwitchEventSubConditionOf<'channel.follow', '2'> = { broadcasterUserId: '1' };

export { condition, login, partial, wire, wrong, type FollowV1, type Nope };
