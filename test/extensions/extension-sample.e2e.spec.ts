import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeExtension } from '../../lib/testing/fake-twitch/index.js';
import { sampleExtension } from '../../sample/extension-dev.js';
import { installSampleFakeRoutes } from '../../sample/fake-extras.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from '../support/app.js';
import { freePort } from '../support/net.js';

const CHROMIUM = '/usr/bin/chromium';

describe('sample: the extension backend and its frontend page', () => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let app: INestApplication;
  let base: string;
  const keyPrefix = `t-ext-sample-${Math.random().toString(36).slice(2, 8)}:${uniquePrefix()}`;
  const saved = { ...process.env };
  const http = () => request(app.getHttpServer());
  const token = async (query: string) => (await http().get(`/extension/dev-token?${query}`).expect(200)).body.token as string;

  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { streams: 2 } });
    installSampleFakeRoutes(fake);
    ext = fake.extensions.add({ ownerId: '141981764' });
    sampleExtension.fake = ext;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    Object.assign(process.env, {
      TWITCH_CLIENT_ID: fake.clientId,
      TWITCH_CLIENT_SECRET: fake.clientSecret,
      TWITCH_HELIX_URL: fake.helixUrl,
      TWITCH_AUTH_URL: fake.authUrl,
      TWITCH_REDIRECT_URI: `${base}/auth/twitch/callback`,
      TWITCH_KEY_PREFIX: keyPrefix,
      TWITCH_EXTENSION_SECRET: ext.currentSecret,
      TWITCH_EXTENSION_OWNER_ID: ext.ownerId,
    });
    const { AppModule } = await import('../../sample/app.module.js');
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(port, '127.0.0.1');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    sampleExtension.fake = undefined;
    await flushPrefix(keyPrefix);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('answers a viewer, counts a vote and broadcasts the tally over PubSub', async () => {
    const viewer = await token('role=viewer');
    const state = await http().get('/extension/api/state').set('Authorization', `Bearer ${viewer}`).expect(200);
    expect(state.body.viewer).toMatchObject({ channelId: '141981764', role: 'viewer', userId: '98765' });
    const vote = await http()
      .post('/extension/api/vote')
      .set('Authorization', `Bearer ${viewer}`)
      .send({ option: 'b' })
      .expect(201);
    expect(vote.body.tally).toEqual({ a: 0, b: 1 });
    expect(ext.pubsubMessages.at(-1)).toMatchObject({ broadcasterId: '141981764', target: ['broadcast'] });
    expect(JSON.parse(ext.pubsubMessages.at(-1)!.message)).toEqual({ type: 'tally', tally: { a: 0, b: 1 } });
  });

  it('refuses what the routes do not allow: no JWT, identity not shared, not the broadcaster', async () => {
    expect((await http().get('/extension/api/state').expect(401)).body.reason).toBe('missing_token');
    const anonymous = await token('role=viewer&linked=false');
    expect(
      (await http().post('/extension/api/vote').set('Authorization', `Bearer ${anonymous}`).send({}).expect(403)).body.reason,
    ).toBe('identity_not_shared');
    const viewer = await token('role=viewer');
    expect((await http().post('/extension/api/reset').set('Authorization', `Bearer ${viewer}`).expect(403)).body.reason).toBe(
      'role_not_allowed',
    );
    const broadcaster = await token('role=broadcaster');
    await http()
      .post('/extension/api/reset')
      .set('Authorization', `Bearer ${broadcaster}`)
      .expect(201, { tally: { a: 0, b: 0 } });
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'the page plays the frontend: it votes with its JWT in a real browser',
    async () => {
      const browser = await chromium.launch({
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
      try {
        const page = await browser.newPage();
        await page.goto(`${base}/extension`);
        await expect.poll(() => page.locator('#out').textContent(), { timeout: 15_000 }).toContain('"role": "viewer"');
        await page.getByRole('button', { name: 'Vote A' }).click();
        await expect.poll(() => page.locator('#out').textContent(), { timeout: 15_000 }).toMatch(/^201 [\s\S]*"a": 1/);
        await page.selectOption('#role', 'anonymous');
        await page.getByRole('button', { name: 'Vote B' }).click();
        await expect.poll(() => page.locator('#out').textContent(), { timeout: 15_000 }).toContain('identity_not_shared');
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
