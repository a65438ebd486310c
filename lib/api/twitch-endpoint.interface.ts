import type { TwitchScope } from '../generated/scopes.js';

export type TwitchHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Which kind of token an endpoint takes.
 * - `app`: an app access token (client credentials)
 * - `user`: a user access token
 * - `either`: an app or a user access token
 * - `jwt`: a signed Extension JWT (see `signExtensionJwt`)
 * - `none`: no token at all (Get Channel iCalendar)
 */
export type TwitchAuthKind = 'app' | 'user' | 'either' | 'jwt' | 'none';

export type TwitchEndpointStatus = 'beta' | 'new' | 'deprecated';

/** How one field of a request travels: its key in the params object and its name on the wire. */
export interface TwitchWireField {
  /** camelCase key in the params object. */
  readonly key: string;
  /** Twitch's snake_case name on the wire. */
  readonly name: string;
  /** Nested object fields (for body objects and arrays of objects). */
  readonly fields?: readonly TwitchWireField[];
}

/** One operation of the Helix API, as listed in Twitch's reference. */
export interface TwitchEndpoint {
  /** Twitch's reference name, e.g. `'Get Channel Information'`. */
  readonly name: string;
  /** Twitch's category, e.g. `'Channels'`. */
  readonly category: string;
  /** Property of `TwitchApiService` holding the method, e.g. `'channels'`. */
  readonly namespace: string;
  /** Method name on the namespace, e.g. `'getChannelInformation'`. */
  readonly methodName: string;
  readonly method: TwitchHttpMethod;
  /** Path below the Helix base URL, e.g. `'/channels'`. */
  readonly path: string;
  readonly auth: TwitchAuthKind;
  /**
   * Scopes the token needs: a list of alternatives, any one of which is enough; each alternative
   * lists scopes that are all needed. `[]` when no scope is needed.
   */
  readonly scopes: readonly (readonly TwitchScope[])[];
  readonly paginated: boolean;
  readonly status?: TwitchEndpointStatus;
  /** The documented success status: 200, 202 or 204. */
  readonly successStatus: 200 | 202 | 204;
  /** Link to Twitch's reference. */
  readonly docUrl: string;
  /** Query parameters. */
  readonly query: readonly TwitchWireField[];
  /** Top-level JSON body fields (empty when the endpoint takes no body). */
  readonly body: readonly TwitchWireField[];
}
