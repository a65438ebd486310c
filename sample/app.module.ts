import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import { TwitchExtensionModule, TwitchLoginModule, TwitchModule, TwitchScopes } from '../lib/index.js';
import { SampleChatModule } from './chat-bot.js';
import { EventSubSampleModule } from './eventsub-sample.module.js';
import { ExtensionController } from './extension.controller.js';
import { LoginPagesFilter } from './login-pages.filter.js';
import { StreamsController } from './streams.controller.js';
import { WebController } from './web.controller.js';

/**
 * The sample's module: TwitchModule configured from the environment through ConfigModule (global,
 * so `@TwitchAuth()` works in every controller), and the login routes under /auth/twitch.
 * `main.ts` fills TWITCH_* with the embedded fake Twitch when no credentials are set.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    TwitchModule.forRootAsync({
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        clientId: config.getOrThrow<string>('TWITCH_CLIENT_ID'),
        clientSecret: config.getOrThrow<string>('TWITCH_CLIENT_SECRET'),
        // Must be the URL of the login callback below, registered with Twitch for real credentials.
        redirectUri: config.getOrThrow<string>('TWITCH_REDIRECT_URI'),
        helixUrl: config.get<string>('TWITCH_HELIX_URL'),
        authUrl: config.get<string>('TWITCH_AUTH_URL'),
        redis: config.get<string>('REDIS_URL') ? { url: config.getOrThrow<string>('REDIS_URL') } : undefined,
        keyPrefix: config.get<string>('TWITCH_KEY_PREFIX'),
        tokens: { encryptionKey: config.get<string>('TWITCH_TOKEN_KEY') },
        login: {
          scopes: [TwitchScopes.USER_READ_FOLLOWS],
          successRedirect: '/me',
          logoutRedirect: '/',
        },
      }),
    }),
    // GET /auth/twitch/login, GET /auth/twitch/callback, POST /auth/twitch/logout
    TwitchLoginModule.forRoot({ path: 'auth/twitch' }),
    // POST /eventsub (webhooks), GET /live, GET /events.json
    EventSubSampleModule,
    // A chat bot answering !hello in the live page's chat; POST /live/chat/hello (fake only)
    SampleChatModule,
    // The extension backend at /extension (TWITCH_EXTENSION_SECRET, TWITCH_EXTENSION_OWNER_ID; the fake's own without credentials).
    TwitchExtensionModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        // Without a secret the routes exist but refuse every JWT.
        secret: config.get<string>('TWITCH_EXTENSION_SECRET') ?? randomBytes(32).toString('base64'),
        ownerId: config.get<string>('TWITCH_EXTENSION_OWNER_ID'),
      }),
    }),
  ],
  controllers: [WebController, StreamsController, ExtensionController],
  providers: [{ provide: APP_FILTER, useClass: LoginPagesFilter }],
})
export class AppModule {}
