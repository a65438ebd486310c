import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TwitchChatService } from '../../lib/chat/twitch-chat.service.js';
import { OnChatCommand, OnChatMessage } from '../../lib/chat/twitch-chat.decorators.js';
import {
  TwitchChatAuthorizationException,
  TwitchChatMessageDroppedException,
} from '../../lib/exceptions/twitch-chat.exception.js';
import type { TwitchChatCommand } from '../../lib/chat/twitch-chat.types.js';
import { OnTwitchNotification } from '../../lib/eventsub/decorators/on-twitch-event.decorator.js';
import type { TwitchEventSubNotification } from '../../lib/eventsub/interfaces/twitch-eventsub-message.interface.js';
import { TwitchEventSubService } from '../../lib/eventsub/twitch-eventsub.service.js';
import { TwitchValidationException } from '../../lib/exceptions/twitch-validation.exception.js';
import type { ChannelChatMessageEvent } from '../../lib/generated/eventsub/chat.js';
import { FakeTwitch } from '../../lib/testing/fake-twitch/index.js';
import { flushPrefix, uniquePrefix } from '../support/app.js';
import { BOT, CHANNEL, OTHER_CHANNEL, VIEWER, createChatApp, seedChat, type ChatApp } from './support.js';

@Injectable()
class EchoBot {
  readonly seen: ChannelChatMessageEvent[] = [];
  readonly commands: TwitchChatCommand[] = [];
  /** Every EventSub notification the app got, before the chat filters. */
  readonly raw: Record<string, unknown>[] = [];

  @OnTwitchNotification()
  onNotification(notification: TwitchEventSubNotification): void {
    if (notification.rawEvent) this.raw.push(notification.rawEvent);
  }

  @OnChatMessage()
  onMessage(message: ChannelChatMessageEvent): void {
    this.seen.push(message);
  }

  @OnChatCommand('!so', { aliases: ['!shoutout'] })
  async shoutout(command: TwitchChatCommand): Promise<void> {
    this.commands.push(command);
    await command.reply(`Go follow ${command.args[0]}`);
  }
}

