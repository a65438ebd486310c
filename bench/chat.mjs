#!/usr/bin/env node
// `npm run bench:chat`: chat messages handled per second from EventSub to the command router. Each
// notification goes the way every transport hands it over (the dispatcher's accept(): the exactly-once
// claim, in Redis or in memory, then the handlers), through TwitchChatRouter's filters (own messages,
// shared chat) and the command parser, to an @OnChatCommand() / @OnChatMessage() method. No network
// between Twitch and the app: this measures the module's own work per message. Prints medians.
// Options (all optional):
//   --rounds N            rounds (default 5)
//   --smoke               tiny counts and 1 round: checks the harness works (used by the tests)
//   --messages N          notifications per run (default 20000)
//   --concurrency N       notifications accepted at a time (default 64)
//   --build tsc|swc|none  how to compile lib/ (default tsc; none runs on --lib-dir as it is, built before)
//   --lib-dir DIR         where the compiled module goes (default bench/.build-chat, bench/.build-chat-smoke with --smoke)
//   --redis URL           Redis of the claims (default $REDIS_URL or redis://127.0.0.1:6379)
//   --json FILE           also write the raw results and medians as JSON
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { libFromArgs } from './build.mjs';

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) continue;
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args[a.slice(2)] = true;
  else args[a.slice(2)] = process.argv[++i];
}
const smoke = Boolean(args.smoke);
const ROUNDS = Number(args.rounds ?? (smoke ? 1 : 5));
const MESSAGES = Number(args.messages ?? (smoke ? 100 : 20_000));
const CONCURRENCY = Number(args.concurrency ?? 64);
const REDIS_URL = args.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY_PREFIX = `${process.env.BENCH_KEY_PREFIX ?? 'bench-chat:'}${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
const BOT = '900001';
const CHANNEL = '1971641';
const log = (...a) => console.log(...a);

const SCENARIOS = {
  command: { label: 'command (!so @user "two words" now)', text: '!so @streamer33 "two words" now' },
  message: { label: 'plain message', text: 'Hi chat, how is everyone doing today?' },
  shared: { label: 'shared chat, other channel (filtered)', text: '!so @x', source: '112233' },
};

function event(seq, scenario) {
  const s = SCENARIOS[scenario];
  return {
    broadcaster_user_id: CHANNEL,
    broadcaster_user_login: 'streamer',
    broadcaster_user_name: 'streamer',
    chatter_user_id: String(4_000_000 + seq),
    chatter_user_login: 'viewer32',
    chatter_user_name: 'viewer32',
    message_id: `m-${seq}`,
    message: { text: s.text, fragments: [{ type: 'text', text: s.text, cheermote: null, emote: null, mention: null }] },
    color: '#00FF7F',
    badges: [{ set_id: 'subscriber', id: '12', info: '16' }],
    message_type: 'text',
    cheer: null,
    reply: null,
    channel_points_custom_reward_id: null,
    source_broadcaster_user_id: s.source ?? null,
    source_broadcaster_user_login: null,
    source_broadcaster_user_name: null,
    source_message_id: null,
    source_badges: null,
    is_source_only: s.source ? true : null,
  };
}

async function createApp(lib, store) {
  await import('reflect-metadata');
  const twitch = await import(pathToFileURL(join(lib, 'index.js')).href);
  const { NestFactory } = await import('@nestjs/core');
  const { Injectable, Module } = await import('@nestjs/common');
  const counts = { commands: 0, messages: 0, args: 0 };
  class BenchBot {
    onMessage() {
      counts.messages++;
    }
    onCommand(command) {
      counts.commands++;
      counts.args += command.args.length;
    }
  }
  Injectable()(BenchBot);
  twitch.OnChatMessage()(BenchBot.prototype, 'onMessage', Object.getOwnPropertyDescriptor(BenchBot.prototype, 'onMessage'));
  twitch.OnChatCommand('!so')(BenchBot.prototype, 'onCommand', Object.getOwnPropertyDescriptor(BenchBot.prototype, 'onCommand'));
  class BenchModule {}
  Module({
    imports: [
      twitch.TwitchModule.forRoot({
        clientId: 'benchclientid',
        clientSecret: 'benchclientsecret',
        redirectUri: 'http://127.0.0.1:3000/auth/twitch/callback',
        helixUrl: 'http://127.0.0.1:9/helix',
        authUrl: 'http://127.0.0.1:9/oauth2',
        ...(store === 'redis' ? { redis: { url: REDIS_URL } } : {}),
        keyPrefix: KEY_PREFIX,
        tokens: { validateOnStartup: false },
        isGlobal: true,
      }),
      twitch.TwitchEventSubModule.forRoot({
        webhook: { callbackUrl: 'https://example.com/eventsub', secret: 'bench-chat-secret-0123456789' },
        reconcile: { onStartup: false },
        isGlobal: true,
      }),
      twitch.TwitchChatModule.forRoot({ botUserId: BOT }),
    ],
    providers: [BenchBot],
  })(BenchModule);
  const app = await NestFactory.create(BenchModule, { logger: false, rawBody: true });
  await app.init();
  const { ChannelChatMessageEvent } = await import(pathToFileURL(join(lib, 'eventsub-types.js')).href);
  // Internals, from their own files: the package root exports only what an application uses.
  const internal = (file) => import(pathToFileURL(join(lib, file)).href);
  const { mapTwitchDto } = await internal('dto/twitch-dto.mapper.js');
  const { TwitchEventSubDispatcher } = await internal('eventsub/twitch-eventsub.dispatcher.js');
  const { TwitchChatRouter } = await internal('chat/twitch-chat.router.js');
  const toDto = (raw) => mapTwitchDto(ChannelChatMessageEvent, raw);
  return { app, dispatcher: app.get(TwitchEventSubDispatcher), router: app.get(TwitchChatRouter), toDto, counts };
}

/** The chat router alone: the typed event straight to TwitchChatRouter.handle() (filters, parser, handlers). */
async function runRouter(router, toDto, scenario) {
  const events = Array.from({ length: MESSAGES }, (_, seq) => toDto(event(seq, scenario)));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += CONCURRENCY) {
    await Promise.all(events.slice(i, i + CONCURRENCY).map((e) => router.handle(e)));
  }
  return MESSAGES / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function run(dispatcher, scenario, round) {
  const subscription = {
    id: 'bench-sub',
    type: 'channel.chat.message',
    version: '1',
    status: 'enabled',
    condition: { broadcaster_user_id: CHANNEL, user_id: BOT },
    cost: 0,
  };
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < MESSAGES) {
      const seq = next++;
      const accepted = await dispatcher.accept({
        messageId: `bench-${round}-${scenario}-${seq}-${process.pid}`,
        messageType: 'notification',
        timestamp: new Date(),
        transport: 'webhook',
        body: { subscription, event: event(seq, scenario) },
      });
      accepted.start();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await dispatcher.idle();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return MESSAGES / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  log(`nestjs-twitch chat bench: ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, Node ${process.version}`);
  log(
    `${ROUNDS} round(s) of ${MESSAGES} notifications, ${CONCURRENCY} at a time` +
      (smoke ? ' (smoke run: tiny counts, numbers are not meaningful)' : ''),
  );
  const lib = await libFromArgs(args, { outDir: smoke ? 'bench/.build-chat-smoke' : 'bench/.build-chat', log });
  const results = [];
  let failures = 0;
  for (const store of ['redis', 'memory', 'router']) {
    const { app, dispatcher, router, toDto, counts } = await createApp(lib, store === 'router' ? 'memory' : store);
    try {
      for (const scenario of Object.keys(SCENARIOS)) {
        const measure = (round) => (store === 'router' ? runRouter(router, toDto, scenario) : run(dispatcher, scenario, round));
        await measure('warmup');
        for (let round = 0; round < ROUNDS; round++) {
          const before = { ...counts };
          const perSecond = await measure(round);
          const commands = counts.commands - before.commands;
          const messages = counts.messages - before.messages;
          // Every command reaches the router with its 3 arguments; filtered ones reach nothing.
          const expected =
            scenario === 'shared'
              ? { commands: 0, messages: 0 }
              : { commands: scenario === 'command' ? MESSAGES : 0, messages: MESSAGES };
          if (commands !== expected.commands || messages !== expected.messages) failures++;
          results.push({ store, scenario, round, perSecond, commands, messages });
        }
      }
    } finally {
      await app.close();
    }
  }
  await storeCleanup();
  log('');
  log('| scenario | path | messages/s (median) |');
  log('|---|---|---|');
  const medians = {};
  for (const scenario of Object.keys(SCENARIOS)) {
    for (const store of ['redis', 'memory', 'router']) {
      const m = median(results.filter((r) => r.store === store && r.scenario === scenario).map((r) => r.perSecond));
      (medians[scenario] ??= {})[store] = m;
      const path = { redis: 'dispatcher, claims in Redis', memory: 'dispatcher, claims in memory', router: 'chat router alone' }[
        store
      ];
      log(`| ${SCENARIOS[scenario].label} | ${path} | ${Math.round(m)} |`);
    }
  }
  log('');
  log(
    `Checked: every command and message handled once per notification, filtered ones by none; ${failures} runs with a difference`,
  );
  if (args.json) writeFileSync(String(args.json), JSON.stringify({ results, medians, failures }, null, 2));
  if (failures) process.exitCode = 1;
}

/** Removes the claims the Redis runs left. */
async function storeCleanup() {
  const { createClient } = await import('redis');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${KEY_PREFIX}*`, COUNT: 1000 })) if (keys.length) await client.del(keys);
  await client.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
