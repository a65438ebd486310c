import { ValidateBy, type ValidationOptions } from 'class-validator';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Characters that make validator.js's length differ from `String.length` (surrogates, variation selectors). */
// eslint-disable-next-line no-misleading-character-class -- lone surrogates and selectors are what it looks for
const NOT_ONE_UNIT = /[\uD800-\uDFFF\uFE0E\uFE0F]/;

/** What `@IsTwitchTimestamp()` accepts: a valid `Date`, or an RFC3339 string such as `2021-03-10T15:04:21Z`. */
export function isTwitchTimestampValue(value: unknown): boolean {
  return (
    (value instanceof Date && !Number.isNaN(value.getTime())) ||
    (typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value)))
  );
}

/** A timestamp parameter: a valid `Date`, or an RFC3339 string such as `2021-03-10T15:04:21Z`. */
export function IsTwitchTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTwitchTimestamp',
      validator: {
        validate: isTwitchTimestampValue,
        defaultMessage: (args) => `${args?.property} must be a Date or an RFC3339 timestamp string`,
      },
    },
    options,
  );
}

/**
 * Keys that are never parameters and would change what class-validator checks: `__proto__` (an own
 * key from `JSON.parse`, which assignment would turn into the instance's prototype) and `constructor`
 * / `prototype` (class-validator looks a value's rules up by its `constructor`). A params object with
 * one of them, at any depth, is refused.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** The params instance class-validator checks, and the paths of reserved keys found in `params`. */
export interface TwitchParamsInstance {
  instance: object;
  /** Paths (`constructor`, `contentClassificationLabels.0.__proto__`) of keys that are never parameters. */
  reserved: string[];
}

/**
 * Builds the instance of a params class that class-validator checks, from the caller's params
 * object. Only own enumerable keys are copied, with `defineProperty` (no setter runs, so the
 * instance keeps its class and its rules); reserved keys are left out and reported. `build` turns
 * the clean copy into an instance when the class has nested params (class-transformer).
 */
export function toParamsInstance<P extends object>(
  cls: new () => P,
  params: P,
  build?: (clean: object) => object,
): TwitchParamsInstance {
  const reserved: string[] = [];
  if (!build) {
    // Flat classes: nested values are not validated, only the top level matters.
    if (!hasReservedKey(params)) return { instance: Object.assign(new cls(), params), reserved };
    return { instance: copyInto(new cls(), params, '', reserved, false), reserved };
  }
  const clean = copyInto({}, params, '', reserved, true);
  return { instance: build(clean), reserved };
}

export function hasReservedKey(value: object): boolean {
  return Object.hasOwn(value, '__proto__') || Object.hasOwn(value, 'constructor') || Object.hasOwn(value, 'prototype');
}

function copyInto<T extends object>(target: T, source: object, path: string, reserved: string[], deep: boolean): T {
  for (const key of Object.keys(source)) {
    const at = path ? `${path}.${key}` : key;
    if (RESERVED_KEYS.has(key)) {
      reserved.push(at);
      continue;
    }
    const value = (source as Record<string, unknown>)[key];
    Object.defineProperty(target, key, {
      value: deep ? cleanValue(value, at, reserved) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return target;
}

function cleanValue(value: unknown, path: string, reserved: string[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => cleanValue(item, `${path}.${i}`, reserved));
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Date, a class instance: as given
  return copyInto({}, value, path, reserved, true);
}

/** A plain object (`{…}` or `Object.create(null)`): what the generated params checks look into. */
export function isParamsRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * True when `@MinLength(min)` surely passes: at least `min` characters and none that class-validator
 * counts differently from `String.length` (otherwise the generated check leaves the verdict to class-validator).
 */
export function hasMinLength(value: string, min: number): boolean {
  return value.length >= min && !NOT_ONE_UNIT.test(value);
}
