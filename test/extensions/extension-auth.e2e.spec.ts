import 'reflect-metadata';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchExtensionAuth } from '../../lib/extensions/decorators/twitch-extension-auth.decorator.js';
import { TwitchExtensionUser } from '../../lib/extensions/decorators/twitch-extension-user.decorator.js';
import { TwitchExtensionModule } from '../../lib/extensions/twitch-extension.module.js';
import type { TwitchExtensionViewer } from '../../lib/extensions/twitch-extension-viewer.js';
import { type FakeExtension, signFakeExtensionJwt } from '../../lib/testing/fake-twitch/index.js';
import { FakeTwitch, flushPrefix, uniquePrefix } from '../support/app.js';
import { createHttpApp, type Platform } from '../support/http-app.js';

const CHANNEL = '141981764';
const VIEWER = '98765';

@Controller('ebs')
@TwitchExtensionAuth()
class EbsController {
  @Get('whoami')
  whoami(@TwitchExtensionUser() viewer: TwitchExtensionViewer) {
    return { viewer, hasToken: typeof viewer.token === 'string' && viewer.token.length > 0 };
  }

  @Get('channel')
  channel(@TwitchExtensionUser('channelId') channelId: string) {
    return { channelId };
  }

  @Get('broadcaster')
  @TwitchExtensionAuth({ roles: ['broadcaster', 'moderator'] })
  broadcaster(@TwitchExtensionUser('role') role: string) {
    return { role };
  }

  @Get('linked')
  @TwitchExtensionAuth({ linkedUser: true })
  linked(@TwitchExtensionUser('userId') userId: string) {
    return { userId };
  }
}

