import { describe, expect, it } from 'vitest';
import { parseChatCommand } from '../../lib/chat/twitch-chat-command.parser.js';
import { resolveTwitchChatOptions, TwitchChatOptionsError } from '../../lib/chat/twitch-chat-options.js';
import type { TwitchChatModuleOptions } from '../../lib/chat/twitch-chat-options.interface.js';

const twitch = { keyPrefix: 'p:' };

describe('chat command parser', () => {
  it('splits name, arguments (quotes kept together) and the rest', () => {
    expect(parseChatCommand('  !so   @someone "big raid"  now ')).toEqual({
      name: '!so',
      args: ['@someone', 'big raid', 'now'],
      rest: '@someone "big raid"  now',
    });
    expect(parseChatCommand('!hello')).toEqual({ name: '!hello', args: [], rest: '' });
    expect(parseChatCommand('   ')).toBeUndefined();
  });

  it("skips the reply mention Twitch puts first, and only that user's", () => {
    expect(parseChatCommand('@Parent !so x', 'parent')).toMatchObject({ name: '!so', args: ['x'] });
    expect(parseChatCommand('@parentx !so x', 'parent')).toMatchObject({ name: '@parentx' });
    expect(parseChatCommand('@parent', 'parent')).toBeUndefined();
  });
});

describe('TwitchChatModule options', () => {
  it("fills in Twitch's documented limits", () => {
    const o = resolveTwitchChatOptions({ botUserId: '1' }, twitch);
    expect(o.limits.normal).toEqual({ limit: 20, windowMs: 30_000 });
    expect(o.limits.moderator).toEqual({ limit: 100, windowMs: 30_000 });
    expect(o.limits.verified).toEqual({ limit: 7_500, windowMs: 30_000 });
    expect(o.limits.whispersPerSecond).toEqual({ limit: 3, windowMs: 1_000 });
    expect(o.limits.whispersPerMinute).toEqual({ limit: 100, windowMs: 60_000 });
    expect(o.limits.whisperRecipientsPerDay).toEqual({ limit: 40, windowMs: 86_400_000 });
    expect(o).toMatchObject({ auth: 'user', sharedChat: 'own', ignoreOwnMessages: true, defaultRole: 'normal', keyPrefix: 'p:' });
  });

  it.each([
    [{}, 'botUserId'],
    [{ botUserId: 'bot' }, 'botUserId'],
    [{ botUserId: '1', channels: ['x'] }, 'channels[0]'],
    [{ botUserId: '1', auth: 'token' }, 'auth'],
    [{ botUserId: '1', sharedChat: 'some' }, 'sharedChat'],
    [{ botUserId: '1', roles: { '2': 'vip' } }, 'roles.2'],
    [{ botUserId: '1', limits: { normal: { limit: 0, windowMs: 1 } } }, 'limits.normal.limit'],
    [{ botUserId: '1', limits: { maxWaitMs: -1 } }, 'limits.maxWaitMs'],
    [{ botUserId: '1', botUserID: '1' }, 'botUserID'],
  ])('refuses %j naming %s', (input, option) => {
    expect(() => resolveTwitchChatOptions(input as unknown as TwitchChatModuleOptions, twitch)).toThrow(TwitchChatOptionsError);
    expect(() => resolveTwitchChatOptions(input as unknown as TwitchChatModuleOptions, twitch)).toThrow(`option "${option}"`);
  });
});
