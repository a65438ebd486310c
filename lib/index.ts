export { TwitchModule } from './twitch.module.js';
export { TWITCH_MODULE_OPTIONS, type TwitchOptionsFactory } from './twitch.module-definition.js';
export { TWITCH_AUTH_URL, TWITCH_DEFAULTS, TWITCH_HELIX_URL, TWITCH_RESOLVED_OPTIONS } from './twitch.constants.js';
export { resolveTwitchOptions, TwitchOptionsError, type TwitchResolvedOptions } from './twitch-options.js';
export type {
  TwitchTokenOptions,
  TwitchCacheManager,
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
export {
  createTwitchException,
  readRateLimitHeaders,
  TWITCH_ERROR_MAPPING,
  TWITCH_MESSAGE_MAX_LENGTH,
  type TwitchErrorMapping,
  type TwitchErrorOutcome,
  type TwitchFailure,
} from './exceptions/twitch-exception.factory.js';
export {
  TwitchDeviceFlowException,
  TwitchLoginRequiredException,
  TwitchMissingScopeException,
  TwitchTokenRequiredException,
} from './exceptions/twitch-auth.exception.js';
export { TwitchValidationException, type TwitchInvalidParam } from './exceptions/twitch-validation.exception.js';

export * from './generated/index.js';
export { TWITCH_EVENTSUB_TYPES, type TwitchEventSubMap } from './generated/eventsub/index.js';
export type {
  TwitchEventSubConditionField,
  TwitchEventSubConditionOf,
  TwitchEventSubEventOf,
  TwitchEventSubStatus,
  TwitchEventSubTokenKind,
  TwitchEventSubTransportKind,
  TwitchEventSubTypeInfo,
  TwitchEventSubTypeName,
  TwitchEventSubVersionOf,
} from './eventsub/twitch-eventsub-type.interface.js';
export { TwitchExactlyOneOf } from './eventsub/twitch-eventsub-condition.validators.js';
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

export { TwitchEventSubModule } from './eventsub/twitch-eventsub.module.js';
export { TWITCH_EVENTSUB_MODULE_OPTIONS, type TwitchEventSubOptionsFactory } from './eventsub/twitch-eventsub.module-definition.js';
export { TWITCH_EVENTSUB_DEFAULTS } from './eventsub/twitch-eventsub.constants.js';
export { TwitchEventSubService } from './eventsub/twitch-eventsub.service.js';
export { TwitchEventSubDispatcher, type TwitchEventSubAcceptance } from './eventsub/twitch-eventsub.dispatcher.js';
export {
  TwitchEventSubReconciler,
  type TwitchEventSubReconcileEntry,
  type TwitchEventSubReconcileFailure,
  type TwitchEventSubReconcileReport,
} from './eventsub/twitch-eventsub.reconciler.js';
export { TwitchEventSubClaimsStore, TwitchEventSubMemoryClaims, TwitchEventSubRedisClaims } from './eventsub/twitch-eventsub-claims.store.js';
export {
  OnTwitchEvent,
  OnTwitchNotification,
  OnTwitchRevocation,
  type OnTwitchEventOptions,
  type TwitchEventSubConditionSource,
} from './eventsub/decorators/on-twitch-event.decorator.js';
export type {
  TwitchEventSubHandlerErrorContext,
  TwitchEventSubModuleOptions,
  TwitchEventSubReconcileOptions,
  TwitchEventSubWantedSubscription,
  TwitchEventSubWebhookOptions,
} from './eventsub/interfaces/twitch-eventsub-options.interface.js';
export type {
  TwitchEventSubInboundMessage,
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from './eventsub/interfaces/twitch-eventsub-message.interface.js';
export type { TwitchEventSubResolvedOptions, TwitchEventSubResolvedWanted } from './eventsub/twitch-eventsub.options.js';
export { TWITCH_EVENTSUB_TRANSPORT, type TwitchEventSubTransport } from './eventsub/transport/twitch-eventsub-transport.interface.js';
export { signTwitchEventSubMessage, verifyTwitchEventSubSignature } from './eventsub/webhook/twitch-eventsub-signature.js';
export {
  TwitchEventSubConfigError,
  TwitchEventSubCostExceededException,
  TwitchEventSubMissingAuthorizationException,
  TwitchEventSubWebhookException,
  type TwitchEventSubWebhookRejection,
} from './eventsub/twitch-eventsub.exceptions.js';
export { TwitchExtensionModule } from './extensions/twitch-extension.module.js';
export { TWITCH_EXTENSION_MODULE_OPTIONS, type TwitchExtensionOptionsFactory } from './extensions/twitch-extension.module-definition.js';
export type { TwitchExtensionModuleOptions, TwitchExtensionPubSubOptions } from './extensions/twitch-extension-options.interface.js';
export {
  resolveTwitchExtensionOptions,
  TwitchExtensionOptionsError,
  type TwitchExtensionResolvedOptions,
} from './extensions/twitch-extension-options.js';
export {
  TWITCH_EXTENSION_DEFAULTS,
  TWITCH_EXTENSION_RESOLVED_OPTIONS,
  TWITCH_EXTENSION_AUTH_REQUIREMENTS,
  TWITCH_EXTENSION_USER_REQUEST_KEY,
} from './extensions/twitch-extension.constants.js';
export { TwitchExtensionAuth } from './extensions/decorators/twitch-extension-auth.decorator.js';
export { TwitchExtensionUser } from './extensions/decorators/twitch-extension-user.decorator.js';
export { TwitchExtensionAuthGuard, type TwitchExtensionAuthRequirements } from './extensions/guards/twitch-extension-auth.guard.js';
export type { TwitchExtensionRole, TwitchExtensionViewer } from './extensions/twitch-extension-viewer.js';
export { TwitchExtensionJwtVerifier } from './extensions/twitch-extension-jwt.verifier.js';
export { TwitchExtensionJwtSigner } from './extensions/twitch-extension-jwt.signer.js';
export { TwitchExtensionSecretsService, type TwitchExtensionSecret } from './extensions/twitch-extension-secrets.service.js';
export { TwitchExtensionPubSubPacer, type TwitchExtensionPubSubSlot } from './extensions/twitch-extension-pubsub.pacer.js';
export {
  TwitchExtensionService,
  type TwitchExtensionCallOptions,
  type TwitchExtensionPubSubMessage,
  type TwitchExtensionPubSubTarget,
  type TwitchExtensionSegment,
} from './extensions/twitch-extension.service.js';
export {
  TwitchExtensionAuthException,
  TwitchExtensionConfigException,
  TwitchExtensionPubSubLimitException,
  type TwitchExtensionAuthFailureReason,
} from './extensions/twitch-extension.exceptions.js';

export * from './chat/index.js';
