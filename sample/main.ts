import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FakeTwitch } from '../lib/testing/index.js';
import { AppModule } from './app.module.js';
import { installSampleFakeRoutes } from './fake-extras.js';
import { DEV_BROADCASTER_ID, DEV_EVENTSUB_SECRET, setSampleFake } from './live-state.js';
import { sampleExtension } from './extension-dev.js';

async function bootstrap() {
  const logger = new Logger('Sample');
  const port = Number(process.env.PORT ?? 3000);
  let fake: FakeTwitch | undefined;
  if (!process.env.TWITCH_CLIENT_ID || !process.env.TWITCH_CLIENT_SECRET) {
    fake = await FakeTwitch.start({ seed: { streams: 250 } });
    installSampleFakeRoutes(fake);
    sampleExtension.fake = fake.extensions.add({ ownerId: '141981764' });
    process.env.TWITCH_EXTENSION_SECRET = sampleExtension.fake.currentSecret;
    process.env.TWITCH_EXTENSION_OWNER_ID = sampleExtension.fake.ownerId;
    process.env.TWITCH_CLIENT_ID = fake.clientId;
    process.env.TWITCH_CLIENT_SECRET = fake.clientSecret;
    process.env.TWITCH_HELIX_URL = fake.helixUrl;
    process.env.TWITCH_AUTH_URL = fake.authUrl;
    process.env.SAMPLE_FAKE_TWITCH_URL = fake.url; // the home page says so
    logger.log(`No TWITCH_CLIENT_ID/TWITCH_CLIENT_SECRET set: using the embedded fake Twitch at ${fake.url}`);
    // EventSub with the fake: a development secret, and a broadcaster who has granted the scopes the live page needs.
    process.env.TWITCH_EVENTSUB_SECRET ??= DEV_EVENTSUB_SECRET;
    process.env.TWITCH_BROADCASTER_ID ??= DEV_BROADCASTER_ID;
    // Without a public callback URL, EventSub runs on the WebSocket transport: the fake's.
    process.env.TWITCH_EVENTSUB_WS_URL ??= fake.eventSubWsUrl;
    fake.issueUserToken({
      userId: process.env.TWITCH_BROADCASTER_ID,
      scopes: [
        'moderator:read:followers',
        'channel:read:subscriptions',
        'bits:read',
        'user:read:chat',
        'user:bot',
        'channel:bot',
      ],
    });
    setSampleFake(fake);
  } else {
    logger.log('Using Twitch with the credentials from the environment');
  }
  // The login callback; with real credentials, register this exact URL with your Twitch application.
  process.env.TWITCH_REDIRECT_URI ??= `http://127.0.0.1:${port}/auth/twitch/callback`;
  process.env.PORT ??= String(port);
  // rawBody: EventSub webhook signatures are checked on the raw bytes.
  const app = await NestFactory.create(AppModule, { rawBody: true });
  await app.listen(port, '127.0.0.1');
  logger.log(`Sample listening on http://127.0.0.1:${port}  (open / to log in with Twitch; JSON routes at /routes)`);
  const stop = async () => {
    await app.close();
    await fake?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void bootstrap();
