import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Subject } from 'rxjs';
import {
  OnTwitchEvent,
  OnTwitchNotification,
  OnTwitchRevocation,
  type TwitchEventSubNotification,
  type TwitchEventSubSubscriptionInfo,
} from '../lib/index.js';
import type {
  ChannelChatMessageEvent,
  ChannelCheerEvent,
  ChannelFollowEvent,
  ChannelSubscribeEvent,
} from '../lib/eventsub-types.js';

/** One accepted notification, as `GET /events.json` and the live page show it. */
export interface LiveEntry {
  /** Twitch's message id. */
  id: string;
  type: string;
  version: string;
  /** The typed event (camelCase, dates as ISO strings). */
  event: unknown;
}

const broadcaster = (config: ConfigService) => config.get<string>('TWITCH_BROADCASTER_ID');

/**
 * The sample's EventSub handlers: one per type (each subscribes for `TWITCH_BROADCASTER_ID`), and a
 * catch-all that keeps the last 100 notifications for `/events.json` and pushes them to the live page.
 */
@Injectable()
export class LiveFeed {
  private readonly logger = new Logger('LiveFeed');
  private readonly entries: LiveEntry[] = [];
  /** Every accepted notification, as it arrives (server-sent events). */
  readonly arrivals = new Subject<LiveEntry>();

  @OnTwitchEvent('channel.follow', {
    version: '2',
    condition: (config: ConfigService) => {
      const id = broadcaster(config);
      return id ? { broadcasterUserId: id, moderatorUserId: id } : undefined;
    },
    inject: [ConfigService],
  })
  follow(event: ChannelFollowEvent) {
    this.logger.log(`${event.userName} followed ${event.broadcasterUserName}`);
  }

  @OnTwitchEvent('channel.subscribe', {
    version: '1',
    condition: (config: ConfigService) => (broadcaster(config) ? { broadcasterUserId: broadcaster(config)! } : undefined),
    inject: [ConfigService],
  })
  subscribe(event: ChannelSubscribeEvent) {
    this.logger.log(`${event.userName} subscribed (tier ${event.tier})`);
  }

  @OnTwitchEvent('channel.cheer', {
    version: '1',
    condition: (config: ConfigService) => (broadcaster(config) ? { broadcasterUserId: broadcaster(config)! } : undefined),
    inject: [ConfigService],
  })
  cheer(event: ChannelCheerEvent) {
    this.logger.log(`${event.userName ?? 'Anonymous'} cheered ${event.bits} bits`);
  }

  @OnTwitchEvent('channel.chat.message', {
    version: '1',
    condition: (config: ConfigService) => {
      const id = broadcaster(config);
      return id ? { broadcasterUserId: id, userId: config.get<string>('TWITCH_CHAT_USER_ID') ?? id } : undefined;
    },
    inject: [ConfigService],
  })
  chat(event: ChannelChatMessageEvent) {
    this.logger.log(`${event.chatterUserName}: ${event.message.text}`);
  }

  @OnTwitchNotification()
  record(notification: TwitchEventSubNotification) {
    const entry: LiveEntry = {
      id: notification.messageId,
      type: notification.type,
      version: notification.version,
      event: JSON.parse(JSON.stringify(notification.event ?? null)),
    };
    this.entries.push(entry);
    if (this.entries.length > 100) this.entries.splice(0, this.entries.length - 100);
    this.arrivals.next(entry);
  }

  @OnTwitchRevocation()
  revoked(subscription: TwitchEventSubSubscriptionInfo) {
    this.logger.warn(`Twitch revoked ${subscription.type}: ${subscription.status}`);
  }

  /** The last 100 accepted notifications, oldest first. */
  recent(): LiveEntry[] {
    return [...this.entries];
  }
}
