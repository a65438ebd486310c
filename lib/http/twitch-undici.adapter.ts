import { Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import axios, { type AxiosAdapter, AxiosError, type AxiosResponse, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { Agent, type Dispatcher, EnvHttpProxyAgent, util as undiciUtil } from 'undici';

/** What `AxiosResponse.request` and `AxiosError.request` hold for a request sent by this adapter (never its headers). */
export interface TwitchUndiciRequest {
  readonly adapter: 'undici';
  readonly method: string;
  readonly url: string;
}

export interface TwitchDispatcherOptions {
  /** How long an idle keep-alive connection is kept (ms). Default 30 s (or less if the server says so). */
  keepAliveTimeout?: number;
  /** Connections per origin; unlimited by default. */
  connections?: number;
  /** Longest wait for a TCP connection (and its TLS handshake), ms. Default 10 s (undici's). */
  connectTimeout?: number;
}

/**
 * The dispatcher the module sends with: an undici `Agent` (a keep-alive `Pool` per origin), or an
 * `EnvHttpProxyAgent` when `HTTP_PROXY`/`HTTPS_PROXY` is set (axios' own adapter honoured those too).
 */
export function createTwitchDispatcher(options: TwitchDispatcherOptions = {}): Dispatcher {
  const opts = {
    keepAliveTimeout: options.keepAliveTimeout ?? 30_000,
    connections: options.connections ?? null,
    ...(options.connectTimeout !== undefined ? { connect: { timeout: options.connectTimeout } } : {}),
  };
  const env = process.env;
  const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  return proxied ? new EnvHttpProxyAgent(opts) : new Agent(opts);
}

/**
 * An axios adapter that sends on an undici dispatcher. axios keeps doing everything else (config
 * merging, interceptors, `transformRequest`/`transformResponse`, JSON parsing); this replaces only
 * the transport, which with axios' own http adapter (node:http + follow-redirects + proxy lookup)
 * costs about three times a bare request.
 *
 * Honoured: `baseURL`/`url`/`params`/`paramsSerializer`, `method`, `headers`, `auth`, `data`
 * (strings, buffers, `URLSearchParams`, streams; objects as JSON), `timeout`/`timeoutErrorMessage`/
 * `transitional.clarifyTimeoutError`, `signal` and `cancelToken`, `responseType` (`json`, `text`,
 * `arraybuffer`, `stream` (buffered)), `responseEncoding`, `decompress` (gzip, deflate, br: streamed,
 * off the event loop), `maxContentLength` (the body's size both as received and decompressed: the
 * request is stopped as soon as either passes it), `validateStatus`. Not followed: redirects (a 3xx is
 * returned as it is) and per-request agents and proxies (the dispatcher decides).
 *
 * Errors are `AxiosError`s like axios' own: `ECONNABORTED` (or `ETIMEDOUT`) on timeout,
 * `CanceledError` on abort, the socket's code (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_CONNECT_TIMEOUT`,
 * ...) on network failures, and `ERR_BAD_REQUEST`/`ERR_BAD_RESPONSE` with `response` set when
 * `validateStatus` refuses. A body that passes `maxContentLength` or cannot be decompressed is an
 * `ERR_BAD_RESPONSE` whose `response` has the status and headers but no `data`.
 */
export function createTwitchUndiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return (config) => send(dispatcher, config);
}

type Resolve = (value: AxiosResponse) => void;
type Reject = (reason: unknown) => void;

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

function send(dispatcher: Dispatcher, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  return new Promise<AxiosResponse>((resolve, reject) => {
    let request: TwitchUndiciRequest;
    let options: Dispatcher.DispatchOptions;
    try {
      const full = fullUrl(config);
      const target = splitUrl(full);
      const method = (config.method ?? 'get').toUpperCase();
      request = { adapter: 'undici', method, url: full };
      options = {
        origin: target.origin,
        path: target.path,
        method: method as Dispatcher.HttpMethod,
        headers: requestHeaders(config, target.auth),
        body: requestBody(config),
      };
    } catch (err) {
      reject(AxiosError.from(err as Error, AxiosError.ERR_BAD_OPTION_VALUE, config));
      return;
    }
    new UndiciCall(config, request, resolve, reject).start(dispatcher, options);
  });
}

/**
 * One request: an undici dispatch handler (the callback interface undici's own `request` is built
 * on) that buffers the body and settles the axios promise once.
 */
class UndiciCall {
  private abortFn?: (reason: Error) => void;
  private abortReason?: Error;
  private settled = false;
  private timer?: NodeJS.Timeout;
  private status = 0;
  private statusText = '';
  private headers: Record<string, string | string[]> = {};
  private chunks: Buffer[] = [];
  /** Bytes received. */
  private received = 0;
  /** Bytes of the body (after decompression). */
  private size = 0;
  /** Decompresses the body as it arrives, when it is encoded. */
  private inflater?: Transform;
  private encoding?: string;
  private onAbortSignal?: () => void;
  private unsubscribeToken?: () => void;

  constructor(
    private readonly config: InternalAxiosRequestConfig,
    private readonly request: TwitchUndiciRequest,
    private readonly resolve: Resolve,
    private readonly reject: Reject,
  ) {}

  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    const { config } = this;
    const signal = config.signal as AbortSignal | undefined;
    if (signal?.aborted) return this.cancel();
    if (signal?.addEventListener) {
      this.onAbortSignal = () => this.cancel();
      signal.addEventListener('abort', this.onAbortSignal, { once: true });
    }
    if (config.cancelToken) {
      const token = config.cancelToken;
      const listener = () => this.cancel();
      token.subscribe(listener);
      this.unsubscribeToken = () => token.unsubscribe(listener);
      if (this.settled) return; // the token was already cancelled
    }
    const timeout = config.timeout;
    if (timeout && timeout > 0) this.timer = setTimeout(() => this.onTimeout(), timeout);
    dispatcher.dispatch(options, this as unknown as Dispatcher.DispatchHandler);
  }

  // ---- undici's dispatch handler ------------------------------------------------------------------

  onConnect(abort: (reason: Error) => void): void {
    if (this.abortReason) abort(this.abortReason);
    else this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: the final answer follows.
    this.status = statusCode;
    this.statusText = statusText;
    this.headers = responseHeaders(this.config, rawHeaders);
    const encoding = this.headers['content-encoding'];
    if (this.config.decompress !== false && typeof encoding === 'string' && inflaterFor(encoding)) this.encoding = encoding;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.received += chunk.length;
    if (this.tooLarge(this.received)) return false;
    if (this.encoding) {
      if (!this.inflater) this.startInflater(this.encoding);
      this.inflater!.write(chunk);
      return true;
    }
    this.size += chunk.length;
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    if (this.inflater) {
      // Settles on the inflater's 'end' (or its error).
      this.inflater.end();
      return;
    }
    this.complete();
  }

  /** The body is whole (and decompressed): settle with the response, or with `validateStatus`'s refusal. */
  private complete(): void {
    if (this.settled) return;
    if (this.inflater) {
      delete this.headers['content-encoding'];
      delete this.headers['content-length'];
      this.inflater = undefined;
    }
    let response: AxiosResponse;
    try {
      const data = this.body();
      response = {
        data,
        status: this.status,
        statusText: this.statusText,
        headers: this.headers as AxiosResponse['headers'],
        config: this.config,
        request: this.request,
      };
    } catch (err) {
      this.fail(AxiosError.from(err as Error, AxiosError.ERR_BAD_RESPONSE, this.config, this.request, this.bodiless()));
      return;
    }
    const validate = this.config.validateStatus;
    if (!response.status || !validate || validate(response.status)) {
      this.finish();
      this.resolve(response);
    } else {
      const code = response.status >= 400 && response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE;
      this.fail(new AxiosError(`Request failed with status code ${response.status}`, code, this.config, this.request, response));
    }
  }

  /** Stops the request once the body passes `maxContentLength` (received or decompressed). */
  private tooLarge(size: number): boolean {
    const max = this.config.maxContentLength;
    if (max === undefined || max < 0 || size <= max) return false;
    const message = `maxContentLength size of ${max} exceeded`;
    this.abort(new AxiosError(message, AxiosError.ERR_BAD_RESPONSE, this.config, this.request, this.bodiless()));
    return true;
  }

  private startInflater(encoding: string): void {
    const inflater = inflaterFor(encoding)!();
    this.inflater = inflater;
    inflater.on('data', (out: Buffer) => {
      if (this.settled) return;
      this.size += out.length;
      if (this.tooLarge(this.size)) return;
      this.chunks.push(out);
    });
    inflater.on('error', (err: Error) => {
      const message = `the body could not be decoded as ${encoding.trim()}: ${err.message}`;
      this.abort(new AxiosError(message, AxiosError.ERR_BAD_RESPONSE, this.config, this.request, this.bodiless()));
    });
    inflater.on('end', () => this.complete());
  }

  /** The response without its body: what body errors carry, so the caller sees Twitch's status and headers. */
  private bodiless(): AxiosResponse | undefined {
    if (!this.status) return undefined;
    return {
      data: undefined,
      status: this.status,
      statusText: this.statusText,
      headers: this.headers as AxiosResponse['headers'],
      config: this.config,
      request: this.request,
    };
  }

  onError(err: Error & { code?: string; cause?: { code?: string } }): void {
    if (this.settled) return;
    if (err instanceof AxiosError) return this.fail(err);
    const error = AxiosError.from(err, networkCode(err), this.config, this.request);
    this.fail(error);
  }

  onBodySent(): void {}

  // ---- settling -----------------------------------------------------------------------------------

  private body(): unknown {
    const { config } = this;
    const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    switch (config.responseType) {
      case 'arraybuffer':
        return buf;
      case 'stream':
        return Readable.from([buf]);
      default: {
        const enc = (config.responseEncoding ?? 'utf8') as BufferEncoding;
        const text = buf.toString(enc);
        return enc === 'utf8' && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      }
    }
  }

  private onTimeout(): void {
    this.timer = undefined;
    const { config } = this;
    const message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
    const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
    this.abort(new AxiosError(message, code, config, this.request));
  }

  private cancel(): void {
    this.abort(new CanceledError(undefined, this.config, this.request));
  }

  /** Settles with `error` now and stops the request (now, or as soon as undici hands over its abort). */
  private abort(error: AxiosError): void {
    if (this.settled) return;
    this.fail(error);
    if (this.abortFn) this.abortFn(error);
    else this.abortReason = error;
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.finish();
    this.reject(error);
  }

  private finish(): void {
    this.settled = true;
    this.chunks = [];
    if (this.inflater) {
      this.inflater.removeAllListeners('data');
      this.inflater.on('error', () => undefined);
      this.inflater.destroy();
      this.inflater = undefined;
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.onAbortSignal) (this.config.signal as AbortSignal).removeEventListener('abort', this.onAbortSignal);
    this.unsubscribeToken?.();
  }
}