describe('chat bot: reading', () => {
  let fake: FakeTwitch;
  let chat: ChatApp;
  let bot: EchoBot;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    seedChat(fake);
    fake.chat.checkAuthorization = true;
    chat = await createChatApp({ fake, keyPrefix: prefix, chat: { channels: [CHANNEL] }, providers: [EchoBot] });
    bot = chat.app.get(EchoBot);
    await chat.app.get(TwitchEventSubService).startupReconcile();
    await fake.eventSub.settled();
  });

  afterAll(async () => {
    await chat?.close();
    await fake?.close();
    await flushPrefix(prefix);
  });

  /** Posts a marker from a viewer and waits until the bot saw it: every message posted before it was handled. */
  async function settle(): Promise<void> {
    const marker = `marker ${Math.random()}`;
    await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: marker });
    await expect.poll(() => bot.seen.some((m) => m.message.text === marker), { timeout: 10_000 }).toBe(true);
  }

  it('subscribes to channel.chat.message for the configured channel as the bot', () => {
    const [sub] = fake.eventSub.subscriptions({ type: 'channel.chat.message' });
    expect(sub.condition).toEqual({ broadcaster_user_id: CHANNEL, user_id: BOT });
    expect(sub.status).toBe('enabled');
  });

  it('routes a command with its arguments, and the reply goes out as a reply', async () => {
    const posted = await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: '!SO @streamer33 "big raid" now' });
    await expect.poll(() => bot.commands.length, { timeout: 10_000 }).toBe(1);
    const [command] = bot.commands;
    expect(command.name).toBe('!SO');
    expect(command.args).toEqual(['@streamer33', 'big raid', 'now']);
    expect(command.rest).toBe('@streamer33 "big raid" now');
    expect(command.channel).toBe(CHANNEL);
    expect(command.message.chatterUserId).toBe(VIEWER);
    expect(command.message.message.fragments[0].type).toBe('text');
    await expect.poll(() => fake.chat.messages.filter((m) => m.senderId === BOT).length, { timeout: 10_000 }).toBe(1);
    const reply = fake.chat.messages.find((m) => m.senderId === BOT)!;
    expect(reply).toMatchObject({ channel: CHANNEL, text: 'Go follow @streamer33', replyTo: posted.messageId, via: 'user' });
  });

  it('parses a command in a reply after the mention Twitch puts first, by alias', async () => {
    const parent = await fake.chat.post({ channel: CHANNEL, userId: OTHER_CHANNEL, text: 'hello' });
    const before = bot.commands.length;
    await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: '!shoutout @streamer33', replyTo: parent.messageId });
    await expect.poll(() => bot.commands.length, { timeout: 10_000 }).toBe(before + 1);
    const command = bot.commands.at(-1)!;
    expect(command.args).toEqual(['@streamer33']);
    expect(command.message.reply?.parentMessageId).toBe(parent.messageId);
    expect(command.message.message.fragments[0].mention?.userLogin).toBe('streamer33');
  });

  it("ignores the bot's own messages (its replies come back through EventSub)", async () => {
    await fake.chat.post({ channel: CHANNEL, userId: BOT, text: '!so @someone' });
    const commands = bot.commands.length;
    await settle();
    // The bot's reply of the first test and this message were both delivered to the app...
    const own = bot.raw.filter((e) => e.chatter_user_id === BOT).map((e) => (e.message as { text: string }).text);
    expect(own).toEqual(expect.arrayContaining(['@viewer32 Go follow @streamer33', '!so @someone']));
    // ...and none reached a handler.
    expect(bot.seen.filter((m) => m.chatterUserId === BOT)).toEqual([]);
    expect(bot.commands.length).toBe(commands);
  });

  it("in shared chat, hands over only the channel's own messages", async () => {
    await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: 'sent in the other channel', sourceChannel: OTHER_CHANNEL });
    await fake.chat.post({ channel: CHANNEL, userId: VIEWER, text: 'sent here, shared', sourceChannel: CHANNEL });
    await settle();
    const texts = bot.seen.map((m) => m.message.text);
    expect(texts).toContain('sent here, shared');
    expect(texts).not.toContain('sent in the other channel');
    const shared = bot.seen.find((m) => m.message.text === 'sent here, shared')!;
    expect(shared.sourceBroadcasterUserId).toBe(CHANNEL);
    expect(shared.isSourceOnly).toBe(false);
  });

  it('surfaces is_sent: false as a typed exception with the drop reason', async () => {
    const service = chat.app.get(TwitchChatService);
    fake.chat.dropNext({ code: 'automod_held', message: 'Message is being held by AutoMod' });
    const error = await service.say(CHANNEL, 'hello there').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchChatMessageDroppedException);
    expect((error as TwitchChatMessageDroppedException).dropReason).toEqual({
      code: 'automod_held',
      message: 'Message is being held by AutoMod',
    });
    expect((error as TwitchChatMessageDroppedException).getStatus()).toBe(422);
    expect((error as TwitchChatMessageDroppedException).getResponse()).toMatchObject({ dropReason: { code: 'automod_held' } });
  });

  it('refuses a message over 500 characters before sending; 500 emoji are fine', async () => {
    const service = chat.app.get(TwitchChatService);
    fake.clearRequests();
    const error = await service.say(CHANNEL, 'x'.repeat(501)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchValidationException);
    expect(String((error as Error).message)).toContain('message must be at most 500 characters');
    await expect(service.say(CHANNEL, '   ')).rejects.toBeInstanceOf(TwitchValidationException);
    await expect(service.whisper(VIEWER, 'x'.repeat(10_001))).rejects.toBeInstanceOf(TwitchValidationException);
    expect(fake.requestsTo('POST', '/helix/chat/messages')).toHaveLength(0);
    expect(fake.requestsTo('POST', '/helix/whispers')).toHaveLength(0);
    await expect(service.say(CHANNEL, '😀'.repeat(500))).resolves.toMatchObject({ messageId: expect.any(String) });
  });

  it('sends announcements, shoutouts and whispers as the bot', async () => {
    const service = chat.app.get(TwitchChatService);
    fake.chat.addModerator(CHANNEL, BOT);
    await service.announce(CHANNEL, 'Stream starts soon', { color: 'purple' });
    await service.shoutout(CHANNEL, OTHER_CHANNEL);
    await service.whisper(VIEWER, 'psst');
    expect(fake.chat.announcements.at(-1)).toMatchObject({
      channel: CHANNEL,
      moderatorId: BOT,
      message: 'Stream starts soon',
      color: 'purple',
    });
    expect(fake.chat.shoutouts.at(-1)).toMatchObject({ channel: CHANNEL, target: OTHER_CHANNEL, moderatorId: BOT });
    expect(fake.chat.whispers.at(-1)).toMatchObject({ from: BOT, to: VIEWER, message: 'psst' });
  });
});

describe('chat bot: authorization', () => {
  let fake: FakeTwitch;
  let chat: ChatApp | undefined;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    fake = await FakeTwitch.start();
    seedChat(fake);
    fake.chat.checkAuthorization = true;
  });
  afterEach(async () => {
    await chat?.close();
    chat = undefined;
  });
  afterAll(async () => {
    await fake?.close();
    await flushPrefix(prefix);
  });

  it('names the scopes when the bot token lacks them, and sends nothing', async () => {
    chat = await createChatApp({ fake, keyPrefix: prefix, botScopes: ['user:read:chat'] });
    fake.clearRequests();
    const error = await chat.app
      .get(TwitchChatService)
      .say(CHANNEL, 'hi')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchChatAuthorizationException);
    expect((error as TwitchChatAuthorizationException).requiredScopes).toEqual(['user:write:chat']);
    expect((error as Error).message).toContain('user:write:chat');
    expect(fake.requestsTo('POST', '/helix/chat/messages')).toHaveLength(0);
  });

  it('with an app token, sends once the bot granted user:bot and the broadcaster channel:bot; a refusal names them', async () => {
    chat = await createChatApp({ fake, keyPrefix: prefix, chat: { auth: 'app' } });
    const service = chat.app.get(TwitchChatService);
    await expect(service.say(CHANNEL, 'hello as an app')).resolves.toMatchObject({ messageId: expect.any(String) });
    expect(fake.chat.messages.at(-1)).toMatchObject({ senderId: BOT, via: 'app' });
    // A channel whose broadcaster never granted channel:bot, where the bot is no moderator.
    const error = await service.say(OTHER_CHANNEL, 'hello').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwitchChatAuthorizationException);
    expect((error as Error).message).toContain('channel:bot');
  });
});
