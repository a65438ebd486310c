// Compiled by test/public-types.spec.ts twice, as an ES module (.mts) and as CommonJS (.cts): what an app's
// type checker sees of the installed package's entry points.
import { TwitchModule, type TwitchIdentity, type TwitchModuleOptions } from 'nestjs-twitch';
import { FakeTwitch } from 'nestjs-twitch/testing';
import type { Stream } from 'nestjs-twitch/helix';
import type { ChannelFollowEvent } from 'nestjs-twitch/eventsub-types';
import type { TwitchHealthIndicator } from 'nestjs-twitch/health';

export type Live = Stream['viewerCount'] | ChannelFollowEvent['userId'];
const options: TwitchModuleOptions = { clientId: 'id', redis: { url: 'redis://127.0.0.1:6379' } };
export const mod = TwitchModule.forRoot({ ...options, isGlobal: true });
export const start: typeof FakeTwitch.start = FakeTwitch.start;
export type Who = TwitchIdentity['userId'];
export type Health = TwitchHealthIndicator;
