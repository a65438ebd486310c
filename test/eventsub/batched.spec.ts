import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Controller, Injectable, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnTwitchEvent, OnTwitchNotification } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { DropEntitlementGrantEvent, DropEntitlementGrantEventData } from '../../lib/eventsub-types.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { TwitchEventSubModule } from '../../lib/eventsub/twitch-eventsub.module.js';
import { flushPrefix, REDIS_URL } from '../support/app.js';
import { freePort } from '../support/net.js';
import { createEventSubApp, type EventSubTestApp, type Platform, post, SECRET, signedRequest } from './support.js';

interface Fixture {
  type: string;
  batched?: boolean;
  examples: { condition: Record<string, string>; events?: { id: string; data: Record<string, unknown> }[] }[];
}
/** Twitch's drop.entitlement.grant example (the catalog fixture marked `batched: true`), as a webhook body. */
function dropExample(): { subscription: Record<string, unknown>; events: { id: string; data: Record<string, unknown> }[] } {
  const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures.generated.json'), 'utf8')) as Fixture[];
  const fixture = fixtures.find((f) => f.batched)!;
  expect(fixture.type).toBe('drop.entitlement.grant');
  const [primary] = fixture.examples;
  return {
    subscription: {
      id: 'f1c2a387-161a-49f9-a165-0f21d7a4e1c4',
      type: 'drop.entitlement.grant',
      version: '1',
      status: 'enabled',
      condition: primary.condition,
      transport: { method: 'webhook', callback: 'https://example.com/webhooks/callback' },
      created_at: '2019-11-16T10:11:12.634234626Z',
    },
    events: primary.events!,
  };
}

const drops: { event: DropEntitlementGrantEvent; notification: TwitchEventSubNotification<DropEntitlementGrantEvent> }[] = [];
const audit: TwitchEventSubNotification[] = [];

@Injectable()
class DropHandlers {
  @OnTwitchEvent('drop.entitlement.grant', { version: '1' })
  grant(event: DropEntitlementGrantEvent, notification: TwitchEventSubNotification<DropEntitlementGrantEvent>) {
    drops.push({ event, notification });
  }

  @OnTwitchNotification()
  all(notification: TwitchEventSubNotification) {
    audit.push(notification);
  }
}

/** Twitch's batched example (`events: [{ id, data }]`) with the given item ids. */
function batch(ids: string[]): Record<string, unknown> {
  const { subscription, events } = dropExample();
  return { subscription, events: ids.map((id, i) => ({ id, data: { ...events[i % events.length].data, user_id: `u-${id}` } })) };
}

const rand = () => Math.random().toString(36).slice(2);

