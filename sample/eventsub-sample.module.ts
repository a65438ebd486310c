import { randomBytes } from 'node:crypto';
import { Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TwitchEventSubModule } from '../lib/index.js';
import { LiveController } from './live.controller.js';
import { LiveFeed } from './live-feed.service.js';

/**
 * EventSub in the sample: webhooks at `POST /eventsub`, the secret from `TWITCH_EVENTSUB_SECRET`, the public
 * callback URL from `TWITCH_EVENTSUB_CALLBACK` (default: this server's own /eventsub, which only the
 * embedded fake Twitch can reach), the live page at `/live` and `GET /events.json`.
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
        const callbackUrl = config.get<string>('TWITCH_EVENTSUB_CALLBACK') ?? `http://127.0.0.1:${port}/eventsub`;
        const ready = Boolean(secret && config.get('TWITCH_BROADCASTER_ID'));
        if (!secret) {
          secret = randomBytes(24).toString('hex');
          new Logger('Sample').warn('No TWITCH_EVENTSUB_SECRET: EventSub subscriptions are not created (set it and TWITCH_EVENTSUB_CALLBACK)');
        }
        return { webhook: { callbackUrl, secret }, reconcile: { onStartup: ready } };
      },
      webhookPath: '/eventsub',
    }),
  ],
  controllers: [LiveController],
  providers: [LiveFeed],
})
export class EventSubSampleModule {}
