import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import type {
  TwitchEventSubDelivery,
  TwitchEventSubWantedSubscription,
} from '../../lib/eventsub/transports/twitch-eventsub-transport.interface.js';
import { TwitchEventSubLimitException } from '../../lib/exceptions/twitch-eventsub-limit.exception.js';
import {
  TWITCH_EVENTSUB_WS_CLOSE_CODES,
  type TwitchEventSubWsCloseInfo,
} from '../../lib/eventsub/websocket/twitch-eventsub-ws-connection.js';
import { TwitchEventSubWsTransport } from '../../lib/eventsub/websocket/twitch-eventsub-ws-transport.js';
import { createTwitchApp, FakeTwitch, type TestApp } from '../support/app.js';

const USER = { userId: '141981764', login: 'twitchdev' };
/** Cost 0: the condition names the token's user. */
const FOLLOW: TwitchEventSubWantedSubscription = {
  type: 'channel.follow',
  version: '2',
  condition: { broadcaster_user_id: USER.userId, moderator_user_id: USER.userId },
};
const ONLINE: TwitchEventSubWantedSubscription = {
  type: 'stream.online',
  version: '1',
  condition: { broadcaster_user_id: USER.userId },
};

describe('EventSub WebSocket transport', () => {
  let fake: FakeTwitch;
  let t: TestApp;
  let accessToken: string;
  const transports: TwitchEventSubWsTransport[] = [];

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createTwitchApp(fake);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(async () => {
    fake.eventSubWs.configure({
      defaultKeepaliveSeconds: 10,
      minKeepaliveSeconds: 10,
      subscribeDeadlineMs: undefined,
      reconnectGraceMs: 30_000,
      maxConnections: 3,
      maxTotalCost: 10,
    });
    const issued = fake.issueUserToken({ ...USER, scopes: ['moderator:read:followers'] });
    accessToken = issued.accessToken;
    await t.app
      .get(TwitchUserTokenService)
      .save({ ...issued, scopes: ['moderator:read:followers'] as never, tokenType: 'bearer' });
  });
  afterEach(async () => {
    await Promise.all(transports.splice(0).map((x) => x.stop()));
    fake.state.eventSubSubscriptions.clear();
    fake.clearRequests();
  });

  function transport(opts: Partial<ConstructorParameters<typeof TwitchEventSubWsTransport>[0]> = {}) {
    const deliveries: TwitchEventSubDelivery[] = [];
    const closes: TwitchEventSubWsCloseInfo[] = [];
    const x = new TwitchEventSubWsTransport({
      api: t.api,
      userId: USER.userId,
      subscriptions: [FOLLOW, ONLINE],
      sink: async (d) => void deliveries.push(d),
      connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 100, keepaliveMarginMs: 500 },
      onClose: (c) => closes.push(c),
      ...opts,
    });
    transports.push(x);
    return { x, deliveries, closes };
  }

  /** The enabled subscriptions on a session. */
  const subsOn = (sessionId: string | undefined) =>
    [...fake.state.eventSubSubscriptions.values()].filter((s) => s.status === 'enabled' && s.transport.sessionId === sessionId);

  it('reads the welcome and subscribes with the session id within the deadline; notifications reach the sink', async () => {
    const deadlineMs = 800;
    fake.eventSubWs.configure({ subscribeDeadlineMs: deadlineMs });
    const { x, deliveries } = transport();
    const results = await x.start();
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created']);
    const sessionId = x.sessionId!;
    expect(fake.eventSubWs.sessions.get(sessionId)?.status).toBe('connected');
    const subs = subsOn(sessionId);
    expect(subs.map((s) => s.type).sort()).toEqual(['channel.follow', 'stream.online']);
    // Made with the user's token, as the transport demands.
    const creates = fake.requestsTo('POST', '/eventsub/subscriptions');
    expect(creates.every((r) => r.headers.authorization === `Bearer ${accessToken}`)).toBe(true);
    expect(creates.map((r) => (r.body as { transport: unknown }).transport)).toEqual([
      { method: 'websocket', session_id: sessionId },
      { method: 'websocket', session_id: sessionId },
    ]);

    const follow = subs.find((s) => s.type === 'channel.follow')!;
    const sent = fake.eventSubWs.emit(follow.id, { user_id: '1337', broadcaster_user_id: USER.userId });
    await expect.poll(() => deliveries.length).toBe(1);
    expect(deliveries[0]).toMatchObject({
      messageId: sent.messageId,
      messageType: 'notification',
      transport: 'websocket',
      sessionId,
      event: { user_id: '1337' },
      subscription: { id: follow.id, type: 'channel.follow', version: '2', status: 'enabled' },
    });
    expect(deliveries[0].timestamp).toBeInstanceOf(Date);

    // Past the subscribe deadline (from the welcome), the used session stays open (no 4003).
    const pastDeadline = fake.eventSubWs.sessions.get(sessionId)!.welcomedAt + deadlineMs + 200 - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, pastDeadline)));
    expect(fake.eventSubWs.sessions.get(sessionId)?.status).toBe('connected');

    fake.eventSubWs.revoke(follow.id, 'authorization_revoked');
    await expect.poll(() => deliveries.length).toBe(2);
    expect(deliveries[1]).toMatchObject({ messageType: 'revocation', subscription: { status: 'authorization_revoked' } });
  });

  it('the fake closes a session nobody subscribed on with 4003 after the deadline', async () => {
    fake.eventSubWs.configure({ subscribeDeadlineMs: 300 });
    const ws = new WebSocket(fake.eventSubWsUrl);
    const welcome = await new Promise<{ metadata: { message_type: string } }>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(d.toString()))),
    );
    expect(welcome.metadata.message_type).toBe('session_welcome');
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(4003);
  });

  it('replaces a session whose keepalives stop (keepalive window + margin) and subscribes the fresh one', async () => {
    fake.eventSubWs.configure({ defaultKeepaliveSeconds: 1, minKeepaliveSeconds: 1 });
    const { x, deliveries, closes } = transport({
      connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 100, keepaliveMarginMs: 200 },
    });
    await x.start();
    const first = x.sessionId!;
    fake.eventSubWs.stallKeepalives(first);
    await expect
      .poll(() => x.sessionId !== undefined && x.sessionId !== first && subsOn(x.sessionId).length === 2, { timeout: 8_000 })
      .toBe(true);
    // Declared lost after the 1 s window plus the 0.2 s margin from the last message (the welcome at the
    // latest), not before.
    const stalled = fake.eventSubWs.sessions.get(first)!;
    expect(stalled.closedAt! - stalled.welcomedAt).toBeGreaterThanOrEqual(1_200);
    expect(closes[0]).toMatchObject({ code: 1006, sessionId: first });
    expect(subsOn(first)).toHaveLength(0);
    const online = subsOn(x.sessionId).find((s) => s.type === 'stream.online')!;
    fake.eventSubWs.emit(online.id, { broadcaster_user_id: USER.userId });
    await expect.poll(() => deliveries.length).toBe(1);
    expect(deliveries[0].sessionId).toBe(x.sessionId);
  });

  it('follows session_reconnect mid-stream: 1,000 events, none lost, none handled twice, no resubscribe', async () => {
    const { x, deliveries } = transport();
    await x.start();
    const first = x.sessionId!;
    const follow = subsOn(first).find((s) => s.type === 'channel.follow')!;
    const creates = fake.requestsTo('POST', '/eventsub/subscriptions').length;
    const sent: string[] = [];
    const records: ReturnType<typeof fake.eventSubWs.emit>[] = [];
    for (let i = 0; i < 1_000; i++) {
      if (i === 400) fake.eventSubWs.requestReconnect(first);
      const record = fake.eventSubWs.emit(follow.id, { n: i });
      records.push(record);
      sent.push(record.messageId);
      // One event per turn of the event loop: the handover happens in the middle of the stream.
      await new Promise((r) => setImmediate(r));
    }
    // Twitch had a live session for every one of them...
    expect(records.filter((r) => r.outcome !== 'delivered').map((r) => r.reason)).toEqual([]);
    // ... and the sink got each exactly once.
    await expect.poll(() => deliveries.length, { timeout: 10_000 }).toBe(1_000);
    expect(new Set(deliveries.map((d) => d.messageId)).size).toBe(1_000);
    expect(deliveries.map((d) => d.messageId).sort()).toEqual([...sent].sort());
    const sessions = fake.eventSubWs.sessions;
    expect(sessions.get(first)?.movedTo).toBe(x.sessionId);
    await expect.poll(() => fake.eventSubWs.sessions.get(first)?.status).toBe('closed');
    // The client closed the old socket itself (1000), before the 4004 grace ran out.
    expect(fake.eventSubWs.sessions.get(first)?.closeCode).toBe(1000);
    // ... and only once the new session had its welcome.
    expect(fake.eventSubWs.sessions.get(first)!.closedAt).toBeGreaterThanOrEqual(
      fake.eventSubWs.sessions.get(x.sessionId!)!.welcomedAt,
    );
    const bySession = new Map<string, number>();
    for (const d of deliveries) bySession.set(d.sessionId!, (bySession.get(d.sessionId!) ?? 0) + 1);
    expect(bySession.get(first)).toBeGreaterThan(0);
    expect(bySession.get(x.sessionId!)).toBeGreaterThan(0);
    expect(fake.requestsTo('POST', '/eventsub/subscriptions').length).toBe(creates);
    expect(subsOn(x.sessionId)).toHaveLength(2);
  });

  for (const code of [4000, 4001, 4002, 4003, 4004, 4005, 4006, 4007]) {
    it(`close ${code} (${TWITCH_EVENTSUB_WS_CLOSE_CODES[code].reason}): ${TWITCH_EVENTSUB_WS_CLOSE_CODES[code].action} to a fresh, resubscribed session`, async () => {
      const { x, closes, deliveries } = transport();
      await x.start();
      const first = x.sessionId!;
      const before = fake.requestsTo('POST', '/eventsub/subscriptions').length;
      fake.eventSubWs.closeSession(first, code);
      await expect
        .poll(() => x.sessionId !== undefined && x.sessionId !== first && subsOn(x.sessionId).length === 2, { timeout: 5_000 })
        .toBe(true);
      expect(closes).toEqual([
        { code, reason: expect.any(String), sessionId: first, action: TWITCH_EVENTSUB_WS_CLOSE_CODES[code].action },
      ]);
      expect(fake.requestsTo('POST', '/eventsub/subscriptions').length).toBe(before + 2);
      const online = subsOn(x.sessionId).find((s) => s.type === 'stream.online')!;
      fake.eventSubWs.emit(online.id, { broadcaster_user_id: USER.userId });
      await expect.poll(() => deliveries.length).toBe(1);
    });
  }

  it('an invalid reconnect URL (4007 on the new socket): the old session keeps delivering until Twitch closes it (4004), then a fresh one', async () => {
    fake.eventSubWs.configure({ reconnectGraceMs: 600 });
    const known = new Set(fake.eventSubWs.sessions.keys());
    const { x, deliveries, closes } = transport();
    await x.start();
    const first = x.sessionId!;
    const online = subsOn(first).find((s) => s.type === 'stream.online')!;
    fake.eventSubWs.requestReconnect(first, { invalidUrl: true });
    await new Promise((r) => setTimeout(r, 200));
    // The refused target changed nothing: the old session still works.
    expect(fake.eventSubWs.emit(online.id, { broadcaster_user_id: USER.userId }).outcome).toBe('delivered');
    await expect.poll(() => deliveries.length).toBe(1);
    await expect
      .poll(() => x.sessionId !== undefined && x.sessionId !== first && subsOn(x.sessionId).length === 2, { timeout: 5_000 })
      .toBe(true);
    expect(closes).toEqual([{ code: 4004, reason: expect.any(String), sessionId: first, action: 'reconnect-now' }]);
    // The refused socket never got a session: only the old and the fresh one exist.
    expect([...fake.eventSubWs.sessions.keys()].filter((id) => !known.has(id)).sort()).toEqual([first, x.sessionId].sort());
    fake.eventSubWs.configure({ reconnectGraceMs: 30_000 });
  });

  it('backs off between repeated failures', async () => {
    const { x, closes } = transport({
      connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 100, reconnectMaxDelayMs: 1_000, keepaliveMarginMs: 500 },
    });
    await x.start();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = x.sessionId!;
      fake.eventSubWs.closeSession(id, 4000);
      times.push(Date.now());
      await expect
        .poll(() => x.sessionId !== undefined && x.sessionId !== id && subsOn(x.sessionId).length === 2, { timeout: 8_000 })
        .toBe(true);
      times[i] = Date.now() - times[i];
    }
    expect(closes.map((c) => c.action)).toEqual(['reconnect-backoff', 'reconnect-backoff', 'reconnect-backoff']);
    // Delays: at least half of 100, 200, 400 ms.
    expect(times[0]).toBeGreaterThanOrEqual(50);
    expect(times[2]).toBeGreaterThanOrEqual(200);
  });

  it('refreshes the user token when Twitch refuses it while resubscribing a fresh session', async () => {
    const { x } = transport();
    await x.start();
    const first = x.sessionId!;
    fake.expireToken(accessToken);
    x.recycle();
    await expect
      .poll(() => x.sessionId !== undefined && x.sessionId !== first && subsOn(x.sessionId).length === 2, { timeout: 8_000 })
      .toBe(true);
    const refreshes = fake
      .requestsTo('POST', '/oauth2/token')
      .filter((r) => (r.body as Record<string, string>).grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    const stored = await t.app.get(TwitchUserTokenService).get(USER.userId);
    expect(stored?.accessToken).not.toBe(accessToken);
    const last = fake.requestsTo('POST', '/eventsub/subscriptions').at(-1)!;
    expect(last.headers.authorization).toBe(`Bearer ${stored?.accessToken}`);
  });

  describe('limits', () => {
    it('more than 300 subscriptions on one connection: refused before connecting', async () => {
      await expect.poll(() => fake.eventSubWs.openSessions().length).toBe(0);
      const many = Array.from({ length: 301 }, (_, i) => ({ ...ONLINE, condition: { broadcaster_user_id: String(1000 + i) } }));
      let error: unknown;
      try {
        transport({ subscriptions: many });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TwitchEventSubLimitException);
      expect(error).toMatchObject({ limit: 'subscriptions-per-connection', max: 300 });
      expect((error as Error).message).toMatch(/301 subscriptions .* at most 300/);
      expect(fake.eventSubWs.openSessions()).toHaveLength(0);
    });

    it('a fourth connection for one user in this process: refused before connecting', async () => {
      for (let i = 0; i < 3; i++)
        await transport({ subscriptions: [{ ...ONLINE, condition: { broadcaster_user_id: String(2000 + i) } }] }).x.start();
      const sessions = fake.eventSubWs.openSessions().length;
      await expect(transport().x.start()).rejects.toMatchObject({
        limit: 'connections',
        max: 3,
        message: expect.stringMatching(/at most 3 WebSocket connections/),
      });
      expect(fake.eventSubWs.openSessions()).toHaveLength(sessions);
    });

    it("Twitch's connection limit answered while subscribing: a clear error, the connection closed", async () => {
      fake.eventSubWs.configure({ maxConnections: 1 });
      await transport({ subscriptions: [ONLINE] }).x.start();
      const second = transport({ subscriptions: [FOLLOW] });
      const error = await second.x.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TwitchEventSubLimitException);
      expect(error).toMatchObject({ limit: 'connections', getStatus: expect.any(Function) });
      expect((error as TwitchEventSubLimitException).getStatus()).toBe(429);
      expect((error as Error).message).toMatch(/WebSocket connections with enabled subscriptions/);
      await expect.poll(() => fake.eventSubWs.openSessions().length).toBe(1);
    });

    it('max_total_cost exceeded: a clear error naming the limit, no token in it', async () => {
      // Conditions naming other broadcasters cost 1 each; the eleventh goes over 10.
      const costly = Array.from({ length: 11 }, (_, i) => ({ ...ONLINE, condition: { broadcaster_user_id: String(3000 + i) } }));
      const error = await transport({ subscriptions: costly, subscribeConcurrency: 1 })
        .x.start()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TwitchEventSubLimitException);
      expect(error).toMatchObject({ limit: 'cost', max: 10 });
      expect((error as Error).message).toMatch(/max_total_cost \(10\)/);
      expect((error as Error).message).not.toContain(accessToken);
      await expect.poll(() => fake.eventSubWs.openSessions().length).toBe(0);
    });

    it('bad configuration names the parameter and sends nothing', () => {
      fake.clearRequests();
      expect(() => transport({ userId: 'abc' })).toThrow(/"userId"/);
      expect(() => transport({ subscriptions: [] })).toThrow(/"subscriptions"/);
      expect(() => transport({ connection: { keepaliveTimeoutSeconds: 5 } })).toThrow(/"keepaliveTimeoutSeconds"/);
      expect(fake.requests).toHaveLength(0);
    });
  });
});
