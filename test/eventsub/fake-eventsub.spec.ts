import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTwitchEventSubSignature } from '../../lib/eventsub/webhook/twitch-eventsub-signature.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A plain callback server whose behaviour each test sets. */
async function callbackServer(): Promise<{
  url: string;
  server: Server;
  received: { headers: IncomingMessage['headers']; body: string }[];
  handle: { fn: Handler };
}> {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const handle: { fn: Handler } = {
    fn: (_req, body, res) => {
      const parsed = JSON.parse(body) as { challenge?: string };
      if (parsed.challenge) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(parsed.challenge);
      } else {
        res.writeHead(204);
        res.end();
      }
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body });
      handle.fn(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, server, received, handle };
}

describe('FakeTwitch EventSub', () => {
  let fake: FakeTwitch;
  let cb: Awaited<ReturnType<typeof callbackServer>>;
  let token: string;
  const secret = 'fake-spec-secret-42';

  beforeEach(async () => {
    fake = await FakeTwitch.start();
    cb = await callbackServer();
    token = fake.issueAppToken();
  });
  afterEach(async () => {
    await fake.close();
    cb.server.closeAllConnections();
    await new Promise((r) => cb.server.close(r));
  });

  const helix = (method: string, path: string, body?: unknown) =>
    fetch(`${fake.helixUrl}${path}`, {
      method,
      headers: { 'Client-Id': fake.clientId, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const create = (type: string, version: string, condition: Record<string, string>, callback = cb.url, s = secret) =>
    helix('POST', '/eventsub/subscriptions', { type, version, condition, transport: { method: 'webhook', callback, secret: s } });

  it('sends a signed challenge after the 202 and enables the subscription when it is echoed', async () => {
    const res = await create('stream.online', '1', { broadcaster_user_id: '1337' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      data: { id: string; status: string; cost: number }[];
      total_cost: number;
      max_total_cost: number;
    };
    expect(body.data[0]).toMatchObject({ status: 'webhook_callback_verification_pending', cost: 1 });
    expect(body).toMatchObject({ total_cost: 1, max_total_cost: 10_000 });
    await fake.eventSub.settled();
    expect(fake.eventSub.subscriptions()[0].status).toBe('enabled');
    const challenge = cb.received[0];
    expect(challenge.headers['twitch-eventsub-message-type']).toBe('webhook_callback_verification');
    const ok = verifyTwitchEventSubSignature(
      secret,
      String(challenge.headers['twitch-eventsub-message-id']),
      String(challenge.headers['twitch-eventsub-message-timestamp']),
      Buffer.from(challenge.body),
      String(challenge.headers['twitch-eventsub-message-signature']),
    );
    expect(ok).toBe(true);
    expect(String(challenge.headers['twitch-eventsub-message-timestamp'])).toMatch(/\.\d{9}Z$/);
  });

  it('fails the verification when the callback answers the challenge as JSON', async () => {
    cb.handle.fn = (_req, body, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(JSON.parse(body).challenge));
    };
    await create('stream.online', '1', { broadcaster_user_id: '1337' });
    await fake.eventSub.settled();
    expect(fake.eventSub.subscriptions()[0].status).toBe('webhook_callback_verification_failed');
  });

  it('answers 409 for the same type and condition, 403 without the scope, 400 for a bad callback or secret', async () => {
    expect((await create('stream.online', '1', { broadcaster_user_id: '1337' })).status).toBe(202);
    expect((await create('stream.online', '1', { broadcaster_user_id: '1337' })).status).toBe(409);
    expect((await create('channel.subscribe', '1', { broadcaster_user_id: '1337' })).status).toBe(403);
    fake.issueUserToken({ userId: '1337', scopes: ['channel:read:subscriptions'] });
    const granted = await create('channel.subscribe', '1', { broadcaster_user_id: '1337' });
    expect(granted.status).toBe(202);
    expect(((await granted.json()) as { data: { cost: number }[] }).data[0].cost).toBe(0);
    expect((await create('stream.online', '1', { broadcaster_user_id: '2' }, 'http://example.com/cb')).status).toBe(400);
    expect((await create('stream.online', '1', { broadcaster_user_id: '2' }, cb.url, 'short')).status).toBe(400);
    expect((await create('stream.online', '9', { broadcaster_user_id: '2' })).status).toBe(400);
    expect((await create('stream.online', '1', {})).status).toBe(400);
  });

  it('lists every page and deletes', async () => {
    for (let i = 0; i < 130; i++) await create('stream.online', '1', { broadcaster_user_id: String(10_000 + i) });
    const first = (await (await helix('GET', '/eventsub/subscriptions')).json()) as {
      data: { id: string }[];
      total: number;
      pagination: { cursor?: string };
    };
    expect(first.data).toHaveLength(100);
    expect(first.total).toBe(130);
    const second = (await (
      await helix('GET', `/eventsub/subscriptions?after=${first.pagination.cursor}`)
    ).json()) as typeof first;
    expect(second.data).toHaveLength(30);
    expect(second.pagination.cursor).toBeUndefined();
    expect((await helix('DELETE', `/eventsub/subscriptions?id=${first.data[0].id}`)).status).toBe(204);
    expect((await helix('DELETE', `/eventsub/subscriptions?id=${first.data[0].id}`)).status).toBe(404);
  });

  it('counts a slow callback as failed, and revokes after failureLimit failures in a row', async () => {
    await create('stream.online', '1', { broadcaster_user_id: '1337' });
    await fake.eventSub.settled();
    fake.eventSub.callbackTimeoutMs = 200;
    cb.handle.fn = (_req, _body, res) => {
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, 1_000);
    };
    const [slow] = await fake.eventSub.emit('stream.online', { broadcaster_user_id: '1337' });
    expect(slow.error).toMatch(/no answer within 200 ms/);
    cb.handle.fn = (_req, _body, res) => {
      res.writeHead(500);
      res.end();
    };
    fake.eventSub.failureLimit = 3;
    for (let i = 0; i < 2; i++) await fake.eventSub.emit('stream.online', { broadcaster_user_id: '1337' });
    await fake.eventSub.settled();
    const sub = fake.eventSub.subscriptions()[0];
    expect(sub.status).toBe('notification_failures_exceeded');
    const revocation = fake.eventSub.deliveries.filter((d) => d.messageType === 'revocation');
    expect(revocation).toHaveLength(1);
    expect(fake.eventSub.subscriptions({ status: 'enabled' })).toHaveLength(0);
    // Not enabled any more: nothing is delivered.
    expect(await fake.eventSub.emit('stream.online', { broadcaster_user_id: '1337' })).toEqual([]);
  });

  it('delivers only to subscriptions whose condition matches the event', async () => {
    await create('stream.online', '1', { broadcaster_user_id: '1' });
    await create('stream.online', '1', { broadcaster_user_id: '2' });
    await fake.eventSub.settled();
    const deliveries = await fake.eventSub.emit('stream.online', { broadcaster_user_id: '2', id: 's', type: 'live' });
    expect(deliveries).toHaveLength(1);
    const sent = JSON.parse(cb.received.at(-1)!.body) as { subscription: { condition: Record<string, string> } };
    expect(sent.subscription.condition).toEqual({ broadcaster_user_id: '2' });
  });
});
