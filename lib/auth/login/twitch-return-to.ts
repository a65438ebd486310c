import { TwitchLoginException } from '../../exceptions/twitch-login.exception.js';

const BASE = 'http://return-to.invalid';
/** Longest `returnTo` accepted (characters); it travels in the state cookie. */
export const RETURN_TO_MAX_LENGTH = 2048;
/** What browsers drop from URLs (tab, newline) or read as a slash (backslash), and other control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const UNSAFE = /[\\\u0000-\u001f\u007f]/;

/**
 * A `returnTo` that stays on this site, in the form a browser would resolve it: dot segments
 * (`.`, `..`, `%2e`) resolved, then required to be a path of this origin. Refused (400
 * `invalid_return_to`): anything not starting with one `/`, backslashes and control characters
 * (raw or percent-encoded), and whatever resolves to a scheme-relative `//host` (`/.//evil.example`,
 * `/a/..//evil.example`, `/%2e//evil.example`). Returns the normalised path, query and fragment.
 */
export function normaliseReturnTo(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  const bad = () => new TwitchLoginException('invalid_return_to', 'returnTo must be a relative path on this site, like /me');
  if (typeof value !== 'string' || value.length > RETURN_TO_MAX_LENGTH) throw bad();
  if (!value.startsWith('/') || value.startsWith('//') || UNSAFE.test(value)) throw bad();
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    throw bad();
  }
  if (url.origin !== BASE) throw bad();
  const path = url.pathname;
  // The browser resolves the Location header against this page: `//host` would leave the site.
  if (!path.startsWith('/') || path.startsWith('//')) throw bad();
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw bad();
  }
  // Encoded forms of the same tricks, for apps and proxies that decode the path before using it.
  if (decoded.startsWith('//') || UNSAFE.test(decoded)) throw bad();
  const result = path + url.search + url.hash;
  if (result.length > RETURN_TO_MAX_LENGTH) throw bad();
  return result;
}
