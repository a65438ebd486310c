import 'reflect-metadata';
import type { INestApplication, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { TwitchChatModule } from '../../lib/chat/twitch-chat.module.js';
import type { TwitchChatModuleOptions } from '../../lib/chat/twitch-chat-options.interface.js';
import { TwitchEventSubModule } from '../../lib/eventsub/twitch-eventsub.module.js';
import type { TwitchEventSubModuleOptions } from '../../lib/eventsub/interfaces/twitch-eventsub-options.interface.js';
import type { TwitchScope } from '../../lib/generated/scopes.js';
import type { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { REDIS_URL } from '../support/app.js';
import { freePort } from '../support/net.js';

export const BOT = '900001';
export const CHANNEL = '900002';
export const OTHER_CHANNEL = '900003';
export const VIEWER = '900004';
export const BOT_SCOPES = [
  'user:bot',
  'user:read:chat',
  'user:write:chat',
  'moderator:manage:announcements',
  'moderator:manage:shoutouts',
  'user:manage:whispers',
];

/** The fake's users of the chat tests, and the grants Twitch asks for (bot: user:bot…, broadcaster: channel:bot). */
export function seedChat(fake: FakeTwitch): void {
  fake.addUser({ id: BOT, login: 'chatbot' });
  fake.addUser({ id: CHANNEL, login: 'streamer' });
  fake.addUser({ id: OTHER_CHANNEL, login: 'streamer33' });
  fake.addUser({ id: VIEWER, login: 'viewer32' });
  fake.issueUserToken({ userId: CHANNEL, scopes: ['channel:bot'] });
}

export interface ChatApp {
  app: INestApplication;
  close(): Promise<void>;
}

/** A listening Nest app with TwitchModule (on the fake and the shared Redis), EventSub webhooks and TwitchChatModule. */
export async function createChatApp(o: {
  fake: FakeTwitch;
  keyPrefix: string;
  chat?: Partial<TwitchChatModuleOptions>;
  eventSub?: Partial<TwitchEventSubModuleOptions>;
  providers?: Provider[];
  botScopes?: string[];
  /** Without Redis: tokens, claims and chat limits in memory. */
  memory?: boolean;
}): Promise<ChatApp> {
  const port = await freePort();
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...o.fake.moduleOptions(),
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        keyPrefix: o.keyPrefix,
        retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
        tokens: { validateOnStartup: false },
        ...(o.memory ? {} : { redis: { url: REDIS_URL() } }),
        isGlobal: true,
      }),
      TwitchEventSubModule.forRoot({
        webhook: { callbackUrl: `http://127.0.0.1:${port}/eventsub`, secret: 'test-chat-secret-0123456' },
        isGlobal: true,
        ...o.eventSub,
      }),
      TwitchChatModule.forRoot({ botUserId: BOT, ...o.chat }),
    ],
    providers: o.providers ?? [],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false, rawBody: true });
  const issued = o.fake.issueUserToken({ userId: BOT, scopes: o.botScopes ?? BOT_SCOPES });
  await app
    .get(TwitchUserTokenService)
    .save({ ...issued, scopes: (o.botScopes ?? BOT_SCOPES) as TwitchScope[], tokenType: 'bearer' });
  await app.listen(port, '127.0.0.1');
  return { app, close: () => app.close() };
}
