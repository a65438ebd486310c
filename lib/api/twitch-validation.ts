import { ValidateBy, type ValidationOptions } from 'class-validator';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A timestamp parameter: a valid `Date`, or an RFC3339 string such as `2021-03-10T15:04:21Z`. */
export function IsTwitchTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTwitchTimestamp',
      validator: {
        validate: (value: unknown) =>
          (value instanceof Date && !Number.isNaN(value.getTime())) ||
          (typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value))),
        defaultMessage: (args) => `${args?.property} must be a Date or an RFC3339 timestamp string`,
      },
    },
    options,
  );
}
