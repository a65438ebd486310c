/**
 * Fake Twitch server for tests, samples and benchmarks. See {@link FakeTwitch}.
 * @packageDocumentation
 */
export { FakeTwitch } from './fake-twitch.js';
export { FakeEventSub, type FakeEventSubBatchItem, type FakeEventSubDelivery, type FakeEventSubEmitOptions } from './eventsub.js';
export { twitchError } from './util.js';
export {
  FakeChat,
  type FakeChatDrop,
  type FakeChatLimits,
  type FakeChatMessage,
  type FakeChatPost,
  type FakeChatWindow,
} from './chat.js';
export {
  FakeExtension,
  FakeExtensions,
  signFakeExtensionJwt,
  type FakeExtensionJwtOptions,
  type FakeExtensionOptions,
  type FakeExtensionPubSubMessage,
  type FakeExtensionSecret,
  type FakeWindowLimit,
} from './extensions.js';
export type {
  FakeChannel,
  FakeEventSubSubscription,
  FakeEventSubTransport,
  FakeStream,
  FakeTwitchFault,
  FakeTwitchHandler,
  FakeTwitchHandlerRequest,
  FakeTwitchOptions,
  FakeTwitchRequest,
  FakeTwitchResponse,
  FakeTwitchRouteKind,
  FakeTwitchState,
  FakeUser,
  TokenInfo,
} from './types.js';
export { FakeEventSubWs } from './eventsub-ws.js';
export type {
  FakeConduit,
  FakeConduitShard,
  FakeEventSubDeliveryRecord,
  FakeEventSubWsSession,
  FakeEventSubWsSettings,
} from './eventsub-ws.js';
