import 'reflect-metadata';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { TwitchAuthService } from '../../lib/auth/twitch-auth.service.js';
import { TwitchUserTokenService } from '../../lib/auth/twitch-user-token.service.js';
import { TWITCH_ERROR_MAPPING, type TwitchErrorOutcome } from '../../lib/exceptions/twitch-exception.factory.js';
import type { TwitchException } from '../../lib/exceptions/twitch.exception.js';
import type { TwitchModuleOptions } from '../../lib/interfaces/twitch-module-options.interface.js';
import { TwitchModule } from '../../lib/twitch.module.js';
import { uniquePrefix } from '../support/app.js';

const CLIENT_ID = 'mapping-client-id';
const CLIENT_SECRET = 'mapping-client-secret-value';
const USER_ID = '141981764';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const headers = { 'Content-Type': 'application/json', 'Ratelimit-Limit': '800', 'Ratelimit-Remaining': '790' };
const answer =
  (status: number, value?: unknown, extra: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { ...headers, ...extra });
    res.end(value === undefined ? '' : JSON.stringify(value));
  };
const twitchError = (status: number, message: string, extra: Record<string, string> = {}) =>
  answer(status, { error: `HTTP ${status}`, status, message }, extra);

/**
 * A stand-in for Twitch (OAuth and Helix on one node:http server) whose answers each test scripts:
 * `routes['POST /oauth2/token']`, `routes['GET /helix/users']`, ...; unscripted token requests get a token.
 */
class ScriptedTwitch {
  server!: Server;
  base = '';
  routes: Record<string, Handler> = {};
  calls: string[] = [];
  private readonly sockets = new Set<Socket>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
        this.calls.push(route);
        const handler = this.routes[route] ?? this.fallback(route);
        handler(req, res, Buffer.concat(chunks).toString());
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.routes = {};
    this.calls = [];
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }

  private fallback(route: string): Handler {
    if (route === 'POST /oauth2/token') {
      return answer(200, { access_token: `app-${Date.now()}`, expires_in: 3600, token_type: 'bearer' });
    }
    return twitchError(404, `no route ${route}`);
  }
}

interface Scenario {
  /** What the scenario does, for the test's name. */
  name: string;
  run: () => Promise<unknown>;
  /** Twitch's status, expected on the exception (absent when nothing or no answer came). */
  twitchStatus?: number;
  /** Twitch's message, expected on the exception. */
  twitchMessage?: string;
}

