import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { flushPrefix, REDIS_URL, uniquePrefix } from './support/prefixes.js';

const root = resolve(import.meta.dirname, '..');

/** Every Redis key the bench's module instances write starts with this (removed after the test). */
const keyPrefix = uniquePrefix();

/** One swc build of lib/ for every script (`--build none --lib-dir`), private to this run of the file. */
const libDir = `bench/.build-test-${process.pid}`;

beforeAll(async () => {
  const { buildLib } = (await import(join(root, 'bench/build.mjs'))) as {
    buildLib(options: { outDir: string; compiler: 'swc'; log(line: string): void }): Promise<string>;
  };
  await buildLib({ outDir: libDir, compiler: 'swc', log: () => undefined });
}, 60_000);

afterAll(async () => {
  rmSync(join(root, libDir), { recursive: true, force: true });
  await flushPrefix(keyPrefix);
});

/**
 * Runs `node bench/<script> --smoke` on the shared build (no benchmark is part of the tests: only the
 * harness) and reads the JSON report it writes. Each script gets its own Redis prefix under
 * `keyPrefix`, so that one deleting its keys leaves the others' alone.
 */
function runBench(script: string, args: string[] = []): Promise<{ code: number | null; out: string; report: any }> {
  const name = script.replace(/\.mjs$/, '');
  const json = join(tmpdir(), `nestjs-twitch-bench-${name}-${process.pid}.json`);
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [join(root, 'bench', script), '--smoke', '--build', 'none', '--lib-dir', libDir, '--json', json, ...args],
      {
        cwd: root,
        env: { ...process.env, REDIS_URL: REDIS_URL(), BENCH_KEY_PREFIX: `${keyPrefix}${name}:` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => {
      let report;
      try {
        report = JSON.parse(readFileSync(json, 'utf8'));
      } catch {
        report = undefined;
      }
      rmSync(json, { force: true });
      done({ code, out, report });
    });
  });
}

/** The cells of the table row starting with `label`. */
function rowOf(expect: ExpectStatic, out: string, label: string): string[] {
  const line = out.split('\n').find((l) => l.startsWith(`| ${label} |`));
  expect(line, `row "${label}" in:\n${out}`).toBeDefined();
  return line!
    .split('|')
    .slice(2, -1)
    .map((c) => c.trim());
}

const positive = (cell: string) => Number.parseFloat(cell) > 0;

