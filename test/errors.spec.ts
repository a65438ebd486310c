import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TwitchAppCredentialsException,
  TwitchBadGatewayException,
  TwitchBadRequestException,
  TwitchConflictException,
  TwitchException,
  TwitchForbiddenException,
  TwitchGatewayTimeoutException,
  TwitchNotFoundException,
  TwitchServiceUnavailableException,
  TwitchTooEarlyException,
  TwitchUnprocessableEntityException,
} from '../lib/exceptions/twitch.exception.js';
import { createTwitchApp, FakeTwitch, type TestApp } from './support/app.js';

describe('error mapping and retries', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake, { timeout: 500, retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 } });
    await t.auth.getAppToken();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(() => {
    fake.clearRequests();
    fake.clearFaults();
  });

  const helixCalls = () => fake.requests.filter((r) => r.route === 'helix');

  it.each([
    [400, TwitchBadRequestException, 400],
    // The app token is refused even after a renewal: the app's credentials, the server's fault.
    [401, TwitchAppCredentialsException, 500],
    [403, TwitchForbiddenException, 403],
    [404, TwitchNotFoundException, 404],
    [409, TwitchConflictException, 409],
    [422, TwitchUnprocessableEntityException, 422],
    [425, TwitchTooEarlyException, 425],
    [500, TwitchBadGatewayException, 502],
    [502, TwitchBadGatewayException, 502],
    [503, TwitchServiceUnavailableException, 503],
    [504, TwitchGatewayTimeoutException, 504],
  ])('Twitch %i becomes %o with status %i', async (status, type, expected) => {
    fake.inject({ method: 'POST', path: '/eventsub/subscriptions', status, message: `boom ${status}`, times: 5 });
    const err = await t.api.eventSub
      .createEventSubSubscription({
        type: 'stream.online',
        version: '1',
        condition: { broadcaster_user_id: '1' },
        transport: { method: 'webhook', callback: 'https://example.com/cb', secret: 'abcdefghijk' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(type);
    expect(err).toBeInstanceOf(TwitchException);
    expect(err.getStatus()).toBe(expected);
    expect(err.twitchStatus).toBe(status);
    expect(err.twitchMessage).toBe(`boom ${status}`);
    expect(err.endpoint).toContain('POST /eventsub/subscriptions');
    expect(err.message).toContain('Create EventSub Subscription');
    expect(err.getResponse()).toMatchObject({ statusCode: expected, message: err.message });
    expect(err.rateLimit?.limit).toBeTypeOf('number');
    // A POST is never repeated, except once after a 401 with a renewed app token (Twitch did nothing).
    expect(helixCalls()).toHaveLength(status === 401 ? 2 : 1);
  });

  it.each([
    ['a top-level id', { id: '26b1c993-bfcf-44d9-b876-379dacafe75a' }, '26b1c993-bfcf-44d9-b876-379dacafe75a'],
    ['data[0].id', { data: [{ id: '35016908-41ff-33ce-7879-61b8dfc2ee16' }] }, '35016908-41ff-33ce-7879-61b8dfc2ee16'],
    ['no id', {}, undefined],
    ['an id that is not an ID', { id: 'x'.repeat(65) }, undefined],
    ['an id with markup', { id: '<b>1</b>' }, undefined],
    ['a numeric id', { id: 42 }, undefined],
  ])('a 409 from Create EventSub Subscription with %s gives existingId', async (_what, extra, existingId) => {
    const body = { error: 'Conflict', status: 409, message: 'subscription already exists', ...extra };
    fake.inject({ method: 'POST', path: '/eventsub/subscriptions', status: 409, body });
    const err = await t.api.eventSub
      .createEventSubSubscription({
        type: 'stream.online',
        version: '1',
        condition: { broadcaster_user_id: '1' },
        transport: { method: 'webhook', callback: 'https://example.com/cb', secret: 'abcdefghijk' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchConflictException);
    expect(err.existingId).toBe(existingId);
  });

  it('retries a GET after 5xx with backoff, then succeeds', async () => {
    fake.inject({ method: 'GET', path: '/users', status: 503, times: 2 });
    const res = await t.api.users.getUsers({ login: ['twitchdev'] });
    expect(res.data[0].login).toBe('twitchdev');
    expect(helixCalls().map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up on a GET after retry.maxRetries and reports 503', async () => {
    fake.inject({ method: 'GET', path: '/users', status: 503, times: 10 });
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    expect(helixCalls()).toHaveLength(3);
  });

  it('retries a GET after a dropped connection; a dropped POST fails with 503 at once', async () => {
    fake.inject({ method: 'GET', path: '/users', drop: true });
    await expect(t.api.users.getUsers({ login: ['twitchdev'] })).resolves.toBeDefined();
    expect(fake.requestsTo('GET', '/users')).toHaveLength(2);

    fake.inject({ method: 'POST', path: '/eventsub/subscriptions', drop: true });
    const err = await t.api.eventSub
      .createEventSubSubscription({
        type: 'stream.offline',
        version: '1',
        condition: { broadcaster_user_id: '1' },
        transport: { method: 'webhook', callback: 'https://example.com/cb', secret: 'abcdefghijk' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TwitchServiceUnavailableException);
    expect(fake.requestsTo('POST', '/eventsub/subscriptions')).toHaveLength(1);
  });

  it('turns a timeout into 504', async () => {
    fake.inject({ method: 'GET', path: '/users', delayMs: 1_500 });
    const err = await t.api.users.getUsers({ login: ['twitchdev'] }).catch((e) => e);
    expect(err).toBeInstanceOf(TwitchGatewayTimeoutException);
    expect(err.getStatus()).toBe(504);
  });

  it('never puts a token in the message, the response body or the cause', async () => {
    const user = fake.issueUserToken({ userId: '141981764', scopes: [] });
    fake.inject({ method: 'GET', path: '/users', status: 400, message: 'nope' });
    const err = await t.api.users.getUsers({}, { accessToken: user.accessToken }).catch((e) => e);
    const text = [err.message, JSON.stringify(err.getResponse()), inspect(err, { depth: 10 })].join('\n');
    expect(text).toContain('nope');
    expect(text).not.toContain(user.accessToken);
    expect(text).not.toContain(await t.auth.getAppToken());
    expect(text).not.toContain(fake.clientSecret);
  });

  it('honours an AbortSignal', async () => {
    fake.inject({ method: 'GET', path: '/users', delayMs: 300 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 50).unref();
    await expect(t.api.users.getUsers({ login: ['twitchdev'] }, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
