import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPackageBuild } from './support/built-package.js';
import { freePort } from './support/net.js';

/**
 * Once per run: starts the package build in the background (test/support/built-package.ts), and makes
 * sure the tests have a Redis.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const stopBuild = startPackageBuild();
  let stopRedis: () => Promise<void>;
  try {
    stopRedis = await redis();
  } catch (err) {
    stopBuild();
    throw err;
  }
  return async () => {
    stopBuild();
    await stopRedis();
  };
}

/**
 * `REDIS_URL` (default redis://127.0.0.1:6379) if it answers, else a private `redis-server` on a free
 * port, else one clear failure saying how to provide one.
 */
async function redis(): Promise<() => Promise<void>> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await answersPing(url)) {
    process.env.REDIS_URL = url;
    return async () => undefined;
  }
  const hasBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasBinary) {
    throw new Error(
      `No Redis answers at ${url} and no redis-server binary is installed: start Redis, set REDIS_URL=redis://host:port, or install redis-server.`,
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-twitch-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answersPing(privateUrl)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await answersPing(privateUrl))) throw new Error(`Started redis-server on port ${port} but it does not answer`);
  process.env.REDIS_URL = privateUrl;
  console.log(`[tests] no Redis at ${url}; started a private redis-server at ${privateUrl}`);
  return async () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
}

function answersPing(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 6379), hostname || '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().includes('PONG') || d.toString().includes('NOAUTH')));
  });
}
