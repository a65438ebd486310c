import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchEventSubTransportRunner } from '../../lib/eventsub/transports/twitch-eventsub-transport.runner.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { freePort } from '../support/net.js';

describe.each(['websocket', 'webhook'] as const)('sample: the chat bot on the live page (%s)', (mode) => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { users: 3 } });
    const port = await freePort();
    const { DEV_BROADCASTER_ID, DEV_EVENTSUB_SECRET, setSampleFake } = await import('../../sample/live-state.js');
    Object.assign(process.env, {
      TWITCH_CLIENT_ID: fake.clientId,
      TWITCH_CLIENT_SECRET: fake.clientSecret,
      TWITCH_HELIX_URL: fake.helixUrl,
      TWITCH_AUTH_URL: fake.authUrl,
      TWITCH_REDIRECT_URI: `http://127.0.0.1:${port}/auth/twitch/callback`,
      TWITCH_EVENTSUB_SECRET: DEV_EVENTSUB_SECRET,
      TWITCH_BROADCASTER_ID: DEV_BROADCASTER_ID,
      TWITCH_KEY_PREFIX: `t-chat-sample-${Math.random().toString(36).slice(2)}:`,
      PORT: String(port),
      TWITCH_EVENTSUB_WS_URL: fake.eventSubWsUrl,
    });
    if (mode === 'webhook') process.env.TWITCH_EVENTSUB_CALLBACK = `http://127.0.0.1:${port}/eventsub`;
    else delete process.env.TWITCH_EVENTSUB_CALLBACK;
    delete process.env.REDIS_URL;
    fake.issueUserToken({
      userId: DEV_BROADCASTER_ID,
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
    const { AppModule } = await import('../../sample/app.module.js');
    app = await NestFactory.create(AppModule, { logger: false, rawBody: true, abortOnError: false });
    await app.listen(port, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
    if (mode === 'webhook') {
      await app.get(TwitchEventSubService).startupReconcile();
      await fake.eventSub.settled();
    } else {
      await app.get(TwitchEventSubTransportRunner).started();
    }
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    delete process.env.TWITCH_EVENTSUB_CALLBACK;
    delete process.env.TWITCH_EVENTSUB_WS_URL;
  });

  it('answers !hello, and the answer shows in the live feed', async () => {
    const page = await (await fetch(`${url}/live`)).text();
    expect(page).toContain('id="chat-hello"');
    const res = await fetch(`${url}/live/chat/hello`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    const asker = fake.chat.messages.find((m) => m.messageId === messageId)!;
    const login = fake.state.users.get(asker.senderId)!.login;
    await expect
      .poll(
        async () => {
          const events = (await (await fetch(`${url}/events.json`)).json()) as {
            type: string;
            event: { chatterUserId: string; message: { text: string } };
          }[];
          return events.filter((e) => e.type === 'channel.chat.message').map((e) => e.event.message.text);
        },
        { timeout: 10_000 },
      )
      .toEqual(['!hello', `@${login} Hello @${login}!`]);
    expect(fake.chat.messages.at(-1)).toMatchObject({ senderId: '141981764', replyTo: messageId, text: `Hello @${login}!` });
  });
});
