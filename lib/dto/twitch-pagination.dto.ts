import { twitchPlain } from './twitch-dto.mapper.js';
import { TwitchField } from './twitch-field.decorator.js';

/** Twitch's pagination object. `cursor` is absent on the last page. */
export class TwitchPagination {
  /** The cursor to pass as `after` (or `before`) to get the next (or previous) page. */
  @TwitchField('cursor')
  cursor?: string;

  /** Maps Twitch's pagination object (what `mapTwitchDto` runs; `plainToInstance` gives the same result). */
  static fromTwitch(raw: Record<string, unknown>): TwitchPagination {
    const out = new TwitchPagination();
    const v = raw['cursor'];
    if (v !== undefined) out.cursor = twitchPlain(v) as string;
    return out;
  }
}
