import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication, LoggerService, Provider, Type } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TwitchModule } from '../../lib/twitch.module.js';
import { TwitchEventSubModule } from '../../lib/eventsub/twitch-eventsub.module.js';
import type { TwitchEventSubModuleOptions } from '../../lib/eventsub/interfaces/twitch-eventsub-options.interface.js';
import { signTwitchEventSubMessage } from '../../lib/eventsub/webhook/twitch-eventsub-signature.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import type { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { freePort } from '../support/net.js';

export type Platform = 'express' | 'fastify';
export const SECRET = 'test-eventsub-secret-0123';

/** Twitch's example payloads, copied into fixtures/ so the tests read nothing outside the repository. */
const here = dirname(fileURLToPath(import.meta.url));
export function example(name: string): { subscription: Record<string, unknown>; event: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(here, 'fixtures', `${name}.json`), 'utf8'));
}

export interface EventSubTestApp {
  app: INestApplication;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface EventSubAppOptions {
  platform: Platform;
  fake: FakeTwitch;
  keyPrefix: string;
  redisUrl?: string;
  providers?: Provider[];
  eventSub?: Partial<TwitchEventSubModuleOptions>;
  twitch?: Partial<TwitchModuleOptions>;
  /** Public callback URL (default: this app's own /eventsub). */
  callbackUrl?: string;
  rawBody?: boolean;
  port?: number;
  listen?: boolean;
  /** Default: no logging. */
  logger?: LoggerService;
}

/** A listening Nest app (Express or Fastify, rawBody on) with TwitchModule on the fake and TwitchEventSubModule. */
export async function createEventSubApp(o: EventSubAppOptions): Promise<EventSubTestApp> {
  const port = o.port ?? (await freePort());
  const callbackUrl = o.callbackUrl ?? `http://127.0.0.1:${port}/eventsub`;
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...o.fake.moduleOptions(),
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        keyPrefix: o.keyPrefix,
        retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
        tokens: { validateOnStartup: false },
        ...(o.redisUrl ? { redis: { url: o.redisUrl } } : {}),
        isGlobal: true,
        ...o.twitch,
      }),
      TwitchEventSubModule.forRoot({ webhook: { callbackUrl, secret: SECRET }, ...o.eventSub }),
    ],
    providers: o.providers ?? [],
  })
  class AppModule {}
  const app =
    o.platform === 'express'
      ? await NestFactory.create(AppModule, { logger: o.logger ?? false, abortOnError: false, rawBody: o.rawBody ?? true })
      : await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
          logger: o.logger ?? false,
          abortOnError: false,
          rawBody: o.rawBody ?? true,
        });
  if (o.listen !== false) await app.listen(port, '127.0.0.1');
  return { app, port, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** A signed webhook request as Twitch sends it. */
export function signedRequest(
  type: 'notification' | 'revocation' | 'webhook_callback_verification',
  body: unknown,
  opts: { messageId?: string; timestamp?: string; secret?: string } = {},
): { headers: Record<string, string>; body: string } {
  const json = JSON.stringify(body);
  const messageId = opts.messageId ?? crypto.randomUUID();
  const timestamp = opts.timestamp ?? new Date().toISOString();
  return {
    body: json,
    headers: {
      'Content-Type': 'application/json',
      'Twitch-Eventsub-Message-Id': messageId,
      'Twitch-Eventsub-Message-Retry': '0',
      'Twitch-Eventsub-Message-Type': type,
      'Twitch-Eventsub-Message-Timestamp': timestamp,
      'Twitch-Eventsub-Message-Signature': signTwitchEventSubMessage(opts.secret ?? SECRET, messageId, timestamp, json),
      'Twitch-Eventsub-Subscription-Type': String((body as { subscription?: { type?: string } }).subscription?.type ?? ''),
      'Twitch-Eventsub-Subscription-Version': String(
        (body as { subscription?: { version?: string } }).subscription?.version ?? '',
      ),
    },
  };
}

export async function post(
  url: string,
  req: { headers: Record<string, string>; body: string },
): Promise<{ status: number; body: string; contentType: string | null }> {
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

/** A promise and its resolver. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export type { Type };
