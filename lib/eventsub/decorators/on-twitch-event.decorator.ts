import { SetMetadata } from '@nestjs/common';
import type { InjectionToken } from '@nestjs/common';
import {
  TWITCH_EVENTSUB_HANDLER,
  TWITCH_EVENTSUB_NOTIFICATION_LISTENER,
  TWITCH_EVENTSUB_REVOCATION_LISTENER,
} from '../twitch-eventsub.constants.js';
import type {
  TwitchEventSubNotification,
  TwitchEventSubSubscriptionInfo,
} from '../interfaces/twitch-eventsub-message.interface.js';
import type {
  TwitchEventSubConditionOf,
  TwitchEventSubEventOf,
  TwitchEventSubTypeName,
  TwitchEventSubVersionOf,
} from '../twitch-eventsub-type.interface.js';

/** A condition, or a factory resolving it at startup from the providers named in `inject`. */
export type TwitchEventSubConditionSource<C> = C | ((...deps: any[]) => C | undefined | null | Promise<C | undefined | null>);

export interface OnTwitchEventOptions<T extends TwitchEventSubTypeName, V extends TwitchEventSubVersionOf<T>> {
  /** Version of the subscription type (`'1'`, `'2'`, `'beta'`). */
  version: V;
  /**
   * The subscription's condition (camelCase): the module subscribes to it and hands this method only
   * notifications of it. A function is called once at startup with the providers in `inject`
   * (`(config: ConfigService) => ({ broadcasterUserId: config.get('TWITCH_BROADCASTER_ID') })`);
   * returning `undefined` subscribes to nothing. Without a condition, the method receives every
   * notification of the type and version (subscriptions from `subscribe()` or the `subscriptions` option).
   */
  condition?: TwitchEventSubConditionSource<TwitchEventSubConditionOf<T, V>>;
  /** Providers passed to a `condition` factory, in order (classes or tokens, looked up in the whole app). */
  inject?: InjectionToken[];
}

/** Metadata stored per handler method. */
export interface TwitchEventSubHandlerMeta {
  type: string;
  version: string;
  condition?: unknown;
  inject?: InjectionToken[];
}

type TypedHandler<E> = (event: E, notification: TwitchEventSubNotification<E>) => unknown;

/**
 * Marks a provider (or controller) method as the handler of an EventSub subscription type. The method
 * gets the event DTO (typed by type and version) and the notification (message id, subscription, …);
 * it runs after Twitch has been answered, once per message id across every instance.
 *
 * ```ts
 * @OnTwitchEvent('channel.follow', { version: '2', condition: { broadcasterUserId: '1337', moderatorUserId: '1337' } })
 * onFollow(event: ChannelFollowV2Event) { ... }
 * ```
 */
export function OnTwitchEvent<T extends TwitchEventSubTypeName, V extends TwitchEventSubVersionOf<T>>(
  type: T,
  options: OnTwitchEventOptions<T, V>,
): <M extends TypedHandler<TwitchEventSubEventOf<T, V>>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  return (target, key, descriptor) => {
    const existing: TwitchEventSubHandlerMeta[] = Reflect.getMetadata(TWITCH_EVENTSUB_HANDLER, descriptor.value as object) ?? [];
    const meta: TwitchEventSubHandlerMeta = {
      type,
      version: (options as { version?: string } | undefined)?.version as string,
      condition: options?.condition,
      inject: options?.inject,
    };
    SetMetadata(TWITCH_EVENTSUB_HANDLER, [...existing, meta])(target, key, descriptor);
  };
}

/**
 * Marks a method that receives every notification of every type (audit, logging), after the typed
 * handlers were started. Same guarantees as `@OnTwitchEvent`.
 */
export function OnTwitchNotification(): MethodDecorator {
  return SetMetadata(TWITCH_EVENTSUB_NOTIFICATION_LISTENER, true);
}

/** Marks a method called with each revoked subscription (`subscription.status` is the reason) and the message. */
export function OnTwitchRevocation(): <
  M extends (subscription: TwitchEventSubSubscriptionInfo, notification: TwitchEventSubNotification<undefined>) => unknown,
>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void {
  return SetMetadata(TWITCH_EVENTSUB_REVOCATION_LISTENER, true);
}
