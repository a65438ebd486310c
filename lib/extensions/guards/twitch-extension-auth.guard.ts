import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TWITCH_EXTENSION_AUTH_REQUIREMENTS, TWITCH_EXTENSION_USER_REQUEST_KEY } from '../twitch-extension.constants.js';
import { TwitchExtensionAuthException } from '../../exceptions/twitch-extension.exception.js';
import { TwitchExtensionJwtVerifier } from '../twitch-extension-jwt.verifier.js';
import type { TwitchExtensionRole, TwitchExtensionViewer } from '../twitch-extension-viewer.js';

/** What `@TwitchExtensionAuth()` requires of the caller. */
export interface TwitchExtensionAuthRequirements {
  /**
   * Roles let through; any role when omitted or empty.
   * @default every role (broadcaster, moderator, viewer, external)
   */
  roles?: readonly TwitchExtensionRole[];
  /**
   * Only viewers who shared their Twitch identity with the extension (the JWT has `user_id`); others get 403.
   * @default false
   */
  linkedUser?: boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The guard behind `@TwitchExtensionAuth()`: verifies `Authorization: Bearer <JWT>` from the
 * extension frontend (see `TwitchExtensionJwtVerifier`), checks the role and the shared identity the
 * route requires, and puts the viewer on `request.twitchExtensionUser`.
 */
@Injectable()
export class TwitchExtensionAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TwitchExtensionJwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      throw new Error(`@TwitchExtensionAuth() guards HTTP routes only, not ${context.getType()} handlers`);
    }
    const required =
      this.reflector.getAllAndOverride<TwitchExtensionAuthRequirements | undefined>(TWITCH_EXTENSION_AUTH_REQUIREMENTS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    type Request = { headers: Record<string, string | string[] | undefined> } & Record<string, unknown>;
    const request = context.switchToHttp().getRequest<Request>();
    const user = await this.authenticate(request.headers.authorization);
    if (required.roles?.length && !required.roles.includes(user.role)) {
      throw new TwitchExtensionAuthException('role_not_allowed', `${user.role}; allowed: ${required.roles.join(', ')}`);
    }
    if (required.linkedUser && (user.userId === undefined || user.isUnlinked)) {
      throw new TwitchExtensionAuthException('identity_not_shared');
    }
    request[TWITCH_EXTENSION_USER_REQUEST_KEY] = user;
    return true;
  }

  /** The viewer behind an `Authorization` header value; throws a 401 `TwitchExtensionAuthException` otherwise. */
  async authenticate(header: string | string[] | undefined): Promise<TwitchExtensionViewer> {
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value === '') throw new TwitchExtensionAuthException('missing_token');
    const match = BEARER.exec(value);
    if (!match) throw new TwitchExtensionAuthException('malformed_authorization');
    return this.verifier.verify(match[1]);
  }
}
