/** Resolved options of `TwitchChatModule`. */
export const TWITCH_CHAT_RESOLVED_OPTIONS = Symbol('TWITCH_CHAT_RESOLVED_OPTIONS');
/** Metadata key of `@OnChatMessage()`. */
export const TWITCH_CHAT_MESSAGE_HANDLER = 'twitch:chat:message';
/** Metadata key of `@OnChatCommand()`. */
export const TWITCH_CHAT_COMMAND_HANDLER = 'twitch:chat:command';

/** Longest chat message and announcement Twitch takes (characters). */
export const TWITCH_CHAT_MAX_MESSAGE_LENGTH = 500;
/** Longest whisper Twitch takes (characters); Twitch cuts whispers to new recipients at 500. */
export const TWITCH_CHAT_MAX_WHISPER_LENGTH = 10_000;

/** A sliding-window limit: at most `limit` in any `windowMs`. */
export interface TwitchChatWindow {
  limit: number;
  windowMs: number;
}

/**
 * Twitch's documented chat limits (https://dev.twitch.tv/docs/irc/#rate-limits, chat and whisper sections;
 * https://dev.twitch.tv/docs/api/reference#send-chat-announcement and #send-a-shoutout).
 */
export const TWITCH_CHAT_DEFAULTS = {
  /** Sender neither broadcaster nor moderator of the channel: 20 messages per 30 s. */
  normal: { limit: 20, windowMs: 30_000 },
  /** Sender is the broadcaster or a moderator: 100 messages per 30 s. */
  moderator: { limit: 100, windowMs: 30_000 },
  /** Verified bots, site-wide (the channel limits above apply as well): 7500 per 30 s. */
  verified: { limit: 7_500, windowMs: 30_000 },
  /** Send Chat Announcement: 1 per 2 s (per channel). */
  announcements: { limit: 1, windowMs: 2_000 },
  /** Send a Shoutout: 1 per 2 min per channel. */
  shoutoutsPerChannel: { limit: 1, windowMs: 120_000 },
  /** Send a Shoutout: the same target once per 60 min. */
  shoutoutsPerTarget: { limit: 1, windowMs: 3_600_000 },
  /** Whispers: 3 per second. */
  whispersPerSecond: { limit: 3, windowMs: 1_000 },
  /** Whispers: 100 per minute. */
  whispersPerMinute: { limit: 100, windowMs: 60_000 },
  /** Whispers: 40 distinct recipients per day. */
  whisperRecipientsPerDay: { limit: 40, windowMs: 86_400_000 },
  marginMs: 1_000,
  maxWaitMs: 30_000,
} as const;