/** A JWT with the given header and payload and a signature that is not HS256 (or none at all). */
function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(claims)}.${signature}`;
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe.each<Platform>(['express', 'fastify'])('@TwitchExtensionAuth on %s', (platform) => {
  let fake: FakeTwitch;
  let ext: FakeExtension;
  let app: INestApplication;
  let prefix: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    ext = fake.extensions.add({ ownerId: '141981764' });
    prefix = uniquePrefix();
    app = await createHttpApp(platform, fake, {
      keyPrefix: prefix,
      controllers: [EbsController],
      imports: [
        TwitchExtensionModule.forRoot({ secret: ext.currentSecret, clockSkewMs: 30_000, fetchSecrets: false, isGlobal: true }),
      ],
    });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  it.each(['broadcaster', 'moderator', 'viewer', 'external'] as const)(
    'lets a valid %s JWT through and exposes its claims',
    async (role) => {
      const userId = role === 'broadcaster' ? CHANNEL : VIEWER;
      const jwt = ext.issueJwt({ channelId: CHANNEL, role, userId });
      const res = await http().get('/ebs/whoami').set('Authorization', `Bearer ${jwt}`).expect(200);
      expect(res.body.hasToken).toBe(true);
      expect(res.body.viewer).toEqual({
        channelId: CHANNEL,
        opaqueUserId: `U${userId}`,
        userId,
        role,
        isUnlinked: false,
        pubsubPerms: claimsOf(jwt).pubsub_perms,
        expiresAt: new Date((claimsOf(jwt).exp as number) * 1000).toISOString(),
      });
      expect(JSON.stringify(res.body)).not.toContain(jwt);
    },
  );

  it('gives one field with @TwitchExtensionUser(field)', async () => {
    const jwt = ext.issueJwt({ channelId: CHANNEL });
    await http().get('/ebs/channel').set('Authorization', `Bearer ${jwt}`).expect(200, { channelId: CHANNEL });
  });

  it('refuses a request without Authorization (401 missing_token)', async () => {
    const res = await http().get('/ebs/whoami').expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, reason: 'missing_token' });
  });

  it('refuses an Authorization that is not Bearer <JWT> (401 malformed_authorization)', async () => {
    const jwt = ext.issueJwt({ channelId: CHANNEL });
    expect((await http().get('/ebs/whoami').set('Authorization', `Basic ${jwt}`).expect(401)).body.reason).toBe(
      'malformed_authorization',
    );
    expect((await http().get('/ebs/whoami').set('Authorization', 'Bearer not-a-jwt').expect(401)).body.reason).toBe(
      'malformed_authorization',
    );
  });

  it('refuses an expired JWT (401 expired_token) but tolerates clockSkewMs', async () => {
    const expired = ext.issueJwt({ channelId: CHANNEL, ttlSeconds: -120 });
    const res = await http().get('/ebs/whoami').set('Authorization', `Bearer ${expired}`).expect(401);
    expect(res.body.reason).toBe('expired_token');
    const justExpired = ext.issueJwt({ channelId: CHANNEL, ttlSeconds: -5 });
    await http().get('/ebs/whoami').set('Authorization', `Bearer ${justExpired}`).expect(200);
  });

  it('refuses a JWT without exp (401 missing_expiry)', async () => {
    const jwt = signFakeExtensionJwt({ channel_id: CHANNEL, opaque_user_id: 'A1', role: 'viewer' }, ext.currentSecret);
    expect((await http().get('/ebs/whoami').set('Authorization', `Bearer ${jwt}`).expect(401)).body.reason).toBe(
      'missing_expiry',
    );
  });

  it('refuses a JWT signed with another secret (401 invalid_signature), without naming any secret', async () => {
    const other = randomBytes(32).toString('base64');
    const jwt = ext.issueJwt({ channelId: CHANNEL, secret: other });
    const res = await http().get('/ebs/whoami').set('Authorization', `Bearer ${jwt}`).expect(401);
    expect(res.body.reason).toBe('invalid_signature');
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(ext.currentSecret);
    expect(text).not.toContain(other);
    expect(text).not.toContain(jwt);
  });

  it('refuses alg "none" (401 unsupported_algorithm)', async () => {
    const claims = claimsOf(ext.issueJwt({ channelId: CHANNEL, role: 'broadcaster', userId: CHANNEL }));
    for (const alg of ['none', 'None', 'NONE']) {
      const res = await http()
        .get('/ebs/whoami')
        .set('Authorization', `Bearer ${unsigned({ alg, typ: 'JWT' }, claims)}`)
        .expect(401);
      expect(res.body.reason).toBe('unsupported_algorithm');
    }
  });

  it('refuses RS256: a real RSA signature, and an HMAC signature under an RS256 header (401 unsupported_algorithm)', async () => {
    const claims = claimsOf(ext.issueJwt({ channelId: CHANNEL, role: 'broadcaster', userId: CHANNEL }));
    // A 2048-bit RSA key made for this test (generating one costs up to a second of CPU).
    const privateKey = createPrivateKey(readFileSync(new URL('./fixtures/rs256-test-key.pem', import.meta.url)));
    const rsa = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    expect((await http().get('/ebs/whoami').set('Authorization', `Bearer ${rsa}`).expect(401)).body.reason).toBe(
      'unsupported_algorithm',
    );
    const confused = signFakeExtensionJwt(claims, ext.currentSecret, { alg: 'RS256', typ: 'JWT' });
    expect((await http().get('/ebs/whoami').set('Authorization', `Bearer ${confused}`).expect(401)).body.reason).toBe(
      'unsupported_algorithm',
    );
  });

  it('refuses a tampered payload (401 invalid_signature)', async () => {
    const jwt = ext.issueJwt({ channelId: CHANNEL, role: 'viewer', userId: VIEWER });
    const [h, , s] = jwt.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(jwt), role: 'broadcaster' })).toString('base64url');
    const res = await http().get('/ebs/broadcaster').set('Authorization', `Bearer ${h}.${forged}.${s}`).expect(401);
    expect(res.body.reason).toBe('invalid_signature');
  });

  it('refuses a role the route does not accept (403 role_not_allowed); the method wins over the class', async () => {
    const viewer = ext.issueJwt({ channelId: CHANNEL, role: 'viewer', userId: VIEWER });
    const res = await http().get('/ebs/broadcaster').set('Authorization', `Bearer ${viewer}`).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, reason: 'role_not_allowed' });
    const mod = ext.issueJwt({ channelId: CHANNEL, role: 'moderator', userId: VIEWER });
    await http().get('/ebs/broadcaster').set('Authorization', `Bearer ${mod}`).expect(200, { role: 'moderator' });
  });

  it('with linkedUser, refuses a viewer who did not share their identity (403 identity_not_shared)', async () => {
    const anonymous = ext.issueJwt({ channelId: CHANNEL, role: 'viewer' });
    expect((await http().get('/ebs/linked').set('Authorization', `Bearer ${anonymous}`).expect(403)).body.reason).toBe(
      'identity_not_shared',
    );
    const unlinked = ext.issueJwt({ channelId: CHANNEL, role: 'viewer', opaqueUserId: 'UXYZ', isUnlinked: true });
    const res = await http().get('/ebs/linked').set('Authorization', `Bearer ${unlinked}`).expect(403);
    expect(res.body.reason).toBe('identity_not_shared');
    const linked = ext.issueJwt({ channelId: CHANNEL, role: 'viewer', userId: VIEWER });
    await http().get('/ebs/linked').set('Authorization', `Bearer ${linked}`).expect(200, { userId: VIEWER });
  });

  it('refuses a JWT without Twitch claims (401 invalid_claims)', async () => {
    const jwt = ext.issueJwt({ channelId: CHANNEL, claims: { role: 'admin' } });
    expect((await http().get('/ebs/whoami').set('Authorization', `Bearer ${jwt}`).expect(401)).body.reason).toBe(
      'invalid_claims',
    );
  });
});
