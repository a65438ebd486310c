import { Controller, Get, Param, Query } from '@nestjs/common';
import { TwitchApiService, TwitchAuthService } from '../lib/index.js';

@Controller()
export class StreamsController {
  constructor(
    private readonly twitch: TwitchApiService,
    private readonly auth: TwitchAuthService,
  ) {}

  /** The JSON routes (the HTML home page `/` links to them). */
  @Get('routes')
  index() {
    return {
      routes: [
        'GET /streams?game=509658&first=20   live streams (cached 30 s)',
        'GET /streams/all?game=509658         every live stream of a game, across pages',
        'GET /users/:login                    a user by login',
        'GET /channels/:id                    channel information',
        'GET /app-token                       what Twitch says about the app token (not the token)',
        'GET /                                HTML home page with "Log in with Twitch"',
        'GET /me                              HTML page of the logged-in user and their followed channels',
      ],
    };
  }

  @Get('streams')
  streams(@Query('game') game?: string, @Query('first') first?: string) {
    return this.twitch.streams.getStreams(
      { gameId: game ? [game] : undefined, first: first ? Number(first) : 20 },
      { cacheTtl: 30_000 },
    );
  }

  @Get('streams/all')
  async allStreams(@Query('game') game?: string) {
    const logins: string[] = [];
    for await (const stream of this.twitch.streams.getStreamsPaginated({ gameId: game ? [game] : undefined, first: 100 })) {
      logins.push(stream.userLogin);
    }
    return { count: logins.length, logins };
  }

  @Get('users/:login')
  user(@Param('login') login: string) {
    return this.twitch.users.getUsers({ login: [login] }, { cacheTtl: 60_000 });
  }

  @Get('channels/:id')
  channel(@Param('id') id: string) {
    return this.twitch.channels.getChannelInformation({ broadcasterId: [id] });
  }

  @Get('app-token')
  async appToken() {
    const v = await this.auth.validateToken(await this.auth.getAppToken());
    return { clientId: v.clientId, expiresIn: v.expiresIn, scopes: v.scopes };
  }
}
