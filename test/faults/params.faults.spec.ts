import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchValidationException } from '../../lib/exceptions/twitch-validation.exception.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';

const USER = '141981764';

/** The rejection of a call, which must be a validation error. */
async function refused(call: Promise<unknown>): Promise<TwitchValidationException> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TwitchValidationException);
  return err as TwitchValidationException;
}

const fields = (err: TwitchValidationException) => err.fields.map((f) => f.field);

describe('params with reserved keys (constructor, __proto__, prototype)', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake);
    // The app token is fetched beforehand, so "nothing sent" below means nothing at all.
    await t.auth.getAppToken();
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  afterEach(() => fake.clearRequests());

  it('{ constructor } does not skip the required fields of GET /channels: nothing is sent, the error names the missing field', async () => {
    fake.clearRequests();
    const err = await refused(t.api.channels.getChannelInformation({ constructor: 'x' } as never));
    expect(fields(err)).toEqual(expect.arrayContaining(['constructor', 'broadcasterId']));
    expect(err.message).toContain('broadcasterId');
    expect(err.getStatus()).toBe(400);
    expect(fake.requests).toHaveLength(0);
  });

  it('a JSON __proto__ key does not change the params class (GET /channels, GET /streams/key)', async () => {
    fake.clearRequests();
    const params = JSON.parse('{"__proto__": {"broadcasterId": ["141981764"]}}') as never;
    const err = await refused(t.api.channels.getChannelInformation(params));
    expect(fields(err)).toEqual(expect.arrayContaining(['__proto__', 'broadcasterId']));

    const key = await refused(t.api.streams.getStreamKey(JSON.parse('{"__proto__": null}') as never, { accessToken: 'x' }));
    expect(fields(key)).toEqual(expect.arrayContaining(['__proto__', 'broadcasterId']));
    expect(fake.requests).toHaveLength(0);
  });

  it('POST /chat/messages with { constructor, prototype }: the body is refused, naming every required field', async () => {
    fake.clearRequests();
    const err = await refused(t.api.chat.sendChatMessage({ constructor: Object, prototype: {} } as never, { accessToken: 'x' }));
    expect(fields(err)).toEqual(expect.arrayContaining(['constructor', 'prototype', 'broadcasterId', 'senderId', 'message']));
    expect(fake.requests).toHaveLength(0);
  });

  it('a params class with nested params (PATCH /channels) checks the top level and the nested objects', async () => {
    fake.clearRequests();
    const top = await refused(
      t.api.channels.modifyChannelInformation(JSON.parse('{"__proto__": {"broadcasterId": "1"}, "title": "x"}') as never, {
        userId: USER,
      }),
    );
    expect(fields(top)).toEqual(expect.arrayContaining(['__proto__', 'broadcasterId']));

    const label = JSON.parse('{"__proto__": {"id": "Gambling", "isEnabled": true}}');
    const nested = await refused(
      t.api.channels.modifyChannelInformation({ broadcasterId: USER, contentClassificationLabels: [label] } as never, {
        userId: USER,
      }),
    );
    expect(fields(nested)).toEqual(expect.arrayContaining(['contentClassificationLabels.0.__proto__']));
    expect(
      fields(nested).some(
        (f) => f.startsWith('contentClassificationLabels.0.') && f !== 'contentClassificationLabels.0.__proto__',
      ),
    ).toBe(true);

    const shadow = await refused(
      t.api.channels.modifyChannelInformation(
        { broadcasterId: USER, contentClassificationLabels: [{ constructor: 'x' }] } as never,
        { userId: USER },
      ),
    );
    expect(fields(shadow)).toEqual(expect.arrayContaining(['contentClassificationLabels.0.constructor']));
    expect(fake.requests).toHaveLength(0);
  });

  it('ordinary params still go through', async () => {
    const res = await t.api.channels.getChannelInformation({ broadcasterId: [USER] });
    expect(res.data[0].broadcasterId).toBe(USER);
    expect(fake.requestsTo('GET', '/channels')[0].query).toMatchObject({ broadcaster_id: [USER] });
  });
});
