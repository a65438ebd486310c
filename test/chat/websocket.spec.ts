import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwitchApiService } from '../../lib/api/twitch-api.service.js';
import { OnChatCommand } from '../../lib/chat/twitch-chat.decorators.js';
import type { TwitchChatCommand } from '../../lib/chat/twitch-chat.types.js';
import { TwitchEventSubDispatcher } from '../../lib/eventsub/twitch-eventsub.dispatcher.js';
import { TwitchEventSubWsTransport } from '../../lib/eventsub/websocket/twitch-eventsub-ws-transport.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, uniquePrefix } from '../support/app.js';
import { BOT, CHANNEL, VIEWER, createChatApp, seedChat, type ChatApp } from './support.js';

@Injectable()
class HelloBot {
  readonly asked: TwitchChatCommand[] = [];

  @OnChatCommand('!hello')
  async hello(command: TwitchChatCommand): Promise<void> {
    this.asked.push(command);
    await command.reply(`Hello @${command.message.chatterUserLogin}!`);
  }
}

describe('chat bot over the EventSub WebSocket transport', () => {
  let fake: FakeTwitch;
  let chat: ChatApp;
  let transport: TwitchEventSubWsTransport;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    seedChat(fake);
    fake.chat.checkAuthorization = true;
    chat = await createChatApp({ fake, keyPrefix: prefix, eventSub: { reconcile: { onStartup: false } }, providers: [HelloBot] });
    const dispatcher = chat.app.get(TwitchEventSubDispatcher);
    transport = new TwitchEventSubWsTransport({
      api: chat.app.get(TwitchApiService),
      userId: BOT,
      subscriptions: [{ type: 'channel.chat.message', version: '1', condition: { broadcaster_user_id: CHANNEL, user_id: BOT } }],
      // What the module does with every transport's deliveries: the dispatcher claims and routes them.
      sink: async (d) => {
        const accepted = await dispatcher.accept({
          messageId: d.messageId,
          messageType: d.messageType,
          timestamp: d.timestamp,
          transport: 'websocket',
          body: { subscription: d.subscription as unknown as Record<string, unknown>, event: d.event as Record<string, unknown> },
        });
        accepted.start();
      },
      connection: { url: fake.eventSubWsUrl, reconnectBaseDelayMs: 20, reconnectMaxDelayMs: 100, keepaliveMarginMs: 500 },
    });
    const results = await transport.start();
    expect(results.map((r) => r.outcome)).toEqual(['created']);
  });

  afterAll(async () => {
    await transport?.stop();
    await chat?.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  it('routes a command that came over WebSocket and answers it', async () => {
    const bot = chat.app.get(HelloBot);
    const asked = await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: '!hello there' });
    await expect.poll(() => bot.asked.length, { timeout: 10_000 }).toBe(1);
    expect(bot.asked[0].args).toEqual(['there']);
    await expect
      .poll(() => fake.chat.messages.filter((m) => m.senderId === BOT).map((m) => m.text), { timeout: 10_000 })
      .toEqual(['Hello @viewer32!']);
    expect(fake.chat.messages.at(-1)!.replyTo).toBe(asked.messageId);
  });
});