// The five scripts run side by side: each spends most of its time starting processes (one or two at a
// time) and in short waits, so together they keep both cores busy for less wall time.
describe.concurrent('bench harness (smoke run)', () => {
  it('runs every scenario end to end and prints the tables with ratios', async ({ expect }) => {
    const { code, out, report } = await runBench('run.mjs', [
      '--clients',
      'module,twurple,node:http',
      '--hol-clients',
      'module,twurple,undici',
    ]);
    expect(code, out).toBe(0);

    for (const label of [
      'Get Users (1 user), concurrency 1',
      'Get Users (1 user), concurrency 32',
      'Get Streams (100 items), concurrency 1',
      'Get Streams (100 items), concurrency 32',
    ]) {
      const cells = rowOf(expect, out, label);
      // CPU µs of module, twurple, node:http, then the two ratios.
      expect(cells).toHaveLength(5);
      expect(cells.every(positive), `${label}: ${cells.join(' | ')}`).toBe(true);
      expect(cells[3]).toMatch(/^\d+\.\d\d×$/);
      expect(cells[4]).toMatch(/^\d+\.\d\d×$/);
    }
    const cache = rowOf(expect, out, 'Get Users (1 user)');
    expect(cache.slice(0, 5).every(positive), cache.join(' | ')).toBe(true);

    expect(out).toContain('### Head-of-line');
    expect(out).toContain('### Rate limit held');
    expect(out).toContain('### Pagination');
    expect(out).toContain('### Targets');

    expect(report.results.request).toHaveLength(12);
    expect(report.medians.hol.module).toBeGreaterThan(0);
    expect(report.medians.hol.undici).toBeGreaterThan(0);
    // The fake really limited the bucket and the module stayed inside it.
    expect(report.results.ratelimit.ok).toBeGreaterThan(0);
    expect(report.results.ratelimit.limited).toBe(0);
    expect(report.results.ratelimit.failed).toBe(0);
    expect(report.results.pagination.map((r: { items: number }) => r.items)).toEqual([100, 1_000, 100, 1_000]);
    expect(report.targets.length).toBeGreaterThan(10);
  }, 240_000);

  it('runs the fault scenario: faulted answers and a paused Redis, every call settled within its budget', async ({ expect }) => {
    const { code, out, report } = await runBench('faults.mjs');
    expect(code, out).toBe(0);
    expect(out).toContain('| calls that never settled | 0 |');
    expect(report.hung).toBe(0);
    expect(report.overBudget).toBe(0);
    expect(report.outcomes.ok).toBeGreaterThan(report.calls / 2);
    expect(report.heapMB).toHaveLength(3);
  }, 120_000);

  it('runs the EventSub bench: every side handles each notification once, retries acknowledged, tables with ratios', async ({
    expect,
  }) => {
    const { code, out, report } = await runBench('eventsub.mjs');
    expect(code, out).toBe(0);
    for (const label of ['channel.follow v2', 'channel.chat.message v1']) {
      const rows = out.split('\n').filter((l) => l.startsWith(`| ${label} |`));
      // Throughput, CPU, latency median and p99 (with both ratios), then the added latency.
      expect(rows, out).toHaveLength(6);
      const cells = rowOf(expect, out, label);
      expect(cells).toHaveLength(5);
      expect(cells.slice(0, 3).every(positive), cells.join(' | ')).toBe(true);
      expect(cells[3]).toMatch(/^\d+\.\d\d×$/);
      expect(cells[4]).toMatch(/^\d+\.\d\d×$/);
    }
    expect(out).toMatch(
      /Checked: \d+ notifications handled exactly once in the measured runs \(\d+ retries acknowledged and not handled again\), 0 runs with a difference/,
    );
    expect(report.failures).toBe(0);
    expect(report.results.throughput).toHaveLength(6);
    for (const r of report.results.throughput) {
      expect(r.handled, `${r.side} ${r.payload}`).toBe(r.unique);
      expect(r.acked).toBe(r.sent);
      expect(r.handledTwice).toBe(0);
      expect(r.retries).toBeGreaterThan(0);
    }
    expect(report.results.latency.map((r: { side: string }) => r.side).sort()).toEqual([
      'module',
      'module',
      'node:http',
      'node:http',
      'twurple',
      'twurple',
    ]);
    expect(report.medians.follow.module.handlerUs).toBeGreaterThan(0);
  }, 120_000);

  it('runs the EventSub WebSocket bench: events through one session into handlers, and the conduit recovery after a kill', async ({
    expect,
  }) => {
    const { code, out, report } = await runBench('eventsub-ws.mjs');
    expect(code, out).toBe(0);
    expect(positive(rowOf(expect, out, 'events/s through one WebSocket session into a handler')[0])).toBe(true);
    expect(positive(rowOf(expect, out, 'app CPU µs per event')[0])).toBe(true);
    expect(positive(rowOf(expect, out, "ms until a killed instance's shards are re-pointed")[0])).toBe(true);
    expect(out).toMatch(/Checked: \d+ events handled through the module, 0 rounds with a difference/);
    expect(report.failures).toBe(0);
    for (const r of report.throughput) {
      expect(r.handled).toBe(r.events);
      expect(r.typed).toBe(true);
    }
    expect(report.recovery[0].recoveryMs).toBeGreaterThan(0);
  }, 120_000);

  it('runs the chat bench: every command reaches the router with its arguments, filtered messages none', async ({ expect }) => {
    const { code, out, report } = await runBench('chat.mjs');
    expect(code, out).toBe(0);
    for (const label of ['command (!so @user "two words" now)', 'plain message', 'shared chat, other channel (filtered)']) {
      const rows = out.split('\n').filter((l) => l.startsWith(`| ${label} |`));
      expect(rows, out).toHaveLength(3);
      expect(
        rows.every((r) => Number(r.split('|')[3]) > 0),
        rows.join('\n'),
      ).toBe(true);
    }
    expect(out).toMatch(/0 runs with a difference/);
    expect(report.failures).toBe(0);
    const command = report.results.find((r: { scenario: string }) => r.scenario === 'command');
    expect(command.commands).toBeGreaterThan(0);
  }, 120_000);
});
