import type { ServerResponse } from 'node:http';
import { HttpStatus, Inject, Injectable, Logger, NotFoundException, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TWITCH_EVENTSUB_RESOLVED_OPTIONS } from '../twitch-eventsub.constants.js';
import { TwitchEventSubDispatcher } from '../twitch-eventsub.dispatcher.js';
import {
  TwitchEventSubWebhookException,
  type TwitchEventSubWebhookRejection,
} from '../../exceptions/twitch-eventsub.exception.js';
import type { TwitchEventSubResolvedOptions } from '../twitch-eventsub.options.js';
import { verifyTwitchEventSubSignature } from './twitch-eventsub-signature.js';

/** What the receiver reads from Express' and Fastify's requests. */
interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
  body?: unknown;
}

const MESSAGE_ID = 'twitch-eventsub-message-id';
const TIMESTAMP = 'twitch-eventsub-message-timestamp';
const SIGNATURE = 'twitch-eventsub-message-signature';
const TYPE = 'twitch-eventsub-message-type';
const RETRY = 'twitch-eventsub-message-retry';

/**
 * `POST {webhook.path}`: receives Twitch's webhooks. Verifies the signature on the raw bytes, refuses stale
 * messages, answers challenges, claims the message id and acknowledges (204) before any handler runs.
 * Mounted by `TwitchEventSubModule` under the configured path.
 */
@Injectable()
export class TwitchEventSubWebhookController {
  private readonly logger = new Logger('TwitchEventSub');
  private warnedRawBody = false;

  constructor(
    private readonly dispatcher: TwitchEventSubDispatcher,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TWITCH_EVENTSUB_RESOLVED_OPTIONS) private readonly options: TwitchEventSubResolvedOptions,
  ) {}

  @Post()
  async receive(@Req() request: WebhookRequest, @Res() response: unknown): Promise<void> {
    const webhook = this.options.webhook;
    if (!webhook) throw new NotFoundException('No EventSub webhook is configured (option "webhook")');
    const endpoint = `POST ${webhook.path} (EventSub webhook)`;
    const reject = (status: number, reason: TwitchEventSubWebhookRejection, message: string) =>
      new TwitchEventSubWebhookException(status, reason, message, endpoint);

    const raw = request.rawBody;
    if (!Buffer.isBuffer(raw) && !/^application\/json\b/i.test(header(request, 'content-type') ?? '')) {
      // Nest keeps the raw body of JSON requests only; Twitch always sends application/json.
      throw reject(HttpStatus.BAD_REQUEST, 'invalid_body', 'Content-Type must be application/json');
    }
    if (!Buffer.isBuffer(raw)) {
      const message =
        'TwitchEventSubModule: the webhook request has no raw body, so its signature cannot be checked: ' +
        'create the app with NestFactory.create(AppModule, { rawBody: true }) (Express or Fastify)';
      if (!this.warnedRawBody) {
        this.warnedRawBody = true;
        this.logger.error(message);
      }
      throw reject(HttpStatus.INTERNAL_SERVER_ERROR, 'missing_raw_body', message);
    }
    if (raw.length > webhook.maxBodyBytes) {
      const message = `The body is larger than ${webhook.maxBodyBytes} bytes (option webhook.maxBodyBytes)`;
      throw reject(HttpStatus.PAYLOAD_TOO_LARGE, 'body_too_large', message);
    }
    const id = header(request, MESSAGE_ID);
    const timestamp = header(request, TIMESTAMP);
    const signature = header(request, SIGNATURE);
    const type = header(request, TYPE);
    const missing = [
      [id, 'Twitch-Eventsub-Message-Id'],
      [timestamp, 'Twitch-Eventsub-Message-Timestamp'],
      [signature, 'Twitch-Eventsub-Message-Signature'],
      [type, 'Twitch-Eventsub-Message-Type'],
    ]
      .filter(([v]) => !v)
      .map(([, name]) => name);
    if (missing.length) throw reject(HttpStatus.BAD_REQUEST, 'missing_headers', `Missing header ${missing.join(', ')}`);
    if (id!.length > 200) throw reject(HttpStatus.BAD_REQUEST, 'missing_headers', 'Twitch-Eventsub-Message-Id is too long');
    if (!verifyTwitchEventSubSignature(webhook.secret, id!, timestamp!, raw, signature!)) {
      throw reject(HttpStatus.FORBIDDEN, 'invalid_signature', 'Invalid Twitch-Eventsub-Message-Signature');
    }
    const sentAt = new Date(timestamp!);
    const age = Date.now() - sentAt.getTime();
    if (Number.isNaN(age) || Math.abs(age) > webhook.maxMessageAgeMs) {
      throw reject(
        HttpStatus.BAD_REQUEST,
        'stale_message',
        `Twitch-Eventsub-Message-Timestamp is more than ${Math.round(webhook.maxMessageAgeMs / 1000)} s away from now`,
      );
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      throw reject(HttpStatus.BAD_REQUEST, 'invalid_body', 'The body is not a JSON object');
    }
    const adapter = this.adapterHost.httpAdapter;

    if (type === 'webhook_callback_verification') {
      if (typeof body.challenge !== 'string') throw reject(HttpStatus.BAD_REQUEST, 'invalid_body', 'The challenge is missing');
      // A subscription's challenge has `subscription`; a conduit shard's (webhook shards) has `conduit_shard`.
      const shard = body.conduit_shard as Record<string, unknown> | undefined;
      const sub = (body.subscription ?? {}) as Record<string, unknown>;
      const what =
        shard && typeof shard === 'object'
          ? `conduit ${String(shard.conduit_id ?? '?')} shard ${String(shard.shard ?? shard.shard_id ?? '?')}`
          : `${String(sub.type ?? 'a subscription')}${sub.id ? ` (subscription ${String(sub.id)})` : ''}`;
      this.logger.log(`EventSub webhook verified for ${what}`);
      adapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8');
      adapter.reply(response, body.challenge, HttpStatus.OK);
      return;
    }
    if (type !== 'notification' && type !== 'revocation') {
      throw reject(HttpStatus.BAD_REQUEST, 'unknown_message_type', 'Unknown Twitch-Eventsub-Message-Type');
    }
    if (body.subscription === null || typeof body.subscription !== 'object') {
      throw reject(HttpStatus.BAD_REQUEST, 'invalid_body', 'The body has no subscription object');
    }
    if (body.events !== undefined && !Array.isArray(body.events)) {
      throw reject(HttpStatus.BAD_REQUEST, 'invalid_body', "The body's events is not a list");
    }
    const retry = header(request, RETRY);
    const acceptance = await this.dispatcher.accept({
      messageId: id!,
      messageType: type,
      timestamp: sentAt,
      // Webhook conduit shards receive here too: their messages are the conduit's.
      transport: this.options.transport === 'conduit' ? 'conduit' : 'webhook',
      ...(retry !== undefined && /^\d{1,9}$/.test(retry.trim()) ? { retry: Number(retry.trim()) } : {}),
      body: body as { subscription: Record<string, unknown>; event?: Record<string, unknown>; events?: unknown[] },
    });
    // Handlers start once the answer has been written, so a slow handler never delays Twitch's ack.
    const node = ((response as { raw?: ServerResponse }).raw ?? response) as ServerResponse;
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      acceptance.start();
    };
    node.once('finish', start);
    node.once('close', start);
    adapter.reply(response, undefined, HttpStatus.NO_CONTENT);
    if (node.writableFinished) start();
  }
}

function header(request: WebhookRequest, name: string): string | undefined {
  const v = request.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}
