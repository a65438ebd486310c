/**
 * The package root: what an application uses. Modules, services, guards and decorators, exceptions, options,
 * the pluggable stores, scopes and the catalogs. The Helix DTO and params classes are in `nestjs-twitch/helix`,
 * the EventSub condition and event classes in `nestjs-twitch/eventsub-types`, the fake Twitch in
 * `nestjs-twitch/testing`. The runtime names are pinned by `test/exports.spec.ts` (`test/packaging/exports.txt`).
 */

// ── Module and options ──────────────────────────────────────────────────────────────────────────────────────
export { TwitchModule } from './twitch.module.js';
export { type TwitchOptionsFactory } from './twitch.module-definition.js';
export { TWITCH_DEFAULTS } from './twitch.constants.js';
export { TwitchOptionsError } from './twitch-options.js';
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
export type { TwitchLoginOptions } from './interfaces/twitch-login-options.interface.js';

// ── Helix: the service, the catalog, scopes ─────────────────────────────────────────────────────────────────
export { TwitchApiService } from './api/twitch-api.service.js';
export { TWITCH_ENDPOINTS } from './generated/catalog.js';
export { TwitchScopes, TWITCH_SCOPES, type TwitchScope } from './generated/scopes.js';
export type { TwitchAuthKind, TwitchEndpoint, TwitchEndpointStatus, TwitchHttpMethod } from './api/twitch-endpoint.interface.js';

// ── OAuth and tokens ────────────────────────────────────────────────────────────────────────────────────────
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
export {
  signExtensionJwt,
  type SignExtensionJwtOptions,
  type TwitchExtensionJwtRole,
  type TwitchExtensionPubSubPerms,
} from './auth/extension-jwt.js';

// ── Pluggable stores: an abstract class, a memory default and a Redis one each ──────────────────────────────
export { TwitchTokenStore, TwitchMemoryTokenStore, type TwitchStoredToken } from './auth/token-store/twitch-token-store.js';
export { TwitchRedisTokenStore } from './auth/token-store/twitch-redis-token-store.js';
export { TwitchTokenDecryptionError } from './auth/token-store/twitch-token-cipher.js';
export { TwitchKvStore, TwitchMemoryKvStore, TwitchRedisKvStore } from './store/twitch-kv.store.js';
export {
  TwitchRateLimitStore,
  TWITCH_RATE_LIMIT_BOUNDS,
  type TwitchBucketGrant,
  type TwitchBucketObservation,
  type TwitchBucketSettings,
} from './rate-limit/twitch-rate-limit.store.js';
export { TwitchMemoryRateLimitStore } from './rate-limit/memory-rate-limit.store.js';
export { TwitchRedisRateLimitStore } from './rate-limit/redis-rate-limit.store.js';

// ── Errors ──────────────────────────────────────────────────────────────────────────────────────────────────
export {
  TwitchException,
  TwitchBadRequestException,
  TwitchUnauthorizedException,
  TwitchForbiddenException,
  TwitchNotFoundException,
  TwitchConflictException,
  TwitchUnprocessableEntityException,
  TwitchTooEarlyException,
  TwitchRateLimitException,
  TwitchBadGatewayException,
  TwitchInvalidResponseException,
  TwitchAppCredentialsException,
  TwitchServiceUnavailableException,
  TwitchGatewayTimeoutException,
  type TwitchErrorBody,
  type TwitchExceptionDetails,
  type TwitchRateLimitState,
} from './exceptions/twitch.exception.js';
export {
  TWITCH_ERROR_MAPPING,
  type TwitchErrorMapping,
  type TwitchErrorOutcome,
  type TwitchFailure,
} from './exceptions/twitch-exception.factory.js';
export {
  TwitchDeviceFlowException,
  TwitchLoginRequiredException,
  TwitchMissingScopeException,
  TwitchTokenRequiredException,
} from './exceptions/twitch-oauth.exception.js';
export { TwitchValidationException, type TwitchInvalidParam } from './exceptions/twitch-validation.exception.js';

// ── Guards and login ────────────────────────────────────────────────────────────────────────────────────────
export { TwitchAuth } from './auth/decorators/twitch-auth.decorator.js';
export { TwitchUser } from './auth/decorators/twitch-user.decorator.js';
export { TwitchAuthGuard } from './auth/guards/twitch-auth.guard.js';
export type { TwitchIdentity } from './auth/guards/twitch-identity.js';
export {
  TwitchAuthRequiredException,
  TwitchInsufficientScopeException,
  type TwitchAuthFailureReason,
} from './exceptions/twitch-guard.exception.js';
export { TwitchLoginModule, type TwitchLoginModuleOptions } from './auth/login/twitch-login.module.js';
export { TwitchLoginService } from './auth/login/twitch-login.service.js';
export { TwitchLoginException, type TwitchLoginFailureReason } from './exceptions/twitch-login.exception.js';

