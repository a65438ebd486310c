/**
 * Chat in the fake: messages posted to a channel (`fake.chat.post(...)`, or sent through Send Chat
 * Message) are delivered as `channel.chat.message` EventSub notifications to every matching webhook,
 * WebSocket and conduit subscription; Send Chat Message, Send Chat Announcement, Send a Shoutout and Send
 * Whisper are answered with Twitch's checks and limits. Over the chat limit a message is not delivered:
 * `200` with `is_sent: false` and a `drop_reason`, counted in {@link FakeChat.drops}.
 */
import { randomUUID } from 'node:crypto';
import type { FakeEventSub } from './eventsub.js';
import type { FakeEventSubWs } from './eventsub-ws.js';
import { catalogRoute, checkParams, checkToken } from './helix-catalog.js';
import type { BuiltInRoute } from './helix-routes.js';
import type { FakeTwitchRequest, FakeTwitchResponse, FakeTwitchState, TokenInfo } from './types.js';
import { twitchError } from './util.js';

/** A sliding-window limit: at most `limit` in any `windowMs`. */
export interface FakeChatWindow {
  limit: number;
  windowMs: number;
}

/** The limits the fake applies (Twitch's documented ones by default; tests may lower them). */
export interface FakeChatLimits {
  /** Per sender and channel, sender neither broadcaster nor moderator. Default 20 per 30 s. */
  normal: FakeChatWindow;
  /** Per sender and channel, sender broadcaster or moderator. Default 100 per 30 s. */
  moderator: FakeChatWindow;
  /** Per verified sender, site-wide. Default 7500 per 30 s. */
  verified: FakeChatWindow;
  /** Announcements per channel. Default 1 per 2 s. */
  announcements: FakeChatWindow;
  /** Shoutouts per channel. Default 1 per 2 min. */
  shoutoutsPerChannel: FakeChatWindow;
  /** Shoutouts per channel and target. Default 1 per 60 min. */
  shoutoutsPerTarget: FakeChatWindow;
  /** Whispers per sender. Default 3 per s. */
  whispersPerSecond: FakeChatWindow;
  /** Whispers per sender. Default 100 per min. */
  whispersPerMinute: FakeChatWindow;
  /** Distinct whisper recipients per sender. Default 40 per day. */
  whisperRecipientsPerDay: FakeChatWindow;
}

/** A message the fake put in a channel's chat. */
export interface FakeChatMessage {
  channel: string;
  senderId: string;
  text: string;
  messageId: string;
  replyTo?: string;
  /** The token kind it was sent with (`undefined` for `post()`). */
  via?: 'app' | 'user';
  at: number;
}

/** A Send Chat Message the fake answered with `is_sent: false`. */
export interface FakeChatDrop {
  channel: string;
  senderId: string;
  text: string;
  code: string;
  message: string;
  at: number;
}

/** What {@link FakeChat.post} puts in chat. */
export interface FakeChatPost {
  /** Broadcaster ID of the chat. */
  channel: string;
  /** Chatter's user ID. */
  userId: string;
  text: string;
  login?: string;
  badges?: { set_id: string; id: string; info: string }[];
  /** Reply to this earlier message (of {@link FakeChat.messages}). */
  replyTo?: string;
  /** In shared chat: the channel the message was sent in (`source_broadcaster_user_id`). */
  sourceChannel?: string;
}

const CHAT_MAX = 500;
const WHISPER_MAX = 10_000;

const DEFAULT_LIMITS: FakeChatLimits = {
  normal: { limit: 20, windowMs: 30_000 },
  moderator: { limit: 100, windowMs: 30_000 },
  verified: { limit: 7_500, windowMs: 30_000 },
  announcements: { limit: 1, windowMs: 2_000 },
  shoutoutsPerChannel: { limit: 1, windowMs: 120_000 },
  shoutoutsPerTarget: { limit: 1, windowMs: 3_600_000 },
  whispersPerSecond: { limit: 3, windowMs: 1_000 },
  whispersPerMinute: { limit: 100, windowMs: 60_000 },
  whisperRecipientsPerDay: { limit: 40, windowMs: 86_400_000 },
};

