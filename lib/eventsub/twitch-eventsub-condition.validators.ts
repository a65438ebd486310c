import { registerDecorator, ValidateIf, type ValidationArguments, type ValidationOptions } from 'class-validator';

const isSet = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * A condition property that belongs to a group of which exactly one must be set (`channel.raid`:
 * `fromBroadcasterUserId` or `toBroadcasterUserId`). Put it on every property of the group, in place of
 * `@IsOptional()`: an unset member is skipped while another member is set; with none set, every member
 * fails (and its other rules run, so a missing value reads as missing); with two set, both fail.
 *
 * @param keys the property names of the group, in the order Twitch documents them.
 */
export function TwitchExactlyOneOf(keys: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return (target, propertyKey) => {
    const property = String(propertyKey);
    // Validate this member when it is set, or when no member is.
    ValidateIf((object: Record<string, unknown>) => isSet(object[property]) || !keys.some((k) => isSet(object[k])))(
      target,
      propertyKey,
    );
    registerDecorator({
      name: 'twitchExactlyOneOf',
      target: target.constructor,
      propertyName: property,
      constraints: [keys],
      options,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => {
          const object = args.object as Record<string, unknown>;
          return keys.filter((k) => isSet(object[k])).length === 1;
        },
        defaultMessage: () => `exactly one of ${keys.join(', ')} must be set`,
      },
    });
  };
}
