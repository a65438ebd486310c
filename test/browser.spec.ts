import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenStore } from '../lib/auth/token-store/twitch-token-store.js';
import { installSampleFakeRoutes } from '../sample/fake-extras.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from './support/app.js';
import { freePort } from './support/net.js';

/**
 * Clicks through the sample's login against the fake Twitch in a real browser: Debian's chromium,
 * driven by playwright-core (`.ci/run` installs chromium when it is missing).
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[browser.spec] skipped: ${CHROMIUM} is missing (install it with: apt-get update && apt-get install -y chromium)`);
}

describe('sample app in a browser', () => {
  let fake: FakeTwitch;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  const keyPrefix = uniquePrefix();
  const saved = { ...process.env };

  beforeAll(async () => {
    if (!hasChromium) return;
    fake = await FakeTwitch.start({ seed: { streams: 10 } });
    installSampleFakeRoutes(fake);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    Object.assign(process.env, {
      TWITCH_CLIENT_ID: fake.clientId,
      TWITCH_CLIENT_SECRET: fake.clientSecret,
      TWITCH_HELIX_URL: fake.helixUrl,
      TWITCH_AUTH_URL: fake.authUrl,
      TWITCH_REDIRECT_URI: `${base}/auth/twitch/callback`,
      TWITCH_KEY_PREFIX: keyPrefix,
    });
    // Imported after the environment is set: the sample reads its configuration from it.
    const { AppModule } = await import('../sample/app.module.js');
    app = await NestFactory.create(AppModule, { logger: ['error'], abortOnError: false });
    await app.listen(port, '127.0.0.1');
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
    if (hasChromium) await flushPrefix(keyPrefix);
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it.skipIf(!hasChromium)(
    'logs in with Twitch, shows the user and their followed channels, and logs out',
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${base}/`);
        await page.getByRole('link', { name: 'Log in with Twitch' }).click();

        // The fake Twitch's consent screen, with the sample's scope.
        await page.waitForURL((url) => url.href.startsWith(`${fake.authUrl}/authorize`));
        expect(await page.locator('main').innerText()).toContain('user:read:follows');
        await page.getByRole('button', { name: 'Authorize' }).click();

        // Back on the sample's protected page, as twitchdev.
        await page.waitForURL(`${base}/me`);
        expect(await page.locator('#user-login').innerText()).toBe('twitchdev');
        expect(await page.locator('#user-id').innerText()).toBe('141981764');
        expect(await page.locator('#user-scopes').innerText()).toBe('user:read:follows');
        const followed = await page
          .locator('#followed li')
          .evaluateAll((items) => items.map((li) => li.getAttribute('data-login')));
        expect(followed).toEqual(expect.arrayContaining(['twitchgaming', 'streamer1', 'streamer5']));
        expect(followed).toHaveLength(6);
        // Helix was called as the user, with the user's token.
        const [helix] = fake.requestsTo('GET', '/channels/followed');
        const stored = await app.get(TwitchTokenStore).get('141981764');
        expect(helix.headers.authorization).toBe(`Bearer ${stored!.accessToken}`);
        const cookies = await context.cookies(base);
        const session = cookies.find((c) => c.name === 'twitch_session');
        expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });

        // Log out: the token is revoked and forgotten, the cookie is gone.
        await page.getByRole('button', { name: 'Log out' }).click();
        await page.waitForURL(`${base}/`);
        expect(fake.requestsTo('POST', '/oauth2/revoke')).toHaveLength(1);
        expect(await app.get(TwitchTokenStore).get('141981764')).toBeUndefined();
        expect((await context.cookies(base)).find((c) => c.name === 'twitch_session')).toBeUndefined();

        // The protected page now sends the browser to the home page to log in.
        await page.goto(`${base}/me`);
        await page.waitForURL(`${base}/?next=%2Fme`);
        expect(await page.locator('#notice').innerText()).toContain('Log in to see /me');
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it.skipIf(!hasChromium)(
    'shows a login-failed page when the user cancels on Twitch, and stores nothing',
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${base}/`);
        await page.getByRole('link', { name: 'Log in with Twitch' }).click();
        await page.waitForURL((url) => url.href.startsWith(`${fake.authUrl}/authorize`));
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().startsWith(`${base}/auth/twitch/callback`)),
          page.getByRole('button', { name: 'Cancel' }).click(),
        ]);
        expect(response.status()).toBe(403);
        expect(await page.locator('#login-error').innerText()).toContain('The user denied you access');
        expect(await app.get(TwitchTokenStore).get('141981764')).toBeUndefined();
        expect((await context.cookies(base)).find((c) => c.name === 'twitch_session')).toBeUndefined();
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});