describe('TWITCH_ERROR_MAPPING, row by row, through real HTTP answers', () => {
  const twitch = new ScriptedTwitch();
  let app: INestApplicationContext;
  let api: TwitchApiService;
  let auth: TwitchAuthService;
  let userTokens: TwitchUserTokenService;

  beforeAll(async () => {
    await twitch.start();
    const options: TwitchModuleOptions = {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: 'http://127.0.0.1:3000/auth/callback',
      helixUrl: `${twitch.base}/helix`,
      authUrl: `${twitch.base}/oauth2`,
      keyPrefix: uniquePrefix(),
      timeout: 400,
      retry: { maxRetries: 0 },
      tokens: { validateOnStartup: false },
    };
    @Module({ imports: [TwitchModule.forRoot(options)] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    api = app.get(TwitchApiService);
    auth = app.get(TwitchAuthService);
    userTokens = app.get(TwitchUserTokenService);
  });
  afterAll(async () => {
    await app.close();
    await twitch.close();
  });
  beforeEach(() => twitch.reset());

  const getUsers = (options = {}) => api.users.getUsers({ login: ['twitchdev'] }, options);
  const helix = (path: string, handler: Handler) => (twitch.routes[`GET /helix${path}`] = handler);
  const oauth = (route: string, handler: Handler) => (twitch.routes[route] = handler);
  /** A stored user, saved after Twitch (here) validated their token. */
  const saveUser = async () => {
    const validation = { client_id: CLIENT_ID, login: 'twitchdev', user_id: USER_ID, scopes: [], expires_in: 3600 };
    oauth('GET /oauth2/validate', answer(200, validation));
    await userTokens.save({ accessToken: 'user-access', refreshToken: 'user-refresh', scopes: [], tokenType: 'bearer' });
  };

  /** Helix answers `status` with Twitch's error body to Get Users. */
  const helixStatus = (status: number, message: string): Scenario => ({
    name: `Helix ${status}`,
    twitchStatus: status,
    twitchMessage: message,
    run: () => (helix('/users', twitchError(status, message)), getUsers()),
  });

  const SCENARIOS: Record<TwitchErrorOutcome, Scenario[]> = {
    invalidParams: [{ name: 'first: 500 on Get Streams', run: () => api.streams.getStreams({ first: 500 }) }],
    badRequest: [
      {
        name: 'Helix 400',
        twitchStatus: 400,
        twitchMessage: 'Invalid login names',
        run: () => (helix('/users', twitchError(400, 'Invalid login names')), getUsers()),
      },
      {
        name: 'OAuth 400 for an authorization code',
        twitchStatus: 400,
        twitchMessage: 'Invalid authorization code',
        run: () => (oauth('POST /oauth2/token', twitchError(400, 'Invalid authorization code')), auth.exchangeCode('used-code')),
      },
    ],
    appCredentialsRefused: [
      {
        name: 'OAuth /token 403 for client credentials (a Helix call needing the app token)',
        twitchStatus: 403,
        twitchMessage: 'invalid client secret',
        run: async () => {
          // Drop the app token held so far, so that the call has to fetch one.
          twitch.routes['POST /oauth2/revoke'] = answer(200);
          await auth.revokeToken(await auth.getAppToken());
          twitch.routes['POST /oauth2/token'] = twitchError(403, 'invalid client secret');
          return api.users.getUsers({ login: ['twitchdev'] });
        },
      },
      {
        name: 'OAuth /token 400 for client credentials',
        twitchStatus: 400,
        twitchMessage: 'invalid client',
        run: () => (oauth('POST /oauth2/token', twitchError(400, 'invalid client')), auth.requestAppToken()),
      },
      {
        name: 'OAuth /token 400 "invalid client secret" for an authorization code',
        twitchStatus: 400,
        twitchMessage: 'invalid client secret',
        run: () => (oauth('POST /oauth2/token', twitchError(400, 'invalid client secret')), auth.exchangeCode('a-code')),
      },
      {
        name: 'Helix 401 for the app token, also after it was renewed',
        twitchStatus: 401,
        twitchMessage: 'Invalid OAuth token',
        run: async () => {
          helix('/users', twitchError(401, 'Invalid OAuth token'));
          const err = await getUsers().catch((e) => e);
          expect(twitch.calls.filter((c) => c === 'GET /helix/users')).toHaveLength(2);
          throw err;
        },
      },
      {
        name: 'a stored user\'s refresh refused with "invalid client secret" (the user\'s tokens are kept)',
        twitchStatus: 400,
        twitchMessage: 'invalid client secret',
        run: async () => {
          await saveUser();
          twitch.routes['POST /oauth2/token'] = twitchError(400, 'invalid client secret');
          helix('/users', twitchError(401, 'Invalid OAuth token'));
          const err = await getUsers({ userId: USER_ID }).catch((e) => e);
          // The server's misconfiguration must not cost the user their login.
          expect(await userTokens.get(USER_ID)).toMatchObject({ accessToken: 'user-access', refreshToken: 'user-refresh' });
          expect((await userTokens.get(USER_ID))?.needsLogin).toBeFalsy();
          throw err;
        },
      },
    ],
    tokenRequired: [{ name: 'a user endpoint without a user', run: () => api.channels.getFollowedChannels({ userId: USER_ID }) }],
    callerTokenRefused: [
      {
        name: "Helix 401 for the caller's token",
        twitchStatus: 401,
        twitchMessage: 'Invalid OAuth token',
        run: () => (helix('/users', twitchError(401, 'Invalid OAuth token')), getUsers({ accessToken: 'callers-token' })),
      },
      {
        name: 'OAuth /validate 401',
        twitchStatus: 401,
        twitchMessage: 'invalid access token',
        run: () => (oauth('GET /oauth2/validate', twitchError(401, 'invalid access token')), auth.validateToken('dead-token')),
      },
    ],
    loginRequired: [
      {
        name: 'Helix 401 for a stored user token whose refresh Twitch refuses',
        run: async () => {
          await saveUser();
          twitch.routes['POST /oauth2/token'] = twitchError(400, 'Invalid refresh token');
          helix('/users', twitchError(401, 'Invalid OAuth token'));
          return getUsers({ userId: USER_ID });
        },
      },
    ],
    missingScope: [
      {
        name: 'Helix 401 "Missing scope"',
        twitchStatus: 401,
        twitchMessage: 'Missing scope: user:read:email',
        run: () => (
          helix('/users', twitchError(401, 'Missing scope: user:read:email')),
          getUsers({ accessToken: 'callers-token' })
        ),
      },
    ],
    forbidden: [helixStatus(403, 'no')],
    notFound: [helixStatus(404, 'none')],
    conflict: [helixStatus(409, 'busy')],
    unprocessable: [helixStatus(422, 'bad value')],
    tooEarly: [helixStatus(425, 'later')],
    rateLimited: [
      {
        name: "Helix 429 (an endpoint's own limit: points remain)",
        twitchStatus: 429,
        twitchMessage: 'too many',
        run: async () => {
          const reset = String(Math.floor(Date.now() / 1000) + 30);
          helix('/users', twitchError(429, 'too many', { 'Ratelimit-Remaining': '700', 'Ratelimit-Reset': reset }));
          const err = await getUsers().catch((e) => e);
          expect(err.retryAfter).toBeGreaterThanOrEqual(25);
          expect(err.retryAfter).toBeLessThanOrEqual(31);
          expect(err.getResponse()).toMatchObject({ retryAfter: err.retryAfter });
          throw err;
        },
      },
    ],
    otherClientError: [helixStatus(418, 'teapot')],
    serverError: [helixStatus(500, 'oops'), helixStatus(502, 'gw')],
    unavailable: [helixStatus(503, 'down')],
    gatewayTimeout: [helixStatus(504, 'slow')],
    invalidResponse: [
      {
        name: 'Helix 200 with an HTML page',
        twitchStatus: 200,
        run: () => (
          helix('/users', (_req, res) => {
            res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
            res.end('<html>maintenance</html>');
          }),
          getUsers()
        ),
      },
    ],
    timeout: [
      {
        name: 'no answer within timeout',
        run: () => {
          helix('/users', (req, res) => void setTimeout(() => answer(200, { data: [] })(req, res), 2_000).unref());
          return getUsers();
        },
      },
    ],
    unreachable: [{ name: 'connection reset', run: () => (helix('/users', (req) => void req.socket.destroy()), getUsers()) }],
  };

  const rows = (Object.keys(TWITCH_ERROR_MAPPING) as TwitchErrorOutcome[]).flatMap((outcome) =>
    SCENARIOS[outcome].map((scenario) => [outcome, scenario.name, scenario] as const),
  );

  it('has a scenario for every row', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual(Object.keys(TWITCH_ERROR_MAPPING).sort());
  });

  it.each(rows)('%s: %s', async (outcome, _name, scenario) => {
    const row = TWITCH_ERROR_MAPPING[outcome];
    const err = await scenario.run().then(
      (value) => ({ resolved: value }),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(row.exception);
    const e = err as TwitchException;
    const status = row.status || scenario.twitchStatus;
    expect(e.getStatus()).toBe(status);
    expect(e.getResponse()).toMatchObject({ statusCode: status });
    if (scenario.twitchStatus !== undefined) expect(e.twitchStatus).toBe(scenario.twitchStatus);
    if (scenario.twitchMessage !== undefined) expect(e.twitchMessage).toBe(scenario.twitchMessage);
    // Never a secret or token in what the app's client could see.
    const seen = `${e.message}\n${JSON.stringify(e.getResponse())}`;
    for (const secret of [CLIENT_SECRET, 'callers-token', 'user-access', 'user-refresh']) expect(seen).not.toContain(secret);
  });

  it("is the table the README's Errors section shows", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('## Endpoints'));
    for (const row of Object.values(TWITCH_ERROR_MAPPING)) {
      const line = section.split('\n').find((l) => l.includes(`\`${row.exception.name}\``));
      expect(line, row.exception.name).toBeDefined();
      expect(line).toContain(row.status ? `| ${row.status} |` : "Twitch's status");
    }
  });
});
