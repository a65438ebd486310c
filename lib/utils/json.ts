/**
 * The value of a JSON text, or undefined when there is none: no text, an empty one, or one that does not parse.
 * For state the module reads back (sessions, cached validations, stored lists) and bodies that may not be JSON;
 * the caller checks the shape of what it gets.
 */
export function parseJson(text: string | undefined | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `parseJson`, kept only when it is a JSON object (not an array, not null). */
export function parseJsonObject(text: string | undefined | null): Record<string, unknown> | undefined {
  const value = parseJson(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
