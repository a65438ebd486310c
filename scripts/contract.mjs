#!/usr/bin/env node
// Contract check of every Helix operation against an OpenAPI description, with Prism as the server.
//
//   npm run contract -- <path/to/openapi.json> [--verbose]
//
// 1. Builds the package (`npm run build`) when dist/ is missing or older than lib/.
// 2. Starts `prism mock <spec>` on a free port (Prism serves the paths without `/helix`, checks
//    required query params, body types and `Authorization: Bearer`, and reports what it refuses in
//    the `sl-violations` response header) and a tiny OAuth stub that hands out an app token.
// 3. For every operation of the catalog (TWITCH_ENDPOINTS of the built package), with the params of
//    test/contract/fixtures.generated.json:
//    - accepted: the fixture's wire form (method, path, query, JSON body), sent straight to Prism
//      with fetch, gets a 2xx without `sl-violations`;
//    - sent as documented: the library's own request (seen by a recording proxy in front of Prism)
//      has exactly that wire form, and Prism did not flag it either;
//    - mapped: the library call (TwitchModule in a Nest application context, rate limiter off)
//      resolves, to an instance of the response DTO for JSON answers (no key of Prism's answer lost),
//      a string for iCalendar, `undefined` for 204.
// 4. Prints the failures, the known Prism/spec disagreements with their reasons, and a summary line;
//    exits 1 if anything failed. Prism is killed at the end, also on errors and signals.
//
// Plain Node ESM; no test runner. Every HTTP exchange has a timeout (Prism hangs on malformed JSON).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES_PATH = join(ROOT, 'test/contract/fixtures.generated.json');
const PRISM_BIN = join(ROOT, 'node_modules/.bin/prism');
const CLIENT_ID = 'prism-client-id';
const CLIENT_SECRET = 'prism-client-secret';
const APP_TOKEN = 'prism-app-token';
const USER_TOKEN = 'prism-token';
const REQUEST_TIMEOUT_MS = 15_000;
const PRISM_START_TIMEOUT_MS = 90_000;

/**
 * Requests that Prism refuses because Prism or the spec is wrong, not the library: per operation, the
 * exact violation (a RegExp on `location: message` of `sl-violations`) and why it is wrong. Any other
 * violation still fails the run. None are needed with the 2026-02-27 snapshot of the spec.
 * (Violations of Prism's own mocked answer, where the spec's example breaks the spec's schema, are
 * reported separately and automatically: they say nothing about the request.)
 * @type {{ operation: string, violation: RegExp, why: string }[]}
 */
const KNOWN_DISAGREEMENTS = [];

// ─────────────────────────────────────────────────────────────────────────────
// Process plumbing
// ─────────────────────────────────────────────────────────────────────────────

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // best effort
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    cleanup().finally(() => process.exit(130));
  });
}

function usage(message) {
  if (message) console.error(`contract: ${message}`);
  console.error('usage: npm run contract -- <path/to/openapi.json> [--verbose]');
  process.exit(2);
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function listen(server) {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server.address().port));
  });
}

function closeServer(server) {
  return new Promise((ok) => {
    server.closeAllConnections?.();
    server.close(() => ok());
  });
}

/**
 * Sources under lib/ whose compiled file in dist/ is missing or older (spec files excluded). Per file,
 * so a build that started before a source changed is still seen as stale.
 */
function staleSources(dir = join(ROOT, 'lib'), out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) staleSources(p, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
      const built = join(ROOT, 'dist', relative(join(ROOT, 'lib'), p)).replace(/\.ts$/, '.js');
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(p).mtimeMs) out.push(p);
    }
  }
  return out;
}

function ensureBuild() {
  const stale = existsSync(join(ROOT, 'dist/index.js')) ? staleSources() : ['dist/index.js'];
  if (!stale.length) return;
  console.log(
    `contract: dist/ is missing or older than lib/ (${relative(ROOT, stale[0])}${stale.length > 1 ? ` and ${stale.length - 1} more` : ''}); running npm run build`,
  );
  const res = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('npm run build failed');
}

// ─────────────────────────────────────────────────────────────────────────────
// Prism, OAuth stub and recording proxy
// ─────────────────────────────────────────────────────────────────────────────

