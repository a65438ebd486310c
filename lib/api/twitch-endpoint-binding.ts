import type { TwitchRequestOptions } from '../interfaces/twitch-request-options.interface.js';
import type { TwitchEndpoint } from './twitch-endpoint.interface.js';

export type TwitchClass<T = unknown> = new () => T;

/** An endpoint with the classes that check its params and carry its result. */
export interface TwitchEndpointBinding<P extends object = object, R = unknown> {
  readonly endpoint: TwitchEndpoint;
  /** class-validator class for the params object. */
  readonly params: TwitchClass<P>;
  /** Response DTO class; absent when the endpoint answers 204 with no body. */
  readonly response?: TwitchClass<R>;
  /** The response is plain text (Get Channel iCalendar), not JSON. */
  readonly text?: boolean;
  /**
   * A quick check of a plain params object, generated from the same rules as the params class: true only
   * when class-validator would accept the params (known keys only, every rule passing), and then
   * class-validator is not run. False means "not sure": class-validator decides and words the errors.
   */
  readonly valid?: (params: Record<string, unknown>) => boolean;
}

/** Element type of the `data` array of a paginated response DTO. */
export type TwitchPageItem<R> = R extends { data: (infer T)[] } ? T : R extends { data?: (infer T)[] } ? T : never;

/** What generated namespace classes call: validates, sends through the pipeline and maps the result. */
export interface TwitchEndpointClient {
  call<P extends object, R>(binding: TwitchEndpointBinding<P, R>, params: P, options?: TwitchRequestOptions): Promise<R>;
  /** Follows `pagination.cursor` page after page and yields every item of `data`. */
  iterate<P extends object, R>(
    binding: TwitchEndpointBinding<P, R>,
    params: P,
    options?: TwitchRequestOptions,
  ): AsyncIterableIterator<TwitchPageItem<R>>;
}