export class FakeChat {
  /** Limits in force; change them freely (`fake.chat.limits.normal = { limit: 5, windowMs: 1000 }`). */
  limits: FakeChatLimits = structuredClone(DEFAULT_LIMITS);
  /** Messages put in chat, oldest first. */
  readonly messages: FakeChatMessage[] = [];
  /** Send Chat Message requests answered with `is_sent: false`. */
  readonly drops: FakeChatDrop[] = [];
  readonly announcements: { channel: string; moderatorId: string; message: string; color: string; at: number }[] = [];
  readonly shoutouts: { channel: string; target: string; moderatorId: string; at: number }[] = [];
  readonly whispers: { from: string; to: string; message: string; at: number }[] = [];
  /** Emit the bot's own sent messages back as `channel.chat.message`, as Twitch does. @default true */
  echoSentMessages = true;
  /**
   * Twitch's identity checks beyond the token kind and scopes: the sender (`sender_id`, `moderator_id`,
   * `from_user_id`) must be the user token's user; with an app token the sender must have granted `user:bot`
   * and the broadcaster `channel:bot` (unless the sender is a moderator); announcements and shoutouts need a
   * moderator (`addModerator`). Off by default, so that calls with any IDs succeed as the generic answers do.
   * @default false
   */
  checkAuthorization = false;

  private readonly moderators = new Map<string, Set<string>>();
  private readonly verifiedUsers = new Set<string>();
  private readonly windows = new Map<string, number[]>();
  private readonly recipients = new Map<string, Map<string, number>>();
  private readonly forcedDrops: { code: string; message: string }[] = [];
  private readonly routes: Map<string, BuiltInRoute>;

  /** @internal Created by the fake. */
  constructor(
    private readonly state: FakeTwitchState,
    private readonly eventSub: () => FakeEventSub,
    private readonly eventSubWs: () => FakeEventSubWs,
    private readonly grantedScopes: (clientId: string, userId: string) => Set<string>,
    private readonly loginOf: (userId: string) => string,
  ) {
    this.routes = new Map<string, BuiltInRoute>([
      [
        'POST /chat/messages',
        (req, ctx) => this.checked(req, ctx.token!, '/chat/messages') ?? this.sendMessage(req.body, ctx.token!, ctx.now),
      ],
      [
        'POST /chat/announcements',
        (req, ctx) =>
          this.checked(req, ctx.token!, '/chat/announcements') ?? this.announce(req.query, req.body, ctx.token!, ctx.now),
      ],
      [
        'POST /chat/shoutouts',
        (req, ctx) => this.checked(req, ctx.token!, '/chat/shoutouts') ?? this.shoutout(req.query, ctx.token!, ctx.now),
      ],
      [
        'POST /whispers',
        (req, ctx) => this.checked(req, ctx.token!, '/whispers') ?? this.whisper(req.query, req.body, ctx.token!, ctx.now),
      ],
    ]);
  }

  /** The generic checks of the endpoint (token kind, scopes, required parameters), with the generic answers' messages. */
  private checked(req: FakeTwitchRequest, token: TokenInfo, path: string): FakeTwitchResponse | undefined {
    const route = catalogRoute('POST', path);
    if (!route) return undefined;
    return checkToken(route, token) ?? checkParams(route, req);
  }

  /** Make `userId` a moderator of `channel` (the moderator limit applies to it there). */
  addModerator(channel: string, userId: string): void {
    const set = this.moderators.get(channel) ?? new Set<string>();
    set.add(userId);
    this.moderators.set(channel, set);
  }

  /** Mark `userId` a verified bot (site-wide limit `limits.verified`). */
  setVerified(userId: string, verified = true): void {
    if (verified) this.verifiedUsers.add(userId);
    else this.verifiedUsers.delete(userId);
  }

  /** The next Send Chat Message is answered `is_sent: false` with this reason (AutoMod, a duplicate, …). */
  dropNext(reason: { code: string; message: string } = { code: 'msg_duplicate', message: 'This message is a duplicate.' }): void {
    this.forcedDrops.push({ ...reason });
  }

