import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchExtensionService } from '../../lib/extensions/twitch-extension.service.js';
import { TwitchExtensionJwtVerifier } from '../../lib/extensions/twitch-extension-jwt.verifier.js';
import type { FakeExtension } from '../../lib/testing/fake-twitch/index.js';
import { FakeTwitch } from '../support/app.js';
import { hasRedisServer, startPrivateRedis } from '../support/redis.js';
import { createExtensionApp } from './support.js';

/**
 * A Redis that answers nothing (SIGSTOP, a private redis-server): the guard keeps verifying with the
 * secrets it has, and PubSub messages are paced in memory after one bounded Redis command.
 */
describe.skipIf(!hasRedisServer())('extensions with a stalled Redis', () => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let app: INestApplicationContext;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    ext = fake.extensions.add({ ownerId: '141981764' });
    redis = await startPrivateRedis();
    app = await createExtensionApp(
      fake,
      't-ext-stall:',
      { secret: ext.currentSecret, ownerId: '141981764' },
      {
        redis: { url: redis.url, commandTimeoutMs: 200 },
      },
    );
    // The secrets are fetched and shared before Redis stalls.
    await app.get(TwitchExtensionJwtVerifier).verify(ext.issueJwt({ channelId: '1' }));
    redis.pause();
  });

  afterAll(async () => {
    redis?.resume();
    await app?.close();
    await redis?.stop();
    await fake?.close();
  });

  it('verifies frontend JWTs with the secrets it holds', async () => {
    await expect(
      app.get(TwitchExtensionJwtVerifier).verify(ext.issueJwt({ channelId: '1', role: 'viewer' })),
    ).resolves.toMatchObject({
      role: 'viewer',
    });
  });

  it('sends PubSub messages, paced in memory, within a bounded time', async () => {
    const ebs = app.get(TwitchExtensionService);
    const started = Date.now();
    await ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: 'a' }, { timeout: 1_000 });
    await ebs.sendPubSubMessage({ broadcasterId: '12826', target: 'broadcast', message: 'b' }, { timeout: 1_000 });
    expect(ext.pubsubMessages.map((m) => m.message)).toEqual(['a', 'b']);
    // One bounded pacer command (200 ms) and the pipeline's own bounded ones; far from the stall's length.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
