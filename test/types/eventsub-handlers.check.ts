// Compiled by test/public-types.spec.ts against the built declarations. The lines ending in "error: ..."
// fail to compile (each is marked with an error comment), and no other line may.
import { Injectable } from '@nestjs/common';
import { OnTwitchEvent, type TwitchEventSubNotification, type TwitchEventSubService } from 'nestjs-twitch';
import type { ChannelFollowEvent, StreamOnlineEvent } from 'nestjs-twitch/eventsub-types';

@Injectable()
export class Good {
  @OnTwitchEvent('channel.follow', { version: '2', condition: { broadcasterUserId: '1', moderatorUserId: '1' } })
  a(event: ChannelFollowEvent, n: TwitchEventSubNotification<ChannelFollowEvent>) {
    return [event.followedAt.getTime(), n.messageId];
  }
  @OnTwitchEvent('stream.online', { version: '1' })
  b(event: StreamOnlineEvent) {
    return event.startedAt;
  }
  @OnTwitchEvent('stream.online', { version: '1', condition: () => ({ broadcasterUserId: '1' }) })
  c() {}
}

@Injectable()
export class Bad {
  @OnTwitchEvent('channel.follow', { version: '2' }) // error: wrong event type
  wrongEvent(event: StreamOnlineEvent) {
    return event;
  }
  @OnTwitchEvent('channel.follow', { version: '1' }) // error: unknown version
  wrongVersion() {}
  @OnTwitchEvent('stream.online', { version: '1', condition: { broadcasterId: '1' } }) // error: unknown condition field
  wrongCondition() {}
}

export async function runtime(s: TwitchEventSubService) {
  await s.subscribe('channel.follow', '2', { broadcasterUserId: '1', moderatorUserId: '1' });
  await s.subscribe('channel.follow', '2', { broadcasterUserId: '1' }); // error: missing moderatorUserId
  s.on('stream.online', '1', (event) => event.startedAt.getTime());
}