async function startPrism(spec) {
  if (!existsSync(PRISM_BIN)) throw new Error(`Prism is not installed (${PRISM_BIN}); run npm install`);
  const port = await freePort();
  const child = spawn(PRISM_BIN, ['mock', spec, '-h', '127.0.0.1', '-p', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so everything Prism starts goes with it
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, 3_000);
    await exited;
    clearTimeout(timer);
  });
  const deadline = Date.now() + PRISM_START_TIMEOUT_MS;
  for (;;) {
    if (/Prism is listening/.test(output)) break;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Prism exited before listening:\n${output.slice(-4_000)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`Prism did not listen within ${PRISM_START_TIMEOUT_MS} ms:\n${output.slice(-4_000)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return { url: `http://127.0.0.1:${port}`, port, output: () => output };
}

/** Answers POST /token with an app token; everything else 404 (the run needs nothing else). */
async function startOAuthStub() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://stub.invalid').pathname;
      if (req.method === 'POST' && path === '/token') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ access_token: APP_TOKEN, expires_in: 5_000_000, token_type: 'bearer' }));
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 404, message: `the contract OAuth stub has no ${req.method} ${path}` }));
      }
    });
  });
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  return `http://127.0.0.1:${port}`;
}

/**
 * A transparent proxy in front of Prism: records each request the library sends (method, path,
 * query, body) with Prism's status and `sl-violations`, and forwards the answer untouched.
 */
async function startRecordingProxy(prismPort) {
  const log = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const entry = { method: req.method, url: req.url, headers: req.headers, body: raw.toString('utf8') };
      log.push(entry);
      const headers = { ...req.headers, host: `127.0.0.1:${prismPort}` };
      const upstream = httpRequest(
        { host: '127.0.0.1', port: prismPort, method: req.method, path: req.url, headers, timeout: REQUEST_TIMEOUT_MS },
        (up) => {
          entry.status = up.statusCode;
          entry.violations = up.headers['sl-violations'];
          const body = [];
          up.on('data', (c) => body.push(c));
          up.on('end', () => (entry.responseBody = Buffer.concat(body).toString('utf8')));
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('Prism did not answer in time')));
      upstream.on('error', (err) => {
        entry.error = err.message;
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ status: 502, message: `proxy: ${err.message}` }));
      });
      upstream.end(raw);
    });
  });
  const port = await listen(server);
  cleanups.push(() => closeServer(server));
  return { url: `http://127.0.0.1:${port}`, log };
}

// ─────────────────────────────────────────────────────────────────────────────
// Checks
// ─────────────────────────────────────────────────────────────────────────────

