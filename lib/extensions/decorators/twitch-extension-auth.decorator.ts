import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { type TwitchExtensionAuthRequirements, TwitchExtensionAuthGuard } from '../guards/twitch-extension-auth.guard.js';
import { TWITCH_EXTENSION_AUTH_REQUIREMENTS } from '../twitch-extension.constants.js';

/**
 * Requires a JWT from the extension's frontend on the route (method) or on every route of the
 * controller (class): `Authorization: Bearer <token>` with the token of `Twitch.ext.onAuthorized`.
 * The method's requirements replace the class's.
 *
 * 401 (`TwitchExtensionAuthException`, `reason` in the body) without a valid token; 403 when the
 * role is not in `roles` or when `linkedUser` is set and the viewer has not shared their identity.
 * Read the viewer with `@TwitchExtensionUser()`.
 *
 * Needs what `TwitchExtensionModule` exports: register it with `isGlobal: true` or import it.
 */
export function TwitchExtensionAuth(requirements: TwitchExtensionAuthRequirements = {}): MethodDecorator & ClassDecorator {
  const roles = requirements.roles ? [...requirements.roles] : undefined;
  return applyDecorators(
    SetMetadata(TWITCH_EXTENSION_AUTH_REQUIREMENTS, { roles, linkedUser: requirements.linkedUser === true }),
    UseGuards(TwitchExtensionAuthGuard),
  );
}
