import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TWITCH_RESOLVED_OPTIONS } from '../twitch.constants.js';
import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_CHAT_RESOLVED_OPTIONS } from './twitch-chat.constants.js';
import { TwitchChatLimiter } from './twitch-chat.limiter.js';
import { TWITCH_CHAT_MODULE_OPTIONS, TwitchChatConfigurableModule } from './twitch-chat.module-definition.js';
import { TwitchChatRouter } from './twitch-chat.router.js';
import { TwitchChatService } from './twitch-chat.service.js';
import type { TwitchChatModuleOptions } from './twitch-chat-options.interface.js';
import { resolveTwitchChatOptions } from './twitch-chat-options.js';

/**
 * Chat bots on EventSub: `TwitchChatModule.forRoot({ botUserId, channels })` next to `TwitchModule` and
 * `TwitchEventSubModule` (both global, or passed in `imports`). Reads `channel.chat.message` on whatever
 * transport EventSub uses and routes it to `@OnChatMessage()` / `@OnChatCommand()` methods; sends through
 * `TwitchChatService` within Twitch's chat limits. Options are checked at bootstrap.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: TWITCH_CHAT_RESOLVED_OPTIONS,
      inject: [TWITCH_CHAT_MODULE_OPTIONS, TWITCH_RESOLVED_OPTIONS],
      useFactory: (options: TwitchChatModuleOptions, twitch: TwitchResolvedOptions) => resolveTwitchChatOptions(options, twitch),
    },
    TwitchChatLimiter,
    TwitchChatService,
    TwitchChatRouter,
  ],
  exports: [TWITCH_CHAT_RESOLVED_OPTIONS, TwitchChatLimiter, TwitchChatService, TwitchChatRouter],
})
export class TwitchChatModule extends TwitchChatConfigurableModule {}
