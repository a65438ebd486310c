import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { TWITCH_EXTENSION_USER_REQUEST_KEY } from '../twitch-extension.constants.js';
import type { TwitchExtensionViewer } from '../twitch-extension-viewer.js';

/**
 * The viewer `@TwitchExtensionAuth()` verified: `@TwitchExtensionUser() viewer: TwitchExtensionViewer`,
 * or one field with `@TwitchExtensionUser('channelId') channelId: string`. `undefined` on a route
 * without `@TwitchExtensionAuth()`.
 */
export const TwitchExtensionUser = createParamDecorator(
  (field: keyof TwitchExtensionViewer | undefined, ctx: ExecutionContext) => {
    const request = ctx.switchToHttp().getRequest<Record<string, unknown>>();
    const user = request[TWITCH_EXTENSION_USER_REQUEST_KEY] as TwitchExtensionViewer | undefined;
    return field ? user?.[field] : user;
  },
);