/**
 * The response headers, names in lower case, repeated headers as lists and set-cookie always a list
 * (as node:http gives them to axios' own adapter), in an `AxiosHeaders` of the axios copy that sent
 * the request (what axios' adapter returns), filled directly: axios would otherwise build it twice
 * more, header by header.
 */
function responseHeaders(config: InternalAxiosRequestConfig, raw: Buffer[]): Record<string, string | string[]> {
  const Headers = (config.headers as unknown as { constructor?: { from?: unknown; new (): object } } | undefined)?.constructor;
  const out = (Headers && typeof Headers.from === 'function' ? new Headers() : {}) as Record<string, string | string[]>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = undiciUtil.headerNameToString(raw[i]);
    const value = raw[i + 1].toString('latin1');
    if (!Object.prototype.hasOwnProperty.call(out, name)) {
      const v = name === 'set-cookie' ? [value] : value;
      if (name === '__proto__')
        Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
      else out[name] = v;
    } else {
      const prev = out[name];
      if (Array.isArray(prev)) prev.push(value);
      else out[name] = [prev, value];
    }
  }
  return out;
}

// ---- request building -------------------------------------------------------------------------------

function fullUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  const base = config.baseURL;
  let full =
    base && (!ABSOLUTE_URL.test(url) || config.allowAbsoluteUrls === false)
      ? url
        ? `${base.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}`
        : base
      : url;
  const params = config.params;
  if (!params) return full;
  const serializer = config.paramsSerializer;
  const serialize = typeof serializer === 'function' ? serializer : serializer?.serialize;
  // Without a serializer of its own, axios' default encoding (brackets, nested objects, `encode`).
  if (!serialize) return axios.getUri({ url: full, params, paramsSerializer: serializer as never });
  const query = serialize(params, serializer as never);
  if (!query) return full;
  const hash = full.indexOf('#');
  if (hash !== -1) full = full.slice(0, hash);
  return full + (full.includes('?') ? '&' : '?') + query;
}

