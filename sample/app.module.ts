import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TwitchModule } from '../lib/index.js';
import { StreamsController } from './streams.controller.js';

/**
 * The sample's module: TwitchModule configured from the environment through ConfigModule.
 * `main.ts` fills TWITCH_* with the embedded fake Twitch when no credentials are set.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    TwitchModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        clientId: config.getOrThrow<string>('TWITCH_CLIENT_ID'),
        clientSecret: config.getOrThrow<string>('TWITCH_CLIENT_SECRET'),
        redirectUri: config.get<string>('TWITCH_REDIRECT_URI'),
        helixUrl: config.get<string>('TWITCH_HELIX_URL'),
        authUrl: config.get<string>('TWITCH_AUTH_URL'),
        redis: config.get<string>('REDIS_URL') ? { url: config.getOrThrow<string>('REDIS_URL') } : undefined,
      }),
    }),
  ],
  controllers: [StreamsController],
})
export class AppModule {}
