import 'reflect-metadata';
import { type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenDecryptionError } from '../../lib/auth/token-store/twitch-token-cipher.js';
import { TwitchTokenStore } from '../../lib/auth/token-store/twitch-token-store.js';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { TwitchLoginRequiredException } from '../../lib/exceptions/twitch-oauth.exception.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { createTwitchApp, FakeTwitch, flushPrefix, REDIS_URL, type TestApp } from '../support/app.js';

const A = { userId: '141981764', login: 'twitchdev' };
const B = { userId: '527115020', login: 'twitchgaming' };
const prefix = () => `t-secrets-${process.pid}-${randomBytes(4).toString('hex')}:`;

type Redis = ReturnType<typeof createClient>;

async function logIn(t: TestApp, fake: FakeTwitch, user: { userId: string; login: string }) {
  const issued = fake.issueUserToken({ ...user, scopes: ['user:read:follows'] });
  await t.app.get(TwitchUserTokenService).save({
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    scopes: ['user:read:follows'],
    tokenType: 'bearer',
  });
  return issued;
}

/** The Bearer tokens of every request the fake received. */
const bearers = (fake: FakeTwitch) => fake.requests.map((r) => String(r.headers.authorization ?? ''));

describe('secrets at rest', () => {
  let fake: FakeTwitch;
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = () => {
    const p = prefix();
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    redis = createClient({ url: REDIS_URL() });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
    await fake.close();
    for (const p of prefixes) await flushPrefix(p);
  });
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  it('encrypts the shared app token in Redis when tokens.encryptionKey is set, and instances with the key share it', async () => {
    const keyPrefix = newPrefix();
    const encryptionKey = randomBytes(32).toString('hex');
    const opts = { redis: { url: REDIS_URL() }, keyPrefix, tokens: { encryptionKey, validateOnStartup: false } };
    const a = await createTwitchApp(fake, opts);
    try {
      await a.api.users.getUsers({ login: ['twitchdev'] });
      const sent = fake.requestsTo('GET', '/users')[0].headers.authorization as string;
      const appToken = sent.replace(/^Bearer /, '');
      expect(appToken).toBeTruthy();
      const raw = String(await redis.get(`${keyPrefix}{app-token:${fake.clientId}}`));
      expect(raw.startsWith('enc1:')).toBe(true);
      expect(raw).not.toContain(appToken);

      // A second instance with the same key reads it: no second token request.
      const b = await createTwitchApp(fake, opts);
      try {
        fake.clearRequests();
        await b.api.users.getUsers({ login: ['twitchdev'] });
        expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(0);
        expect(fake.requestsTo('GET', '/users')[0].headers.authorization).toBe(sent);
      } finally {
        await b.close();
      }

      // An instance with another key cannot read it: it fetches its own token instead of failing.
      const c = await createTwitchApp(fake, {
        ...opts,
        tokens: { encryptionKey: randomBytes(32).toString('hex'), validateOnStartup: false },
      });
      try {
        fake.clearRequests();
        await expect(c.api.users.getUsers({ login: ['twitchdev'] })).resolves.toBeDefined();
        expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
    }
  });

  it('replaces a clear app token record left by an earlier version once a key is set', async () => {
    const keyPrefix = newPrefix();
    const stale = fake.issueAppToken();
    const now = Date.now();
    await redis.set(
      `${keyPrefix}{app-token:${fake.clientId}}`,
      JSON.stringify({ token: stale, issuedAt: now, expiresAt: now + 3_600_000 }),
      {
        PX: 3_600_000,
      },
    );
    const t = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: randomBytes(32).toString('hex'), validateOnStartup: false },
    });
    try {
      await t.api.users.getUsers({ login: ['twitchdev'] });
      expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
      expect(String(await redis.get(`${keyPrefix}{app-token:${fake.clientId}}`)).startsWith('enc1:')).toBe(true);
    } finally {
      await t.close();
    }
  });

  it("binds each user's record to that user: A's record copied onto B's key is no token, and nothing is sent with A's token", async () => {
    const keyPrefix = newPrefix();
    const t = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: randomBytes(32).toString('base64'), validateOnStartup: false },
    });
    try {
      const issuedA = await logIn(t, fake, A);
      await logIn(t, fake, B);
      await redis.set(`${keyPrefix}{user-token:${B.userId}}`, String(await redis.get(`${keyPrefix}{user-token:${A.userId}}`)));
      fake.clearRequests();

      const err = await t.api.users.getUsers({}, { userId: B.userId }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TwitchLoginRequiredException);
      expect((err as TwitchLoginRequiredException).getStatus()).toBe(401);
      expect((err as TwitchLoginRequiredException).userId).toBe(B.userId);
      expect(bearers(fake).some((h) => h.includes(issuedA.accessToken))).toBe(false);
      expect(fake.requests).toHaveLength(0);

      // The store says why; the message names the user, not the token.
      const storeErr = await t.app
        .get(TwitchTokenStore)
        .get(B.userId)
        .catch((e: unknown) => e);
      expect(storeErr).toBeInstanceOf(TwitchTokenDecryptionError);
      expect((storeErr as Error).message).not.toContain(issuedA.accessToken);
      // A itself still works.
      await expect(t.api.users.getUsers({}, { userId: A.userId })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('reads records sealed by earlier versions (no owner binding) for their own user only', async () => {
    const keyPrefix = newPrefix();
    const key = randomBytes(32);
    const t = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: key.toString('hex'), validateOnStartup: false },
    });
    try {
      const issued = fake.issueUserToken({ ...A, scopes: ['user:read:follows'] });
      const record = JSON.stringify({
        ...A,
        accessToken: issued.accessToken,
        refreshToken: issued.refreshToken,
        scopes: ['user:read:follows'],
      });
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(record, 'utf8'), c.final()]);
      const old = 'enc1:' + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
      await redis.set(`${keyPrefix}{user-token:${A.userId}}`, old);
      await redis.set(`${keyPrefix}{user-token:${B.userId}}`, old);

      expect((await t.app.get(TwitchTokenStore).get(A.userId))!.accessToken).toBe(issued.accessToken);
      await expect(t.app.get(TwitchTokenStore).get(B.userId)).rejects.toThrow(/belongs to another user/);
      fake.clearRequests();
      await expect(t.api.users.getUsers({}, { userId: B.userId })).rejects.toBeInstanceOf(TwitchLoginRequiredException);
      expect(fake.requests).toHaveLength(0);
      await expect(t.api.users.getUsers({}, { userId: A.userId })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('a user record copied onto the app token key is not used as the app token', async () => {
    const keyPrefix = newPrefix();
    const t = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: randomBytes(32).toString('hex'), validateOnStartup: false },
    });
    try {
      const issued = await logIn(t, fake, A);
      await redis.set(
        `${keyPrefix}{app-token:${fake.clientId}}`,
        String(await redis.get(`${keyPrefix}{user-token:${A.userId}}`)),
        { PX: 60_000 },
      );
      fake.clearRequests();
      await t.api.users.getUsers({ login: ['twitchdev'] });
      expect(bearers(fake).some((h) => h.includes(issued.accessToken))).toBe(false);
      expect(fake.requestsTo('POST', '/oauth2/token')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('the hourly validation skips an unreadable record instead of stopping at it', async () => {
    const keyPrefix = newPrefix();
    const t = await createTwitchApp(fake, {
      redis: { url: REDIS_URL() },
      keyPrefix,
      tokens: { encryptionKey: randomBytes(32).toString('hex'), validateOnStartup: false },
    });
    try {
      await logIn(t, fake, A);
      await logIn(t, fake, B);
      // '141981764' sorts first: make it unreadable.
      await redis.set(`${keyPrefix}{user-token:${A.userId}}`, 'enc1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      fake.clearRequests();
      const result = await t.app.get(TwitchUserTokenService).validateAll();
      expect(result.validated).toBe(1);
      expect(fake.requestsTo('GET', '/oauth2/validate')).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

describe('startup warning about clear tokens in Redis', () => {
  let fake: FakeTwitch;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
  });
  afterAll(() => fake.close());

  async function warningsOf(options: Partial<TwitchModuleOptions>): Promise<string[]> {
    const warnings: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => void warnings.push(String(message)),
    };
    const keyPrefix = prefix();
    @Module({
      imports: [TwitchModule.forRoot({ ...fake.moduleOptions(), keyPrefix, tokens: { validateOnStartup: false }, ...options })],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger });
    await app.close();
    await flushPrefix(keyPrefix);
    return warnings.filter((w) => w.includes('unencrypted'));
  }

  it('warns once when tokens go to Redis without tokens.encryptionKey, naming the option and no secret', async () => {
    const warnings = await warningsOf({ redis: { url: REDIS_URL() } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tokens.encryptionKey');
    expect(warnings[0]).toContain('app access token');
    expect(warnings[0]).not.toContain(fake.clientSecret);
  });

  it('does not warn with a key, or without Redis', async () => {
    const tokens = { encryptionKey: randomBytes(32).toString('hex'), validateOnStartup: false };
    expect(await warningsOf({ redis: { url: REDIS_URL() }, tokens })).toEqual([]);
    expect(await warningsOf({})).toEqual([]);
  });
});
