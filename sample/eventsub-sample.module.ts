import { randomBytes } from 'node:crypto';
import { Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { type TwitchScope, TwitchEventSubModule, TwitchUserTokenService } from '../lib/index.js';
import { LiveController } from './live.controller.js';
import { LiveFeed } from './live-feed.service.js';
import { sampleFake } from './live-state.js';

/** Scopes the live page's subscriptions need from the broadcaster. */
const LIVE_SCOPES = [
  'moderator:read:followers',
  'channel:read:subscriptions',
  'bits:read',
  'user:read:chat',
  'user:bot',
  'channel:bot',
];

/**
 * With the embedded fake: stores a token of `TWITCH_BROADCASTER_ID` (as a login would) before EventSub
 * starts, since WebSocket subscriptions are made with the broadcaster's own token.
 */
@Injectable()
class SampleBroadcasterToken implements OnModuleInit {
  constructor(
    private readonly config: ConfigService,
    private readonly tokens: TwitchUserTokenService,
  ) {}

  async onModuleInit(): Promise<void> {
    const fake = sampleFake();
    const userId = this.config.get<string>('TWITCH_BROADCASTER_ID');
    if (!fake || !userId) return;
    const issued = fake.issueUserToken({ userId, scopes: LIVE_SCOPES });
    await this.tokens.save({ ...issued, scopes: LIVE_SCOPES as TwitchScope[], tokenType: 'bearer' });
  }
}

/**
 * EventSub in the sample, the live page at `/live` and `GET /events.json`. With a public callback URL
 * (`TWITCH_EVENTSUB_CALLBACK`): webhooks at `POST /eventsub`, signed with `TWITCH_EVENTSUB_SECRET`. Without
 * one: the WebSocket transport (`TWITCH_EVENTSUB_WS_URL`, Twitch's by default; the embedded fake's when it
 * runs), subscribed with the stored token of `TWITCH_BROADCASTER_ID`.
 */
@Module({
  imports: [
    ConfigModule,
    TwitchEventSubModule.forRootAsync({
      // Global: the chat bot (sample/chat-bot.ts) routes the same notifications.
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => {
        const port = Number(config.get('PORT') ?? 3000);
        let secret = config.get<string>('TWITCH_EVENTSUB_SECRET');
        const broadcaster = config.get<string>('TWITCH_BROADCASTER_ID');
        const publicCallback = config.get<string>('TWITCH_EVENTSUB_CALLBACK');
        if (!publicCallback && broadcaster) {
          const url = config.get<string>('TWITCH_EVENTSUB_WS_URL');
          return { transport: 'websocket' as const, websocket: { userId: broadcaster, ...(url ? { url } : {}) } };
        }
        const callbackUrl = publicCallback ?? `http://127.0.0.1:${port}/eventsub`;
        const ready = Boolean(secret && broadcaster);
        if (!secret) {
          secret = randomBytes(24).toString('hex');
          new Logger('Sample').warn(
            'No TWITCH_EVENTSUB_SECRET: EventSub subscriptions are not created (set it and TWITCH_EVENTSUB_CALLBACK)',
          );
        } else if (!broadcaster) {
          new Logger('Sample').warn('No TWITCH_BROADCASTER_ID: EventSub subscriptions are not created');
        }
        return { webhook: { callbackUrl, secret }, reconcile: { onStartup: ready } };
      },
      webhookPath: '/eventsub',
    }),
  ],
  controllers: [LiveController],
  providers: [LiveFeed, SampleBroadcasterToken],
})
export class EventSubSampleModule {}
