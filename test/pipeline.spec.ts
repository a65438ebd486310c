import { plainToInstance } from 'class-transformer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchTokenRequiredException } from '../lib/exceptions/twitch-oauth.exception.js';
import { TwitchValidationException } from '../lib/exceptions/twitch-validation.exception.js';
import { GetStreamsResponse, Stream } from '../lib/generated/streams/streams.dto.js';
import { createTwitchApp, FakeTwitch, type TestApp } from './support/app.js';

describe('request pipeline', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeTwitch.start({ seed: { streams: 250 } });
    t = await createTwitchApp(fake);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  it('sends Client-Id and the managed app token', async () => {
    await t.api.users.getUsers({ login: ['twitchdev'] });
    const [req] = fake.requestsTo('GET', '/users');
    expect(req.headers['client-id']).toBe(fake.clientId);
    expect(req.headers.authorization).toBe(`Bearer ${await t.auth.getAppToken()}`);
  });

  it('sends the caller’s accessToken instead of the app token', async () => {
    const user = fake.issueUserToken({ userId: '141981764', login: 'twitchdev', scopes: [] });
    const me = await t.api.users.getUsers({}, { accessToken: user.accessToken });
    expect(me.data[0].id).toBe('141981764');
    expect(fake.requestsTo('GET', '/users')[0].headers.authorization).toBe(`Bearer ${user.accessToken}`);
  });

  it('encodes arrays as repeated keys and drops undefined and null params', async () => {
    await t.api.streams.getStreams({
      userLogin: ['streamer1', 'streamer2'],
      gameId: undefined,
      language: null as unknown as string[],
      first: 5,
    });
    const [req] = fake.requestsTo('GET', '/streams');
    expect(req.query).toEqual({ user_login: ['streamer1', 'streamer2'], first: ['5'] });
  });

  it('sends JSON bodies in Twitch’s names', async () => {
    const owner = fake.issueUserToken({ userId: '141981764', scopes: ['channel:manage:broadcast'] });
    await t.api.channels.modifyChannelInformation(
      { broadcasterId: '141981764', title: 'New title', gameId: '509658', tags: ['English'], isBrandedContent: false },
      { accessToken: owner.accessToken },
    );
    const [req] = fake.requestsTo('PATCH', '/channels');
    expect(req.query).toEqual({ broadcaster_id: ['141981764'] });
    expect(req.body).toEqual({ title: 'New title', game_id: '509658', tags: ['English'], is_branded_content: false });
    const info = await t.api.channels.getChannelInformation({ broadcasterId: ['141981764'] });
    expect(info.data[0].title).toBe('New title');
  });

  it('maps responses onto DTO instances with Dates, equal to class-transformer’s mapping', async () => {
    const res = await t.api.streams.getStreams({ first: 3 });
    expect(res).toBeInstanceOf(GetStreamsResponse);
    expect(res.data).toHaveLength(3);
    expect(res.data[0]).toBeInstanceOf(Stream);
    expect(res.data[0].startedAt).toBeInstanceOf(Date);
    expect(typeof res.data[0].viewerCount).toBe('number');
    expect(res.pagination?.cursor).toBeTruthy();
    const raw = await (
      await fetch(`${fake.helixUrl}/streams?first=3`, {
        headers: { 'Client-Id': fake.clientId, Authorization: `Bearer ${await t.auth.getAppToken()}` },
      })
    ).json();
    expect(res).toEqual(plainToInstance(GetStreamsResponse, raw));
  });

  it('resolves 204 endpoints to undefined', async () => {
    const owner = fake.issueUserToken({ userId: '141981764', scopes: ['channel:manage:broadcast'] });
    await expect(
      t.api.channels.modifyChannelInformation({ broadcasterId: '141981764', title: 'x' }, { accessToken: owner.accessToken }),
    ).resolves.toBeUndefined();
  });

  it('iterates over every page', async () => {
    const seen: string[] = [];
    for await (const stream of t.api.streams.getStreamsPaginated({ first: 40 })) seen.push(stream.id);
    expect(seen).toHaveLength(fake.state.streams.length);
    expect(new Set(seen).size).toBe(seen.length);
    const pages = fake.requestsTo('GET', '/streams');
    expect(pages.length).toBe(Math.ceil(fake.state.streams.length / 40));
    expect(pages[1].query.after).toBeDefined();
  });

  it('creates, lists and deletes EventSub subscriptions', async () => {
    const created = await t.api.eventSub.createEventSubSubscription({
      type: 'stream.online',
      version: '1',
      condition: { broadcaster_user_id: '141981764' },
      transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback', secret: 's3cr3t-s3cr3t' },
    });
    const id = created.data[0].id;
    expect(created.data[0].createdAt).toBeInstanceOf(Date);
    const list = await t.api.eventSub.getEventSubSubscriptions({ type: 'stream.online' });
    expect(list.data.map((s) => s.id)).toContain(id);
    await expect(t.api.eventSub.deleteEventSubSubscription({ id })).resolves.toBeUndefined();
    const after = await t.api.eventSub.getEventSubSubscriptions({});
    expect(after.data.map((s) => s.id)).not.toContain(id);
  });

  it('starts a commercial with a user token', async () => {
    const owner = fake.issueUserToken({ userId: '141981764', scopes: ['channel:edit:commercial'] });
    const res = await t.api.ads.startCommercial({ broadcasterId: '141981764', length: 60 }, { accessToken: owner.accessToken });
    expect(res.data[0].length).toBe(60);
    expect(res.data[0].retryAfter).toBeTypeOf('number');
  });

  describe('bad params are rejected before anything is sent', () => {
    it.each([
      ['first above 100', () => t.api.streams.getStreams({ first: 101 }), 'first'],
      ['first below 1', () => t.api.streams.getStreams({ first: 0 }), 'first'],
      ['a wrong enum', () => t.api.streams.getStreams({ type: 'dead' as 'live' }), 'type'],
      ['a missing required id', () => t.api.channels.getChannelInformation({} as never), 'broadcasterId'],
      ['more than 100 ids', () => t.api.users.getUsers({ id: Array.from({ length: 101 }, (_, i) => String(i)) }), 'id'],
      ['an unknown param', () => t.api.users.getUsers({ logins: ['x'] } as never), 'logins'],
      ['a wrong type', () => t.api.streams.getStreams({ first: '20' as unknown as number }), 'first'],
    ])('%s', async (_name, call, field) => {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TwitchValidationException);
      expect((err as TwitchValidationException).getStatus()).toBe(400);
      expect((err as TwitchValidationException).message).toContain(field);
      expect((err as TwitchValidationException).fields.map((f) => f.field)).toContain(field);
      expect(fake.requests.filter((r) => r.route === 'helix')).toHaveLength(0);
    });

    it('a user-token endpoint called without a token', async () => {
      const err = await t.api.ads.startCommercial({ broadcasterId: '1', length: 30 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TwitchTokenRequiredException);
      expect(fake.requests.filter((r) => r.route === 'helix')).toHaveLength(0);
    });
  });
});
