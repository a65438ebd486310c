/**
 * The Helix classes: the response DTO of every endpoint (`GetUsersResponse`, `User`, `Stream`, …), the params
 * classes (`GetUsersParams`, …), the endpoint descriptions (`GET_USERS`, …) and the category classes behind
 * `TwitchApiService`'s properties (`TwitchUsersApi`, …), for `instanceof` checks and explicit typing:
 * `import { type Stream } from 'nestjs-twitch/helix'`. Kept out of the package root so that their names
 * (`User`, `Stream`, `Game`) cannot collide with an application's own classes; the root exports the catalog
 * (`TWITCH_ENDPOINTS`) and the scopes.
 */
export * from './generated/index.js';
export { TwitchPagination } from './dto/twitch-pagination.dto.js';
export { TwitchField, getTwitchFields, type TwitchFieldMeta, type TwitchFieldOptions } from './dto/twitch-field.decorator.js';
export type {
  TwitchAuthKind,
  TwitchEndpoint,
  TwitchEndpointStatus,
  TwitchHttpMethod,
  TwitchWireField,
} from './api/twitch-endpoint.interface.js';
export type { TwitchEndpointBinding, TwitchEndpointClient, TwitchPageItem } from './api/twitch-endpoint-binding.js';
