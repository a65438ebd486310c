import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { freePort } from '../support/net.js';

describe('sample: live EventSub page with the embedded fake', () => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
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
      TWITCH_KEY_PREFIX: `t-eventsub-sample-${Math.random().toString(36).slice(2)}:`,
      PORT: String(port),
    });
    delete process.env.REDIS_URL;
    fake.issueUserToken({
      userId: DEV_BROADCASTER_ID,
      scopes: ['moderator:read:followers', 'channel:read:subscriptions', 'bits:read', 'user:read:chat', 'user:bot'],
    });
    setSampleFake(fake);
    const { AppModule } = await import('../../sample/app.module.js');
    app = await NestFactory.create(AppModule, { logger: false, rawBody: true, abortOnError: false });
    await app.listen(port, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
    const report = await app.get(TwitchEventSubService).startupReconcile();
    expect(report?.created).toHaveLength(4);
    await fake.eventSub.settled();
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  it('buttons make the fake emit; /events.json lists accepted notifications in arrival order', async () => {
    for (const kind of ['follow', 'subscribe', 'cheer', 'chat']) {
      const res = await fetch(`${url}/live/emit/${kind}`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(((await res.json()) as { deliveries: { status: number }[] }).deliveries).toEqual([expect.objectContaining({ status: 204 })]);
    }
    await app.get(TwitchEventSubService).idle();
    const events = (await (await fetch(`${url}/events.json`)).json()) as { id: string; type: string; version: string; event: Record<string, unknown> }[];
    expect(events.map((e) => e.type)).toEqual(['channel.follow', 'channel.subscribe', 'channel.cheer', 'channel.chat.message']);
    expect(events[0]).toMatchObject({ version: '2', event: { broadcasterUserId: '141981764' } });
    expect(typeof events[0].event.followedAt).toBe('string');
    expect(events.map((e) => e.id)).toEqual(fake.eventSub.deliveries.filter((d) => d.messageType === 'notification').map((d) => d.messageId));
    const page = await (await fetch(`${url}/live`)).text();
    expect(page).toContain('id="emit-follow"');
  });
});
