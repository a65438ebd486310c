import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FakeTwitch } from '../lib/testing/index.js';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const logger = new Logger('Sample');
  let fake: FakeTwitch | undefined;
  if (!process.env.TWITCH_CLIENT_ID || !process.env.TWITCH_CLIENT_SECRET) {
    fake = await FakeTwitch.start({ seed: { streams: 250 } });
    process.env.TWITCH_CLIENT_ID = fake.clientId;
    process.env.TWITCH_CLIENT_SECRET = fake.clientSecret;
    process.env.TWITCH_HELIX_URL = fake.helixUrl;
    process.env.TWITCH_AUTH_URL = fake.authUrl;
    logger.log(`No TWITCH_CLIENT_ID/TWITCH_CLIENT_SECRET set: using the embedded fake Twitch at ${fake.url}`);
  } else {
    logger.log('Using Twitch with the credentials from the environment');
  }
  const app = await NestFactory.create(AppModule);
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  logger.log(`Sample listening on http://127.0.0.1:${port}  (try /streams, /users/twitchdev, /streams/all)`);
  const stop = async () => {
    await app.close();
    await fake?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void bootstrap();
