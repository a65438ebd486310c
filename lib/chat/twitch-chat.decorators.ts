import { SetMetadata } from '@nestjs/common';
import type { ChannelChatMessageEvent } from '../generated/eventsub/chat.js';
import type { TwitchEventSubNotification } from '../eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TWITCH_CHAT_COMMAND_HANDLER, TWITCH_CHAT_MESSAGE_HANDLER } from './twitch-chat.constants.js';
import type { TwitchChatCommand } from './twitch-chat.types.js';

export interface OnChatMessageOptions {
  /** Only messages of these channels (broadcaster IDs). @default every channel */
  channels?: string[];
}

export interface OnChatCommandOptions extends OnChatMessageOptions {
  /** Other names of the command (`['!shoutout']`). */
  aliases?: string[];
}

/** @internal */
export interface TwitchChatHandlerMeta {
  commands?: string[];
  channels?: string[];
}

/**
 * Marks a provider method that receives every chat message (`channel.chat.message`), after the bot's own
 * and other shared-chat channels' messages were filtered out as configured.
 *
 * ```ts
 * @OnChatMessage()
 * onMessage(message: ChannelChatMessageEvent) { ... }
 * ```
 */
export function OnChatMessage(
  options: OnChatMessageOptions = {},
): <M extends (message: ChannelChatMessageEvent, notification: TwitchEventSubNotification<ChannelChatMessageEvent>) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  return (target, key, descriptor) => {
    const existing: TwitchChatHandlerMeta[] = Reflect.getMetadata(TWITCH_CHAT_MESSAGE_HANDLER, descriptor.value as object) ?? [];
    SetMetadata(TWITCH_CHAT_MESSAGE_HANDLER, [...existing, { channels: options.channels }])(target, key, descriptor);
  };
}

/**
 * Marks a provider method as the handler of a chat command: a message whose first word is `name` (or an
 * alias). The method gets the command (name, arguments, the message) and can answer with `command.reply()`.
 *
 * ```ts
 * @OnChatCommand('!so')
 * async shoutout(command: TwitchChatCommand) { await command.reply(`Go follow ${command.args[0]}!`); }
 * ```
 */
export function OnChatCommand(
  name: string | string[],
  options: OnChatCommandOptions = {},
): <M extends (command: TwitchChatCommand, message: ChannelChatMessageEvent) => unknown>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  const names = [...(Array.isArray(name) ? name : [name]), ...(options.aliases ?? [])];
  for (const n of names) {
    if (typeof n !== 'string' || n === '' || /\s/.test(n)) {
      throw new Error(`@OnChatCommand: command names must be single words, got ${JSON.stringify(n)}`);
    }
  }
  return (target, key, descriptor) => {
    const existing: TwitchChatHandlerMeta[] = Reflect.getMetadata(TWITCH_CHAT_COMMAND_HANDLER, descriptor.value as object) ?? [];
    SetMetadata(TWITCH_CHAT_COMMAND_HANDLER, [...existing, { commands: names, channels: options.channels }])(
      target,
      key,
      descriptor,
    );
  };
}
