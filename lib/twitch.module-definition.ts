import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TwitchModuleOptions } from './interfaces/twitch-module-options.interface.js';

export const {
  ConfigurableModuleClass: TwitchConfigurableModule,
  MODULE_OPTIONS_TOKEN: TWITCH_MODULE_OPTIONS,
  OPTIONS_TYPE: TWITCH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TWITCH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TwitchModuleOptions>({ moduleName: 'Twitch' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTwitchOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** Implemented by classes given to `forRootAsync({ useClass })` or `useExisting`. */
export interface TwitchOptionsFactory {
  createTwitchOptions(): TwitchModuleOptions | Promise<TwitchModuleOptions>;
}
