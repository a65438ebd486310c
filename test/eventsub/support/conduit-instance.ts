/**
 * One app instance for the multi-process conduit spec: a Nest app with TwitchModule pointed at the
 * fake and the shared Redis, and a conduit manager whose sink claims each message id once in Redis
 * (SET NX, the claim the EventSub core makes) and counts what it handled and what it saw twice.
 *
 * Protocol on stdout: lines starting with `@@` are JSON: `{ "loaded": true }` once the app is up,
 * `{ "ready": true }` once the manager has started (after a `join` line on stdin), and
 * `{ "session": id, "shard": id }` for every session a shard is pointed at.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createInterface } from 'node:readline';
import { TwitchApiService } from '../../../lib/api/twitch-api.service.js';
import { TwitchConduitManager } from '../../../lib/eventsub/conduit/twitch-conduit-manager.js';
import type { TwitchRedisHandle } from '../../../lib/redis/twitch-redis.provider.js';
import { TwitchKvStore } from '../../../lib/store/twitch-kv.store.js';
import { TWITCH_REDIS } from '../../../lib/twitch.constants.js';
import { TwitchModule } from '../../../lib/twitch.module.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`conduit-instance: ${name} is not set`);
  return v;
};
const say = (msg: Record<string, unknown>) => process.stdout.write(`@@${JSON.stringify(msg)}\n`);

const fake = JSON.parse(env('FAKE_OPTIONS')) as { clientId: string; clientSecret: string; helixUrl: string; authUrl: string };
const instanceId = env('INSTANCE_ID');
const claims = env('CLAIM_PREFIX');

@Module({
  imports: [
    TwitchModule.forRoot({
      ...fake,
      redis: { url: env('REDIS_URL') },
      keyPrefix: env('KEY_PREFIX'),
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    }),
  ],
})
class InstanceModule {}

const app = await NestFactory.createApplicationContext(InstanceModule, { logger: ['error', 'warn'] });
const redis = app.get<TwitchRedisHandle>(TWITCH_REDIS).client;
const broadcasters = JSON.parse(env('BROADCASTERS')) as string[];

const manager = new TwitchConduitManager({
  api: app.get(TwitchApiService),
  clientId: fake.clientId,
  kv: app.get(TwitchKvStore),
  redis,
  keyPrefix: env('KEY_PREFIX'),
  shardCount: Number(env('SHARDS')),
  heartbeatMs: Number(env('HEARTBEAT_MS')),
  leaseMs: Number(env('LEASE_MS')),
  instanceId,
  subscriptions: broadcasters.map((id) => ({ type: 'stream.online', version: '1', condition: { broadcaster_user_id: id } })),
  transport: { method: 'websocket', connection: { url: env('WS_URL'), reconnectBaseDelayMs: 50, reconnectMaxDelayMs: 500 } },
  sink: async (d) => {
    if (d.messageType !== 'notification' || d.subscription.type !== 'stream.online') return;
    const first = await redis.set(`${claims}claim:${d.messageId}`, instanceId, { NX: true, PX: 600_000 });
    if (first !== null) await redis.rPush(`${claims}handled`, d.messageId);
    else await redis.incr(`${claims}twice`);
  },
});

const reported = new Set<string>();
const report = setInterval(() => {
  for (const shard of manager.status().shards) {
    if (shard.target && !reported.has(shard.target)) {
      reported.add(shard.target);
      say({ session: shard.target, shard: shard.shardId });
    }
  }
}, 20);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  clearInterval(report);
  void manager
    .stop()
    .then(() => app.close())
    .finally(() => process.exit(0));
});

say({ loaded: true });
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'join') return;
  manager.start().then(
    () => say({ ready: true }),
    (err: unknown) => {
      process.stderr.write(`conduit-instance ${instanceId}: start failed: ${(err as Error).stack ?? err}\n`);
      process.exit(2);
    },
  );
});