describe.each<Platform>(['express', 'fastify'])('EventSub batched deliveries on %s', (platform) => {
  let fake: FakeTwitch;
  let t: EventSubTestApp;
  const keyPrefix = `t-eventsub-batched-${platform}-${rand()}:`;

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    t = await createEventSubApp({
      platform,
      fake,
      keyPrefix,
      redisUrl: REDIS_URL(),
      providers: [DropHandlers],
      eventSub: { reconcile: { onStartup: false } },
    });
  });

  afterAll(async () => {
    await t?.close();
    await fake?.close();
    await flushPrefix(keyPrefix);
  });

  const fresh = () => {
    drops.length = 0;
    audit.length = 0;
  };
  const idle = () => t.app.get(TwitchEventSubService).idle();

  it("hands each item of Twitch's batched example to the handler on its own, typed by the catalog's event class", async () => {
    fresh();
    const body = dropExample();
    const req = signedRequest('notification', body, { messageId: `batch-${platform}-${rand()}` });
    const res = await post(`${t.url}/eventsub`, req);
    expect(res.status).toBe(204);
    await idle();
    expect(drops).toHaveLength(2);
    const [first, second] = drops;
    expect(first.event).toBeInstanceOf(DropEntitlementGrantEvent);
    expect(first.event.data).toBeInstanceOf(DropEntitlementGrantEventData);
    expect(first.event).toMatchObject({
      id: 'bf7c8577-e3e3-4881-a78a-e9446641d45d',
      data: { userId: '1234', userLogin: 'cool_user', categoryName: 'Fortnite' },
    });
    expect(first.event.data.createdAt).toEqual(new Date('2019-01-28T04:17:53.325Z'));
    expect(second.event).toMatchObject({ id: 'bf7c8577-e3e3-4881-a78a-e9446641d45c', data: { userId: '12345' } });
    // One message, two notifications: same message id, each with its item's id and raw item.
    expect(drops.map((d) => d.notification.messageId)).toEqual([
      req.headers['Twitch-Eventsub-Message-Id'],
      req.headers['Twitch-Eventsub-Message-Id'],
    ]);
    expect(drops.map((d) => d.notification.eventId)).toEqual([
      'bf7c8577-e3e3-4881-a78a-e9446641d45d',
      'bf7c8577-e3e3-4881-a78a-e9446641d45c',
    ]);
    expect(first.notification.rawEvent).toMatchObject({ id: first.notification.eventId, data: { user_id: '1234' } });
    expect(first.notification.type).toBe('drop.entitlement.grant');
    expect(audit.map((n) => n.eventId)).toEqual(drops.map((d) => d.notification.eventId));
  });

  it('claims each item by its id: a replay runs nothing; a later batch with an old item runs only the new ones', async () => {
    fresh();
    const [a, b, c] = [`a-${rand()}`, `b-${rand()}`, `c-${rand()}`];
    const req = signedRequest('notification', batch([a, b]), { messageId: `m1-${rand()}` });
    expect((await post(`${t.url}/eventsub`, req)).status).toBe(204);
    expect((await post(`${t.url}/eventsub`, req)).status).toBe(204);
    await idle();
    expect(drops.map((d) => d.event.id)).toEqual([a, b]);
    // Another message id carrying b again and a new item c.
    const later = signedRequest('notification', batch([b, c]), { messageId: `m2-${rand()}` });
    expect((await post(`${t.url}/eventsub`, later)).status).toBe(204);
    await idle();
    expect(drops.map((d) => d.event.id)).toEqual([a, b, c]);
    expect(drops[2].event.data.userId).toBe(`u-${c}`);
  });

  it('accepts a batch near the 250 KB Twitch documents, and refuses one over webhook.maxBodyBytes with 413', async () => {
    fresh();
    const ids = Array.from({ length: 670 }, (_, i) => `big-${i}-${rand()}`);
    const req = signedRequest('notification', batch(ids), { messageId: `big-${rand()}` });
    expect(Buffer.byteLength(req.body)).toBeGreaterThan(240_000);
    expect(Buffer.byteLength(req.body)).toBeLessThan(256_000);
    const res = await post(`${t.url}/eventsub`, req);
    expect(res.status, res.body).toBe(204);
    await idle();
    expect(drops).toHaveLength(670);
    expect(new Set(drops.map((d) => d.event.id))).toEqual(new Set(ids));

    fresh();
    const huge = signedRequest('notification', batch(Array.from({ length: 3_000 }, (_, i) => `huge-${i}-${rand()}`)), {
      messageId: `huge-${rand()}`,
    });
    expect(Buffer.byteLength(huge.body)).toBeGreaterThan(1024 * 1024);
    const refused = await post(`${t.url}/eventsub`, huge);
    expect(refused.status).toBe(413);
    if (platform === 'express') expect(JSON.parse(refused.body)).toMatchObject({ statusCode: 413, reason: 'body_too_large' });
    await idle();
    expect(drops).toHaveLength(0);
  });

  it('passes Twitch-Eventsub-Message-Retry to handlers as notification.retry', async () => {
    fresh();
    const first = signedRequest('notification', batch([`r-${rand()}`]), { messageId: `retry-${rand()}` });
    expect((await post(`${t.url}/eventsub`, first)).status).toBe(204);
    const again = signedRequest('notification', batch([`r-${rand()}`]), { messageId: `retry-${rand()}` });
    again.headers['Twitch-Eventsub-Message-Retry'] = '3';
    expect((await post(`${t.url}/eventsub`, again)).status).toBe(204);
    const odd = signedRequest('notification', batch([`r-${rand()}`]), { messageId: `retry-${rand()}` });
    odd.headers['Twitch-Eventsub-Message-Retry'] = 'soon';
    expect((await post(`${t.url}/eventsub`, odd)).status).toBe(204);
    await idle();
    expect(drops.map((d) => d.notification.retry)).toEqual([0, 3, undefined]);
  });

  it('refuses a batched body whose events is not a list, taking no claim', async () => {
    fresh();
    const { subscription } = dropExample();
    const res = await post(`${t.url}/eventsub`, signedRequest('notification', { subscription, events: { id: 'x' } }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'invalid_body' });
    await idle();
    expect(drops).toHaveLength(0);
  });
});

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: unknown) {
    return { body };
  }
}

