import { ConfigurableModuleBuilder, type ModuleMetadata } from '@nestjs/common';
import type { TwitchChatModuleOptions } from './twitch-chat-options.interface.js';

export const {
  ConfigurableModuleClass: TwitchChatConfigurableModule,
  MODULE_OPTIONS_TOKEN: TWITCH_CHAT_MODULE_OPTIONS,
  OPTIONS_TYPE: TWITCH_CHAT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TWITCH_CHAT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TwitchChatModuleOptions>({ moduleName: 'TwitchChat' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTwitchChatOptions')
  .setExtras<{ isGlobal?: boolean; imports?: ModuleMetadata['imports'] }>(
    { isGlobal: false, imports: [] },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      imports: [...(definition.imports ?? []), ...(extras.imports ?? [])],
    }),
  )
  .build();

/** Implemented by classes given to `TwitchChatModule.forRootAsync({ useClass })` or `useExisting`. */
export interface TwitchChatOptionsFactory {
  createTwitchChatOptions(): TwitchChatModuleOptions | Promise<TwitchChatModuleOptions>;
}
