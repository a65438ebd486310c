import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { conditionToWire, describeUnknownType, findEventSubType, subscriptionKey } from './twitch-eventsub.catalog.js';
import {
  TWITCH_EVENTSUB_HANDLER,
  TWITCH_EVENTSUB_NOTIFICATION_LISTENER,
  TWITCH_EVENTSUB_REVOCATION_LISTENER,
} from './twitch-eventsub.constants.js';
import { TwitchEventSubDispatcher } from './twitch-eventsub.dispatcher.js';
import { TwitchEventSubConfigError } from '../exceptions/twitch-eventsub.exception.js';
import { TwitchEventSubService } from './twitch-eventsub.service.js';
import type { TwitchEventSubHandlerMeta } from './decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from './interfaces/twitch-eventsub-message.interface.js';

/**
 * Finds `@OnTwitchEvent`, `@OnTwitchNotification` and `@OnTwitchRevocation` methods on every provider and
 * controller at startup, resolves their conditions and registers them. Misuse (a request-scoped provider,
 * an unknown type or version, a bad condition) stops the bootstrap with an error naming the method.
 */
@Injectable()
export class TwitchEventSubExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly dispatcher: TwitchEventSubDispatcher,
    private readonly service: TwitchEventSubService,
  ) {}

  async onModuleInit(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const prototype = this.prototypeOf(wrapper);
      if (!prototype || seen.has(prototype)) continue;
      seen.add(prototype);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const handlers = this.reflector.get<TwitchEventSubHandlerMeta[] | undefined>(TWITCH_EVENTSUB_HANDLER, fn);
        const all = this.reflector.get<boolean | undefined>(TWITCH_EVENTSUB_NOTIFICATION_LISTENER, fn);
        const revocations = this.reflector.get<boolean | undefined>(TWITCH_EVENTSUB_REVOCATION_LISTENER, fn);
        if (!handlers?.length && !all && !revocations) continue;
        const name = `${(wrapper.metatype as { name?: string } | undefined)?.name ?? wrapper.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic() || !wrapper.instance) {
          throw new TwitchEventSubConfigError(
            `${name} handles EventSub messages but its provider is request-scoped (or depends on one): ` +
              'EventSub handlers need a singleton provider',
          );
        }
        const instance = wrapper.instance as Record<string, (...args: unknown[]) => unknown>;
        const call = (...args: unknown[]) => instance[method](...args);
        for (const meta of handlers ?? []) await this.registerHandler(name, meta, call);
        if (all) this.dispatcher.addNotificationListener({ name, call: (n) => call(n) });
        if (revocations)
          this.dispatcher.addRevocationListener({ name, call: (n: TwitchEventSubNotification) => call(n.subscription, n) });
      }
    }
  }

  private prototypeOf(wrapper: InstanceWrapper): object | undefined {
    if (wrapper.instance && typeof wrapper.instance === 'object') return Object.getPrototypeOf(wrapper.instance) as object;
    // A request-scoped class has no instance yet: scan its class so that misuse is still reported.
    if (!wrapper.isDependencyTreeStatic() && typeof wrapper.metatype === 'function' && !wrapper.inject) {
      return wrapper.metatype.prototype as object;
    }
    return undefined;
  }

  private async registerHandler(
    name: string,
    meta: TwitchEventSubHandlerMeta,
    call: (...args: unknown[]) => unknown,
  ): Promise<void> {
    const where = `@OnTwitchEvent('${meta.type}', { version: '${meta.version}' }) on ${name}`;
    if (typeof meta.version !== 'string' || meta.version === '') {
      throw new TwitchEventSubConfigError(
        `@OnTwitchEvent('${meta.type}') on ${name}: options.version is required (e.g. { version: '1' })`,
      );
    }
    const info = findEventSubType(meta.type, meta.version);
    if (!info) throw new TwitchEventSubConfigError(`${where}: ${describeUnknownType(meta.type, meta.version)}`);
    if (!info.transports.includes('webhook')) {
      throw new TwitchEventSubConfigError(
        `${where}: Twitch does not deliver ${meta.type} over webhooks (${info.transports.join(', ')})`,
      );
    }
    let condition: unknown = meta.condition;
    if (typeof condition === 'function') {
      const deps = (meta.inject ?? []).map((token) => {
        try {
          return this.moduleRef.get(token, { strict: false });
        } catch (error) {
          const tokenName = String((token as { name?: string })?.name ?? token);
          throw new TwitchEventSubConfigError(
            `${where}: cannot inject ${tokenName} into the condition factory: ${(error as Error).message}`,
          );
        }
      });
      try {
        condition = await (condition as (...a: unknown[]) => unknown)(...deps);
      } catch (error) {
        throw new TwitchEventSubConfigError(
          `${where}: the condition factory failed: ${(error as Error)?.message ?? String(error)}`,
        );
      }
    } else if (meta.inject?.length) {
      throw new TwitchEventSubConfigError(`${where}: inject is given but condition is not a function`);
    }
    let wire: Record<string, string> | undefined;
    if (condition !== undefined && condition !== null) {
      const checked = conditionToWire(info, condition);
      if ('problems' in checked) throw new TwitchEventSubConfigError(`${where}: ${checked.problems.join('; ')}`);
      wire = checked.wire;
      this.service.addStartupSubscription({
        type: meta.type,
        version: meta.version,
        condition: wire,
        key: subscriptionKey(meta.type, meta.version, wire),
        source: name,
      });
    }
    this.dispatcher.addHandler({ name, type: meta.type, version: meta.version, condition: wire, call });
  }
}
