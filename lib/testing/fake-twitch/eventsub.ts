/**
 * EventSub in the fake Twitch: Create / Get / Delete EventSub Subscriptions with Twitch's behaviour
 * (webhook challenge before `enabled`, 409 on duplicates, 403 without the user's scopes, cost), and
 * signed deliveries of notifications and revocations to webhook callbacks, with fault injection.
 * Reached as `fake.eventSub`.
 */
// The catalog's classes carry class-validator / class-transformer decorators, which need the polyfill.
import 'reflect-metadata';
import { createHmac, randomUUID } from 'node:crypto';
import { TWITCH_EVENTSUB_TYPES } from '../../generated/eventsub/index.js';
import { TWITCH_EVENTSUB_BATCHED_TYPES } from '../../eventsub/twitch-eventsub.catalog.js';
import { subscriptionJson } from './helix-routes.js';
import type { FakeTwitch } from './fake-twitch.js';
import type {
  FakeEventSubSubscription,
  FakeTwitchHandlerRequest,
  FakeTwitchResponse,
  FakeTwitchState,
  TokenInfo,
} from './types.js';
import { decodeCursor, isObject, paginate, twitchError } from './util.js';

/** How to deliver one emitted message (fault injection). */
export interface FakeEventSubEmitOptions {
  /** Only subscriptions of this version (default: every version of the type). */
  version?: string;
  /**
   * Only subscriptions whose condition has these values (wire names: `{ broadcaster_user_id: '1337' }`).
   * Default: subscriptions whose condition agrees with the event's fields of the same name.
   */
  condition?: Record<string, string>;
  /** Message id (default: a random UUID). With several subscriptions, each gets `<messageId>-<n>` after the first. */
  messageId?: string;
  /** Send the same message this many more times (same id, `Twitch-Eventsub-Message-Retry` counting up), as Twitch's retries do. */
  duplicates?: number;
  /** `Twitch-Eventsub-Message-Timestamp` (default: now); an old one makes a stale message. */
  timestamp?: Date | string;
  /** `bad`: a wrong signature; `missing`: no signature header; `tampered`: body changed after signing. */
  signature?: 'bad' | 'missing' | 'tampered';
  /** Wait this long (ms) before delivering. */
  delayMs?: number;
}

/** One item of a batched notification (`drop.entitlement.grant`): Twitch's `{ id, data }`. */
export interface FakeEventSubBatchItem {
  /** The item's id (default: a random UUID). */
  id?: string;
  /** The item's `data`, with Twitch's names (snake_case). */
  data: Record<string, unknown>;
}

/** One HTTP delivery the fake made to a webhook callback. */
export interface FakeEventSubDelivery {
  subscriptionId: string;
  messageId: string;
  messageType: 'notification' | 'revocation' | 'webhook_callback_verification';
  callback: string;
  /** Retry count sent in `Twitch-Eventsub-Message-Retry`. */
  retry: number;
  /** The callback's status; absent when it did not answer (see `error`). */
  status?: number;
  /** The callback's body (text). */
  body?: string;
  /** Response `Content-Type`. */
  contentType?: string;
  /** Network error or timeout. */
  error?: string;
  /** Time to the callback's answer (ms). */
  ms: number;
}

/** Statuses that keep a subscription counted against the cost (Twitch counts enabled and pending ones). */
const COUNTED = new Set(['enabled', 'webhook_callback_verification_pending']);

/** Condition keys naming the user whose authorization a type needs, in order of preference. */
const AUTHORIZING_KEYS = [
  'moderator_user_id',
  'user_id',
  'broadcaster_user_id',
  'to_broadcaster_user_id',
  'from_broadcaster_user_id',
];