describe('EventSub webhook body reader on Express', () => {
  it("reads the webhook under a global prefix, and leaves other routes to Nest's JSON parser (and its 100 KB limit)", async () => {
    const fake = await FakeTwitch.start();
    const port = await freePort();
    @Module({
      imports: [
        TwitchModule.forRoot({ ...fake.moduleOptions(), keyPrefix: `t-eventsub-batched-prefix-${rand()}:`, isGlobal: true }),
        TwitchEventSubModule.forRoot({
          webhook: { callbackUrl: `http://127.0.0.1:${port}/api/eventsub`, secret: SECRET },
          reconcile: { onStartup: false },
        }),
      ],
      controllers: [EchoController],
      providers: [DropHandlers],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    app.setGlobalPrefix('api');
    await app.listen(port, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    try {
      drops.length = 0;
      const ids = Array.from({ length: 670 }, (_, i) => `p-${i}-${rand()}`);
      const res = await post(`${url}/api/eventsub`, signedRequest('notification', batch(ids)));
      expect(res.status, res.body).toBe(204);
      await app.get(TwitchEventSubService).idle();
      expect(drops).toHaveLength(670);

      const small = await fetch(`${url}/api/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":1}',
      });
      expect(await small.json()).toEqual({ body: { a: 1 } });
      // Even with Twitch's header, a JSON POST elsewhere is Nest's to parse.
      const big = await fetch(`${url}/api/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Twitch-Eventsub-Message-Id': 'x' },
        body: JSON.stringify({ pad: 'x'.repeat(200_000) }),
      });
      expect(big.status).toBe(413);
    } finally {
      await app.close();
      await fake.close();
    }
  });
});

describe('EventSub batched deliveries from the fake Twitch', () => {
  it('subscribes, and receives fake.eventSub.emitBatch() and emit() as one notification per item', async () => {
    const fake = await FakeTwitch.start();
    const keyPrefix = `t-eventsub-batched-fake-${rand()}:`;
    const t = await createEventSubApp({
      platform: 'express',
      fake,
      keyPrefix,
      providers: [DropHandlers],
      eventSub: { subscriptions: [{ type: 'drop.entitlement.grant', version: '1', condition: { organizationId: '9001' } }] },
    });
    try {
      const report = await t.app.get(TwitchEventSubService).startupReconcile();
      expect(report?.created).toHaveLength(1);
      await fake.eventSub.settled();
      expect(fake.eventSub.subscriptions({ type: 'drop.entitlement.grant' })[0].status).toBe('enabled');
      drops.length = 0;
      const [one, two] = dropExample().events;
      const deliveries = await fake.eventSub.emitBatch('drop.entitlement.grant', [one, { data: two.data }], { duplicates: 1 });
      expect(deliveries.map((d) => [d.status, d.retry])).toEqual([
        [204, 0],
        [204, 1],
      ]);
      const [single] = await fake.eventSub.emit('drop.entitlement.grant', { ...one.data, user_id: '777' });
      expect(single.status).toBe(204);
      await t.app.get(TwitchEventSubService).idle();
      expect(drops.map((d) => d.event.data.userId)).toEqual(['1234', '12345', '777']);
      expect(drops[0].event.id).toBe(one.id);
      expect(drops[1].notification.messageId).toBe(deliveries[0].messageId);
      expect(drops[2].notification.messageId).toBe(single.messageId);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});

describe('EventSub batched deliveries across instances', () => {
  it('two instances on one Redis: an item is handled once, whichever message carries it', async () => {
    const fake = await FakeTwitch.start();
    const keyPrefix = `t-eventsub-batched-two-${rand()}:`;
    const apps = await Promise.all(
      (['express', 'fastify'] as const).map((platform) =>
        createEventSubApp({
          platform,
          fake,
          keyPrefix,
          redisUrl: REDIS_URL(),
          providers: [DropHandlers],
          eventSub: { reconcile: { onStartup: false } },
        }),
      ),
    );
    try {
      fresh();
      const shared = `s-${rand()}`;
      const one = signedRequest('notification', batch([shared, `x-${rand()}`]), { messageId: `one-${rand()}` });
      const two = signedRequest('notification', batch([shared, `y-${rand()}`]), { messageId: `two-${rand()}` });
      const [r1, r2] = await Promise.all([post(`${apps[0].url}/eventsub`, one), post(`${apps[1].url}/eventsub`, two)]);
      expect([r1.status, r2.status]).toEqual([204, 204]);
      await Promise.all(apps.map((a) => a.app.get(TwitchEventSubService).idle()));
      expect(drops).toHaveLength(3);
      expect(drops.filter((d) => d.event.id === shared)).toHaveLength(1);
    } finally {
      await Promise.all(apps.map((a) => a.close()));
      await fake.close();
      await flushPrefix(keyPrefix);
    }
  });

  function fresh() {
    drops.length = 0;
    audit.length = 0;
  }
});
