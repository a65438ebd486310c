/**
 * What a successful answer of an endpoint must hold, from its catalog entry:
 * - `data`: a JSON object with a `data` field (every Helix endpoint that documents a response body);
 * - `text`: any text (Get Channel iCalendar), but not an HTML page;
 * - `empty`: nothing, or JSON (the 204 endpoints, OAuth `/revoke`);
 * - `object`: a JSON object (OAuth `/token`, `/validate`, `/device`).
 */
export type TwitchAnswerKind = 'data' | 'text' | 'empty' | 'object';

/** Deepest nesting of objects and arrays accepted in an answer (Twitch's own go about 6 deep). */
export const TWITCH_MAX_ANSWER_DEPTH = 64;

/**
 * Checks a 2xx answer against what the endpoint documents. Returns what is wrong with it, or
 * undefined when it is fine. Cheap: a walk of the parsed value that stops at the first fault.
 */
export function checkTwitchAnswer(
  kind: TwitchAnswerKind,
  status: number,
  data: unknown,
  headers: Record<string, unknown> | undefined,
): string | undefined {
  if (status === 204) return undefined;
  if (kind === 'text') {
    if (typeof data !== 'string') return 'the body is not text';
    const type = headers?.['content-type'];
    return typeof type === 'string' && /^\s*text\/html\b/i.test(type) ? 'the body is an HTML page' : undefined;
  }
  if (kind === 'empty') {
    if (data === undefined || data === null || data === '') return undefined;
    if (typeof data === 'string') return notJson(data, headers);
    return tooDeep(data, 0) ? `the JSON is nested more than ${TWITCH_MAX_ANSWER_DEPTH} deep` : undefined;
  }
  if (typeof data === 'string') return data === '' ? 'the body is empty' : notJson(data, headers);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'the body is not a JSON object';
  if (kind === 'object') return tooDeep(data, 0) ? `the JSON is nested more than ${TWITCH_MAX_ANSWER_DEPTH} deep` : undefined;
  const inner = (data as Record<string, unknown>).data;
  if (inner === undefined) return 'the body has no "data"';
  if (inner !== null && typeof inner !== 'object') return '"data" is neither an array nor an object';
  return tooDeep(data, 0) ? `the JSON is nested more than ${TWITCH_MAX_ANSWER_DEPTH} deep` : undefined;
}

/** A body axios left as text although JSON was asked for: it did not parse. */
function notJson(text: string, headers: Record<string, unknown> | undefined): string {
  const type = headers?.['content-type'];
  if (typeof type === 'string' && /^\s*text\/html\b/i.test(type)) return 'the body is an HTML page, not JSON';
  return /^\s*[[{]/.test(text) ? 'the body is not valid JSON (truncated?)' : 'the body is not JSON';
}

/** Whether objects and arrays nest deeper than {@link TWITCH_MAX_ANSWER_DEPTH} (stops as soon as they do). */
function tooDeep(value: object, depth: number): boolean {
  if (depth >= TWITCH_MAX_ANSWER_DEPTH) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object' && tooDeep(item, depth + 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && tooDeep(item, depth + 1)) return true;
  }
  return false;
}