  /** Put a chatter's message in chat: notifies every matching `channel.chat.message` subscription. */
  async post(post: FakeChatPost): Promise<FakeChatMessage> {
    const message: FakeChatMessage = {
      channel: post.channel,
      senderId: post.userId,
      text: post.text,
      messageId: randomUUID(),
      at: Date.now(),
      ...(post.replyTo ? { replyTo: post.replyTo } : {}),
    };
    this.messages.push(message);
    await this.deliver(message, post);
    return message;
  }

  /** @internal The dedicated route for `'METHOD /path'`, if chat answers it. */
  routeFor(key: string): BuiltInRoute | undefined {
    return this.routes.get(key);
  }

  /** The `channel.chat.message` event Twitch sends for a message. */
  eventOf(message: FakeChatMessage, post: Partial<FakeChatPost> = {}): Record<string, unknown> {
    const login = post.login ?? this.loginOf(message.senderId);
    const b = this.loginOf(message.channel);
    const parent = message.replyTo ? this.messages.find((m) => m.messageId === message.replyTo) : undefined;
    const parentLogin = parent ? this.loginOf(parent.senderId) : undefined;
    const text = parent ? `@${parentLogin} ${message.text}` : message.text;
    const source = post.sourceChannel;
    return {
      broadcaster_user_id: message.channel,
      broadcaster_user_login: b,
      broadcaster_user_name: b,
      chatter_user_id: message.senderId,
      chatter_user_login: login,
      chatter_user_name: login,
      message_id: message.messageId,
      message: { text, fragments: fragments(text, parentLogin, parent?.senderId) },
      color: '#9146FF',
      badges:
        post.badges ?? (this.isModerator(message.channel, message.senderId) ? [{ set_id: 'moderator', id: '1', info: '' }] : []),
      message_type: 'text',
      cheer: null,
      reply: parent
        ? {
            parent_message_id: parent.messageId,
            parent_message_body: parent.text,
            parent_user_id: parent.senderId,
            parent_user_name: parentLogin,
            parent_user_login: parentLogin,
            thread_message_id: parent.replyTo ?? parent.messageId,
            thread_user_id: parent.senderId,
            thread_user_name: parentLogin,
            thread_user_login: parentLogin,
          }
        : null,
      channel_points_custom_reward_id: null,
      source_broadcaster_user_id: source ?? null,
      source_broadcaster_user_login: source ? this.loginOf(source) : null,
      source_broadcaster_user_name: source ? this.loginOf(source) : null,
      source_message_id: source ? message.messageId : null,
      source_badges: source ? [] : null,
      is_source_only: source ? source !== message.channel : null,
    };
  }

  private async deliver(message: FakeChatMessage, post: Partial<FakeChatPost> = {}): Promise<void> {
    const event = this.eventOf(message, post);
    const ws = this.eventSubWs();
    const sends: Promise<unknown>[] = [this.eventSub().emit('channel.chat.message', event)];
    for (const sub of this.state.eventSubSubscriptions.values()) {
      if (sub.type !== 'channel.chat.message' || sub.status !== 'enabled' || sub.transport.method === 'webhook') continue;
      if (String(sub.condition.broadcaster_user_id) !== message.channel) continue;
      sends.push(Promise.resolve().then(() => ws.emit(sub.id, event)));
    }
    await Promise.allSettled(sends);
  }

  private isModerator(channel: string, userId: string): boolean {
    return channel === userId || (this.moderators.get(channel)?.has(userId) ?? false);
  }

  /** Counts one in the window `key` unless it is full; true when there was room. */
  private take(key: string, w: FakeChatWindow, now: number, count = true): boolean {
    const times = (this.windows.get(key) ?? []).filter((t) => t > now - w.windowMs);
    this.windows.set(key, times);
    if (times.length >= w.limit) return false;
    if (count) times.push(now);
    return true;
  }

