import { TWITCH_CHAT_DEFAULTS, type TwitchChatWindow } from './twitch-chat.constants.js';
import type { TwitchChatModuleOptions, TwitchChatRole } from './twitch-chat-options.interface.js';

/** `TwitchChatModule` options after validation, every default filled in. */
export interface TwitchChatResolvedOptions {
  botUserId: string;
  channels: string[];
  auth: 'user' | 'app';
  ignoreOwnMessages: boolean;
  sharedChat: 'own' | 'all';
  ignoreCommandCase: boolean;
  roles: Record<string, TwitchChatRole>;
  defaultRole: TwitchChatRole;
  verified: boolean;
  limits: {
    enabled: boolean;
    normal: TwitchChatWindow;
    moderator: TwitchChatWindow;
    verified: TwitchChatWindow;
    announcements: TwitchChatWindow;
    shoutoutsPerChannel: TwitchChatWindow;
    shoutoutsPerTarget: TwitchChatWindow;
    whispersPerSecond: TwitchChatWindow;
    whispersPerMinute: TwitchChatWindow;
    whisperRecipientsPerDay: TwitchChatWindow;
    marginMs: number;
    maxWaitMs: number;
  };
  /** `keyPrefix` of `TwitchModule`. */
  keyPrefix: string;
}

/** A bad `TwitchChatModule` option; the message names it. */
export class TwitchChatOptionsError extends Error {
  constructor(option: string, expected: string) {
    super(`TwitchChatModule: option "${option}" ${expected}`);
    this.name = 'TwitchChatOptionsError';
  }
}

const USER_ID = /^[0-9]{1,20}$/;
const KNOWN = new Set([
  'botUserId',
  'channels',
  'auth',
  'ignoreOwnMessages',
  'sharedChat',
  'ignoreCommandCase',
  'roles',
  'defaultRole',
  'verified',
  'limits',
]);
const WINDOWS = [
  'normal',
  'moderator',
  'verified',
  'announcements',
  'shoutoutsPerChannel',
  'shoutoutsPerTarget',
  'whispersPerSecond',
  'whispersPerMinute',
  'whisperRecipientsPerDay',
] as const;

function bool(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TwitchChatOptionsError(option, 'must be a boolean');
  return value;
}

function int(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TwitchChatOptionsError(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw new TwitchChatOptionsError(option, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  return value as T;
}

function window(value: unknown, option: string, fallback: TwitchChatWindow): TwitchChatWindow {
  if (value === undefined) return { ...fallback };
  if (!value || typeof value !== 'object') throw new TwitchChatOptionsError(option, 'must be { limit, windowMs }');
  const w = value as Partial<TwitchChatWindow>;
  return {
    limit: int(w.limit, `${option}.limit`, fallback.limit, 1, 1_000_000),
    windowMs: int(w.windowMs, `${option}.windowMs`, fallback.windowMs, 1, 7 * 86_400_000),
  };
}

/** Validates the `TwitchChatModule` options and fills in defaults. Throws `TwitchChatOptionsError` naming the first bad one. */
export function resolveTwitchChatOptions(
  input: TwitchChatModuleOptions,
  twitch: { keyPrefix: string },
): TwitchChatResolvedOptions {
  if (!input || typeof input !== 'object') throw new TwitchChatOptionsError('options', 'must be an object');
  for (const key of Object.keys(input))
    if (!KNOWN.has(key)) throw new TwitchChatOptionsError(key, 'is not an option of TwitchChatModule');
  if (typeof input.botUserId !== 'string' || !USER_ID.test(input.botUserId)) {
    throw new TwitchChatOptionsError('botUserId', "is required: the bot account's Twitch user ID (digits)");
  }
  const channels = input.channels ?? [];
  if (!Array.isArray(channels)) throw new TwitchChatOptionsError('channels', 'must be an array of broadcaster IDs');
  channels.forEach((c, i) => {
    if (typeof c !== 'string' || !USER_ID.test(c))
      throw new TwitchChatOptionsError(`channels[${i}]`, 'must be a broadcaster ID (digits)');
  });
  const roles = input.roles ?? {};
  if (!roles || typeof roles !== 'object' || Array.isArray(roles))
    throw new TwitchChatOptionsError('roles', 'must map broadcaster IDs to roles');
  for (const [id, role] of Object.entries(roles)) {
    if (!USER_ID.test(id)) throw new TwitchChatOptionsError(`roles.${id}`, 'must be keyed by a broadcaster ID (digits)');
    oneOf(role, `roles.${id}`, ['normal', 'moderator'] as const, 'normal');
  }
  const l = input.limits ?? {};
  if (!l || typeof l !== 'object') throw new TwitchChatOptionsError('limits', 'must be an object');
  const d = TWITCH_CHAT_DEFAULTS;
  const limits = {
    enabled: bool(l.enabled, 'limits.enabled', true),
    marginMs: int(l.marginMs, 'limits.marginMs', d.marginMs, 0, 600_000),
    maxWaitMs: int(l.maxWaitMs, 'limits.maxWaitMs', d.maxWaitMs, 0, 3_600_000),
  } as TwitchChatResolvedOptions['limits'];
  for (const name of WINDOWS) limits[name] = window(l[name], `limits.${name}`, d[name]);
  return {
    botUserId: input.botUserId,
    channels: [...new Set(channels)],
    auth: oneOf(input.auth, 'auth', ['user', 'app'] as const, 'user'),
    ignoreOwnMessages: bool(input.ignoreOwnMessages, 'ignoreOwnMessages', true),
    sharedChat: oneOf(input.sharedChat, 'sharedChat', ['own', 'all'] as const, 'own'),
    ignoreCommandCase: bool(input.ignoreCommandCase, 'ignoreCommandCase', true),
    roles: { ...roles },
    defaultRole: oneOf(input.defaultRole, 'defaultRole', ['normal', 'moderator'] as const, 'normal'),
    verified: bool(input.verified, 'verified', false),
    limits,
    keyPrefix: twitch.keyPrefix,
  };
}
