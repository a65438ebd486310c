import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchEventSubTransportRunner } from '../../lib/eventsub/transports/twitch-eventsub-transport.runner.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { installSampleFakeRoutes } from '../../sample/fake-extras.js';
import { freePort } from '../support/net.js';

/**
 * The sample's live EventSub page in a real browser (Debian's chromium, driven by playwright-core, as in
 * test/browser.spec.ts), in the mode the sample runs in without a public callback URL: the WebSocket
 * transport. Each button makes the embedded fake Twitch write a notification to the sample's EventSub
 * session, which claims it, runs its handlers and pushes it to the page over server-sent events (both
 * modes, webhook included, are covered without a browser by sample-live.spec.ts).
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `[live-page.browser.spec] skipped: ${CHROMIUM} is missing (install it with: apt-get update && apt-get install -y chromium)`,
  );
}

interface Entry {
  id: string;
  type: string;
  version: string;
  event: Record<string, unknown>;
}

describe('sample: live EventSub page in a browser', () => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    if (!hasChromium) return;
    fake = await FakeTwitch.start({ seed: { streams: 10 } });
    installSampleFakeRoutes(fake);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { DEV_BROADCASTER_ID, DEV_EVENTSUB_SECRET, setSampleFake } = await import('../../sample/live-state.js');
    Object.assign(process.env, {
      TWITCH_CLIENT_ID: fake.clientId,
      TWITCH_CLIENT_SECRET: fake.clientSecret,
      TWITCH_HELIX_URL: fake.helixUrl,
      TWITCH_AUTH_URL: fake.authUrl,
      TWITCH_REDIRECT_URI: `${base}/auth/twitch/callback`,
      TWITCH_EVENTSUB_SECRET: DEV_EVENTSUB_SECRET,
      TWITCH_BROADCASTER_ID: DEV_BROADCASTER_ID,
      TWITCH_KEY_PREFIX: `t-live-browser-${Math.random().toString(36).slice(2)}:`,
      PORT: String(port),
      TWITCH_EVENTSUB_WS_URL: fake.eventSubWsUrl,
    });
    delete process.env.TWITCH_EVENTSUB_CALLBACK;
    // Claims in memory: nothing of this test is left in Redis.
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
    // Imported after the environment is set: the sample reads its configuration from it.
    const { AppModule } = await import('../../sample/app.module.js');
    app = await NestFactory.create(AppModule, { logger: false, rawBody: true, abortOnError: false });
    await app.listen(port, '127.0.0.1');
    const runner = app.get(TwitchEventSubTransportRunner);
    await runner.started();
    const subs = [...fake.state.eventSubSubscriptions.values()].filter(
      (s) => s.status === 'enabled' && s.transport.sessionId === runner.sessionId,
    );
    expect(subs).toHaveLength(4);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
    const { setSampleFake } = await import('../../sample/live-state.js');
    setSampleFake(undefined);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it.skipIf(!hasChromium)(
    'home links to /live; clicking emit shows a follow, a subscription, a cheer and a chat message; /events.json agrees',
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${base}/`);
        // The page is listening once the server has answered the EventSource's request (headers only: the stream stays open).
        const listening = page.waitForResponse((r) => r.url() === `${base}/live/stream`);
        listening.catch(() => undefined); // awaited below; a failed click must not leave it unhandled
        await page.locator('a[href="/live"]').first().click();
        await page.waitForURL(`${base}/live`);
        expect((await listening).status()).toBe(200);
        const items = page.locator('#events li');
        expect(await items.count()).toBe(0);

        const clicks: { kind: string; type: string; text: RegExp }[] = [
          { kind: 'follow', type: 'channel.follow', text: / followed$/ },
          { kind: 'subscribe', type: 'channel.subscribe', text: / subscribed \(tier [123]000\)$/ },
          { kind: 'cheer', type: 'channel.cheer', text: / cheered 100 bits$/ },
          { kind: 'chat', type: 'channel.chat.message', text: /: Hello chat!$/ },
        ];
        for (const [i, c] of clicks.entries()) {
          const [emitted] = await Promise.all([
            page.waitForResponse((r) => r.url() === `${base}/live/emit/${c.kind}`),
            page.getByRole('button', { name: c.kind, exact: true }).click(),
          ]);
          expect(emitted.status()).toBe(202);
          const body = (await emitted.json()) as {
            type: string;
            transport: string;
            deliveries: { messageId: string; status: string }[];
          };
          expect(body).toMatchObject({ type: c.type, transport: 'websocket' });
          expect(body.deliveries).toEqual([expect.objectContaining({ status: 'delivered' })]);
          // Newest first: the notification just emitted is at the top of the list.
          const top = page.locator(`#events li[data-id="${body.deliveries[0].messageId}"]`);
          await top.waitFor({ timeout: 15_000 });
          expect(await items.count()).toBe(i + 1);
          expect(await items.first().getAttribute('data-id')).toBe(body.deliveries[0].messageId);
          expect(await top.getAttribute('data-type')).toBe(c.type);
          expect(await top.innerText()).toMatch(c.text);
        }

        // The page shows what /events.json lists (newest first on the page, oldest first in the JSON).
        const newestFirst = await items.evaluateAll((lis) =>
          lis.map((li) => ({ id: li.getAttribute('data-id'), type: li.getAttribute('data-type'), text: li.textContent })),
        );
        const shown = [...newestFirst].reverse();
        const res = await page.request.get(`${base}/events.json`);
        expect(res.status()).toBe(200);
        const events = (await res.json()) as Entry[];
        expect(events.map((e) => e.type)).toEqual(clicks.map((c) => c.type));
        expect(events.map((e) => ({ id: e.id, type: e.type }))).toEqual(shown.map(({ id, type }) => ({ id, type })));
        expect(events.map((e) => e.id)).toEqual(
          fake.eventSubWs.deliveries.filter((d) => d.messageType === 'notification').map((d) => d.messageId),
        );
        const [follow, sub, cheer, chat] = events;
        expect(shown[0].text).toBe(`${follow.event.userName as string} followed`);
        expect(shown[1].text).toBe(`${sub.event.userName as string} subscribed (tier ${sub.event.tier as string})`);
        expect(shown[2].text).toBe(`${cheer.event.userName as string} cheered 100 bits`);
        expect(shown[3].text).toBe(`${chat.event.chatterUserName as string}: Hello chat!`);
        expect(follow).toMatchObject({ version: '2', event: { broadcasterUserId: '141981764' } });

        // A reload lists the same notifications from /events.json.
        await page.reload();
        await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(4);
        expect(await items.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-id')))).toEqual(
          newestFirst.map((s) => s.id),
        );
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});