  private sendMessage(body: unknown, token: TokenInfo, now: number): FakeTwitchResponse {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const channel = typeof b.broadcaster_id === 'string' ? b.broadcaster_id : '';
    const sender = typeof b.sender_id === 'string' ? b.sender_id : '';
    const text = typeof b.message === 'string' ? b.message : '';
    if (!channel) return twitchError(400, 'Missing required parameter "broadcaster_id"');
    if (!sender) return twitchError(400, 'Missing required parameter "sender_id"');
    if (!text) return twitchError(400, 'Missing required parameter "message"');
    if ([...text].length > CHAT_MAX) return twitchError(400, `The parameter "message" exceeds ${CHAT_MAX} characters`);
    if (!this.checkAuthorization) {
      // Token kind and scopes were checked; Twitch's identity checks only when asked for.
    } else if (token.kind === 'user') {
      if (token.userId !== sender) return twitchError(403, 'The sender must match the user ID in the access token');
    } else {
      if (!this.grantedScopes(token.clientId, sender).has('user:bot')) {
        return twitchError(403, 'The sender has not authorized the app with the user:bot scope');
      }
      if (!this.isModerator(channel, sender) && !this.grantedScopes(token.clientId, channel).has('channel:bot')) {
        return twitchError(
          403,
          'The broadcaster has not authorized the app with the channel:bot scope, and the sender is not a moderator',
        );
      }
    }
    const reply = typeof b.reply_parent_message_id === 'string' ? b.reply_parent_message_id : undefined;
    const drop = (code: string, message: string): FakeTwitchResponse => {
      this.drops.push({ channel, senderId: sender, text, code, message, at: now });
      return { status: 200, body: { data: [{ message_id: '', is_sent: false, drop_reason: { code, message } }] } };
    };
    const forced = this.forcedDrops.shift();
    if (forced) return drop(forced.code, forced.message);
    const mod = this.isModerator(channel, sender);
    const verified = this.verifiedUsers.has(sender);
    const channelKey = `msg:${sender}:${channel}`;
    const channelWindow = mod ? this.limits.moderator : this.limits.normal;
    const roomHere = this.take(channelKey, channelWindow, now, false);
    const roomSite = !verified || this.take(`msg:${sender}`, this.limits.verified, now, false);
    if (!roomHere || !roomSite)
      return drop('msg_ratelimit', 'Your message was not sent because you are sending messages too quickly.');
    this.take(channelKey, channelWindow, now);
    if (verified) this.take(`msg:${sender}`, this.limits.verified, now);
    const message: FakeChatMessage = {
      channel,
      senderId: sender,
      text,
      messageId: randomUUID(),
      at: now,
      via: token.kind,
      ...(reply ? { replyTo: reply } : {}),
    };
    this.messages.push(message);
    if (this.echoSentMessages) setImmediate(() => void this.deliver(message));
    return { status: 200, body: { data: [{ message_id: message.messageId, is_sent: true }] } };
  }

  /** The user token's user is not `id`, or `id` is no moderator of `channel` (with {@link checkAuthorization}). */
  private notModerator(token: TokenInfo, id: string, channel: string): FakeTwitchResponse | undefined {
    if (!this.checkAuthorization) return undefined;
    if (id !== token.userId) return twitchError(403, 'The ID in moderator_id must match the user ID in the access token');
    if (!this.isModerator(channel, id))
      return twitchError(403, "The user in moderator_id is not one of the broadcaster's moderators");
    return undefined;
  }

  private announce(query: Record<string, string[]>, body: unknown, token: TokenInfo, now: number): FakeTwitchResponse {
    const channel = query.broadcaster_id?.[0] ?? '';
    const moderator = query.moderator_id?.[0] ?? '';
    if (!channel) return twitchError(400, 'Missing required parameter "broadcaster_id"');
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : '';
    if (!message) return twitchError(400, 'Missing required parameter "message"');
    if ([...message].length > CHAT_MAX) return twitchError(400, `The parameter "message" exceeds ${CHAT_MAX} characters`);
    const denied = this.notModerator(token, moderator, channel);
    if (denied) return denied;
    if (!this.take(`ann:${channel}`, this.limits.announcements, now))
      return twitchError(429, 'Too many announcements in this channel');
    this.announcements.push({
      channel,
      moderatorId: moderator,
      message,
      color: typeof b.color === 'string' ? b.color : 'primary',
      at: now,
    });
    return { status: 204 };
  }