function queryString(query) {
  const qs = new URLSearchParams();
  for (const [name, values] of Object.entries(query)) for (const v of values) qs.append(name, v);
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/** Prism's `sl-violations` header as `{ location, message, text }` items. */
function parseViolations(header) {
  if (!header) return [];
  const raw = Array.isArray(header) ? header[0] : header;
  let list;
  try {
    list = JSON.parse(raw);
  } catch {
    list = [{ location: ['request'], message: String(raw) }];
  }
  if (!Array.isArray(list)) list = [{ location: ['request'], message: String(raw) }];
  return list.map((v) => {
    const location = Array.isArray(v.location) ? v.location.map(String) : ['request'];
    const message = String(v.message ?? JSON.stringify(v));
    return { location, message, text: `${location.join('.')}: ${message}` };
  });
}

/** The fixture's wire form, sent straight to Prism. */
async function sendDirect(prismUrl, endpoint, fixture) {
  const { method, path, query, body } = fixture.wire;
  const headers = {};
  if (endpoint.auth !== 'none') {
    headers['Client-Id'] = CLIENT_ID;
    headers.Authorization = `Bearer ${endpoint.auth === 'user' || endpoint.auth === 'jwt' ? USER_TOKEN : APP_TOKEN}`;
  }
  if (body !== null) headers['Content-Type'] = 'application/json';
  try {
    const res = await fetch(`${prismUrl}${path}${queryString(query)}`, {
      method,
      headers,
      body: body === null ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { status: res.status, violations: parseViolations(res.headers.get('sl-violations')) };
  } catch (err) {
    return { status: 0, violations: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/** Query of a recorded request as `{ name: [values] }`. */
function recordedQuery(url) {
  const out = {};
  for (const [k, v] of new URL(url, 'http://x.invalid').searchParams) (out[k] ??= []).push(v);
  return out;
}

function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}
const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** Differences between the library's request and the fixture's wire form. */
function wireDifferences(entry, fixture) {
  const out = [];
  const { method, path, query, body } = fixture.wire;
  const url = new URL(entry.url, 'http://x.invalid');
  if (entry.method !== method) out.push(`method ${entry.method}, expected ${method}`);
  if (url.pathname !== path) out.push(`path ${url.pathname}, expected ${path}`);
  const q = recordedQuery(entry.url);
  if (!same(q, query)) out.push(`query ${JSON.stringify(q)}, expected ${JSON.stringify(query)}`);
  let sent = null;
  if (entry.body) {
    try {
      sent = JSON.parse(entry.body);
    } catch {
      sent = entry.body;
    }
  }
  if (!same(sent, body)) out.push(`body ${JSON.stringify(sent)}, expected ${JSON.stringify(body)}`);
  return out;
}

/** Paths of keys of `expected` (recursively) missing from `actual`. */
function missingKeys(actual, expected, path = '$') {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return actual === undefined ? [path] : [];
    return expected.flatMap((item, i) => missingKeys(actual[i], item, `${path}[${i}]`));
  }
  if (expected === null || typeof expected !== 'object') return [];
  if (actual === null || typeof actual !== 'object') return actual === undefined ? [path] : [];
  return Object.entries(expected).flatMap(([k, v]) =>
    actual[k] === undefined ? [`${path}.${k}`] : missingKeys(actual[k], v, `${path}.${k}`),
  );
}

function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const resp = err.getResponse?.();
  const detail = resp && typeof resp === 'object' && resp.message ? ` (${resp.message})` : '';
  return `${err.name}: ${err.message}${detail && !err.message.includes(resp.message) ? detail : ''}`;
}

// ─────────────────────────────────────────────────────────────────────────────
// Main
// ─────────────────────────────────────────────────────────────────────────────

async function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const verbose = argv.includes('--verbose');
  if (args.length !== 1) usage(args.length ? 'exactly one spec path expected' : 'the OpenAPI spec path is required');
  const spec = resolve(process.cwd(), args[0]);
  if (!existsSync(spec)) usage(`no such file: ${spec}`);

  ensureBuild();
  const fixtures = JSON.parse(readFileSync(FIXTURES_PATH, 'utf8'));
  const fixtureByName = new Map(fixtures.map((f) => [f.name, f]));

  console.log(`contract: starting Prism on ${spec}`);
  const prism = await startPrism(spec);
  const authUrl = await startOAuthStub();
  const proxy = await startRecordingProxy(prism.port);

  await import('reflect-metadata');
  const lib = await import(pathToFileURL(join(ROOT, 'dist/index.js')).href);
  const { instanceToPlain } = await import('class-transformer');
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');

  class ContractModule {}
  Module({
    imports: [
      lib.TwitchModule.forRoot({
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        helixUrl: proxy.url,
        authUrl,
        rateLimit: { enabled: false },
        retry: { maxRetries: 0 },
        timeout: REQUEST_TIMEOUT_MS,
      }),
    ],
  })(ContractModule);
  const app = await NestFactory.createApplicationContext(ContractModule, { logger: false });
  cleanups.push(() => app.close());
  const api = app.get(lib.TwitchApiService);

  // The binding (endpoint, params class, response DTO) behind every service method.
  const capture = new lib.TwitchApiNamespaces({ call: (binding) => binding, iterate: (binding) => binding });

  const endpoints = lib.TWITCH_ENDPOINTS;
  const results = [];
  for (const endpoint of endpoints) {
    const r = await checkOperation({
      endpoint,
      fixture: fixtureByName.get(endpoint.name),
      prism,
      proxy,
      api,
      capture,
      instanceToPlain,
    });
    results.push(r);
    if (verbose)
      console.log(`  ${r.problems.length ? 'FAIL' : 'ok  '} ${endpoint.name}${r.known.length ? ' (known disagreement)' : ''}`);
  }

  // Report.
  const failures = results.filter((r) => r.problems.length);
  const knowns = results.filter((r) => r.known.length);
  const exampleDefects = results.filter((r) => r.exampleDefects.length);
  if (failures.length) {
    console.log('\nFailures:');
    printTable(
      ['operation', 'check', 'detail'],
      failures.flatMap((r) => r.problems.map((p) => [r.name, p.check, p.detail])),
    );
  }
  if (knowns.length) {
    console.log('\nKnown Prism/spec disagreements on requests (not failures):');
    printTable(
      ['operation', 'Prism says', 'why Prism/the spec is wrong'],
      knowns.flatMap((r) => dedupe(r.known).map((k) => [r.name, k.detail, k.why])),
    );
  }
  if (exampleDefects.length) {
    console.log(
      `\nKnown Prism/spec disagreements on answers (not failures): Prism validates the answer it mocks, and for these\n` +
        `operations the spec's own documented example (Twitch's example, which Prism returns) breaks the spec's response\n` +
        `schema: the schema under-declares nullable/empty fields, types or optional keys (see scripts/helix-overrides.json).\n` +
        `The library mapped each of these answers without losing a key.`,
    );
    printTable(
      ['operation', 'where the example breaks the spec schema'],
      exampleDefects.flatMap((r) => r.exampleDefects.map((d) => [r.name, d])),
    );
  }
  const total = endpoints.length;
  const accepted = results.filter((r) => r.accepted).length;
  const mapped = results.filter((r) => r.mapped).length;
  const sentAsDocumented = results.filter((r) => r.fixture && !r.problems.some((p) => p.check === 'sent')).length;
  const notes = [];
  if (knowns.length) notes.push(`${knowns.length} known Prism/spec disagreement${knowns.length > 1 ? 's' : ''} on requests`);
  if (exampleDefects.length) notes.push(`${exampleDefects.length} spec examples that break the spec's response schema`);
  console.log(
    `\nPrism accepted ${accepted}/${total} requests (${sentAsDocumented}/${total} sent by the library exactly as documented); ` +
      `${mapped}/${total} responses mapped cleanly` +
      (notes.length ? ` (known Prism/spec disagreements, listed above: ${notes.join('; ')})` : ''),
  );
  return failures.length ? 1 : 0;
}

/** Violations split by where Prism found them: the request, or its own mocked answer. */
function splitViolations(list) {
  return {
    request: list.filter((v) => v.location[0] !== 'response'),
    response: list.filter((v) => v.location[0] === 'response'),
  };
}

/** Runs the three checks of one operation. */
async function checkOperation({ endpoint, fixture, prism, proxy, api, capture, instanceToPlain }) {
  const r = {
    name: endpoint.name,
    fixture: !!fixture,
    problems: [],
    known: [],
    exampleDefects: [],
    accepted: false,
    mapped: false,
  };
  if (!fixture) {
    r.problems.push({ check: 'fixture', detail: 'no fixture in test/contract/fixtures.generated.json' });
    return r;
  }
  const known = KNOWN_DISAGREEMENTS.filter((k) => k.operation === endpoint.name);
  /** Request violations not explained by a known disagreement (those are recorded in r.known). */
  const unexplained = (violations) =>
    violations.filter((v) => {
      const k = known.find((d) => d.violation.test(v.text));
      if (!k) return true;
      if (!r.known.some((x) => x.detail === v.text)) r.known.push({ detail: v.text, why: k.why });
      return false;
    });

  // 1. Prism accepts the documented wire form, sent directly.
  const direct = await sendDirect(prism.url, endpoint, fixture);
  const { request: directRequest, response: directResponse } = splitViolations(direct.violations);
  r.exampleDefects = directResponse.map((v) => `${v.location.slice(2).join('.') || '(body)'}: ${v.message}`);
  const directLeft = unexplained(directRequest);
  if (direct.error) r.problems.push({ check: 'accepted', detail: `request failed: ${direct.error}` });
  else if (directLeft.length)
    r.problems.push({ check: 'accepted', detail: `${direct.status}: ${directLeft.map((v) => v.text).join('; ')}` });
  else if (!directRequest.length && direct.status !== endpoint.successStatus)
    r.problems.push({ check: 'accepted', detail: `status ${direct.status}; the catalog documents ${endpoint.successStatus}` });
  r.accepted = r.problems.length === 0 && directRequest.length === 0;

  // 2. The library call: what it sends ...
  const binding = capture[endpoint.namespace]?.[endpoint.methodName]?.({});
  const method = api[endpoint.namespace]?.[endpoint.methodName];
  if (!binding || typeof method !== 'function') {
    r.problems.push({ check: 'mapped', detail: `no method ${endpoint.namespace}.${endpoint.methodName} on TwitchApiService` });
    return r;
  }
  const options = endpoint.auth === 'user' || endpoint.auth === 'jwt' ? { accessToken: USER_TOKEN } : {};
  const before = proxy.log.length;
  let result;
  let error;
  try {
    result = await method.call(api[endpoint.namespace], fixture.params, options);
  } catch (err) {
    error = err;
  }
  const sent = proxy.log.slice(before);
  const entry = sent.length === 1 ? sent[0] : undefined;
  let libraryRequestExcused = false;
  if (!entry) {
    r.problems.push({ check: 'sent', detail: `${sent.length} requests reached Prism, expected 1` });
  } else {
    const diffs = wireDifferences(entry, fixture);
    if (diffs.length) r.problems.push({ check: 'sent', detail: diffs.join('; ') });
    const token = endpoint.auth === 'user' || endpoint.auth === 'jwt' ? USER_TOKEN : APP_TOKEN;
    if (endpoint.auth === 'none') {
      if (entry.headers.authorization) r.problems.push({ check: 'sent', detail: 'sent Authorization to a public endpoint' });
    } else {
      if (entry.headers['client-id'] !== CLIENT_ID)
        r.problems.push({ check: 'sent', detail: `Client-Id ${entry.headers['client-id']}` });
      if (entry.headers.authorization !== `Bearer ${token}`)
        r.problems.push({ check: 'sent', detail: `Authorization ${entry.headers.authorization}` });
    }
    const { request: libRequest } = splitViolations(parseViolations(entry.violations));
    const left = unexplained(libRequest);
    if (left.length)
      r.problems.push({ check: 'sent', detail: `Prism refused the library's request: ${left.map((v) => v.text).join('; ')}` });
    libraryRequestExcused = libRequest.length > 0 && left.length === 0;
  }

  // 3. ... and what it returns.
  if (error) {
    // A request Prism refuses for a known spec bug cannot be mapped; that is reported with the disagreement.
    if (!libraryRequestExcused) r.problems.push({ check: 'mapped', detail: describeError(error) });
    return r;
  }
  if (endpoint.successStatus === 204) {
    if (result !== undefined)
      r.problems.push({ check: 'mapped', detail: `204 resolved to ${typeof result}, expected undefined` });
  } else if (binding.text) {
    if (typeof result !== 'string' || !result)
      r.problems.push({ check: 'mapped', detail: `expected the iCalendar text, got ${typeof result}` });
  } else if (!binding.response || !(result instanceof binding.response)) {
    r.problems.push({ check: 'mapped', detail: `not an instance of ${binding.response?.name ?? '(no DTO class)'}` });
  } else {
    let raw;
    try {
      raw = JSON.parse(entry?.responseBody ?? '');
    } catch {
      raw = undefined;
    }
    if (raw === undefined) r.problems.push({ check: 'mapped', detail: 'Prism sent no JSON answer' });
    const lost = raw === undefined ? [] : missingKeys(instanceToPlain(result), raw);
    if (lost.length)
      r.problems.push({
        check: 'mapped',
        detail: `keys of Prism's answer lost: ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ', …' : ''}`,
      });
  }
  r.mapped = !r.problems.some((p) => p.check === 'mapped');
  return r;
}

function dedupe(list) {
  const seen = new Set();
  return list.filter((k) => {
    const key = `${k.detail}|${k.why}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function printTable(head, rows) {
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => String(r[i]).length))));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? String(c) : String(c).padEnd(widths[i]))).join('  ');
  console.log(line(head));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
}

let code = 1;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  console.error(`contract: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
