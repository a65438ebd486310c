/**
 * Helix behaviour newer than the spec snapshot, through the real pipeline against the fake Twitch (the
 * contract spec covers each new endpoint's wire and DTO round trip from Twitch's example):
 * Extension PubSub targets, Send Chat Announcement with an app token, Send Chat Message's pin, the conduit_id
 * filter of Get EventSub Subscriptions, pin durations.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signExtensionJwt } from '../lib/auth/extension-jwt.js';
import { TwitchValidationException } from '../lib/exceptions/twitch-validation.exception.js';
import { createTwitchApp, FakeTwitch, type TestApp } from './support/app.js';

describe('Helix endpoints and fields newer than the spec snapshot', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  let jwt: string;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake);
    jwt = await signExtensionJwt({
      secret: Buffer.from('newer-endpoints-extension-secret').toString('base64'),
      ownerId: '141981764',
      channelId: '141981764',
      pubsubPerms: { send: ['broadcast', 'global', 'whisper-12345'] },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  const helixRequests = () => fake.requests.filter((r) => r.route === 'helix');

  describe('Send Extension PubSub Message', () => {
    it('sends to a real whisper target (whisper-<user-id>)', async () => {
      fake.inject({ method: 'POST', path: '/extensions/pubsub', status: 204 });
      await t.api.extensions.sendExtensionPubSubMessage(
        { target: ['whisper-12345'], broadcasterId: '141981764', message: 'hello' },
        { accessToken: jwt },
      );
      const [req] = helixRequests();
      expect(req.body).toEqual({ target: ['whisper-12345'], broadcaster_id: '141981764', message: 'hello' });
    });

    it('sends a global broadcast without broadcaster_id', async () => {
      fake.inject({ method: 'POST', path: '/extensions/pubsub', status: 204 });
      await t.api.extensions.sendExtensionPubSubMessage(
        { target: ['global'], isGlobalBroadcast: true, message: 'hi' },
        { accessToken: jwt },
      );
      const [req] = helixRequests();
      expect(req.body).toEqual({ target: ['global'], is_global_broadcast: true, message: 'hi' });
    });

    it.each([['whisper-<user-id>'], ['whisper-'], ['whisper-12a'], ['everyone']])(
      'refuses the target %s and sends nothing',
      async (target) => {
        const call = t.api.extensions.sendExtensionPubSubMessage(
          { target: [target], broadcasterId: '1', message: 'x' },
          { accessToken: jwt },
        );
        await expect(call).rejects.toBeInstanceOf(TwitchValidationException);
        await expect(call).rejects.toThrow(/target/);
        expect(helixRequests()).toEqual([]);
      },
    );
  });

  describe('Send Chat Announcement', () => {
    it('goes out with the app token and for_source_only when no user token is given', async () => {
      fake.respondWith('POST', '/chat/announcements', 204);
      const appToken = await t.auth.getAppToken();
      await t.api.chat.sendChatAnnouncement({
        broadcasterId: '1',
        moderatorId: '2',
        message: 'Hello chat!',
        forSourceOnly: false,
      });
      const [req] = helixRequests();
      expect(req.headers.authorization).toBe(`Bearer ${appToken}`);
      expect(req.query).toEqual({ broadcaster_id: ['1'], moderator_id: ['2'] });
      expect(req.body).toEqual({ message: 'Hello chat!', for_source_only: false });
    });

    it('refuses a for_source_only that is not a boolean, naming it', async () => {
      const call = t.api.chat.sendChatAnnouncement({
        broadcasterId: '1',
        moderatorId: '2',
        message: 'x',
        forSourceOnly: 'no' as never,
      });
      await expect(call).rejects.toThrow(/forSourceOnly/);
      expect(helixRequests()).toEqual([]);
    });
  });

  describe('Send Chat Message', () => {
    it('sends pin in the body', async () => {
      fake.respondWith('POST', '/chat/messages', 200, { data: [{ message_id: 'abc-123', is_sent: true }] });
      const token = fake.issueUserToken({
        userId: '141981764',
        scopes: ['user:write:chat', 'moderator:manage:chat_messages'],
      }).accessToken;
      const res = await t.api.chat.sendChatMessage(
        { broadcasterId: '12826', senderId: '141981764', message: 'Welcome! Type !rules', pin: true },
        { accessToken: token },
      );
      expect(res.data[0].messageId).toBe('abc-123');
      expect(helixRequests()[0].body).toEqual({
        broadcaster_id: '12826',
        sender_id: '141981764',
        message: 'Welcome! Type !rules',
        pin: true,
      });
    });
  });

  describe('Get EventSub Subscriptions', () => {
    it('filters by conduit_id', async () => {
      const base = {
        version: '1',
        condition: { broadcaster_user_id: '1' },
        createdAt: new Date().toISOString(),
        cost: 0,
        clientId: fake.clientId,
      };
      fake.state.eventSubSubscriptions.set('s-a', {
        ...base,
        id: 's-a',
        status: 'enabled',
        type: 'stream.online',
        transport: { method: 'conduit', conduitId: 'c-a' },
      });
      fake.state.eventSubSubscriptions.set('s-b', {
        ...base,
        id: 's-b',
        status: 'enabled',
        type: 'stream.offline',
        transport: { method: 'conduit', conduitId: 'c-b' },
      });
      try {
        const res = await t.api.eventSub.getEventSubSubscriptions({ conduitId: 'c-b' });
        expect(helixRequests()[0].query).toEqual({ conduit_id: ['c-b'] });
        expect(res.data.map((s) => s.id)).toEqual(['s-b']);
      } finally {
        fake.state.eventSubSubscriptions.delete('s-a');
        fake.state.eventSubSubscriptions.delete('s-b');
      }
    });
  });

  describe('Pin Chat Message', () => {
    it.each([29, 1801, 30.5])('refuses duration_seconds %s (30 to 1800) and sends nothing', async (durationSeconds) => {
      const token = fake.issueUserToken({ userId: '141981764', scopes: ['moderator:manage:chat_messages'] }).accessToken;
      const call = t.api.chat.pinChatMessage(
        { broadcasterId: '1', moderatorId: '141981764', messageId: 'm', durationSeconds },
        { accessToken: token },
      );
      await expect(call).rejects.toThrow(/durationSeconds/);
      expect(helixRequests()).toEqual([]);
    });
  });
});
