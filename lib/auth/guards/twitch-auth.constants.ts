/** Metadata key of the scopes `@TwitchAuth(...scopes)` requires. */
export const TWITCH_AUTH_SCOPES = 'twitch:auth:scopes';
