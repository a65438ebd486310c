import type { TwitchChatWindow } from './twitch-chat.constants.js';

/** The bot's standing in a channel, which picks its message limit there. */
export type TwitchChatRole = 'normal' | 'moderator';

/** Chat limits the module keeps to before Twitch sees a message (each a sliding window, shared through Redis). */
export interface TwitchChatLimitOptions {
  /** Keep to the limits at all. @default true */
  enabled?: boolean;
  /** Per channel, as a normal chatter. @default { limit: 20, windowMs: 30000 } */
  normal?: TwitchChatWindow;
  /** Per channel, as the broadcaster or a moderator. @default { limit: 100, windowMs: 30000 } */
  moderator?: TwitchChatWindow;
  /** Site-wide, only with `verified: true`. @default { limit: 7500, windowMs: 30000 } */
  verified?: TwitchChatWindow;
  /** Announcements per channel. @default { limit: 1, windowMs: 2000 } */
  announcements?: TwitchChatWindow;
  /** Shoutouts per channel. @default { limit: 1, windowMs: 120000 } */
  shoutoutsPerChannel?: TwitchChatWindow;
  /** Shoutouts of the same target, per channel. @default { limit: 1, windowMs: 3600000 } */
  shoutoutsPerTarget?: TwitchChatWindow;
  /** Whispers sent by the bot. @default { limit: 3, windowMs: 1000 } */
  whispersPerSecond?: TwitchChatWindow;
  /** Whispers sent by the bot. @default { limit: 100, windowMs: 60000 } */
  whispersPerMinute?: TwitchChatWindow;
  /** Distinct whisper recipients; a new one beyond it is refused, not queued. @default { limit: 40, windowMs: 86400000 } */
  whisperRecipientsPerDay?: TwitchChatWindow;
  /**
   * A sent message keeps its place in a window this long (ms) beyond the window after its answer came
   * back, so that network delays never let Twitch see more than the limit in one of its windows.
   * @default 1000
   */
  marginMs?: number;
  /**
   * Longest wait (ms) for room in a window; a send needing longer fails with `TwitchChatRateLimitException`
   * (with `retryAfter`) and nothing is sent.
   * @default 30000
   */
  maxWaitMs?: number;
}

/** Options of `TwitchChatModule.forRoot()`. */
export interface TwitchChatModuleOptions {
  /** Twitch user ID of the bot account: the sender of its messages, whose own messages are ignored. */
  botUserId: string;
  /**
   * Channels (broadcaster IDs) to read: the module subscribes to `channel.chat.message` for each at startup
   * (condition `{ broadcaster_user_id, user_id: botUserId }`). Other subscriptions of the type are handled too.
   * @default []
   */
  channels?: string[];
  /**
   * Token of Send Chat Message. `'user'`: the bot's stored user token (scope `user:write:chat`; reading
   * needs `user:read:chat`). `'app'`: the app token, as Twitch allows once the bot granted `user:bot` and the
   * broadcaster `channel:bot` (or the bot is a moderator); this makes the bot's chat badge show.
   * Announcements, shoutouts and whispers always use the bot's user token.
   * @default 'user'
   */
  auth?: 'user' | 'app';
  /** Skip messages the bot sent itself. @default true */
  ignoreOwnMessages?: boolean;
  /**
   * In shared chat, Twitch delivers the messages of every channel of the session to each one. `'own'` hands
   * handlers only messages sent in the subscribed channel (no `sourceBroadcasterUserId`, or the same one);
   * `'all'` hands them every message.
   * @default 'own'
   */
  sharedChat?: 'own' | 'all';
  /** Match command names regardless of case. @default true */
  ignoreCommandCase?: boolean;
  /** The bot's role per channel (broadcaster ID → role); channels not listed use `defaultRole`. @default {} */
  roles?: Record<string, TwitchChatRole>;
  /** @default 'normal' */
  defaultRole?: TwitchChatRole;
  /** The bot is a verified bot (adds the site-wide limit). @default false */
  verified?: boolean;
  limits?: TwitchChatLimitOptions;
}