function requestHeaders(
  config: InternalAxiosRequestConfig,
  urlAuth: { username: string; password: string } | undefined,
): string[] {
  const flat: string[] = [];
  // AxiosHeaders keeps each header as an own property (what its toJSON() reads).
  const all = (config.headers ?? {}) as unknown as Record<string, unknown>;
  let hasAuth = false;
  let hasType = false;
  for (const name of Object.keys(all)) {
    const value = all[name];
    if (value === undefined || value === null || value === false || typeof value === 'function') continue;
    if (name.length === 13 && !hasAuth && name.toLowerCase() === 'authorization') hasAuth = true;
    else if (name.length === 12 && !hasType && name.toLowerCase() === 'content-type') hasType = true;
    flat.push(name, Array.isArray(value) ? value.join(', ') : String(value));
  }
  const auth = config.auth ?? urlAuth;
  if (auth && !hasAuth) {
    flat.push('authorization', `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`);
  }
  const data = config.data;
  if (!hasType && (data instanceof URLSearchParams || isPlainObject(data))) {
    flat.push(
      'content-type',
      data instanceof URLSearchParams ? 'application/x-www-form-urlencoded;charset=utf-8' : 'application/json',
    );
  }
  return flat;
}

/** Plain http(s) URLs of printable ASCII without credentials: split without the cost of `new URL()`. */
const SIMPLE_URL = /^(https?):\/\/([A-Za-z0-9.-]+(?::\d{1,5})?)(\/[\x21-\x22\x24-\x7e]*)?$/;

