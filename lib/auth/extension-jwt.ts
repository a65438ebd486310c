/** Role claim of an Extension JWT. An Extension Backend Service (EBS) signs as `external`. */
export type TwitchExtensionJwtRole = 'external' | 'broadcaster' | 'moderator' | 'viewer';

/** PubSub permissions of an Extension JWT (Send Extension PubSub Message needs `send`). */
export interface TwitchExtensionPubSubPerms {
  /** Targets the token may listen to, e.g. `['broadcast']`. */
  listen?: string[];
  /** Targets the token may send to, e.g. `['broadcast']` or `['global']`. */
  send?: string[];
}

export interface SignExtensionJwtOptions {
  /** The extension's secret, as the Twitch developer console shows it (base64). */
  secret: string;
  /** Twitch user ID of the extension's owner; sent as the `user_id` claim (a string). */
  ownerId: string | number;
  /** `role` claim. Default `external`, which every Helix Extension endpoint asks for. */
  role?: TwitchExtensionJwtRole;
  /** `channel_id` claim: the broadcaster the token acts for (Send Extension PubSub Message). */
  channelId?: string | number;
  /** `pubsub_perms` claim (Send Extension PubSub Message). */
  pubsubPerms?: TwitchExtensionPubSubPerms;
  /** Lifetime of the token; `exp` is now plus this. Default 180 seconds. */
  expiresInSeconds?: number;
}

const ROLES: readonly TwitchExtensionJwtRole[] = ['external', 'broadcaster', 'moderator', 'viewer'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * Signs an Extension JWT for the Helix Extension endpoints (pass it as `options.accessToken`).
 * HS256 with the extension secret decoded from base64, claims per Twitch's JWT schema:
 * `exp`, `user_id` (the owner, as a string), `role`, and `channel_id` / `pubsub_perms` when given.
 *
 * @example
 * ```ts
 * const jwt = await signExtensionJwt({ secret: process.env.EXT_SECRET!, ownerId: '141981764' });
 * await twitch.extensions.getExtensionSecrets({ extensionId }, { accessToken: jwt });
 * ```
 * @throws TypeError naming the parameter when `secret`, `ownerId`, `role`, `channelId`,
 *   `pubsubPerms` or `expiresInSeconds` is invalid.
 */
export async function signExtensionJwt(options: SignExtensionJwtOptions): Promise<string> {
  if (!options || typeof options !== 'object') throw new TypeError('signExtensionJwt: options must be an object');
  const { secret, ownerId, role = 'external', channelId, pubsubPerms, expiresInSeconds = 180 } = options;
  const key = decodeSecret(secret);
  const userId = idClaim(ownerId, 'ownerId');
  if (!ROLES.includes(role)) {
    throw new TypeError(`signExtensionJwt: role must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  }
  if (typeof expiresInSeconds !== 'number' || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new TypeError(
      `signExtensionJwt: expiresInSeconds must be a positive number of seconds (got ${String(expiresInSeconds)})`,
    );
  }
  const claims: Record<string, unknown> = { user_id: userId, role };
  if (channelId !== undefined) claims.channel_id = idClaim(channelId, 'channelId');
  if (pubsubPerms !== undefined) claims.pubsub_perms = perms(pubsubPerms);
  const exp = Math.floor(Date.now() / 1000) + Math.ceil(expiresInSeconds);
  const { SignJWT } = await loadJose();
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(exp).sign(key);
}

/** `jose` is loaded on first use, so the module itself does not need it unless Extension JWTs are signed. */
async function loadJose(): Promise<typeof import('jose')> {
  try {
    return await import('jose');
  } catch (err) {
    throw new Error('signExtensionJwt needs the "jose" package (npm install jose)', { cause: err });
  }
}

function decodeSecret(secret: unknown): Uint8Array {
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new TypeError('signExtensionJwt: secret must be the extension secret, a non-empty base64 string');
  }
  const s = secret.trim();
  if (!BASE64.test(s)) {
    throw new TypeError('signExtensionJwt: secret is not valid base64 (Twitch shows extension secrets base64-encoded)');
  }
  const key = Buffer.from(s, 'base64');
  if (key.length === 0) throw new TypeError('signExtensionJwt: secret decodes to an empty key');
  return new Uint8Array(key);
}

function idClaim(value: unknown, name: string): string {
  const ok =
    (typeof value === 'string' && value.trim() !== '') ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
  if (!ok) throw new TypeError(`signExtensionJwt: ${name} must be a Twitch user ID (a non-empty string)`);
  return String(value).trim();
}

function perms(value: unknown): TwitchExtensionPubSubPerms {
  const isList = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((t) => typeof t === 'string' && t !== ''));
  const p = value as TwitchExtensionPubSubPerms;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !isList(p.listen) || !isList(p.send)) {
    throw new TypeError('signExtensionJwt: pubsubPerms must be an object { listen?: string[]; send?: string[] }');
  }
  const out: TwitchExtensionPubSubPerms = {};
  if (p.listen) out.listen = [...p.listen];
  if (p.send) out.send = [...p.send];
  return out;
}
