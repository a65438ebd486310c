/**
 * Serializes query params the way Helix wants them: `undefined` and `null` dropped, arrays as
 * repeated keys (`id=1&id=2`), dates as RFC3339.
 */
export function serializeTwitchParams(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== undefined && item !== null) search.append(key, stringify(item));
    } else {
      search.append(key, stringify(value));
    }
  }
  return search.toString();
}

function stringify(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}
