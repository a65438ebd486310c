import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { signExtensionJwt } from './extension-jwt.js';

// Twitch shows extension secrets base64-encoded; the signing key is the decoded bytes.
const RAW_KEY = Buffer.from('an extension secret of 32 bytes!');
const SECRET = RAW_KEY.toString('base64');

describe('signExtensionJwt', () => {
  it('signs HS256 with the base64-decoded secret and Twitch’s claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await signExtensionJwt({ secret: SECRET, ownerId: '141981764' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new Uint8Array(RAW_KEY), { algorithms: ['HS256'] });
    expect(payload).toEqual({ user_id: '141981764', role: 'external', exp: expect.any(Number) });
    expect(payload.exp).toBeGreaterThanOrEqual(before + 180);
    expect(payload.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 180);
  });

  it('does not verify with the secret string itself (the key is the decoded bytes)', async () => {
    const token = await signExtensionJwt({ secret: SECRET, ownerId: '141981764' });
    await expect(jwtVerify(token, new TextEncoder().encode(SECRET))).rejects.toThrow(/signature/i);
  });

  it('adds channel_id and pubsub_perms when given, and sends numeric ids as strings', async () => {
    const token = await signExtensionJwt({
      secret: SECRET,
      ownerId: 141981764,
      role: 'external',
      channelId: 12826,
      pubsubPerms: { send: ['broadcast'] },
      expiresInSeconds: 60,
    });
    const { payload } = await jwtVerify(token, new Uint8Array(RAW_KEY));
    expect(payload).toEqual({
      user_id: '141981764',
      role: 'external',
      channel_id: '12826',
      pubsub_perms: { send: ['broadcast'] },
      exp: expect.any(Number),
    });
    const now = Math.floor(Date.now() / 1000);
    expect(payload.exp! - now).toBeGreaterThanOrEqual(59);
    expect(payload.exp! - now).toBeLessThanOrEqual(60);
  });

  it('produces tokens that expire', async () => {
    const token = await signExtensionJwt({ secret: SECRET, ownerId: '1', expiresInSeconds: 1 });
    const { payload } = await jwtVerify(token, new Uint8Array(RAW_KEY));
    // Verifying as of two seconds later fails on `exp`.
    await expect(jwtVerify(token, new Uint8Array(RAW_KEY), { currentDate: new Date((payload.exp! + 1) * 1000) })).rejects.toThrow(
      /"exp" claim/,
    );
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['not base64', 'not base64!'],
    ['bad padding', 'abc=='],
    ['not a string', 42 as unknown as string],
    ['missing', undefined as unknown as string],
  ])('rejects a bad secret (%s) naming the parameter', async (_label, secret) => {
    await expect(signExtensionJwt({ secret, ownerId: '1' })).rejects.toThrow(/\bsecret\b/);
    await expect(signExtensionJwt({ secret, ownerId: '1' })).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects other bad options naming them', async () => {
    await expect(signExtensionJwt({ secret: SECRET, ownerId: '' })).rejects.toThrow(/ownerId/);
    await expect(signExtensionJwt({ secret: SECRET, ownerId: '1', role: 'admin' as 'external' })).rejects.toThrow(/role/);
    await expect(signExtensionJwt({ secret: SECRET, ownerId: '1', expiresInSeconds: 0 })).rejects.toThrow(/expiresInSeconds/);
    await expect(signExtensionJwt({ secret: SECRET, ownerId: '1', channelId: '' })).rejects.toThrow(/channelId/);
    await expect(
      signExtensionJwt({ secret: SECRET, ownerId: '1', pubsubPerms: { send: 'broadcast' as unknown as string[] } }),
    ).rejects.toThrow(/pubsubPerms/);
  });
});
