export { TwitchModule } from './twitch.module.js';
export { TWITCH_MODULE_OPTIONS, type TwitchOptionsFactory } from './twitch.module-definition.js';
export { TWITCH_AUTH_URL, TWITCH_DEFAULTS, TWITCH_HELIX_URL, TWITCH_RESOLVED_OPTIONS } from './twitch.constants.js';
export { resolveTwitchOptions, TwitchOptionsError, type TwitchResolvedOptions } from './twitch-options.js';
export type {
  TwitchTokenOptions,
  TwitchCacheOptions,
  TwitchModuleOptions,
  TwitchRateLimitOptions,
  TwitchRedisOptions,
  TwitchRetryOptions,
} from './interfaces/twitch-module-options.interface.js';
export type { TwitchRequestOptions } from './interfaces/twitch-request-options.interface.js';

export { TwitchApiService } from './api/twitch-api.service.js';
export { TwitchEndpointCaller } from './api/twitch-endpoint.caller.js';
export type {
  TwitchEndpointBinding,
  TwitchEndpointClient,
  TwitchPageItem,
} from './api/twitch-endpoint-binding.js';
export type {
  TwitchAuthKind,
  TwitchEndpoint,
  TwitchEndpointStatus,
  TwitchHttpMethod,
  TwitchWireField,
} from './api/twitch-endpoint.interface.js';
export { IsTwitchTimestamp } from './api/twitch-validation.js';

export { TwitchAuthService } from './auth/twitch-auth.service.js';
export type {
  TwitchAppToken,
  TwitchAuthorizeUrlOptions,
  TwitchDeviceCode,
  TwitchDeviceFlowPollOptions,
  TwitchTokenValidation,
  TwitchUserToken,
} from './auth/twitch-auth.types.js';

export { TwitchUserTokenService, type TwitchTokenInvalidEvent } from './auth/twitch-user-token.service.js';
export { TwitchTokenStore, TwitchMemoryTokenStore, type TwitchStoredToken } from './auth/token-store/twitch-token-store.js';
export { TwitchRedisTokenStore } from './auth/token-store/twitch-redis-token-store.js';
export { TwitchTokenCipher, TwitchTokenDecryptionError, parseTokenKey } from './auth/token-store/twitch-token-cipher.js';
export { TwitchKvStore, TwitchMemoryKvStore, TwitchRedisKvStore } from './store/twitch-kv.store.js';

export { TwitchCache, type TwitchCachedResponse } from './cache/twitch-cache.js';
export {
  TwitchRateLimitStore,
  TWITCH_RATE_LIMIT_BOUNDS,
  type TwitchBucketGrant,
  type TwitchBucketObservation,
  type TwitchBucketSettings,
} from './rate-limit/twitch-rate-limit.store.js';
export { TwitchMemoryRateLimitStore } from './rate-limit/memory-rate-limit.store.js';
export { TwitchRedisRateLimitStore } from './rate-limit/redis-rate-limit.store.js';

export { TwitchField, getTwitchFields, type TwitchFieldMeta, type TwitchFieldOptions } from './dto/twitch-field.decorator.js';
export { mapTwitchDto } from './dto/twitch-dto.mapper.js';
export { TwitchPagination } from './dto/twitch-pagination.dto.js';

export * from './exceptions/twitch.exception.js';
export { createTwitchException, readRateLimitHeaders, type TwitchFailure } from './exceptions/twitch-exception.factory.js';
export {
  TwitchDeviceFlowException,
  TwitchLoginRequiredException,
  TwitchMissingScopeException,
  TwitchTokenRequiredException,
} from './exceptions/twitch-auth.exception.js';
export { TwitchValidationException, type TwitchInvalidParam } from './exceptions/twitch-validation.exception.js';

export * from './generated/index.js';
export {
  signExtensionJwt,
  type SignExtensionJwtOptions,
  type TwitchExtensionJwtRole,
  type TwitchExtensionPubSubPerms,
} from './auth/extension-jwt.js';

export type { TwitchLoginOptions } from './interfaces/twitch-login-options.interface.js';
export type { TwitchResolvedLoginOptions } from './twitch-options.js';
export { TwitchAuth } from './auth/decorators/twitch-auth.decorator.js';
export { TwitchUser } from './auth/decorators/twitch-user.decorator.js';
export { TwitchAuthGuard } from './auth/guards/twitch-auth.guard.js';
export { TWITCH_AUTH_SCOPES } from './auth/guards/twitch-auth.constants.js';
export { type TwitchIdentity, TWITCH_USER_REQUEST_KEY } from './auth/guards/twitch-identity.js';
export {
  TwitchAuthRequiredException,
  TwitchInsufficientScopeException,
  type TwitchAuthFailureReason,
} from './auth/guards/twitch-auth.exceptions.js';
export { TwitchLoginModule, type TwitchLoginModuleOptions } from './auth/login/twitch-login.module.js';
export { TwitchLoginService } from './auth/login/twitch-login.service.js';
export { TwitchLoginController } from './auth/login/twitch-login.controller.js';
export { TwitchLoginException, type TwitchLoginFailureReason } from './auth/login/twitch-login.exception.js';
