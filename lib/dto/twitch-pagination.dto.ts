import { TwitchField } from './twitch-field.decorator.js';

/** Twitch's pagination object. `cursor` is absent on the last page. */
export class TwitchPagination {
  /** The cursor to pass as `after` (or `before`) to get the next (or previous) page. */
  @TwitchField('cursor')
  cursor?: string;
}
