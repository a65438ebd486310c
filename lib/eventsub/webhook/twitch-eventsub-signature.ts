import { createHmac, timingSafeEqual } from 'node:crypto';

/** Twitch's signature header value: `sha256=` + hex HMAC-SHA256 of message id + timestamp + raw body. */
export function signTwitchEventSubMessage(
  secret: string,
  messageId: string,
  timestamp: string,
  rawBody: Buffer | string,
): string {
  return `sha256=${createHmac('sha256', secret).update(messageId).update(timestamp).update(rawBody).digest('hex')}`;
}

/**
 * Whether `signature` (the `Twitch-Eventsub-Message-Signature` header) signs these exact bytes with
 * `secret`. Compared in constant time.
 */
export function verifyTwitchEventSubSignature(
  secret: string,
  messageId: string,
  timestamp: string,
  rawBody: Buffer,
  signature: string,
): boolean {
  const expected = Buffer.from(signTwitchEventSubMessage(secret, messageId, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
