import type { TwitchEventSubTransport } from '../transports/twitch-eventsub-transport.interface.js';

/** The webhook transport: subscriptions with this app's callback URL and secret. */
export class TwitchEventSubWebhookTransport implements TwitchEventSubTransport {
  readonly kind = 'webhook' as const;

  constructor(
    private readonly callbackUrl: string,
    private readonly secret: string,
  ) {}

  createTransport(): Record<string, unknown> {
    return { method: 'webhook', callback: this.callbackUrl, secret: this.secret };
  }

  owns(transport: Record<string, unknown> | undefined): boolean {
    return transport?.method === 'webhook' && transport.callback === this.callbackUrl;
  }
}
