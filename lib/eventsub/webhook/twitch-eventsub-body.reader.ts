import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpServer } from '@nestjs/common';
import { TwitchEventSubWebhookException } from '../../exceptions/twitch-eventsub.exception.js';

/** What the reader sets on the request, as Nest's own JSON parser does with `rawBody: true`. */
interface ReadRequest extends IncomingMessage {
  rawBody?: Buffer;
  body?: unknown;
  path?: string;
}

/**
 * On Express, reads the body of Twitch's webhook requests itself, before Nest's JSON parser: up to
 * `maxBodyBytes` (Nest's parser stops at 100 KB, and Twitch's batched `drop.entitlement.grant` messages
 * reach 250 KB) and keeping the raw bytes for the signature, with or without `rawBody: true`. Only JSON
 * POSTs to a path ending in `path` that carry `Twitch-Eventsub-Message-Id` are read; everything else goes
 * on untouched. Registered while the app is created, so it comes before the parsers Nest adds at `init()`.
 * Fastify's own limit (`bodyLimit`, 1 MiB by default) already fits. Returns whether it was installed.
 */
export function installTwitchEventSubBodyReader(adapter: HttpServer | undefined, path: string, maxBodyBytes: number): boolean {
  if (!adapter || adapter.getType?.() !== 'express') return false;
  const endpoint = `POST ${path} (EventSub webhook)`;
  const tooLarge = () =>
    JSON.stringify(
      new TwitchEventSubWebhookException(
        413,
        'body_too_large',
        `The body is larger than ${maxBodyBytes} bytes (option webhook.maxBodyBytes)`,
        endpoint,
      ).getResponse(),
    );
  const refuse = (req: ReadRequest, res: ServerResponse) => {
    if (!res.headersSent) {
      res.writeHead(413, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' });
      res.end(tooLarge());
    }
    req.resume();
  };
  const reader = (req: ReadRequest, res: ServerResponse, next: (error?: unknown) => void) => {
    const url = req.path ?? (req.url ?? '').split('?')[0];
    const webhook = req.headers['twitch-eventsub-message-id'] !== undefined && url.replace(/\/+$/, '').endsWith(path);
    if (req.method !== 'POST' || !webhook) {
      next();
      return;
    }
    // Twitch always sends JSON; anything else is left to the receiver, which refuses it.
    if (req.readableEnded || !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      next();
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      refuse(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        done = true;
        req.off('data', onData);
        chunks.length = 0;
        refuse(req, res);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', (error) => {
      if (done) return;
      done = true;
      next(error);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      const raw = Buffer.concat(chunks, size);
      req.rawBody = raw;
      try {
        req.body = JSON.parse(raw.toString('utf8'));
      } catch {
        // The receiver answers 400 invalid_body once the signature is checked.
        req.body = undefined;
      }
      next();
    });
  };
  adapter.use(reader);
  return true;
}
