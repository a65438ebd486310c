import type { TwitchResolvedOptions } from '../twitch-options.js';
import { TWITCH_EXTENSION_DEFAULTS, TWITCH_EXTENSION_MAX_CLOCK_SKEW_MS } from './twitch-extension.constants.js';
import type { TwitchExtensionModuleOptions } from './twitch-extension-options.interface.js';

/** `TwitchExtensionModule` options after validation, with every default filled in. */
export interface TwitchExtensionResolvedOptions {
  extensionId: string;
  /** Configured secrets (decoded keys stay inside the secrets service), newest first. */
  secrets: string[];
  ownerId?: string;
  fetchSecrets: boolean;
  secretsRefreshMs: number;
  clockSkewMs: number;
  jwtTtlSeconds: number;
  pubsub: { enabled: boolean; limit: number; windowMs: number; marginMs: number; maxWaitMs: number };
  /** `keyPrefix` of `TwitchModule`. */
  keyPrefix: string;
}

/** A bad `TwitchExtensionModule` option; the message names it and never shows a secret. */
export class TwitchExtensionOptionsError extends Error {
  constructor(option: string, expected: string) {
    super(`TwitchExtensionModule: option "${option}" ${expected}`);
    this.name = 'TwitchExtensionOptionsError';
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const USER_ID = /^[0-9]{1,20}$/;

function secretValue(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TwitchExtensionOptionsError(option, 'must be a non-empty base64 string');
  }
  const s = value.trim();
  if (!BASE64.test(s) || Buffer.from(s, 'base64').length === 0) {
    throw new TwitchExtensionOptionsError(option, 'must be the base64 extension secret shown by the developer console');
  }
  return s;
}

function int(value: unknown, option: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TwitchExtensionOptionsError(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TwitchExtensionOptionsError(option, 'must be a boolean');
  return value;
}

/**
 * Validates the `TwitchExtensionModule` options and fills in defaults (some from `TwitchModule`'s).
 * Throws `TwitchExtensionOptionsError` naming the first bad option.
 */
export function resolveTwitchExtensionOptions(
  input: TwitchExtensionModuleOptions,
  twitch: Pick<TwitchResolvedOptions, 'clientId' | 'keyPrefix'>,
): TwitchExtensionResolvedOptions {
  if (!input || typeof input !== 'object') throw new TwitchExtensionOptionsError('options', 'must be an object');
  const d = TWITCH_EXTENSION_DEFAULTS;
  const extensionId = input.extensionId ?? twitch.clientId;
  if (typeof extensionId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(extensionId)) {
    throw new TwitchExtensionOptionsError('extensionId', "must be the extension's client ID (letters, digits, - and _)");
  }
  const secrets: string[] = [];
  if (input.secrets !== undefined) {
    if (!Array.isArray(input.secrets)) throw new TwitchExtensionOptionsError('secrets', 'must be an array of base64 strings');
    input.secrets.forEach((s, i) => secrets.push(secretValue(s, `secrets[${i}]`)));
  }
  if (input.secret !== undefined) {
    const s = secretValue(input.secret, 'secret');
    if (!secrets.includes(s)) secrets.unshift(s);
  }
  if (secrets.length === 0) {
    throw new TwitchExtensionOptionsError('secret', 'is required (or "secrets"): the base64 extension secret');
  }
  if (input.ownerId !== undefined && (typeof input.ownerId !== 'string' || !USER_ID.test(input.ownerId))) {
    throw new TwitchExtensionOptionsError('ownerId', 'must be a Twitch user ID (digits, as a string)');
  }
  const fetchSecrets = bool(input.fetchSecrets, 'fetchSecrets', input.ownerId !== undefined);
  if (fetchSecrets && input.ownerId === undefined) {
    throw new TwitchExtensionOptionsError('fetchSecrets', 'needs "ownerId" (Get Extension Secrets is signed as the owner)');
  }
  const p = input.pubsub ?? {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) {
    throw new TwitchExtensionOptionsError('pubsub', 'must be an object');
  }
  return {
    extensionId,
    secrets,
    ownerId: input.ownerId,
    fetchSecrets,
    secretsRefreshMs: int(input.secretsRefreshMs, 'secretsRefreshMs', d.secretsRefreshMs, 1_000, 86_400_000),
    clockSkewMs: int(input.clockSkewMs, 'clockSkewMs', d.clockSkewMs, 0, TWITCH_EXTENSION_MAX_CLOCK_SKEW_MS),
    jwtTtlSeconds: int(input.jwtTtlSeconds, 'jwtTtlSeconds', d.jwtTtlSeconds, 5, 3_600),
    pubsub: {
      enabled: bool(p.enabled, 'pubsub.enabled', d.pubsub.enabled),
      limit: int(p.limit, 'pubsub.limit', d.pubsub.limit, 1, 10_000),
      windowMs: int(p.windowMs, 'pubsub.windowMs', d.pubsub.windowMs, 10, 3_600_000),
      marginMs: int(p.marginMs, 'pubsub.marginMs', d.pubsub.marginMs, 0, 60_000),
      maxWaitMs: int(p.maxWaitMs, 'pubsub.maxWaitMs', d.pubsub.maxWaitMs, 0, 3_600_000),
    },
    keyPrefix: twitch.keyPrefix,
  };
}
