import { ValidateBy, type ValidationOptions } from 'class-validator';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Characters that make validator.js's length differ from `String.length` (surrogates, variation selectors). */
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
