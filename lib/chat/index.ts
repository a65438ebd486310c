export { TwitchChatModule } from './twitch-chat.module.js';
export { TWITCH_CHAT_MODULE_OPTIONS, type TwitchChatOptionsFactory } from './twitch-chat.module-definition.js';
export {
  TWITCH_CHAT_DEFAULTS,
  TWITCH_CHAT_MAX_MESSAGE_LENGTH,
  TWITCH_CHAT_MAX_WHISPER_LENGTH,
  TWITCH_CHAT_RESOLVED_OPTIONS,
  type TwitchChatWindow,
} from './twitch-chat.constants.js';
export type { TwitchChatLimitOptions, TwitchChatModuleOptions, TwitchChatRole } from './twitch-chat-options.interface.js';
export { resolveTwitchChatOptions, TwitchChatOptionsError, type TwitchChatResolvedOptions } from './twitch-chat-options.js';
export { OnChatCommand, OnChatMessage, type OnChatCommandOptions, type OnChatMessageOptions } from './twitch-chat.decorators.js';
export { parseChatCommand, type TwitchChatParsedCommand } from './twitch-chat-command.parser.js';
export { TwitchChatService, type TwitchChatAnnouncementColor, type TwitchChatSendOptions } from './twitch-chat.service.js';
export { TwitchChatLimiter, type TwitchChatLimitSlot, type TwitchChatLimitTicket } from './twitch-chat.limiter.js';
export { TwitchChatRouter } from './twitch-chat.router.js';
export {
  TwitchChatAuthorizationException,
  TwitchChatMessageDroppedException,
  TwitchChatRateLimitException,
  type TwitchChatDropReason,
} from './twitch-chat.exceptions.js';
export type { TwitchChatCommand, TwitchChatSentMessage } from './twitch-chat.types.js';
