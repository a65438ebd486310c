/** Injection token of the `TwitchLoginModule.forRoot()` options of one mount. */
export const TWITCH_LOGIN_MODULE_OPTIONS = Symbol('TWITCH_LOGIN_MODULE_OPTIONS');
