import { Injectable } from '@nestjs/common';
import { TwitchApiNamespaces } from '../generated/twitch-api.namespaces.js';
import { TwitchEndpointCaller } from './twitch-endpoint.caller.js';

/**
 * Typed access to every Helix endpoint, one property per Twitch category:
 * `twitch.streams.getStreams({ gameId: ['509658'] }, { cacheTtl: 30_000 })`.
 * Every method takes its params object and optional request options
 * (`accessToken`, `userId`, `user`, `cacheTtl`, `signal`, `timeout`); paginated endpoints also have a
 * `…Paginated` method yielding every item across pages (`streams.getStreamsPaginated`).
 */
@Injectable()
export class TwitchApiService extends TwitchApiNamespaces {
  constructor(caller: TwitchEndpointCaller) {
    super(caller);
  }
}
