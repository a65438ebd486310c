// The clients the bench compares. Each factory returns the same small interface:
//   users()          Get Users for one user id (returns the user's login)
//   streams()        Get Streams, 100 items (returns the item count)
//   paginate(max)    iterate Get Streams 100 per page until `max` items (returns the count)
//   close()
// Every client parses the JSON it receives; the floors do nothing more.
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const USER_ID = '1000';

/** The module: a Nest application context with TwitchModule, calls through TwitchApiService. */
async function moduleClient(cfg, fake) {
  await import('reflect-metadata');
  const twitch = await import(pathToFileURL(`${cfg.lib}/index.js`).href);
  const { NestFactory } = await import('@nestjs/core');
  const { Module } = await import('@nestjs/common');
  const custom = cfg.cacheManager ? await tunedCache(cfg) : undefined;
  const options = {
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    helixUrl: fake.helixUrl,
    authUrl: fake.authUrl,
    keyPrefix:
      cfg.keyPrefix ??
      `${process.env.BENCH_KEY_PREFIX ?? 'bench:'}${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`,
    ...(cfg.redisUrl ? { redis: { url: cfg.redisUrl } } : {}),
    ...(cfg.moduleOptions ?? {}),
    ...(custom ? { cache: { manager: custom.manager } } : {}),
  };
  class BenchModule {}
  Module({ imports: [twitch.TwitchModule.forRoot(options)] })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const api = app.get(twitch.TwitchApiService);
  const reqOptions = cfg.cacheTtl ? { cacheTtl: cfg.cacheTtl } : undefined;
  return {
    api,
    users: async () => (await api.users.getUsers({ id: [USER_ID] }, reqOptions)).data[0].login,
    streams: async () => (await api.streams.getStreams({ first: 100 }, reqOptions)).data.length,
    paginate: async (max) => {
      let n = 0;
      for await (const s of api.streams.getStreamsPaginated({ first: 100 })) {
        if (!s.id) throw new Error('bad item');
        if (++n >= max) break;
      }
      return n;
    },
    close: async () => {
      await app.close();
      await custom?.close();
    },
  };
}

/**
 * A cache-manager Cache passed as `cache.manager` (a public option), to show what the module's own
 * cache would cost with another serialization: `memory-raw` keeps answers as objects (no
 * serialization: safe, since the DTO mapper copies every array and object), `redis-json` stores
 * them in Redis with the native JSON.stringify/JSON.parse instead of Keyv's default serializer.
 */
async function tunedCache(cfg) {
  const { createCache } = await import('cache-manager');
  const { Keyv } = await import('keyv');
  if (cfg.cacheManager === 'memory-raw') {
    const manager = createCache({ stores: [new Keyv({ serialize: undefined, deserialize: undefined })] });
    return { manager, close: () => manager.disconnect() };
  }
  const { default: KeyvRedis } = await import('@keyv/redis');
  const store = new KeyvRedis(cfg.redisUrl);
  const keyv = new Keyv({ store, namespace: `bench-cache-${process.pid}`, serialize: JSON.stringify, deserialize: JSON.parse });
  const manager = createCache({ stores: [keyv] });
  return { manager, close: () => manager.disconnect() };
}

/** twurple's ApiClient (8.2), pointed at the fake through TWURPLE_MOCK_API_PORT. */
async function twurpleClient(cfg, fake) {
  process.env.TWURPLE_MOCK_API_PORT = String(fake.port);
  const { ApiClient } = await import('@twurple/api');
  const { AppTokenAuthProvider } = await import('@twurple/auth');
  // Client credentials against the fake's /oauth2/token, like the module's own app token.
  const api = new ApiClient({ authProvider: new AppTokenAuthProvider(fake.clientId, fake.clientSecret) });
  return {
    users: async () => (await api.users.getUserById(USER_ID)).name,
    streams: async () => (await api.streams.getStreams({ limit: 100 })).data.length,
    paginate: async (max) => {
      let n = 0;
      for await (const s of api.streams.getStreamsPaginated()) {
        if (!s.id) throw new Error('bad item');
        if (++n >= max) break;
      }
      return n;
    },
    close: async () => undefined,
  };
}

