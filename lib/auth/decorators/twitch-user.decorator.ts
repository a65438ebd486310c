import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type TwitchIdentity, TWITCH_USER_REQUEST_KEY } from '../guards/twitch-identity.js';

/**
 * The Twitch user `@TwitchAuth()` authenticated: `@TwitchUser() user: TwitchIdentity`, or one field
 * with `@TwitchUser('login') login: string`. `undefined` on a route without `@TwitchAuth()`.
 */
export const TwitchUser = createParamDecorator((field: keyof TwitchIdentity | undefined, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<Record<string, unknown>>();
  const identity = request[TWITCH_USER_REQUEST_KEY] as TwitchIdentity | undefined;
  return field ? identity?.[field] : identity;
});