function splitUrl(full: string): { origin: string; path: string; auth?: { username: string; password: string } } {
  const m = SIMPLE_URL.exec(full);
  if (m) return { origin: `${m[1]}://${m[2].toLowerCase()}`, path: m[3] ?? '/' };
  const url = new URL(full);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Unsupported protocol ${url.protocol}`);
  const auth =
    url.username || url.password
      ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
      : undefined;
  return { origin: url.origin, path: url.pathname + url.search, auth };
}

function requestBody(config: InternalAxiosRequestConfig): Dispatcher.DispatchOptions['body'] {
  const data = config.data;
  if (data === undefined || data === null) return null;
  if (typeof data === 'string' || Buffer.isBuffer(data) || data instanceof Uint8Array || data instanceof Readable) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof URLSearchParams) return data.toString();
  if (typeof (data as { pipe?: unknown }).pipe === 'function') return data as Readable;
  // transformRequest was removed or left an object: send it as JSON, like axios would.
  return JSON.stringify(data);
}

function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A streaming decoder for a `Content-Encoding` the adapter decodes (undefined for others: the body is kept as it is). */
function inflaterFor(encoding: string): (() => Transform) | undefined {
  switch (encoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip;
    case 'deflate':
      return createInflate;
    case 'br':
      return createBrotliDecompress;
    default:
      return undefined;
  }
}

/** The code an `AxiosError` gets for a network failure: the socket's own code where undici wraps it. */
function networkCode(err: Error & { code?: string; cause?: { code?: string } }): string | undefined {
  if (err.cause?.code) return err.cause.code;
  // "other side closed": what node:http calls a socket hang up.
  if (err.code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return err.code;
}