  private shoutout(query: Record<string, string[]>, token: TokenInfo, now: number): FakeTwitchResponse {
    const channel = query.from_broadcaster_id?.[0] ?? '';
    const target = query.to_broadcaster_id?.[0] ?? '';
    const moderator = query.moderator_id?.[0] ?? '';
    if (!channel || !target) return twitchError(400, 'Missing required parameter "from_broadcaster_id" or "to_broadcaster_id"');
    if (this.checkAuthorization && channel === target)
      return twitchError(400, 'The broadcaster may not give themselves a Shoutout');
    const denied = this.notModerator(token, moderator, channel);
    if (denied) return denied;
    const perChannel = this.take(`so:${channel}`, this.limits.shoutoutsPerChannel, now, false);
    const perTarget = this.take(`so:${channel}:${target}`, this.limits.shoutoutsPerTarget, now, false);
    if (!perChannel || !perTarget) return twitchError(429, 'The broadcaster exceeded the number of Shoutouts they may send');
    this.take(`so:${channel}`, this.limits.shoutoutsPerChannel, now);
    this.take(`so:${channel}:${target}`, this.limits.shoutoutsPerTarget, now);
    this.shoutouts.push({ channel, target, moderatorId: moderator, at: now });
    return { status: 204 };
  }

  private whisper(query: Record<string, string[]>, body: unknown, token: TokenInfo, now: number): FakeTwitchResponse {
    const from = query.from_user_id?.[0] ?? '';
    const to = query.to_user_id?.[0] ?? '';
    if (!from || !to) return twitchError(400, 'Missing required parameter "from_user_id" or "to_user_id"');
    if (this.checkAuthorization && from !== token.userId)
      return twitchError(401, 'The ID in from_user_id must match the user ID in the access token');
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : '';
    if (!message) return twitchError(400, 'Missing required parameter "message"');
    if ([...message].length > WHISPER_MAX) return twitchError(400, `The parameter "message" exceeds ${WHISPER_MAX} characters`);
    const day = this.limits.whisperRecipientsPerDay;
    const seen = this.recipients.get(from) ?? new Map<string, number>();
    for (const [r, at] of seen) if (at <= now - day.windowMs) seen.delete(r);
    this.recipients.set(from, seen);
    if (!seen.has(to) && seen.size >= day.limit)
      return twitchError(429, 'You may whisper to a maximum of 40 unique recipients per day');
    const perSecond = this.take(`wh:s:${from}`, this.limits.whispersPerSecond, now, false);
    const perMinute = this.take(`wh:m:${from}`, this.limits.whispersPerMinute, now, false);
    if (!perSecond || !perMinute) return twitchError(429, 'Too many whispers');
    this.take(`wh:s:${from}`, this.limits.whispersPerSecond, now);
    this.take(`wh:m:${from}`, this.limits.whispersPerMinute, now);
    if (!seen.has(to)) seen.set(to, now);
    this.whispers.push({ from, to, message, at: now });
    return { status: 204 };
  }
}

/** Twitch's fragments of a text: a mention fragment for a leading `@parent` of a reply, text otherwise. */
function fragments(text: string, parentLogin?: string, parentId?: string): Record<string, unknown>[] {
  const plain = (t: string) => ({ type: 'text', text: t, cheermote: null, emote: null, mention: null });
  if (parentLogin && text.startsWith(`@${parentLogin}`)) {
    const mention = `@${parentLogin}`;
    const rest = text.slice(mention.length);
    return [
      {
        type: 'mention',
        text: mention,
        cheermote: null,
        emote: null,
        mention: { user_id: parentId, user_login: parentLogin, user_name: parentLogin },
      },
      ...(rest ? [plain(rest)] : []),
    ];
  }
  return [plain(text)];
}