// ── EventSub ────────────────────────────────────────────────────────────────────────────────────────────────
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
export { TwitchEventSubModule } from './eventsub/twitch-eventsub.module.js';
export { type TwitchEventSubOptionsFactory } from './eventsub/twitch-eventsub.module-definition.js';
export { TWITCH_EVENTSUB_DEFAULTS } from './eventsub/twitch-eventsub.constants.js';
export { TwitchEventSubService } from './eventsub/twitch-eventsub.service.js';
export type { TwitchEventSubAcceptance } from './eventsub/twitch-eventsub.dispatcher.js';
export type {
  TwitchEventSubReconcileEntry,
  TwitchEventSubReconcileFailure,
  TwitchEventSubReconcileReport,
} from './eventsub/twitch-eventsub.reconciler.js';
export {
  TwitchEventSubClaimsStore,
  TwitchEventSubMemoryClaims,
  TwitchEventSubRedisClaims,
} from './eventsub/twitch-eventsub-claims.store.js';
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
export type {
  TwitchEventSubTransport,
  TwitchEventSubDelivery,
  TwitchEventSubSink,
  TwitchEventSubSubscribeResult,
  TwitchEventSubSubscriptionJson,
  TwitchEventSubTransportJson,
  TwitchEventSubWantedSubscription as TwitchEventSubWireSubscription,
} from './eventsub/transports/twitch-eventsub-transport.interface.js';
export {
  TWITCH_EVENTSUB_WS_URL,
  TWITCH_EVENTSUB_WS_CLOSE_CODES,
  type TwitchEventSubWsCloseAction,
  type TwitchEventSubWsCloseInfo,
  type TwitchEventSubWsConnectionOptions,
} from './eventsub/websocket/twitch-eventsub-ws-connection.js';
export {
  TWITCH_EVENTSUB_WS_LIMITS,
  type TwitchEventSubWsTransportConfig,
} from './eventsub/websocket/twitch-eventsub-ws-transport.js';
export { TwitchEventSubLimitException, type TwitchEventSubLimit } from './exceptions/twitch-eventsub-limit.exception.js';
export type {
  TwitchConduitManagerConfig,
  TwitchConduitShardTransport,
  TwitchConduitStatus,
} from './eventsub/conduit/twitch-conduit-manager.js';
export { verifyTwitchEventSubSignature } from './eventsub/webhook/twitch-eventsub-signature.js';
export {
  TwitchEventSubConfigError,
  TwitchEventSubCostExceededException,
  TwitchEventSubMissingAuthorizationException,
  TwitchEventSubWebhookException,
  type TwitchEventSubWebhookRejection,
} from './exceptions/twitch-eventsub.exception.js';

// ── Extension backends ──────────────────────────────────────────────────────────────────────────────────────
export { TwitchExtensionModule } from './extensions/twitch-extension.module.js';
export { type TwitchExtensionOptionsFactory } from './extensions/twitch-extension.module-definition.js';
export type {
  TwitchExtensionModuleOptions,
  TwitchExtensionPubSubOptions,
} from './extensions/twitch-extension-options.interface.js';
export { TwitchExtensionOptionsError } from './extensions/twitch-extension-options.js';
export { TWITCH_EXTENSION_DEFAULTS } from './extensions/twitch-extension.constants.js';
export { TwitchExtensionAuth } from './extensions/decorators/twitch-extension-auth.decorator.js';
export { TwitchExtensionUser } from './extensions/decorators/twitch-extension-user.decorator.js';
export {
  TwitchExtensionAuthGuard,
  type TwitchExtensionAuthRequirements,
} from './extensions/guards/twitch-extension-auth.guard.js';
export type { TwitchExtensionRole, TwitchExtensionViewer } from './extensions/twitch-extension-viewer.js';
export { TwitchExtensionSecretsService, type TwitchExtensionSecret } from './extensions/twitch-extension-secrets.service.js';
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
} from './exceptions/twitch-extension.exception.js';
// Observability: the metric and span names are in the README (Observability); the instruments are internal.
export type { TwitchCacheResult, TwitchRateLimitSnapshot } from './observability/twitch-telemetry.js';

// Chat bots on EventSub.
export { TwitchChatModule } from './chat/twitch-chat.module.js';
export {
  TWITCH_CHAT_DEFAULTS,
  TWITCH_CHAT_MAX_MESSAGE_LENGTH,
  TWITCH_CHAT_MAX_WHISPER_LENGTH,
  type TwitchChatWindow,
} from './chat/twitch-chat.constants.js';
export type { TwitchChatLimitOptions, TwitchChatModuleOptions, TwitchChatRole } from './chat/twitch-chat-options.interface.js';
export { TwitchChatOptionsError } from './chat/twitch-chat-options.js';
export {
  OnChatCommand,
  OnChatMessage,
  type OnChatCommandOptions,
  type OnChatMessageOptions,
} from './chat/twitch-chat.decorators.js';
export type { TwitchChatParsedCommand } from './chat/twitch-chat-command.parser.js';
export { TwitchChatService, type TwitchChatAnnouncementColor, type TwitchChatSendOptions } from './chat/twitch-chat.service.js';
export {
  TwitchChatAuthorizationException,
  TwitchChatMessageDroppedException,
  TwitchChatRateLimitException,
  type TwitchChatDropReason,
} from './exceptions/twitch-chat.exception.js';
export type { TwitchChatCommand, TwitchChatSentMessage } from './chat/twitch-chat.types.js';
