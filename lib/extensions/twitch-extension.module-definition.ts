import { ConfigurableModuleBuilder, type ModuleMetadata } from '@nestjs/common';
import type { TwitchExtensionModuleOptions } from './twitch-extension-options.interface.js';

export const {
  ConfigurableModuleClass: TwitchExtensionConfigurableModule,
  MODULE_OPTIONS_TOKEN: TWITCH_EXTENSION_MODULE_OPTIONS,
  OPTIONS_TYPE: TWITCH_EXTENSION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TWITCH_EXTENSION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TwitchExtensionModuleOptions>({ moduleName: 'TwitchExtension' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTwitchExtensionOptions')
  .setExtras<{ isGlobal?: boolean; imports?: ModuleMetadata['imports'] }>(
    { isGlobal: false, imports: [] },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      imports: [...(definition.imports ?? []), ...(extras.imports ?? [])],
    }),
  )
  .build();

/** Implemented by classes given to `TwitchExtensionModule.forRootAsync({ useClass })` or `useExisting`. */
export interface TwitchExtensionOptionsFactory {
  createTwitchExtensionOptions(): TwitchExtensionModuleOptions | Promise<TwitchExtensionModuleOptions>;
}
