import { Inject, Injectable } from '@nestjs/common';
import { TwitchApiService } from '../api/twitch-api.service.js';
import { TwitchUserTokenService } from '../auth/twitch-user-token.service.js';
import { TwitchException } from '../exceptions/twitch.exception.js';
import { TwitchValidationException } from '../exceptions/twitch-validation.exception.js';
import type { TwitchRequestOptions } from '../interfaces/twitch-request-options.interface.js';
import {
  TWITCH_CHAT_MAX_MESSAGE_LENGTH,
  TWITCH_CHAT_MAX_WHISPER_LENGTH,
  TWITCH_CHAT_RESOLVED_OPTIONS,
} from './twitch-chat.constants.js';
import { TwitchChatAuthorizationException, TwitchChatMessageDroppedException } from '../exceptions/twitch-chat.exception.js';
import { TwitchChatLimiter, type TwitchChatLimitSlot } from './twitch-chat.limiter.js';
import type { TwitchChatResolvedOptions } from './twitch-chat-options.js';
import type { TwitchChatSentMessage } from './twitch-chat.types.js';

/** Per-call options of the chat service. */
export interface TwitchChatSendOptions extends Pick<TwitchRequestOptions, 'signal' | 'timeout'> {
  /** Send as a reply to this message (its ID, or the message event). */
  replyTo?: string | { messageId: string };
}

export type TwitchChatAnnouncementColor = 'blue' | 'green' | 'orange' | 'purple' | 'primary';

const MESSAGE = 'POST /chat/messages (Send Chat Message)';
const ANNOUNCEMENT = 'POST /chat/announcements (Send Chat Announcement)';
const SHOUTOUT = 'POST /chat/shoutouts (Send a Shoutout)';
const WHISPER = 'POST /whispers (Send Whisper)';
const USER_ID = /^[0-9]{1,20}$/;
const COLORS = new Set(['blue', 'green', 'orange', 'purple', 'primary']);

/** Scopes each call needs, by the token used (Twitch's reference). */
const SCOPES = {
  messageUser: ['user:write:chat'],
  messageApp: ['user:bot (granted by the bot)', 'channel:bot (granted by the broadcaster, unless the bot is a moderator)'],
  announcement: ['moderator:manage:announcements'],
  shoutout: ['moderator:manage:shoutouts'],
  whisper: ['user:manage:whispers'],
};

function invalid(endpoint: string, field: string, message: string): TwitchValidationException {
  return new TwitchValidationException(endpoint, [{ field, messages: [`${field} ${message}`] }]);
}

function text(endpoint: string, field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(endpoint, field, 'must be a non-empty string');
  // Twitch counts characters; a surrogate pair (most emoji) is one.
  const length = [...value].length;
  if (length > max) throw invalid(endpoint, field, `must be at most ${max} characters (got ${length})`);
  return value;
}

function userId(endpoint: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !USER_ID.test(value)) throw invalid(endpoint, field, 'must be a Twitch user ID (digits)');
  return value;
}

/**
 * Sends as the bot: chat messages (`say`), announcements, shoutouts and whispers, each checked before
 * anything is sent (lengths, IDs), kept to Twitch's chat limits across instances (`TwitchChatLimiter`) on
 * top of the Helix bucket, with Twitch's refusals as typed exceptions.
 */
@Injectable()
export class TwitchChatService {
  constructor(
    @Inject(TWITCH_CHAT_RESOLVED_OPTIONS) private readonly options: TwitchChatResolvedOptions,
    private readonly api: TwitchApiService,
    private readonly limiter: TwitchChatLimiter,
    private readonly userTokens: TwitchUserTokenService,
  ) {}

  /** The bot's user ID. */
  get botUserId(): string {
    return this.options.botUserId;
  }

  /**
   * Sends `message` (at most 500 characters) to the chat of `channel` (broadcaster ID), waiting for room in
   * the bot's limit there (`roles`, `verified`). Resolves once Twitch delivered it; `is_sent: false` fails
   * with `TwitchChatMessageDroppedException` carrying Twitch's `drop_reason`.
   */
  async say(channel: string, message: string, options: TwitchChatSendOptions = {}): Promise<TwitchChatSentMessage> {
    userId(MESSAGE, 'channel', channel);
    text(MESSAGE, 'message', message, TWITCH_CHAT_MAX_MESSAGE_LENGTH);
    const replyTo = typeof options.replyTo === 'string' ? options.replyTo : options.replyTo?.messageId;
    if (options.replyTo !== undefined && (typeof replyTo !== 'string' || replyTo === '')) {
      throw invalid(MESSAGE, 'replyTo', 'must be a message ID or a message with messageId');
    }
    const app = this.options.auth === 'app';
    if (!app) await this.requireScopes(MESSAGE, SCOPES.messageUser);
    const role = this.options.roles[channel] ?? this.options.defaultRole;
    const l = this.options.limits;
    const slots: TwitchChatLimitSlot[] = [
      { name: role === 'moderator' ? 'moderator' : 'normal', key: `msg:${channel}`, window: l[role] },
    ];
    if (this.options.verified) slots.push({ name: 'verified', key: 'msg', window: l.verified });
    const ticket = await this.limiter.acquire(MESSAGE, slots, { signal: options.signal });
    try {
      const res = await this.call(MESSAGE, app ? SCOPES.messageApp : SCOPES.messageUser, () =>
        this.api.chat.sendChatMessage(
          {
            broadcasterId: channel,
            senderId: this.options.botUserId,
            message,
            ...(replyTo ? { replyParentMessageId: replyTo } : {}),
          },
          this.requestOptions(options, !app),
        ),
      );
      const sent = res?.data?.[0];
      if (!sent || sent.isSent !== true) {
        const reason = sent?.dropReason;
        throw new TwitchChatMessageDroppedException(channel, {
          code: typeof reason?.code === 'string' ? reason.code : 'unknown',
          message: typeof reason?.message === 'string' ? reason.message : '',
        });
      }
      return { messageId: sent.messageId };
    } finally {
      await ticket.release();
    }
  }