function helixHeaders(fake) {
  return { 'Client-Id': fake.clientId, Authorization: `Bearer ${fake.token}`, Accept: 'application/json' };
}

/** The floor: node:http with a keep-alive agent, JSON.parse of the body. */
async function nodeHttpClient(cfg, fake) {
  const agent = new http.Agent({ keepAlive: true });
  const { hostname, port } = new URL(fake.url);
  const headers = helixHeaders(fake);
  const get = (path) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: hostname, port, path: `/helix${path}`, headers, agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
          try {
            resolve(JSON.parse(chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString()));
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  return rawClient(get, () => agent.destroy());
}

/** undici.request on a keep-alive Agent, body.json(). */
async function undiciClient(cfg, fake) {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
  const headers = helixHeaders(fake);
  const base = fake.helixUrl;
  const get = async (path) => {
    const res = await request(base + path, { headers, dispatcher });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`status ${res.statusCode}`);
    }
    return res.body.json();
  };
  return rawClient(get, () => dispatcher.close());
}

/** Plain axios with node:http keep-alive agents (axios' own http adapter). */
async function axiosClient(cfg, fake) {
  const { default: axios } = await import('axios');
  const instance = axios.create({
    baseURL: fake.helixUrl,
    headers: helixHeaders(fake),
    httpAgent: new http.Agent({ keepAlive: true }),
  });
  const get = async (path) => (await instance.get(path)).data;
  return rawClient(get, () => instance.defaults.httpAgent.destroy());
}

/** Plain axios on the module's undici adapter: what the module's transport costs without its pipeline. */
async function axiosUndiciClient(cfg, fake) {
  const { default: axios } = await import('axios');
  const { createTwitchDispatcher, createTwitchUndiciAdapter } = await import(
    pathToFileURL(`${cfg.lib}/http/twitch-undici.adapter.js`).href
  );
  const dispatcher = createTwitchDispatcher();
  const instance = axios.create({
    baseURL: fake.helixUrl,
    headers: helixHeaders(fake),
    adapter: createTwitchUndiciAdapter(dispatcher),
  });
  const get = async (path) => (await instance.get(path)).data;
  return rawClient(get, () => dispatcher.destroy());
}

/** The module's undici adapter called directly, without axios (JSON.parse of the text it returns). */
async function adapterClient(cfg, fake) {
  const { createTwitchDispatcher, createTwitchUndiciAdapter } = await import(
    pathToFileURL(`${cfg.lib}/http/twitch-undici.adapter.js`).href
  );
  const dispatcher = createTwitchDispatcher();
  const adapter = createTwitchUndiciAdapter(dispatcher);
  const headers = helixHeaders(fake);
  const get = async (path) => {
    const res = await adapter({
      url: fake.helixUrl + path,
      method: 'get',
      headers,
      timeout: 10_000,
      validateStatus: (s) => s >= 200 && s < 300,
    });
    return JSON.parse(res.data);
  };
  return rawClient(get, () => dispatcher.destroy());
}

function rawClient(get, close) {
  return {
    users: async () => (await get(`/users?id=${USER_ID}`)).data[0].login,
    streams: async () => (await get('/streams?first=100')).data.length,
    paginate: async (max) => {
      let n = 0;
      let after = '';
      for (;;) {
        const page = await get(`/streams?first=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        n += page.data.length;
        after = page.pagination?.cursor;
        if (!after || n >= max) return n;
      }
    },
    close: async () => close(),
  };
}

export const CLIENTS = {
  module: moduleClient,
  twurple: twurpleClient,
  'node:http': nodeHttpClient,
  undici: undiciClient,
  axios: axiosClient,
  // Not in the default set (--clients to add them): the module's transport alone.
  'axios+undici-adapter': axiosUndiciClient,
  'undici-adapter': adapterClient,
};
