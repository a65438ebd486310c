import { Get, Header, Inject, Injectable, Logger, type OnModuleInit, Post, Query, Redirect, Req, Res } from '@nestjs/common';
import { TWITCH_RESOLVED_OPTIONS } from '../../twitch.constants.js';
import type { TwitchResolvedOptions } from '../../twitch-options.js';
import type { TwitchHttpRequestLike } from './twitch-cookies.js';
import { TWITCH_LOGIN_MODULE_OPTIONS } from './twitch-login.constants.js';
import { TwitchLoginService } from './twitch-login.service.js';

/** Routes of `TwitchLoginModule`, mounted at its `path` (default `auth/twitch`). */
@Injectable()
export class TwitchLoginController implements OnModuleInit {
  private readonly logger = new Logger('TwitchLogin');

  constructor(
    private readonly login: TwitchLoginService,
    @Inject(TWITCH_LOGIN_MODULE_OPTIONS) private readonly mount: { path: string },
    @Inject(TWITCH_RESOLVED_OPTIONS) private readonly options: TwitchResolvedOptions,
  ) {}

  onModuleInit(): void {
    const uri = this.options.redirectUri;
    if (!uri) return; // TwitchLoginService refuses to start without it
    const expected = `/${this.mount.path}/callback`;
    if (!new URL(uri).pathname.replace(/\/+$/, '').endsWith(expected)) {
      this.logger.warn(
        `redirectUri ${uri} does not end with ${expected}: Twitch will send users somewhere else than this login callback`,
      );
    }
  }

  /** `GET {path}/login?returnTo=/somewhere`: redirects to Twitch's consent screen. */
  @Get('login')
  @Header('Cache-Control', 'no-store')
  @Redirect()
  async start(
    @Req() request: TwitchHttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
    @Query('returnTo') returnTo?: unknown,
  ) {
    return { url: await this.login.start(request, response, { returnTo }), statusCode: 302 };
  }

  /** `GET {path}/callback?code=…&state=…` (or `?error=access_denied&…`): Twitch sends the user back here. */
  @Get('callback')
  @Header('Cache-Control', 'no-store')
  @Redirect()
  async callback(
    @Req() request: TwitchHttpRequestLike,
    @Res({ passthrough: true }) response: unknown,
    @Query() query: Record<string, unknown>,
  ) {
    const { redirectTo } = await this.login.finish(request, response, query ?? {});
    return { url: redirectTo, statusCode: 302 };
  }

  /** `POST {path}/logout`: revokes the token, removes it, clears the cookie, redirects (303) to `login.logoutRedirect`. */
  @Post('logout')
  @Header('Cache-Control', 'no-store')
  @Redirect()
  async logout(@Req() request: TwitchHttpRequestLike, @Res({ passthrough: true }) response: unknown) {
    const { redirectTo } = await this.login.logout(request, response);
    return { url: redirectTo, statusCode: 303 };
  }
}
