import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import type { TwitchScope } from '../../generated/scopes.js';
import { TwitchAuthGuard } from '../guards/twitch-auth.guard.js';
import { TWITCH_AUTH_SCOPES } from '../guards/twitch-auth.constants.js';

/**
 * Requires a Twitch user on the route (method) or on every route of the controller (class): a user
 * access token in `Authorization: Bearer <token>`, or the session cookie of `TwitchLoginModule`.
 * The token must carry every scope listed. Method-level use wins over class-level use (its scopes
 * replace the class's, so `@TwitchAuth()` on a method requires no scope on that route).
 *
 * Answers 401 (`TwitchAuthRequiredException`) without a valid token or session, 403
 * (`TwitchInsufficientScopeException`, naming the missing scopes) when scopes are missing.
 * Read the user with `@TwitchUser()`.
 *
 * The guard needs what `TwitchModule` exports: use `TwitchModule.forRoot({ ..., isGlobal: true })`
 * or import the module into the controller's module.
 */
export function TwitchAuth(...scopes: (TwitchScope | (string & {}))[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(TWITCH_AUTH_SCOPES, scopes), UseGuards(TwitchAuthGuard));
}