  /** Sends an announcement (at most 500 characters) as the bot, a moderator of `channel`. 1 per 2 s per channel. */
  async announce(
    channel: string,
    message: string,
    options: Pick<TwitchRequestOptions, 'signal' | 'timeout'> & { color?: TwitchChatAnnouncementColor } = {},
  ): Promise<void> {
    userId(ANNOUNCEMENT, 'channel', channel);
    text(ANNOUNCEMENT, 'message', message, TWITCH_CHAT_MAX_MESSAGE_LENGTH);
    if (options.color !== undefined && !COLORS.has(options.color)) {
      throw invalid(ANNOUNCEMENT, 'color', `must be one of ${[...COLORS].join(', ')}`);
    }
    await this.requireScopes(ANNOUNCEMENT, SCOPES.announcement);
    const slots = [{ name: 'announcements', key: `ann:${channel}`, window: this.options.limits.announcements }];
    const ticket = await this.limiter.acquire(ANNOUNCEMENT, slots, { signal: options.signal });
    try {
      await this.call(ANNOUNCEMENT, SCOPES.announcement, () =>
        this.api.chat.sendChatAnnouncement(
          {
            broadcasterId: channel,
            moderatorId: this.options.botUserId,
            message,
            ...(options.color ? { color: options.color } : {}),
          },
          this.requestOptions(options, true),
        ),
      );
    } finally {
      await ticket.release();
    }
  }

  /**
   * Shouts out `target` (broadcaster ID) in `channel`, as the bot (a moderator there). Twitch allows 1 per
   * 2 min per channel and the same target once per 60 min: beyond `limits.maxWaitMs` of waiting, fails with
   * `TwitchChatRateLimitException` and sends nothing.
   */
  async shoutout(channel: string, target: string, options: Pick<TwitchRequestOptions, 'signal' | 'timeout'> = {}): Promise<void> {
    userId(SHOUTOUT, 'channel', channel);
    userId(SHOUTOUT, 'target', target);
    if (channel === target) throw invalid(SHOUTOUT, 'target', 'must be another broadcaster than channel');
    await this.requireScopes(SHOUTOUT, SCOPES.shoutout);
    const l = this.options.limits;
    const slots = [
      { name: 'shoutoutsPerChannel', key: `so:${channel}`, window: l.shoutoutsPerChannel },
      { name: 'shoutoutsPerTarget', key: `so:${channel}:${target}`, window: l.shoutoutsPerTarget },
    ];
    const ticket = await this.limiter.acquire(SHOUTOUT, slots, { signal: options.signal });
    try {
      await this.call(SHOUTOUT, SCOPES.shoutout, () =>
        this.api.chat.sendShoutout(
          { fromBroadcasterId: channel, toBroadcasterId: target, moderatorId: this.options.botUserId },
          this.requestOptions(options, true),
        ),
      );
    } finally {
      await ticket.release();
    }
  }

  /**
   * Whispers `message` (at most 10,000 characters; Twitch cuts it at 500 for a user who never whispered the
   * bot) to `to` (user ID). 3 per second, 100 per minute; a 41st distinct recipient in a day is refused at once.
   */
  async whisper(to: string, message: string, options: Pick<TwitchRequestOptions, 'signal' | 'timeout'> = {}): Promise<void> {
    userId(WHISPER, 'to', to);
    text(WHISPER, 'message', message, TWITCH_CHAT_MAX_WHISPER_LENGTH);
    await this.requireScopes(WHISPER, SCOPES.whisper);
    const l = this.options.limits;
    const slots = [
      { name: 'whispersPerSecond', key: 'wh:s', window: l.whispersPerSecond },
      { name: 'whispersPerMinute', key: 'wh:m', window: l.whispersPerMinute },
    ];
    const ticket = await this.limiter.acquire(WHISPER, slots, { signal: options.signal, recipient: to });
    try {
      await this.call(WHISPER, SCOPES.whisper, () =>
        this.api.whispers.sendWhisper(
          { fromUserId: this.options.botUserId, toUserId: to, message },
          this.requestOptions(options, true),
        ),
      );
    } finally {
      await ticket.release();
    }
  }

  private requestOptions(options: Pick<TwitchRequestOptions, 'signal' | 'timeout'>, asBot: boolean): TwitchRequestOptions {
    return {
      ...(asBot ? { userId: this.options.botUserId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    };
  }

  /** Refuses before sending when the bot has no stored token, or one without the scopes. */
  private async requireScopes(endpoint: string, scopes: string[]): Promise<void> {
    const stored = await this.userTokens.get(this.options.botUserId);
    if (!stored) {
      throw new TwitchChatAuthorizationException(
        endpoint,
        scopes,
        `no stored user token for the bot (user ${this.options.botUserId})`,
      );
    }
    const missing = scopes.filter((s) => !stored.scopes.includes(s));
    if (missing.length) {
      throw new TwitchChatAuthorizationException(
        endpoint,
        scopes,
        `the bot's token (user ${this.options.botUserId}) lacks ${missing.join(', ')}`,
      );
    }
  }

  private async call<T>(endpoint: string, scopes: string[], send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof TwitchException && (error.twitchStatus === 401 || error.twitchStatus === 403)) {
        throw new TwitchChatAuthorizationException(
          endpoint,
          scopes,
          `Twitch refused the authorization (${error.twitchMessage ?? error.message})`,
          error,
        );
      }
      throw error;
    }
  }
}
