import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TwitchExtensionJwtVerifier } from '../../lib/extensions/twitch-extension-jwt.verifier.js';
import { TwitchExtensionSecretsService } from '../../lib/extensions/twitch-extension-secrets.service.js';
import type { FakeExtension } from '../../lib/testing/fake-twitch/index.js';
import { FakeTwitch, flushPrefix, REDIS_URL, uniquePrefix } from '../support/app.js';
import { bearerOf, claimsOf, createExtensionApp, recordingLogger } from './support.js';

const OWNER = '141981764';
const CHANNEL = '141981764';

describe('extension secrets: fetched, shared through Redis, rotated', () => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let prefix: string;
  const apps: INestApplicationContext[] = [];

  beforeEach(async () => {
    fake = await FakeTwitch.start();
    ext = fake.extensions.add({ ownerId: OWNER });
    prefix = `t-ext-secrets-${Math.random().toString(36).slice(2, 8)}:${uniquePrefix()}`;
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await fake.close();
    await flushPrefix(prefix);
  });

  afterAll(async () => undefined);

  const start = async (overrides: Record<string, unknown> = {}) => {
    const app = await createExtensionApp(fake, prefix, { secret: ext.currentSecret, ownerId: OWNER, ...overrides });
    apps.push(app);
    return { app, verifier: app.get(TwitchExtensionJwtVerifier), secrets: app.get(TwitchExtensionSecretsService) };
  };

  it('fetches the secrets once for every instance, signed as the owner with role external', async () => {
    const a = await start();
    const b = await start();
    const jwt = ext.issueJwt({ channelId: CHANNEL, role: 'viewer' });
    await Promise.all([a.verifier.verify(jwt), b.verifier.verify(jwt), a.verifier.verify(jwt), b.verifier.verify(jwt)]);
    const fetches = fake.requestsTo('GET', '/extensions/jwt/secrets');
    expect(fetches).toHaveLength(1);
    expect(fetches[0].status).toBe(200);
    expect(fetches[0].headers['client-id']).toBe(ext.id);
    const claims = claimsOf(bearerOf(fetches[0].headers));
    expect(claims).toMatchObject({ role: 'external', user_id: OWNER });
    expect(typeof claims.exp).toBe('number');
  });

  it('keeps the shared copy sealed with tokens.encryptionKey: no secret in Redis in clear', async () => {
    const key = 'a'.repeat(64);
    const app = await createExtensionApp(
      fake,
      prefix,
      { secret: ext.currentSecret, ownerId: OWNER },
      { tokens: { encryptionKey: key } },
    );
    apps.push(app);
    await app.get(TwitchExtensionJwtVerifier).verify(ext.issueJwt({ channelId: CHANNEL }));
    const redis = createClient({ url: REDIS_URL() });
    await redis.connect();
    const stored = await redis.get(`${prefix}{ext:${ext.id}:secrets}`);
    await redis.close();
    expect(stored).toMatch(/^enc1:/);
    expect(stored).not.toContain(ext.currentSecret);
  });

  it('accepts the old and the new secret during the overlap, and refuses the old one after it expired', async () => {
    const a = await start();
    const b = await start();
    const oldSecret = ext.currentSecret;
    const oldJwt = ext.issueJwt({ channelId: CHANNEL, role: 'broadcaster', userId: CHANNEL });
    await expect(a.verifier.verify(oldJwt)).resolves.toMatchObject({ role: 'broadcaster' });

    // Create Extension Secret (as Twitch's console would): the new one is active in 300 s, the old one stays for the overlap.
    const newSecret = ext.rotateSecret(300);
    const newJwt = ext.issueJwt({ channelId: CHANNEL, role: 'viewer', secret: newSecret });
    // Instance a meets an unknown signature: it fetches again at once and shares the list.
    await expect(a.verifier.verify(newJwt)).resolves.toMatchObject({ role: 'viewer' });
    await expect(a.verifier.verify(oldJwt)).resolves.toMatchObject({ role: 'broadcaster' });
    await b.secrets.refresh();
    await expect(b.verifier.verify(newJwt)).resolves.toMatchObject({ role: 'viewer' });
    await expect(b.verifier.verify(oldJwt)).resolves.toMatchObject({ role: 'broadcaster' });
    // The old secret still signs until the new one is active.
    expect(await a.secrets.signingSecret()).toBe(oldSecret);

    // The overlap ends: Twitch retires the old secret and the new one is active.
    ext.secrets[0].expiresAt = Date.now() - 1;
    ext.secrets[1].activeAt = Date.now() - 1;
    await a.secrets.refresh();
    await expect(a.verifier.verify(oldJwt)).rejects.toMatchObject({ reason: 'invalid_signature', status: 401 });
    await expect(a.verifier.verify(newJwt)).resolves.toMatchObject({ role: 'viewer' });
    expect(await a.secrets.signingSecret()).toBe(newSecret);
    // Instance b picks the shared list up at its next refresh.
    await b.secrets.refresh();
    await expect(b.verifier.verify(oldJwt)).rejects.toMatchObject({ reason: 'invalid_signature' });
  });

  it('fetches again in the background every secretsRefreshMs, so a rotation is seen before the new secret is used', async () => {
    const a = await start({ secretsRefreshMs: 1_000 });
    const oldJwt = ext.issueJwt({ channelId: CHANNEL });
    await a.verifier.verify(oldJwt);
    expect(await a.secrets.verificationSecrets()).toHaveLength(1);
    const newSecret = ext.rotateSecret(300);
    await expect
      .poll(
        async () => {
          await a.verifier.verify(oldJwt); // a use after the refresh is due starts it, without waiting for it
          return (await a.secrets.verificationSecrets()).map((s) => s.content);
        },
        { timeout: 10_000, interval: 200 },
      )
      .toContain(newSecret);
    expect(fake.requestsTo('GET', '/extensions/jwt/secrets').length).toBeGreaterThanOrEqual(2);
  });

  it('refetches at most every 10 s after unknown signatures (no fetch storm from forged tokens)', async () => {
    const a = await start();
    await a.verifier.verify(ext.issueJwt({ channelId: CHANNEL }));
    const forged = ext.issueJwt({ channelId: CHANNEL, secret: Buffer.from('not the secret').toString('base64') });
    for (let i = 0; i < 5; i++) await expect(a.verifier.verify(forged)).rejects.toMatchObject({ reason: 'invalid_signature' });
    expect(fake.requestsTo('GET', '/extensions/jwt/secrets').length).toBeLessThanOrEqual(2);
  });

  it('falls back to the configured secret when Twitch cannot be reached, without failing the request', async () => {
    fake.inject({ method: 'GET', path: '/extensions/jwt/secrets', status: 503, times: 5 });
    const a = await start();
    await expect(a.verifier.verify(ext.issueJwt({ channelId: CHANNEL }))).resolves.toMatchObject({ channelId: CHANNEL });
    // And it waits before trying again: not one fetch per request while Twitch is away.
    for (let i = 0; i < 3; i++) await a.verifier.verify(ext.issueJwt({ channelId: CHANNEL }));
    expect(fake.requestsTo('GET', '/extensions/jwt/secrets')).toHaveLength(1);
  });

  it('logs no secret and no JWT when fetching fails or a token is refused', async () => {
    const logger = recordingLogger();
    fake.inject({ method: 'GET', path: '/extensions/jwt/secrets', status: 401, message: 'JWT could not be verified', times: 10 });
    const app = await createExtensionApp(fake, prefix, { secret: ext.currentSecret, ownerId: OWNER }, {}, logger);
    apps.push(app);
    const verifier = app.get(TwitchExtensionJwtVerifier);
    const good = ext.issueJwt({ channelId: CHANNEL });
    await verifier.verify(good);
    const forged = ext.issueJwt({ channelId: CHANNEL, secret: Buffer.from('guess').toString('base64') });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ reason: 'invalid_signature' });
    expect(logger.lines.some((l) => l.includes('Cannot fetch the extension secrets'))).toBe(true);
    const sent = fake.requestsTo('GET', '/extensions/jwt/secrets').map((r) => bearerOf(r.headers));
    const text = logger.lines.join('\n');
    for (const secret of [ext.currentSecret, ...sent, good, forged]) expect(text).not.toContain(secret);
  });

  it('without fetchSecrets, accepts every configured secret and never calls Twitch', async () => {
    const second = ext.rotateSecret(300);
    const a = await start({ secrets: [second], fetchSecrets: false });
    await expect(a.verifier.verify(ext.issueJwt({ channelId: CHANNEL, secret: second }))).resolves.toBeDefined();
    await expect(a.verifier.verify(ext.issueJwt({ channelId: CHANNEL, secret: ext.secrets[0].content }))).resolves.toBeDefined();
    expect(fake.requestsTo('GET', '/extensions/jwt/secrets')).toHaveLength(0);
  });
});
