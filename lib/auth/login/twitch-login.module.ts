import { Controller, type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { TWITCH_LOGIN_MODULE_OPTIONS } from './twitch-login.constants.js';
import { TwitchLoginController } from './twitch-login.controller.js';
import { TwitchLoginService } from './twitch-login.service.js';

export interface TwitchLoginModuleOptions {
  /**
   * Route prefix of the login routes: `GET {path}/login`, `GET {path}/callback`, `POST {path}/logout`.
   * The module's `redirectUri` must point at `{path}/callback`.
   * @default 'auth/twitch'
   */
  path?: string;
  /**
   * Modules that provide what `TwitchModule` exports, when `TwitchModule` is not global
   * (pass the same `TwitchModule.forRoot(...)` value you import elsewhere).
   */
  imports?: ModuleMetadata['imports'];
}

/**
 * The login flow as routes: `TwitchLoginModule.forRoot({ path: 'auth/twitch' })`. Scopes, redirects,
 * cookie and session settings come from the `login` options of `TwitchModule`. Exports
 * `TwitchLoginService` for apps that build their own routes.
 */
@Module({})
export class TwitchLoginModule {
  static forRoot(options: TwitchLoginModuleOptions = {}): DynamicModule {
    const path = (options.path ?? 'auth/twitch').replace(/^\/+|\/+$/g, '');
    if (!path || /[?#\s]/.test(path)) throw new TypeError(`TwitchLoginModule: invalid path "${options.path}"`);
    // One controller class per mount, so two mounts can have different paths.
    class TwitchLoginRoutes extends TwitchLoginController {}
    Controller(path)(TwitchLoginRoutes);
    return {
      module: TwitchLoginModule,
      imports: options.imports ?? [],
      controllers: [TwitchLoginRoutes],
      providers: [TwitchLoginService, { provide: TWITCH_LOGIN_MODULE_OPTIONS, useValue: { path } }],
      exports: [TwitchLoginService],
    };
  }
}
