import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster, type RedisClusterType } from '@redis/client';
import { freePort } from './net.js';

export interface LocalRedisCluster {
  /** `redis://127.0.0.1:<port>` of each master. */
  urls: string[];
  /** A connected node-redis cluster client (closed by `stop`). */
  client(): Promise<RedisClusterType<any, any, any, any, any>>;
  /** Every key under `prefix`, over all masters or on the master at `url`. */
  keys(prefix: string, url?: string): Promise<string[]>;
  /** Deletes every key under `prefix` on every master. */
  flush(prefix: string): Promise<void>;
  /** Sends one command to every master, through the helper's own connections; each master's reply as a string. */
  sendEach(args: string[]): Promise<string[]>;
  /** SIGSTOP / SIGCONT to every node: the cluster keeps its connections but answers nothing (stalled). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * Why the cluster tests cannot run here, or undefined when they can. A binary counts as missing only when
 * running it says so (ENOENT); any other failure to start it (a loaded machine) is asked again, then named.
 */
export function clusterUnavailable(): string | undefined {
  for (const binary of ['redis-server', 'redis-cli']) {
    let res = spawnSync(binary, ['--version'], { stdio: 'ignore' });
    for (let i = 0; i < 3 && res.status !== 0 && (res.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT'; i++) {
      res = spawnSync(binary, ['--version'], { stdio: 'ignore' });
    }
    if (res.status === 0) continue;
    const code = (res.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return `no ${binary} binary: the Redis Cluster tests are skipped`;
    throw new Error(
      `${binary} --version failed (${code ?? `exit ${res.status}`}): cannot tell whether the Redis Cluster tests can run`,
    );
  }
  return undefined;
}

/**
 * Three `redis-server --cluster-enabled yes` masters on free ports in a temporary directory, joined with
 * `redis-cli --cluster create`, ready once every node says `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'twitch-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const clients: RedisClusterType<any, any, any, any, any>[] = [];
  const nodeClients: ReturnType<typeof createClient>[] = [];
  const stop = async () => {
    for (const child of children) child.kill('SIGCONT');
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(nodeClients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      // freePort closes its probe before the next call, so three calls may hand out one port twice.
      let port = await freePort();
      while (ports.includes(port)) port = await freePort();
      ports.push(port);
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            nodeDir,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '5000',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    const urls = ports.map((p) => `redis://127.0.0.1:${p}`);
    for (const url of urls) await waitFor(url, async (c) => (await c.ping()) === 'PONG', 'answer PING');
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const url of urls) {
      await waitFor(
        url,
        async (c) => String(await c.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
        'reach cluster_state:ok',
      );
    }
    // One plain client per master for the tests' reads and clean-up, opened once (closed by stop).
    const masters = new Map<string, ReturnType<typeof createClient>>();
    for (const url of urls) {
      const c = createClient({ url });
      c.on('error', () => undefined);
      await c.connect();
      masters.set(url, c);
      nodeClients.push(c);
    }
    const eachMaster = async <T>(fn: (c: ReturnType<typeof createClient>) => Promise<T>, only?: string): Promise<T[]> =>
      Promise.all(urls.filter((url) => !only || url === only).map((url) => fn(masters.get(url)!)));
    return {
      urls,
      client: async () => {
        const c = createCluster({ rootNodes: urls.map((url) => ({ url })) }) as RedisClusterType<any, any, any, any, any>;
        c.on('error', () => undefined);
        await c.connect();
        clients.push(c);
        return c;
      },
      sendEach: (args) => eachMaster(async (c) => String(await c.sendCommand(args))),
      keys: async (prefix, url) => (await eachMaster((c) => c.keys(`${escapeGlob(prefix)}*`), url)).flat().sort(),
      flush: async (prefix) => {
        await eachMaster(async (c) => {
          const keys = await c.keys(`${escapeGlob(prefix)}*`);
          if (keys.length) for (const k of keys) await c.del(k);
        });
      },
      pause: () => children.forEach((c) => c.kill('SIGSTOP')),
      resume: () => children.forEach((c) => c.kill('SIGCONT')),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `KEYS` patterns treat `{`, `[`, `*`, `?` and `\` specially. */
function escapeGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

async function waitFor(url: string, ok: (c: ReturnType<typeof createClient>) => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const c = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 1_000 } });
    c.on('error', () => undefined);
    try {
      await c.connect();
      if (await ok(c)) return;
    } catch (err) {
      last = err;
    } finally {
      if (c.isOpen) await c.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Redis cluster node ${url} did not ${what} within 15 s${last ? ` (${(last as Error).message})` : ''}`);
}
