import { Inject, Injectable } from '@nestjs/common';
import { TWITCH_EXTENSION_RESOLVED_OPTIONS } from './twitch-extension.constants.js';
import { TwitchExtensionAuthException } from '../exceptions/twitch-extension.exception.js';
import type { TwitchExtensionResolvedOptions } from './twitch-extension-options.js';
import { TwitchExtensionSecretsService } from './twitch-extension-secrets.service.js';
import type { TwitchExtensionRole, TwitchExtensionViewer } from './twitch-extension-viewer.js';

const ROLES: readonly TwitchExtensionRole[] = ['broadcaster', 'moderator', 'viewer', 'external'];
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Longest JWT accepted (frontend JWTs are a few hundred bytes). */
const MAX_JWT_LENGTH = 8_192;

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;

/**
 * Verifies the JWTs that extension frontends send to the EBS: HS256 only (the header is checked
 * before anything else, so `none` and RS256 tokens are refused), signed with one of the extension's
 * current secrets, `exp` present and not past (within `clockSkewMs`), and Twitch's claims present.
 */
@Injectable()
export class TwitchExtensionJwtVerifier {
  constructor(
    @Inject(TWITCH_EXTENSION_RESOLVED_OPTIONS) private readonly options: TwitchExtensionResolvedOptions,
    private readonly secrets: TwitchExtensionSecretsService,
  ) {}

  /** The viewer behind a frontend JWT; throws `TwitchExtensionAuthException` (401) naming the reason. */
  async verify(token: string): Promise<TwitchExtensionViewer> {
    if (typeof token !== 'string' || token.length > MAX_JWT_LENGTH || !JWT.test(token)) {
      throw new TwitchExtensionAuthException('malformed_authorization', 'not a JWT');
    }
    const j = await loadJose();
    let header: { alg?: unknown };
    try {
      header = j.decodeProtectedHeader(token);
    } catch {
      throw new TwitchExtensionAuthException('malformed_authorization', 'unreadable JWT header');
    }
    if (header.alg !== 'HS256') {
      throw new TwitchExtensionAuthException('unsupported_algorithm', `got ${JSON.stringify(String(header.alg)).slice(0, 20)}`);
    }

    let payload = await this.tryVerify(j, token);
    if (!payload && (await this.secrets.refreshAfterUnknownSignature())) payload = await this.tryVerify(j, token);
    if (!payload) throw new TwitchExtensionAuthException('invalid_signature');
    return toUser(payload, token);
  }

  /** The payload if a current secret verifies the signature; undefined otherwise. Claim errors throw. */
  private async tryVerify(j: Jose, token: string): Promise<Record<string, unknown> | undefined> {
    for (const secret of await this.secrets.verificationSecrets()) {
      try {
        const { payload } = await j.jwtVerify(token, this.secrets.keyOf(secret), {
          algorithms: ['HS256'],
          clockTolerance: Math.floor(this.options.clockSkewMs / 1000),
          requiredClaims: ['exp'],
        });
        return payload as Record<string, unknown>;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
        if (code === 'ERR_JWT_EXPIRED') throw new TwitchExtensionAuthException('expired_token');
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (err as { claim?: string }).claim === 'exp') {
          throw new TwitchExtensionAuthException('missing_expiry');
        }
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw new TwitchExtensionAuthException('invalid_claims');
        throw new TwitchExtensionAuthException('malformed_authorization', 'unreadable JWT');
      }
    }
    return undefined;
  }
}

function toUser(p: Record<string, unknown>, token: string): TwitchExtensionViewer {
  const str = (v: unknown) => typeof v === 'string' && v !== '';
  if (!str(p.channel_id) || !str(p.opaque_user_id) || !ROLES.includes(p.role as TwitchExtensionRole)) {
    throw new TwitchExtensionAuthException('invalid_claims');
  }
  if (p.user_id !== undefined && !str(p.user_id)) throw new TwitchExtensionAuthException('invalid_claims');
  const user = {
    channelId: p.channel_id as string,
    opaqueUserId: p.opaque_user_id as string,
    ...(p.user_id !== undefined ? { userId: p.user_id as string } : {}),
    role: p.role as TwitchExtensionRole,
    isUnlinked: p.is_unlinked === true,
    ...(perms(p.pubsub_perms) ? { pubsubPerms: perms(p.pubsub_perms) } : {}),
    expiresAt: new Date((p.exp as number) * 1000),
  } as TwitchExtensionViewer;
  Object.defineProperty(user, 'token', { value: token, enumerable: false, writable: false, configurable: false });
  return user;
}

function perms(v: unknown): TwitchExtensionViewer['pubsubPerms'] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((t): t is string => typeof t === 'string') : undefined);
  const { listen, send } = v as { listen?: unknown; send?: unknown };
  return { ...(list(listen) ? { listen: list(listen) } : {}), ...(list(send) ? { send: list(send) } : {}) };
}

function loadJose(): Promise<Jose> {
  jose ??= import('jose').catch((err: unknown) => {
    jose = undefined;
    throw new Error('Verifying Extension JWTs needs the "jose" package (npm install jose)', { cause: err });
  });
  return jose;
}