/** RFC3339 with nanoseconds, as Twitch writes its timestamps. */
function nanoTimestamp(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * The fake's EventSub. Its routes take precedence over generic Helix answers. Callbacks must be `https://`,
 * or `http://` on a loopback host (127.0.0.1, localhost, ::1) so that tests and local apps can receive them.
 */
export class FakeEventSub {
  /** Every delivery made (challenges, notifications, revocations), oldest first. */
  readonly deliveries: FakeEventSubDelivery[] = [];
  /**
   * A delivery not answered within this time counts as failed (Twitch says "a few seconds").
   * @default 10000
   */
  callbackTimeoutMs = 10_000;
  /**
   * `max_total_cost` for app tokens (Twitch's webhook examples show 10000).
   * @default 10000
   */
  maxTotalCost = 10_000;
  /**
   * Consecutive failed deliveries after which a subscription becomes `notification_failures_exceeded`
   * and is revoked.
   * @default 5
   */
  failureLimit = 5;

  private readonly pending = new Set<Promise<unknown>>();
  private readonly failures = new Map<string, number>();

  /** @internal Created by {@link FakeTwitch}. */
  constructor(
    private readonly fake: FakeTwitch,
    private readonly state: FakeTwitchState,
    private readonly grantedScopes: (clientId: string, userId: string) => Set<string>,
    private readonly signal: AbortSignal,
  ) {}

  /** @internal Routes by `'METHOD /helix-path'`. */
  routes(): [string, string, (req: FakeTwitchHandlerRequest) => FakeTwitchResponse][] {
    return [
      ['POST', '/eventsub/subscriptions', (req) => this.create(req)],
      ['GET', '/eventsub/subscriptions', (req) => this.list(req)],
      ['DELETE', '/eventsub/subscriptions', (req) => this.remove(req)],
    ];
  }

  /** Subscriptions (every client and transport), oldest first. */
  subscriptions(filter: { type?: string; status?: string } = {}): FakeEventSubSubscription[] {
    return [...this.state.eventSubSubscriptions.values()].filter(
      (s) => (filter.type === undefined || s.type === filter.type) && (filter.status === undefined || s.status === filter.status),
    );
  }

  /** Set a subscription's status without telling anyone (e.g. `notification_failures_exceeded` to test re-creation). */
  setStatus(subscriptionId: string, status: string): void {
    const sub = this.state.eventSubSubscriptions.get(subscriptionId);
    if (!sub) throw new Error(`FakeTwitch: no EventSub subscription ${subscriptionId}`);
    sub.status = status;
  }

  /** Resolves when every challenge and delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /**
   * Deliver a notification of `type` to every enabled webhook subscription that matches (see
   * {@link FakeEventSubEmitOptions}), signed with each subscription's secret. `event` uses Twitch's names
   * (snake_case), e.g. the `event` of an example payload. For a batched type (`drop.entitlement.grant`)
   * `event` is one item's `data`, sent as a batch of one (see {@link emitBatch}). Resolves with the deliveries made.
   */
  async emit(
    type: string,
    event: Record<string, unknown>,
    options: FakeEventSubEmitOptions = {},
  ): Promise<FakeEventSubDelivery[]> {
    if (TWITCH_EVENTSUB_BATCHED_TYPES.has(type)) return this.emitBatch(type, [{ data: event }], options);
    return this.send(type, event, { event }, options);
  }

  /**
   * Deliver one batched notification (`drop.entitlement.grant`: body `events: [{ id, data }]`) carrying
   * these items to every enabled webhook subscription of `type` that matches (by the first item's `data`).
   */
  async emitBatch(
    type: string,
    items: FakeEventSubBatchItem[],
    options: FakeEventSubEmitOptions = {},
  ): Promise<FakeEventSubDelivery[]> {
    if (!items.length) throw new Error('FakeTwitch: emitBatch needs at least one item');
    const events = items.map((item) => ({ id: item.id ?? randomUUID(), data: item.data }));
    return this.send(type, items[0].data, { events }, options);
  }

  private async send(
    type: string,
    fields: Record<string, unknown>,
    payload: Record<string, unknown>,
    options: FakeEventSubEmitOptions,
  ): Promise<FakeEventSubDelivery[]> {
    const targets = this.subscriptions({ type, status: 'enabled' }).filter(
      (s) =>
        s.transport.method === 'webhook' &&
        (options.version === undefined || s.version === options.version) &&
        this.matches(s, fields, options.condition),
    );
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const runs = targets.map((sub, i) => {
      const messageId = options.messageId ? (i === 0 ? options.messageId : `${options.messageId}-${i}`) : randomUUID();
      const body = { subscription: subscriptionJson(sub), ...payload };
      return this.deliverAll(sub, 'notification', messageId, body, options);
    });
    return (await Promise.all(runs)).flat();
  }

  /**
   * Revoke a subscription as Twitch does: set its status to `reason` and send a signed `revocation`
   * message to its callback (webhook subscriptions). Resolves with the delivery (if any).
   */
  async revoke(
    subscriptionId: string,
    reason = 'authorization_revoked',
    options: FakeEventSubEmitOptions = {},
  ): Promise<FakeEventSubDelivery[]> {
    const sub = this.state.eventSubSubscriptions.get(subscriptionId);
    if (!sub) throw new Error(`FakeTwitch: no EventSub subscription ${subscriptionId}`);
    sub.status = reason;
    if (sub.transport.method !== 'webhook') return [];
    const body = { subscription: subscriptionJson(sub) };
    return this.deliverAll(sub, 'revocation', options.messageId ?? randomUUID(), body, options);
  }

  // ---------------------------------------------------------------- Helix routes

  private visible(token: TokenInfo): FakeEventSubSubscription[] {
    return [...this.state.eventSubSubscriptions.values()].filter((s) => {
      if (s.clientId !== token.clientId) return false;
      if (token.kind === 'app') return s.transport.method !== 'websocket';
      return s.transport.method === 'websocket' && s.ownerUserId === token.userId;
    });
  }

  private totals(token: TokenInfo): { total: number; total_cost: number; max_total_cost: number } {
    const subs = this.visible(token);
    return {
      total: subs.length,
      total_cost: subs.filter((s) => COUNTED.has(s.status)).reduce((sum, s) => sum + s.cost, 0),
      max_total_cost: token.kind === 'app' ? this.maxTotalCost : 10,
    };
  }

  private create(req: FakeTwitchHandlerRequest): FakeTwitchResponse {
    const token = req.token!;
    if (!isObject(req.body)) return twitchError(400, 'The request body must be a JSON object.');
    const { type, version, condition, transport } = req.body;
    if (typeof type !== 'string' || type === '') return twitchError(400, 'The type field is required.');
    if (typeof version !== 'string' || version === '') return twitchError(400, 'The version field is required.');
    if (!isObject(condition)) return twitchError(400, 'The condition field is required.');
    if (!isObject(transport) || typeof transport.method !== 'string') return twitchError(400, 'The transport field is required.');
    // Batched types (drop.entitlement.grant) must be created with is_batching_enabled: true.
    if (TWITCH_EVENTSUB_BATCHED_TYPES.has(type) && req.body.is_batching_enabled !== true) {
      return twitchError(400, `The is_batching_enabled field must be true for ${type}.`);
    }
    if (transport.method !== 'webhook') {
      // WebSocket and conduit subscriptions: the fake's EventSub WebSocket side (sessions, conduits, limits).
      const ws = this.fake.eventSubWs.routeFor(req, '/eventsub/subscriptions');
      if (!ws) return twitchError(400, 'The value specified in the method field is not valid.');
      return ws(token);
    }
    const info = TWITCH_EVENTSUB_TYPES.find((t) => t.type === type && t.version === version);
    if (!info) return twitchError(400, 'The combination of values in the type and version fields is not valid.');
    for (const f of info.conditionFields) {
      if (f.required && (typeof condition[f.wire] !== 'string' || condition[f.wire] === '')) {
        return twitchError(400, `The condition field ${f.wire} is required.`);
      }
    }
    if (token.kind !== 'app') return twitchError(400, 'invalid transport and auth combination');
    const { callback, secret } = transport;
    if (typeof callback !== 'string' || callback === '') {
      return twitchError(400, 'The callback field is required if you specify the webhook transport method.');
    }
    if (!this.callbackAllowed(callback)) {
      return twitchError(
        400,
        "The URL in the transport's callback field is not valid. The URL must use the HTTPS protocol and the 443 port number.",
      );
    }
    if (typeof secret !== 'string' || secret.length < 10 || secret.length > 100) {
      return twitchError(400, 'The length of the string in the secret field is not valid.');
    }

    const wire: Record<string, string> = {};
    for (const [k, v] of Object.entries(condition)) if (v !== undefined && v !== null && v !== '') wire[k] = String(v);
    // Authorization: the user named in the condition must have granted one of the scope sets.
    let authorized = false;
    const userId = AUTHORIZING_KEYS.map((k) => wire[k]).find((v) => v !== undefined);
    if (userId) authorized = this.grantedScopes(token.clientId, userId).size > 0;
    if (info.scopes.length) {
      const granted = userId ? this.grantedScopes(token.clientId, userId) : new Set<string>();
      if (!info.scopes.some((set) => set.every((s) => granted.has(s)))) {
        return twitchError(403, 'subscription missing proper authorization');
      }
    }
    const visible = this.visible(token);
    const key = JSON.stringify(Object.entries(wire).sort());
    const existing = visible.find((s) => s.type === type && JSON.stringify(Object.entries(s.condition).sort()) === key);
    if (existing) {
      // Twitch's 409 names the subscription that already exists.
      const conflict = twitchError(409, 'subscription already exists');
      return { ...conflict, body: { ...(conflict.body as Record<string, unknown>), id: existing.id } };
    }
    const cost = info.scopes.length || authorized ? 0 : 1;
    const totals = this.totals(token);
    if (totals.total_cost + cost > totals.max_total_cost) return twitchError(429, 'total cost exceeded');
    const sub: FakeEventSubSubscription = {
      id: randomUUID(),
      status: 'webhook_callback_verification_pending',
      type,
      version,
      condition: wire,
      createdAt: nanoTimestamp(new Date()),
      transport: { method: 'webhook', callback, secret },
      cost,
      clientId: token.clientId,
    };
    this.state.eventSubSubscriptions.set(sub.id, sub);
    // The challenge goes out after the 202 has been answered.
    this.track(
      new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        const challenge = randomUUID().replace(/-/g, '');
        const body = { challenge, subscription: subscriptionJson(sub) };
        const [d] = await this.deliverAll(sub, 'webhook_callback_verification', randomUUID(), body, {});
        if (!this.state.eventSubSubscriptions.has(sub.id) || sub.status !== 'webhook_callback_verification_pending') return;
        const ok = d.status !== undefined && d.status >= 200 && d.status < 300 && d.body === challenge;
        sub.status = ok ? 'enabled' : 'webhook_callback_verification_failed';
      }),
    );
    return { status: 202, body: { data: [subscriptionJson(sub)], ...this.totals(token) } };
  }

  private list(req: FakeTwitchHandlerRequest): FakeTwitchResponse {
    const token = req.token!;
    const q = (name: string) => req.query[name]?.[0];
    const filters = ['status', 'type', 'user_id', 'subscription_id', 'conduit_id'].filter((f) => q(f) !== undefined);
    if (filters.length > 1) return twitchError(400, 'The request may specify only one filter query parameter.');
    const all = this.visible(token).filter(
      (s) =>
        (q('status') === undefined || s.status === q('status')) &&
        (q('type') === undefined || s.type === q('type')) &&
        (q('subscription_id') === undefined || s.id === q('subscription_id')) &&
        (q('conduit_id') === undefined || s.transport.conduitId === q('conduit_id')) &&
        (q('user_id') === undefined || Object.values(s.condition).some((v) => v === q('user_id'))),
    );
    const after = q('after');
    const pos = after === undefined ? undefined : decodeCursor(after, 'eventsub');
    if (after !== undefined && !pos) return twitchError(400, 'The cursor in the after query parameter is not valid.');
    // Get EventSub Subscriptions has no `first`: pages are 100 items.
    const { page, cursor: next } = paginate(all, 100, pos, undefined, 'eventsub');
    return {
      status: 200,
      body: { data: page.map(subscriptionJson), ...this.totals(token), pagination: next ? { cursor: next } : {} },
    };
  }

  private remove(req: FakeTwitchHandlerRequest): FakeTwitchResponse {
    const id = req.query.id?.[0];
    if (!id) return twitchError(400, 'The id query parameter is required.');
    const sub = this.visible(req.token!).find((s) => s.id === id);
    if (!sub) return twitchError(404, 'The subscription was not found.');
    this.state.eventSubSubscriptions.delete(id);
    return { status: 204 };
  }

  // ---------------------------------------------------------------- deliveries

  private callbackAllowed(callback: string): boolean {
    let url: URL;
    try {
      url = new URL(callback);
    } catch {
      return false;
    }
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  }

  private matches(sub: FakeEventSubSubscription, event: Record<string, unknown>, wanted?: Record<string, string>): boolean {
    if (wanted) return Object.entries(wanted).every(([k, v]) => sub.condition[k] === v);
    return Object.entries(sub.condition).every(([k, v]) => event[k] === undefined || String(event[k]) === v);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private deliverAll(
    sub: FakeEventSubSubscription,
    messageType: FakeEventSubDelivery['messageType'],
    messageId: string,
    body: unknown,
    options: FakeEventSubEmitOptions,
  ): Promise<FakeEventSubDelivery[]> {
    const run = async () => {
      const out: FakeEventSubDelivery[] = [];
      for (let retry = 0; retry <= (options.duplicates ?? 0); retry++) {
        out.push(await this.deliver(sub, messageType, messageId, retry, body, options));
      }
      return out;
    };
    return this.track(run());
  }

  private async deliver(
    sub: FakeEventSubSubscription,
    messageType: FakeEventSubDelivery['messageType'],
    messageId: string,
    retry: number,
    body: unknown,
    options: FakeEventSubEmitOptions,
  ): Promise<FakeEventSubDelivery> {
    const callback = sub.transport.callback!;
    const json = JSON.stringify(body);
    const at = options.timestamp ?? new Date();
    const timestamp = typeof at === 'string' ? at : nanoTimestamp(at);
    const signature = `sha256=${createHmac('sha256', sub.transport.secret ?? '')
      .update(messageId + timestamp + json)
      .digest('hex')}`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Twitch-Eventsub-Message-Id': messageId,
      'Twitch-Eventsub-Message-Retry': String(retry),
      'Twitch-Eventsub-Message-Type': messageType,
      'Twitch-Eventsub-Message-Timestamp': timestamp,
      'Twitch-Eventsub-Subscription-Type': sub.type,
      'Twitch-Eventsub-Subscription-Version': sub.version,
    };
    if (options.signature === 'bad') headers['Twitch-Eventsub-Message-Signature'] = `sha256=${'0'.repeat(64)}`;
    else if (options.signature !== 'missing') headers['Twitch-Eventsub-Message-Signature'] = signature;
    const sent = options.signature === 'tampered' ? json.replace(/}$/, ',"tampered":true}') : json;
    const started = Date.now();
    const delivery: FakeEventSubDelivery = { subscriptionId: sub.id, messageId, messageType, callback, retry, ms: 0 };
    try {
      const res = await fetch(callback, {
        method: 'POST',
        headers,
        body: sent,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.callbackTimeoutMs), this.signal]),
      });
      delivery.status = res.status;
      delivery.contentType = res.headers.get('content-type') ?? undefined;
      delivery.body = await res.text();
    } catch (error) {
      delivery.error =
        (error as Error).name === 'TimeoutError' ? `no answer within ${this.callbackTimeoutMs} ms` : (error as Error).message;
    }
    delivery.ms = Date.now() - started;
    this.deliveries.push(delivery);
    if (messageType === 'notification') this.count(sub, delivery);
    return delivery;
  }

  /** Counts consecutive failures; past `failureLimit` the subscription is revoked with `notification_failures_exceeded`. */
  private count(sub: FakeEventSubSubscription, d: FakeEventSubDelivery): void {
    const failed = d.status === undefined || d.status < 200 || d.status >= 300;
    const n = failed ? (this.failures.get(sub.id) ?? 0) + 1 : 0;
    this.failures.set(sub.id, n);
    if (failed && n >= this.failureLimit && sub.status === 'enabled') {
      this.failures.delete(sub.id);
      void this.revoke(sub.id, 'notification_failures_exceeded').catch(() => undefined);
    }
  }

  /** @internal The fake this belongs to. */
  get owner(): FakeTwitch {
    return this.fake;
  }
}
