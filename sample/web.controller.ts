import { Controller, Get, Header, Query } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TWITCH_DEFAULTS, TwitchApiService, TwitchAuth, type TwitchIdentity, TwitchScopes, TwitchUser } from '../lib/index.js';
import { escapeHtml, page } from './html.js';

/** Server-rendered pages: a home page with "Log in with Twitch", and a page only for logged-in users. */
@Controller()
export class WebController {
  constructor(
    private readonly twitch: TwitchApiService,
    private readonly config: ConfigService,
  ) {}

  /** Which Twitch the sample talks to: the embedded fake (started by main.ts without credentials) or another. */
  private twitchNotice(): string {
    const fake = process.env.SAMPLE_FAKE_TWITCH_URL;
    if (fake) {
      return `<p class="notice" id="twitch">This sample runs on the <strong>embedded fake Twitch</strong> at <code>${escapeHtml(fake)}</code>,
because no <code>TWITCH_CLIENT_ID</code>/<code>TWITCH_CLIENT_SECRET</code> are set: its users, streams and consent
screen are made up, and nothing reaches twitch.tv. Set both (and register the callback URL) to use Twitch.</p>`;
    }
    const helixUrl = this.config.get<string>('TWITCH_HELIX_URL') ?? TWITCH_DEFAULTS.helixUrl;
    const authUrl = this.config.get<string>('TWITCH_AUTH_URL') ?? TWITCH_DEFAULTS.authUrl;
    return `<p class="notice" id="twitch">Helix at <code>${escapeHtml(helixUrl)}</code>, OAuth at <code>${escapeHtml(authUrl)}</code>.</p>`;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  home(@Query('next') next?: string) {
    const returnTo = typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/me';
    const notice = next ? `<p class="notice" id="notice">Log in to see <code>${escapeHtml(next)}</code>.</p>` : '';
    return page(
      'nestjs-twitch sample',
      `<h1>nestjs-twitch sample</h1>
${this.twitchNotice()}
${notice}
<p><a class="button" id="login" href="/auth/twitch/login?returnTo=${encodeURIComponent(returnTo)}">Log in with Twitch</a></p>
<p>Then see <a href="/me">your page</a>: who you are and the channels you follow.</p>
<p>EventSub: <a href="/live">follows, subscriptions, cheers and chat messages, live</a>.</p>
<h2>JSON routes</h2>
<ul>
<li><a href="/streams?game=509658&amp;first=20">/streams?game=509658&amp;first=20</a>: live streams (cached 30 s)</li>
<li><a href="/streams/all?game=509658">/streams/all?game=509658</a>: every live stream of a game, across pages</li>
<li><a href="/users/twitchdev">/users/:login</a>: a user by login</li>
<li><a href="/channels/141981764">/channels/:id</a>: channel information</li>
<li><a href="/app-token">/app-token</a>: what Twitch says about the app token (not the token)</li>
<li><a href="/routes">/routes</a>: this list as JSON</li>
</ul>`,
    );
  }

  /** Only for logged-in users with `user:read:follows`; calls Helix as the user with `{ user }`. */
  @Get('me')
  @TwitchAuth(TwitchScopes.USER_READ_FOLLOWS)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async me(@TwitchUser() user: TwitchIdentity) {
    let followed: string;
    try {
      const res = await this.twitch.channels.getFollowedChannels({ userId: user.userId, first: 20 }, { user });
      followed = res.data.length
        ? `<ul id="followed">\n${res.data
            .map(
              (c) =>
                `<li data-login="${escapeHtml(c.broadcasterLogin)}">${escapeHtml(c.broadcasterName)} <small>since ${escapeHtml(c.followedAt.toISOString().slice(0, 10))}</small></li>`,
            )
            .join('\n')}\n</ul>`
        : '<p id="followed">You follow no channels.</p>';
    } catch (err) {
      followed = `<p class="error" id="followed">Could not load your followed channels: ${escapeHtml((err as Error).message)}</p>`;
    }
    return page(
      `${user.login} - nestjs-twitch sample`,
      `<h1>Hello, <span id="user-login">${escapeHtml(user.login)}</span></h1>
<p>Twitch user ID <code id="user-id">${escapeHtml(user.userId)}</code>; scopes <code id="user-scopes">${escapeHtml(user.scopes.join(' ') || '(none)')}</code>${
        user.expiresAt ? `; token valid until ${escapeHtml(user.expiresAt.toISOString())}` : ''
      }.</p>
<h2>Channels you follow</h2>
${followed}
<form method="post" action="/auth/twitch/logout"><button type="submit" id="logout">Log out</button></form>
<p><a href="/">Home</a></p>`,
    );
  }
}
