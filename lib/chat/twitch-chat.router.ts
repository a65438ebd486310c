import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { subscriptionKey } from '../eventsub/twitch-eventsub.catalog.js';
import { TwitchEventSubDispatcher } from '../eventsub/twitch-eventsub.dispatcher.js';
import { TwitchEventSubConfigError } from '../exceptions/twitch-eventsub.exception.js';
import { TwitchEventSubService } from '../eventsub/twitch-eventsub.service.js';
import type { TwitchEventSubNotification } from '../eventsub/interfaces/twitch-eventsub-message.interface.js';
import type { ChannelChatMessageEvent } from '../generated/eventsub/chat.js';
import { parseChatCommand } from './twitch-chat-command.parser.js';
import {
  TWITCH_CHAT_COMMAND_HANDLER,
  TWITCH_CHAT_MESSAGE_HANDLER,
  TWITCH_CHAT_RESOLVED_OPTIONS,
} from './twitch-chat.constants.js';
import type { TwitchChatHandlerMeta } from './twitch-chat.decorators.js';
import type { TwitchChatResolvedOptions } from './twitch-chat-options.js';
import { TwitchChatService } from './twitch-chat.service.js';
import type { TwitchChatCommand } from './twitch-chat.types.js';

type Call = (...args: unknown[]) => unknown;
interface Route {
  name: string;
  channels?: Set<string>;
  call: Call;
}

const TYPE = 'channel.chat.message';
const VERSION = '1';

/**
 * Hands `channel.chat.message` notifications (from any EventSub transport) to `@OnChatMessage()` and
 * `@OnChatCommand()` methods: drops the bot's own messages and other shared-chat channels' messages as
 * configured, parses commands and routes them by name. Subscribes to the configured `channels` at startup.
 */
@Injectable()
export class TwitchChatRouter implements OnModuleInit {
  private readonly logger = new Logger('TwitchChat');
  private readonly messageRoutes: Route[] = [];
  private readonly commandRoutes = new Map<string, Route[]>();

  constructor(
    @Inject(TWITCH_CHAT_RESOLVED_OPTIONS) private readonly options: TwitchChatResolvedOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly dispatcher: TwitchEventSubDispatcher,
    private readonly eventSub: TwitchEventSubService,
    private readonly chat: TwitchChatService,
  ) {}

  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, Call> | undefined;
      const prototype = instance && typeof instance === 'object' ? (Object.getPrototypeOf(instance) as object) : undefined;
      const statik = wrapper.isDependencyTreeStatic();
      const scan =
        prototype ??
        (!statik && typeof wrapper.metatype === 'function' && !wrapper.inject ? wrapper.metatype.prototype : undefined);
      if (!scan || seen.has(scan)) continue;
      seen.add(scan);
      for (const method of this.scanner.getAllMethodNames(scan)) {
        const fn = (scan as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const messages = this.reflector.get<TwitchChatHandlerMeta[] | undefined>(TWITCH_CHAT_MESSAGE_HANDLER, fn);
        const commands = this.reflector.get<TwitchChatHandlerMeta[] | undefined>(TWITCH_CHAT_COMMAND_HANDLER, fn);
        if (!messages?.length && !commands?.length) continue;
        const name = `${(wrapper.metatype as { name?: string } | undefined)?.name ?? wrapper.name}.${method}`;
        if (!statik || !instance) {
          throw new TwitchEventSubConfigError(
            `${name} handles chat messages but its provider is request-scoped: chat handlers need a singleton provider`,
          );
        }
        const call: Call = (...args) => instance[method](...args);
        for (const m of messages ?? [])
          this.messageRoutes.push({ name, call, channels: m.channels ? new Set(m.channels) : undefined });
        for (const m of commands ?? []) {
          for (const command of m.commands ?? []) {
            const key = this.commandKey(command);
            const list = this.commandRoutes.get(key) ?? [];
            list.push({ name, call, channels: m.channels ? new Set(m.channels) : undefined });
            this.commandRoutes.set(key, list);
          }
        }
      }
    }
    this.dispatcher.addHandler({
      name: 'TwitchChatRouter',
      type: TYPE,
      version: VERSION,
      call: (event, n) => this.handle(event, n),
    });
    for (const channel of this.options.channels) {
      const condition = { broadcaster_user_id: channel, user_id: this.options.botUserId };
      this.eventSub.addStartupSubscription({
        type: TYPE,
        version: VERSION,
        condition,
        key: subscriptionKey(TYPE, VERSION, condition),
        source: 'TwitchChatModule channels',
      });
    }
  }

  /** Routes one message; resolves when its handlers have finished. Exposed for tests and benchmarks. */
  async handle(event: unknown, notification?: TwitchEventSubNotification): Promise<void> {
    const message = event as ChannelChatMessageEvent;
    if (!message || typeof message !== 'object' || !message.message) return;
    if (!this.wanted(message)) return;
    const channel = message.broadcasterUserId;
    const calls: Promise<unknown>[] = [];
    for (const r of this.messageRoutes) {
      if (r.channels && !r.channels.has(channel)) continue;
      calls.push(this.invoke(r, [message, notification]));
    }
    if (this.commandRoutes.size) {
      const parsed = parseChatCommand(String(message.message.text ?? ''), message.reply?.parentUserLogin ?? undefined);
      const routes = parsed ? this.commandRoutes.get(this.commandKey(parsed.name)) : undefined;
      if (parsed && routes) {
        const command: TwitchChatCommand = {
          ...parsed,
          message,
          channel,
          reply: (text: string) => this.chat.say(channel, text, { replyTo: message.messageId }),
        };
        for (const r of routes) {
          if (r.channels && !r.channels.has(channel)) continue;
          calls.push(this.invoke(r, [command, message]));
        }
      }
    }
    await Promise.all(calls);
  }

  /** Whether the message reaches handlers: not the bot's own, and (with `sharedChat: 'own'`) sent in this channel. */
  private wanted(message: ChannelChatMessageEvent): boolean {
    if (this.options.ignoreOwnMessages && message.chatterUserId === this.options.botUserId) return false;
    if (this.options.sharedChat === 'own') {
      const source = message.sourceBroadcasterUserId;
      if (source && source !== message.broadcasterUserId) return false;
    }
    return true;
  }

  private commandKey(name: string): string {
    return this.options.ignoreCommandCase ? name.toLowerCase() : name;
  }

  private async invoke(route: Route, args: unknown[]): Promise<void> {
    try {
      await route.call(...args);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // Rethrown so that the EventSub dispatcher reports it through onHandlerError as well.
      this.logger.error(`Chat handler ${route.name} failed: ${err.message}`, err.stack);
      throw error;
    }
  }
}
