import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import axios, { AxiosError, AxiosHeaders, type AxiosInstance, isCancel } from 'axios';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTwitchDispatcher, createTwitchUndiciAdapter } from './twitch-undici.adapter.js';

/** A small server whose routes exercise the adapter. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://local');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case '/json':
        return json(200, { ok: true, n: 1 }, { 'Ratelimit-Remaining': '799', 'Set-Cookie': 'a=1' });
      case '/echo':
        return json(200, { method: req.method, path: req.url, headers: req.headers, body });
      case '/text':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end('\ufeffhello');
      case '/status':
        return json(Number(url.searchParams.get('code')), {
          error: 'nope',
          status: Number(url.searchParams.get('code')),
          message: 'bad',
        });
      case '/empty':
        res.writeHead(204);
        return void res.end();
      case '/slow':
        return void setTimeout(() => json(200, { late: true }), Number(url.searchParams.get('ms') ?? 1_000));
      case '/drop':
        return void req.socket.destroy();
      case '/gzip':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        return void res.end(gzipSync(JSON.stringify({ zipped: true })));
      case '/bomb':
        // 20 MB of zeros, about 20 KB compressed.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
        return void res.end(gzipSync(Buffer.alloc(20 << 20)));
      case '/corrupt':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Ratelimit-Remaining': '7' });
        return void res.end(Buffer.concat([gzipSync('{"a":1}').subarray(0, 10), Buffer.from('garbage')]));
      case '/deflate':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' });
        return void res.end(deflateSync(JSON.stringify({ deflated: true })));
      case '/br':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'br' });
        return void res.end(brotliCompressSync(JSON.stringify({ brotli: true })));
      case '/empty-gzip':
        res.writeHead(204, { 'Content-Encoding': 'gzip' });
        return void res.end();
      case '/big':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('x'.repeat(10_000));
      case '/redirect':
        res.writeHead(302, { Location: '/json' });
        return void res.end();
      default:
        return json(404, { error: 'Not Found' });
    }
  });
}

describe('createTwitchUndiciAdapter', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();
  let connections = 0;
  let dispatcher: Dispatcher;
  let http: AxiosInstance;

  beforeAll(async () => {
    server = createServer(handler);
    server.on('connection', (s: Socket) => {
      connections++;
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dispatcher = createTwitchDispatcher();
    http = axios.create({ baseURL: base, adapter: createTwitchUndiciAdapter(dispatcher) });
  });

  afterAll(async () => {
    await dispatcher.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a GET and returns an AxiosResponse with parsed JSON and the response headers', async () => {
    const res = await http.get('/json');
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.data).toEqual({ ok: true, n: 1 });
    expect(res.headers).toBeInstanceOf(AxiosHeaders);
    expect(res.headers['ratelimit-remaining']).toBe('799');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['set-cookie']).toEqual(['a=1']);
    expect(res.request).toEqual({ adapter: 'undici', method: 'GET', url: `${base}/json` });
    expect(res.config.url).toBe('/json');
  });

  it('builds the URL from baseURL, url and params (custom serializer or axios-style default)', async () => {
    const custom = await http.get('/echo?x=1', {
      params: { id: ['1', '2'] },
      paramsSerializer: { serialize: (p: Record<string, string[]>) => p.id.map((v) => `id=${v}`).join('&') },
    });
    expect(custom.data.path).toBe('/echo?x=1&id=1&id=2');
    const params = { a: 'b c', list: [1, 2], skip: undefined, when: new Date(0), nested: { k: 1 } };
    const standard = await http.get('/echo', { params });
    expect(standard.data.path).toBe(axios.getUri({ url: '/echo', params }));
    expect(standard.data.path).toBe('/echo?a=b+c&list%5B%5D=1&list%5B%5D=2&when=1970-01-01T00:00:00.000Z&nested%5Bk%5D=1');
    const search = await http.get('/echo', { params: new URLSearchParams({ q: 'x y' }) });
    expect(search.data.path).toBe('/echo?q=x+y');
    const absolute = await axios.get(`${base}/echo`, { adapter: createTwitchUndiciAdapter(dispatcher) });
    expect(absolute.data.path).toBe('/echo');
  });

  it('sends the headers axios holds, and Basic auth from config.auth', async () => {
    const res = await http.get('/echo', {
      headers: { 'Client-Id': 'abc', Authorization: 'Bearer t', 'X-Skip': undefined },
    });
    expect(res.data.headers['client-id']).toBe('abc');
    expect(res.data.headers.authorization).toBe('Bearer t');
    expect(res.data.headers.accept).toBe('application/json, text/plain, */*');
    expect(res.data.headers).not.toHaveProperty('x-skip');
    const basic = await http.get('/echo', { auth: { username: 'id', password: 'secret' } });
    expect(basic.data.headers.authorization).toBe(`Basic ${Buffer.from('id:secret').toString('base64')}`);
  });

  it('sends JSON, form (URLSearchParams) and buffer bodies', async () => {
    const json = await http.post('/echo', { a: 1, b: ['x'] });
    expect(json.data.method).toBe('POST');
    expect(json.data.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.data.body)).toEqual({ a: 1, b: ['x'] });

    const form = await http.post('/echo', new URLSearchParams({ grant_type: 'client_credentials', client_id: 'a b' }));
    expect(form.data.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
    expect(form.data.body).toBe('grant_type=client_credentials&client_id=a+b');

    const buffer = await http.put('/echo', Buffer.from('raw bytes'), { headers: { 'Content-Type': 'application/octet-stream' } });
    expect(buffer.data.method).toBe('PUT');
    expect(buffer.data.body).toBe('raw bytes');
    expect(buffer.data.headers['content-length']).toBe('9');

    const patch = await http.patch('/echo', 'a=1');
    expect(patch.data.headers['content-type']).toBe('application/x-www-form-urlencoded');

    const del = await http.delete('/echo');
    expect(del.data.method).toBe('DELETE');
    expect(del.data.body).toBe('');
  });

  it('honours responseType text and arraybuffer, strips a BOM, and returns 204 bodies empty', async () => {
    const text = await http.get('/text', { responseType: 'text' });
    expect(text.data).toBe('hello');
    const json = await http.get('/json', { responseType: 'text' });
    expect(json.data).toBe('{"ok":true,"n":1}');
    const bin = await http.get('/json', { responseType: 'arraybuffer' });
    expect(Buffer.isBuffer(bin.data)).toBe(true);
    expect(bin.data.toString()).toBe('{"ok":true,"n":1}');
    const empty = await http.get('/empty');
    expect(empty.status).toBe(204);
    expect(empty.data).toBe('');
  });

  it('rejects non-2xx answers with an AxiosError carrying the response, as axios does', async () => {
    const notFound = await http.get('/status?code=404').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(AxiosError);
    expect((notFound as AxiosError).code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect((notFound as AxiosError).message).toBe('Request failed with status code 404');
    expect((notFound as AxiosError).response?.status).toBe(404);
    expect((notFound as AxiosError).response?.data).toEqual({ error: 'nope', status: 404, message: 'bad' });

    const failing = await http.get('/status?code=503').catch((e: unknown) => e);
    expect((failing as AxiosError).code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect((failing as AxiosError).response?.status).toBe(503);
    expect((failing as AxiosError).response?.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('honours validateStatus', async () => {
    const res = await http.get('/status?code=404', { validateStatus: (s) => s < 500 });
    expect(res.status).toBe(404);
    const all = await http.get('/status?code=500', { validateStatus: null });
    expect(all.status).toBe(500);
  });

  it('does not follow redirects: a 3xx is an error with its response', async () => {
    const err = (await http.get('/redirect').catch((e: unknown) => e)) as AxiosError;
    expect(err.response?.status).toBe(302);
    expect(err.response?.headers.location).toBe('/json');
  });

  it('times out with ECONNABORTED (or ETIMEDOUT with clarifyTimeoutError) and drops the request', async () => {
    const before = sockets.size;
    const started = Date.now();
    const err = (await http.get('/slow?ms=2000', { timeout: 100 }).catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe('ECONNABORTED');
    expect(err.message).toBe('timeout of 100ms exceeded');
    expect(err.response).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets.size).toBeLessThanOrEqual(before);

    const clarified = (await http
      .get('/slow?ms=2000', { timeout: 50, transitional: { clarifyTimeoutError: true }, timeoutErrorMessage: 'too slow' })
      .catch((e: unknown) => e)) as AxiosError;
    expect(clarified.code).toBe('ETIMEDOUT');
    expect(clarified.message).toBe('too slow');
  });

  it('aborts on signal with a CanceledError, also before the request is sent', async () => {
    const ac = new AbortController();
    const pending = http.get('/slow?ms=2000', { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 30);
    const err = await pending;
    expect(isCancel(err)).toBe(true);
    expect((err as AxiosError).code).toBe(AxiosError.ERR_CANCELED);

    const already = new AbortController();
    already.abort();
    const early = await http.get('/json', { signal: already.signal }).catch((e: unknown) => e);
    expect(isCancel(early)).toBe(true);
  });

  it('reports network failures with the socket code and no response', async () => {
    const dropped = (await http.get('/drop').catch((e: unknown) => e)) as AxiosError;
    expect(dropped).toBeInstanceOf(AxiosError);
    expect(dropped.code).toBe('ECONNRESET');
    expect(dropped.response).toBeUndefined();

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = (await http.get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e)) as AxiosError;
    expect(refused).toBeInstanceOf(AxiosError);
    expect(refused.code).toBe('ECONNREFUSED');
    expect(refused.request).toEqual({ adapter: 'undici', method: 'GET', url: `http://127.0.0.1:${port}/x` });
  });

  it('decompresses gzip and enforces maxContentLength', async () => {
    const zipped = await http.get('/gzip');
    expect(zipped.data).toEqual({ zipped: true });
    expect(zipped.headers['content-encoding']).toBeUndefined();
    const raw = await http.get('/gzip', { decompress: false, responseType: 'arraybuffer' });
    expect((raw.data as Buffer)[0]).toBe(0x1f);

    const big = (await http.get('/big', { maxContentLength: 1_000 }).catch((e: unknown) => e)) as AxiosError;
    expect(big.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(big.message).toBe('maxContentLength size of 1000 exceeded');
  });

  it('decompresses deflate and br as streams, and leaves an empty encoded body empty', async () => {
    expect((await http.get('/deflate')).data).toEqual({ deflated: true });
    expect((await http.get('/br')).data).toEqual({ brotli: true });
    const empty = await http.get('/empty-gzip');
    expect(empty.status).toBe(204);
    expect(empty.data).toBe('');
  });

  it('applies maxContentLength to the decompressed size, stopping the inflation there', async () => {
    const err = (await http.get('/bomb', { maxContentLength: 1 << 20 }).catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(err.message).toBe(`maxContentLength size of ${1 << 20} exceeded`);
    // The status and headers of the answer, without its body.
    expect(err.response?.status).toBe(200);
    expect(err.response?.data).toBeUndefined();
    // Without a bound the same body inflates whole.
    const whole = await http.get('/bomb', { responseType: 'arraybuffer' });
    expect((whole.data as Buffer).length).toBe(20 << 20);
  });

  it("rejects a body that cannot be decompressed with ERR_BAD_RESPONSE and the answer's status", async () => {
    const err = (await http.get('/corrupt').catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(err.message).toMatch(/could not be decoded as gzip/);
    expect(err.response?.status).toBe(200);
    expect(err.response?.headers['ratelimit-remaining']).toBe('7');
  });

  it('gives up a connect after connectTimeout', async () => {
    const silent = createNetServer((s) => s.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const quick = createTwitchDispatcher({ connectTimeout: 200 });
    const started = Date.now();
    // https to a server that never answers the TLS handshake.
    const err = (await axios
      .get(`https://127.0.0.1:${port}/x`, { adapter: createTwitchUndiciAdapter(quick), timeout: 10_000 })
      .catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5_000);
    await quick.destroy();
    silent.close();
  });

  it('keeps connections alive between requests', async () => {
    const fresh = createTwitchDispatcher();
    const client = axios.create({ baseURL: base, adapter: createTwitchUndiciAdapter(fresh) });
    const before = connections;
    for (let i = 0; i < 20; i++) await client.get('/json');
    // undici's pool may open another connection while the first is still being released.
    expect(connections - before).toBeLessThanOrEqual(3);
    await fresh.destroy();
  });

  it('runs requests in parallel on a pool (no head-of-line blocking behind a slow answer)', async () => {
    const started = Date.now();
    const slow = http.get('/slow?ms=500');
    for (let i = 0; i < 10; i++) await http.get('/json');
    expect(Date.now() - started).toBeLessThan(450);
    await slow;
  });

  it('works as the adapter of an instance with interceptors (the module pipeline)', async () => {
    const client = axios.create({ baseURL: base, adapter: createTwitchUndiciAdapter(dispatcher) });
    client.interceptors.request.use(async (config) => {
      config.headers.set('Client-Id', 'from-interceptor');
      return config;
    });
    client.interceptors.response.use(async (res) => ({ ...res, data: { wrapped: res.data } }));
    const res = await client.get('/echo');
    expect(res.data.wrapped.headers['client-id']).toBe('from-interceptor');
  });
});

describe('createTwitchDispatcher', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('is a keep-alive Agent, or an EnvHttpProxyAgent when a proxy is configured', async () => {
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[k];
    const plain = createTwitchDispatcher();
    expect(plain).toBeInstanceOf(Agent);
    await plain.destroy();
    process.env.HTTPS_PROXY = 'http://127.0.0.1:1';
    const proxied = createTwitchDispatcher();
    expect(proxied).toBeInstanceOf(EnvHttpProxyAgent);
    await proxied.destroy();
  });
});
