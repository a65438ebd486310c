import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TwitchEventSubModuleOptions } from './interfaces/twitch-eventsub-options.interface.js';

export const {
  ConfigurableModuleClass: TwitchEventSubConfigurableModule,
  MODULE_OPTIONS_TOKEN: TWITCH_EVENTSUB_MODULE_OPTIONS,
  OPTIONS_TYPE: TWITCH_EVENTSUB_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TWITCH_EVENTSUB_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TwitchEventSubModuleOptions>({ moduleName: 'TwitchEventSub' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTwitchEventSubOptions')
  .setExtras<{ isGlobal?: boolean; webhookPath?: string }>({ isGlobal: false, webhookPath: undefined }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** Implemented by classes given to `forRootAsync({ useClass })` or `useExisting`. */
export interface TwitchEventSubOptionsFactory {
  createTwitchEventSubOptions(): TwitchEventSubModuleOptions | Promise<TwitchEventSubModuleOptions>;
}
