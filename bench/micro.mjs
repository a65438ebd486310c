// Micro-benchmarks of the module's CPU-bound steps, in one process, on the built module:
//   node bench/micro.mjs [--lib-dir bench/.build]
// - DTO mapping of a Get Streams page (100 streams): class-transformer's plainToInstance vs the
//   module's mapper (mapTwitchDto, which runs the generated static fromTwitch of each class)
// - params validation: class-validator on a class-transformer instance (what checkParams does when the
//   generated quick check does not settle it) vs the module's call path up to the transport
//   (checkParams as it is now, call context, wire)
// - JSON.parse of the same page, for scale
import 'reflect-metadata';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './build.mjs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--lib-dir');
const libDir = join(ROOT, at >= 0 && argv[at + 1] ? argv[at + 1] : 'bench/.build');
// The module's internals, from the built files (the package root exports only what an application uses).
const twitch = {
  ...(await import(pathToFileURL(join(libDir, 'dto/twitch-dto.mapper.js')).href)),
  ...(await import(pathToFileURL(join(libDir, 'api/twitch-endpoint.caller.js')).href)),
  ...(await import(pathToFileURL(join(libDir, 'generated/twitch-api.namespaces.js')).href)),
  ...(await import(pathToFileURL(join(libDir, 'helix.js')).href)),
};
const { FakeTwitch } = await import(pathToFileURL(join(libDir, 'testing/index.js')).href);
const { plainToInstance } = await import('class-transformer');
const { validateSync } = await import('class-validator');

const fake = await FakeTwitch.start({ seed: { streams: 100 }, recordRequests: false });
const res = await fetch(`${fake.helixUrl}/streams?first=100`, {
  headers: { 'Client-Id': fake.clientId, Authorization: `Bearer ${fake.issueAppToken()}` },
});
const text = await res.text();
const page = JSON.parse(text);
await fake.close();

const { GetStreamsResponse, GetUsersParams } = twitch;

function time(label, fn, iterations) {
  for (let i = 0; i < Math.min(2_000, iterations); i++) fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const c = process.cpuUsage(t0);
  const us = (c.user + c.system) / iterations;
  console.log(`${label.padEnd(64)} ${us.toFixed(2).padStart(8)} µs`);
  return us;
}

console.log(`Get Streams page: ${page.data.length} streams, ${(text.length / 1024).toFixed(0)} KB`);
time('JSON.parse of the page', () => JSON.parse(text), 3_000);
const ct = time(
  'class-transformer plainToInstance(GetStreamsResponse, page)',
  () => plainToInstance(GetStreamsResponse, page, { excludeExtraneousValues: true }),
  1_000,
);
const mm = time(
  'mapTwitchDto(GetStreamsResponse, page) (the module)',
  () => twitch.mapTwitchDto(GetStreamsResponse, page),
  5_000,
);
console.log(`  -> the module's mapper is ${(ct / mm).toFixed(1)}× cheaper than class-transformer`);
const a = twitch.mapTwitchDto(GetStreamsResponse, page);
const b = plainToInstance(GetStreamsResponse, page, { excludeExtraneousValues: true });
console.log(`  same result as class-transformer: ${JSON.stringify(a) === JSON.stringify(b)}`);

const opts = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false };
time(
  'validateSync(plainToInstance(GetUsersParams, { id: [1 id] })) (class-validator)',
  () => validateSync(plainToInstance(GetUsersParams, { id: ['1000'] }), opts),
  20_000,
);

// The module's call path up to the transport: checkParams (class-validator), token check, call
// context, wire params; the stub transport answers 204 at once.
const bindings = {};
const capture = {
  call: (binding) => ((bindings[binding.endpoint.name] = binding), Promise.resolve()),
  iterate: () => (async function* () {})(),
};
const ns = new twitch.TwitchApiNamespaces(capture);
await ns.users.getUsers({});
await ns.streams.getStreams({});
const caller = new twitch.TwitchEndpointCaller({ helix: () => Promise.resolve({ status: 204, data: '' }) });
async function timeAsync(label, fn, iterations) {
  for (let i = 0; i < 2_000; i++) await fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await fn();
  const c = process.cpuUsage(t0);
  console.log(`${label.padEnd(64)} ${((c.user + c.system) / iterations).toFixed(2).padStart(8)} µs`);
}
await timeAsync(
  'module: call(Get Users, { id: [1 id] }) up to the transport',
  () => caller.call(bindings['Get Users'], { id: ['1000'] }),
  20_000,
);
await timeAsync(
  'module: call(Get Streams, { first: 100 }) up to the transport',
  () => caller.call(bindings['Get Streams'], { first: 100 }),
  20_000,
);
