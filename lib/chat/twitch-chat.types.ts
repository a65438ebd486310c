import type { ChannelChatMessageEvent } from '../generated/eventsub/chat.js';
import type { TwitchChatParsedCommand } from './twitch-chat-command.parser.js';

/** What `TwitchChatService.say()` returns once Twitch delivered the message. */
export interface TwitchChatSentMessage {
  messageId: string;
}

/** A command handed to an `@OnChatCommand()` method. */
export interface TwitchChatCommand extends TwitchChatParsedCommand {
  /** The message that carried it. */
  message: ChannelChatMessageEvent;
  /** The channel (broadcaster ID) it was sent in. */
  channel: string;
  /** Answers in the channel as a reply to the message (through the chat limiter). */
  reply(text: string): Promise<TwitchChatSentMessage>;
}
