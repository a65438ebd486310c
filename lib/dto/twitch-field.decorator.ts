import { Expose, Transform, Type } from 'class-transformer';

/** How one DTO property maps from Twitch's JSON. */
export interface TwitchFieldMeta {
  /** Property name on the DTO (camelCase). */
  readonly key: string;
  /** Field name in Twitch's JSON (snake_case). */
  readonly name: string;
  /** Nested DTO class, or `Date` for RFC3339 timestamps. */
  readonly type?: () => Function;
}

export interface TwitchFieldOptions {
  /** Nested DTO class, or `Date` for RFC3339 timestamps. Arrays are handled element by element. */
  type?: () => Function;
}

const FIELDS = new WeakMap<Function, TwitchFieldMeta[]>();

/** Converts Twitch's timestamp to a `Date`; an empty string or null (Twitch's "not set") becomes `null`. */
export function toTwitchDate(value: unknown): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  if (value instanceof Date) return value;
  return new Date(value as string);
}

/** A `Date` as Twitch writes it (RFC3339); anything else as it is. */
function toPlainDate(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * Declares a DTO property that mirrors one field of Twitch's JSON. It applies class-transformer's
 * `@Expose({ name })` (and `@Type` for nested classes and dates), so `plainToInstance` and
 * `instanceToPlain` work on every DTO, and records the field for `mapTwitchDto` (which walks the
 * declared fields of a class that has no static `fromTwitch` of its own).
 */
export function TwitchField(name: string, options: TwitchFieldOptions = {}): PropertyDecorator {
  return (target, propertyKey) => {
    const ctor = target.constructor;
    const key = String(propertyKey);
    Expose({ name })(target, propertyKey);
    if (options.type) {
      if (options.type() === Date) {
        // A list of timestamps is converted item by item, as `mapTwitchDto` does.
        Transform(({ value }) => (Array.isArray(value) ? value.map(toTwitchDate) : toTwitchDate(value)), {
          toClassOnly: true,
        })(target, propertyKey);
        Transform(({ value }) => (Array.isArray(value) ? value.map(toPlainDate) : toPlainDate(value)), {
          toPlainOnly: true,
        })(target, propertyKey);
      } else {
        Type(options.type as () => Function)(target, propertyKey);
      }
    }
    let own = FIELDS.get(ctor);
    if (!own) {
      own = [];
      FIELDS.set(ctor, own);
    }
    own.push({ key, name, type: options.type });
  };
}

/** The fields declared with `@TwitchField` on a class and its parents, parents first. */
export function getTwitchFields(cls: Function): readonly TwitchFieldMeta[] {
  const chain: TwitchFieldMeta[][] = [];
  for (let c: Function | null = cls; c && c !== Object && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const own = FIELDS.get(c);
    if (own) chain.unshift(own);
  }
  return chain.flat();
}
