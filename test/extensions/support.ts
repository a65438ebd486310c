import 'reflect-metadata';
import { type INestApplicationContext, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TwitchExtensionModule } from '../../lib/extensions/twitch-extension.module.js';
import type { TwitchExtensionModuleOptions } from '../../lib/extensions/twitch-extension-options.interface.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { type FakeTwitch, REDIS_URL } from '../support/app.js';

/** A Nest application context with TwitchModule (fake Twitch, the test Redis) and TwitchExtensionModule. */
export async function createExtensionApp(
  fake: FakeTwitch,
  keyPrefix: string,
  extension: TwitchExtensionModuleOptions,
  twitch: Partial<TwitchModuleOptions> = {},
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  @Module({
    imports: [
      TwitchModule.forRoot({
        ...fake.moduleOptions(),
        redis: { url: REDIS_URL() },
        keyPrefix,
        retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
        isGlobal: true,
        ...twitch,
      }),
      TwitchExtensionModule.forRoot(extension),
    ],
  })
  class ExtensionAppModule {}
  return NestFactory.createApplicationContext(ExtensionAppModule, { logger, abortOnError: false });
}

export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The JWT a recorded request carried. */
export function bearerOf(headers: Record<string, string>): string {
  return (headers.authorization ?? '').replace(/^Bearer\s+/i, '');
}

/** A logger that keeps every line. */
export function recordingLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = [];
  const keep = (...args: unknown[]) =>
    void lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '));
  return { lines, log: keep, error: keep, warn: keep, debug: keep, verbose: keep, fatal: keep };
}
