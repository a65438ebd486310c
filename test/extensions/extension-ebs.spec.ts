import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { signExtensionJwt } from '../../lib/auth/extension-jwt.js';
import { TwitchExtensionService } from '../../lib/extensions/twitch-extension.service.js';
import { TwitchValidationException } from '../../lib/exceptions/twitch-validation.exception.js';
import { TwitchException, TwitchRateLimitException } from '../../lib/exceptions/twitch.exception.js';
import type { FakeExtension } from '../../lib/testing/fake-twitch/index.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from '../support/app.js';
import { bearerOf, claimsOf, createExtensionApp } from './support.js';

const OWNER = '141981764';
const CHANNEL = '12826';

describe('TwitchExtensionService: EBS calls sign their own JWTs', () => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let app: INestApplicationContext;
  let ebs: TwitchExtensionService;
  let prefix: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    ext = fake.extensions.add({ ownerId: OWNER, version: '0.0.1' });
    prefix = `t-ext-ebs-${Math.random().toString(36).slice(2, 8)}:${uniquePrefix()}`;
    app = await createExtensionApp(fake, prefix, { secret: ext.currentSecret, ownerId: OWNER, jwtTtlSeconds: 60 });
    ebs = app.get(TwitchExtensionService);
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  beforeEach(() => fake.clearRequests());

  /** The claims of the JWT the last request to this route carried (checked by the fake before it answered). */
  const lastClaims = (method: string, path: string) => {
    const sent = fake.requestsTo(method, path);
    expect(sent.length).toBeGreaterThan(0);
    const last = sent[sent.length - 1];
    expect(last.headers['client-id']).toBe(ext.id);
    return claimsOf(bearerOf(last.headers));
  };

  const expectShortLived = (claims: Record<string, unknown>) => {
    const left = (claims.exp as number) - Date.now() / 1000;
    expect(left).toBeGreaterThan(30);
    expect(left).toBeLessThanOrEqual(61);
  };

  it('Send Extension PubSub Message to a channel: role external, the owner, channel_id and pubsub_perms.send', async () => {
    await ebs.sendPubSubMessage({ broadcasterId: CHANNEL, target: 'broadcast', message: { type: 'vote', option: 2 } });
    const claims = lastClaims('POST', '/extensions/pubsub');
    expect(claims).toMatchObject({
      role: 'external',
      user_id: OWNER,
      channel_id: CHANNEL,
      pubsub_perms: { send: ['broadcast'] },
    });
    expectShortLived(claims);
    const accepted = ext.pubsubMessages.at(-1)!;
    expect(accepted).toMatchObject({ broadcasterId: CHANNEL, target: ['broadcast'], message: '{"type":"vote","option":2}' });
  });

  it('whispers to one viewer, and broadcasts globally with channel_id "all"', async () => {
    await ebs.sendPubSubMessage({ broadcasterId: CHANNEL, target: ['whisper-98765'], message: 'hi' });
    expect(lastClaims('POST', '/extensions/pubsub')).toMatchObject({
      channel_id: CHANNEL,
      pubsub_perms: { send: ['whisper-98765'] },
    });
    await ebs.sendPubSubMessage({ isGlobalBroadcast: true, target: 'global', message: 'to all' });
    expect(lastClaims('POST', '/extensions/pubsub')).toMatchObject({ channel_id: 'all', pubsub_perms: { send: ['global'] } });
    expect(ext.pubsubMessages.at(-1)).toMatchObject({ isGlobalBroadcast: true, target: ['global'], message: 'to all' });
    expect(fake.requestsTo('POST', '/extensions/pubsub').every((r) => r.status === 204)).toBe(true);
  });

  it('Send Extension Chat Message, Set Required Configuration and segments are signed as the owner with role external', async () => {
    await ebs.sendChatMessage({ broadcasterId: CHANNEL, text: 'Hello chat', extensionVersion: '0.0.1' });
    expect(lastClaims('POST', '/extensions/chat')).toMatchObject({ role: 'external', user_id: OWNER });
    expect(ext.chatMessages.at(-1)).toMatchObject({ broadcasterId: CHANNEL, text: 'Hello chat' });

    await ebs.setRequiredConfiguration({ broadcasterId: CHANNEL, extensionVersion: '0.0.1', requiredConfiguration: 'v2' });
    expect(lastClaims('PUT', '/extensions/required_configuration')).toMatchObject({ role: 'external', user_id: OWNER });
    expect(ext.requiredConfigurations.get(CHANNEL)).toEqual({ extensionVersion: '0.0.1', requiredConfiguration: 'v2' });

    await ebs.setConfigurationSegment({
      segment: 'broadcaster',
      broadcasterId: CHANNEL,
      content: { color: 'red' },
      version: '1',
    });
    expect(lastClaims('PUT', '/extensions/configurations')).toMatchObject({ role: 'external', user_id: OWNER });
    const segment = await ebs.getConfigurationSegment({ segment: 'broadcaster', broadcasterId: CHANNEL });
    expect(segment).toMatchObject({ segment: 'broadcaster', broadcasterId: CHANNEL, content: '{"color":"red"}', version: '1' });
    expect(await ebs.getConfigurationSegment({ segment: 'global' })).toBeUndefined();

    expect(await ebs.getExtension()).toMatchObject({ id: ext.id, version: '0.0.1' });
    // Every call went out with an EBS JWT the fake accepted.
    expect(fake.requests.filter((r) => r.route === 'helix').every((r) => r.status! < 300)).toBe(true);
    expect(ext.ebsJwts.map((j) => j.endpoint)).toEqual(
      expect.arrayContaining([
        'Send Extension Chat Message',
        'Set Extension Required Configuration',
        'Get Extension Configuration Segment',
        'Get Extensions',
      ]),
    );
  });

  it('the fake refuses the JWTs Twitch refuses (so the checks above can fail)', async () => {
    const api = app.get(TwitchApiService);
    const sign = (o: Partial<Parameters<typeof signExtensionJwt>[0]>) =>
      signExtensionJwt({ secret: ext.currentSecret, ownerId: OWNER, ...o });
    const pubsub = { broadcasterId: CHANNEL, target: ['broadcast' as const], message: 'x' };
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 204,
        (e: TwitchException) => e.getStatus(),
      );
    expect(await status(api.extensions.sendExtensionPubSubMessage(pubsub, { accessToken: await sign({}) }))).toBe(401);
    expect(
      await status(
        api.extensions.sendExtensionPubSubMessage(pubsub, {
          accessToken: await sign({ channelId: '1', pubsubPerms: { send: ['broadcast'] } }),
        }),
      ),
    ).toBe(401);
    expect(
      await status(
        api.extensions.sendExtensionPubSubMessage(pubsub, {
          accessToken: await sign({ role: 'viewer', channelId: CHANNEL, pubsubPerms: { send: ['broadcast'] } }),
        }),
      ),
    ).toBe(401);
    const required = { broadcasterId: CHANNEL, extensionId: ext.id, extensionVersion: '0.0.1', requiredConfiguration: 'x' };
    expect(
      await status(api.extensions.setExtensionRequiredConfiguration(required, { accessToken: await sign({ ownerId: '999' }) })),
    ).toBe(401);
    expect(
      await status(
        api.extensions.sendExtensionPubSubMessage(pubsub, {
          accessToken: await sign({ channelId: CHANNEL, pubsubPerms: { send: ['broadcast'] } }),
        }),
      ),
    ).toBe(204);
  });

  it('refuses bad input naming the parameter, and sends nothing', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => ebs.sendPubSubMessage({ broadcasterId: CHANNEL, target: 'everyone' as never, message: 'x' }), 'target'],
      [() => ebs.sendPubSubMessage({ broadcasterId: 'abc', target: 'broadcast', message: 'x' }), 'broadcasterId'],
      [() => ebs.sendPubSubMessage({ target: 'broadcast', message: 'x' }), 'broadcasterId'],
      [
        () => ebs.sendPubSubMessage({ broadcasterId: CHANNEL, target: 'broadcast', message: 'x'.repeat(5 * 1024 + 1) }),
        'message',
      ],
      [
        () => ebs.sendPubSubMessage({ broadcasterId: CHANNEL, isGlobalBroadcast: true, target: 'global', message: 'x' }),
        'broadcasterId',
      ],
      [() => ebs.setConfigurationSegment({ segment: 'broadcaster', content: 'x' }), 'broadcasterId'],
      [() => ebs.setConfigurationSegment({ segment: 'nope' as never, content: 'x' }), 'segment'],
      [() => ebs.sendChatMessage({ broadcasterId: CHANNEL, text: 'x'.repeat(281), extensionVersion: '0.0.1' }), 'text'],
    ];
    for (const [call, field] of cases) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, field).toBeInstanceOf(TwitchValidationException);
      expect((err as TwitchValidationException).fields.map((f) => f.field)).toContain(field);
    }
    expect(fake.requests.filter((r) => r.route === 'helix')).toHaveLength(0);
  });

  it('a 13th chat message in a minute is refused by the fake and surfaces at once as a 429', async () => {
    for (let i = 0; i < 12; i++)
      await ebs.sendChatMessage({ broadcasterId: '5550001', text: `m${i}`, extensionVersion: '0.0.1' });
    const err = await ebs
      .sendChatMessage({ broadcasterId: '5550001', text: 'one too many', extensionVersion: '0.0.1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwitchRateLimitException);
    expect(ext.refusals.chat).toBe(1);
    expect(fake.requestsTo('POST', '/extensions/chat')).toHaveLength(13);
  });

  it('surfaces Twitch refusals as TwitchExceptions without the JWT or the secret', async () => {
    fake.inject({ method: 'POST', path: '/extensions/chat', status: 400, message: 'Extension is not installed' });
    const err = (await ebs
      .sendChatMessage({ broadcasterId: CHANNEL, text: 'hi', extensionVersion: '0.0.1' })
      .catch((e: unknown) => e)) as TwitchException;
    expect(err).toBeInstanceOf(TwitchException);
    expect(err.getStatus()).toBe(400);
    const jwt = bearerOf(fake.requestsTo('POST', '/extensions/chat').at(-1)!.headers);
    const text = `${err.message} ${JSON.stringify(err.getResponse())}`;
    expect(text).not.toContain(jwt);
    expect(text).not.toContain(ext.currentSecret);
  });
});

describe('TwitchExtensionService without ownerId', () => {
  it('refuses EBS calls with a clear error and sends nothing', async () => {
    const fake = await FakeTwitch.start();
    const ext = fake.extensions.add({});
    const prefix = `t-ext-ebs-noowner-${Math.random().toString(36).slice(2, 8)}:`;
    const app = await createExtensionApp(fake, prefix, { secret: ext.currentSecret });
    try {
      await expect(
        app.get(TwitchExtensionService).sendChatMessage({ broadcasterId: CHANNEL, text: 'hi', extensionVersion: '1' }),
      ).rejects.toThrow(/ownerId/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await app.close();
      await fake.close();
      await flushPrefix(prefix);
    }
  });
});
