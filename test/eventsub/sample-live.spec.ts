import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { TwitchEventSubTransportRunner } from '../../lib/eventsub/transports/twitch-eventsub-transport.runner.js';
import { LiveFeed } from '../../sample/live-feed.service.js';

const KINDS = ['follow', 'subscribe', 'cheer', 'chat'];
import { freePort } from '../support/net.js';

/**
 * Both ways the sample runs: without a public callback URL (`TWITCH_EVENTSUB_CALLBACK` unset) on the
 * WebSocket transport, against the embedded fake's EventSub WebSocket; with one, on webhooks.
 */
describe.each(['websocket', 'webhook'] as const)('sample: live EventSub page with the embedded fake (%s)', (mode) => {
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
      TWITCH_EVENTSUB_WS_URL: fake.eventSubWsUrl,
    });
    if (mode === 'webhook') process.env.TWITCH_EVENTSUB_CALLBACK = `http://127.0.0.1:${port}/eventsub`;
    else delete process.env.TWITCH_EVENTSUB_CALLBACK;
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
    if (mode === 'webhook') {
      const report = await app.get(TwitchEventSubService).startupReconcile();
      expect(report?.created).toHaveLength(4);
      await fake.eventSub.settled();
    } else {
      await app.get(TwitchEventSubTransportRunner).started();
      const sessionId = app.get(TwitchEventSubTransportRunner).sessionId;
      const subs = [...fake.state.eventSubSubscriptions.values()].filter(
        (s) => s.status === 'enabled' && s.transport.sessionId === sessionId,
      );
      expect(subs).toHaveLength(4);
    }
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    delete process.env.TWITCH_EVENTSUB_CALLBACK;
    delete process.env.TWITCH_EVENTSUB_WS_URL;
  });

  it('buttons make the fake emit; /events.json lists accepted notifications in arrival order', async () => {
    for (const kind of KINDS) {
      const res = await fetch(`${url}/live/emit/${kind}`, { method: 'POST' });
      expect(res.status).toBe(202);
      const body = (await res.json()) as { transport: string; deliveries: { status: number | string }[] };
      expect(body.transport).toBe(mode);
      expect(body.deliveries).toEqual([expect.objectContaining({ status: mode === 'webhook' ? 204 : 'delivered' })]);
      if (mode === 'websocket') await expect.poll(() => app.get(LiveFeed).recent().length).toBe(KINDS.indexOf(kind) + 1);
    }
    await app.get(TwitchEventSubService).idle();
    const events = (await (await fetch(`${url}/events.json`)).json()) as {
      id: string;
      type: string;
      version: string;
      event: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.type)).toEqual(['channel.follow', 'channel.subscribe', 'channel.cheer', 'channel.chat.message']);
    expect(events[0]).toMatchObject({ version: '2', event: { broadcasterUserId: '141981764' } });
    expect(typeof events[0].event.followedAt).toBe('string');
    const sent = mode === 'webhook' ? fake.eventSub.deliveries : fake.eventSubWs.deliveries;
    expect(events.map((e) => e.id)).toEqual(sent.filter((d) => d.messageType === 'notification').map((d) => d.messageId));
    expect(events.every((e) => (e as { transport?: string }).transport === undefined)).toBe(true);
    const page = await (await fetch(`${url}/live`)).text();
    expect(page).toContain('id="emit-follow"');
    expect(page).toContain(mode === 'webhook' ? 'POST /eventsub' : 'EventSub WebSocket transport');
  });
});
