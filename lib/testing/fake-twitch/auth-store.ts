/**
 * In-memory store of everything id.twitch.tv would know: access tokens, refresh tokens,
 * authorization codes and device codes. Internal to the fake.
 */
import type { TokenInfo } from './types.js';
import { randomToken, randomUserCode } from './util.js';

/** Settings of an {@link AuthStore}. */
export interface AuthStoreSettings {
  appTokenTtlSeconds: number;
  userTokenTtlSeconds: number;
  deviceIntervalSeconds: number;
  deviceExpiresInSeconds: number;
  /** Lifetime of authorization codes. */
  codeTtlSeconds: number;
}

/** A refresh token and what it re-issues. */
interface RefreshRecord {
  refreshToken: string;
  clientId: string;
  userId: string;
  login: string;
  scopes: string[];
}

/** An authorization code issued by the authorize page. */
export interface CodeRecord {
  code: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  login: string;
  expiresAt: number;
}

/** A device code of the device code grant flow. */
export interface DeviceRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  intervalMs: number;
  lastPollAt?: number;
  status: 'pending' | 'approved' | 'denied';
  user?: { userId: string; login: string };
}

/** Outcome of polling the token endpoint with a device code. */
export type DevicePollResult = { ok: true; token: TokenInfo } | { ok: false; message: string };

/** Token, code and device-code bookkeeping. */
export class AuthStore {
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly devices = new Map<string, DeviceRecord>();

  constructor(private readonly settings: AuthStoreSettings) {}

  /** Issue an app access token (client credentials). */
  issueApp(clientId: string, ttlSeconds = this.settings.appTokenTtlSeconds, now = Date.now()): TokenInfo {
    const info: TokenInfo = {
      accessToken: randomToken(30),
      kind: 'app',
      clientId,
      scopes: [],
      expiresAt: now + ttlSeconds * 1000,
    };
    this.tokens.set(info.accessToken, info);
    return info;
  }

  /** Issue a user access token, with a refresh token unless `withRefresh` is false (implicit flow). */
  issueUser(
    opts: { clientId: string; userId: string; login: string; scopes: string[]; ttlSeconds?: number; withRefresh?: boolean },
    now = Date.now(),
  ): TokenInfo {
    const info: TokenInfo = {
      accessToken: randomToken(30),
      kind: 'user',
      clientId: opts.clientId,
      userId: opts.userId,
      login: opts.login,
      scopes: [...opts.scopes],
      expiresAt: now + (opts.ttlSeconds ?? this.settings.userTokenTtlSeconds) * 1000,
    };
    if (opts.withRefresh !== false) {
      info.refreshToken = randomToken(50);
      this.refreshTokens.set(info.refreshToken, {
        refreshToken: info.refreshToken,
        clientId: opts.clientId,
        userId: opts.userId,
        login: opts.login,
        scopes: [...opts.scopes],
      });
    }
    this.tokens.set(info.accessToken, info);
    return info;
  }

  /** The token's info if it exists and has not expired. */
  lookup(accessToken: string, now = Date.now()): TokenInfo | undefined {
    const info = this.tokens.get(accessToken);
    return info && info.expiresAt > now ? info : undefined;
  }

  /** The token's info even if it has expired (`undefined` once revoked or if never issued). */
  peek(accessToken: string): TokenInfo | undefined {
    return this.tokens.get(accessToken);
  }

  /** Make a token expired from now on. */
  expire(accessToken: string, now = Date.now()): void {
    const info = this.tokens.get(accessToken);
    if (info) info.expiresAt = Math.min(info.expiresAt, now - 1);
  }

  /**
   * Scopes a user has granted a client: those of the user's live access tokens and refresh tokens for it
   * (what Twitch remembers of the user's consents). Used by EventSub to answer 403 for missing scopes.
   */
  grantedScopes(clientId: string, userId: string): Set<string> {
    const out = new Set<string>();
    for (const t of this.tokens.values())
      if (t.kind === 'user' && t.clientId === clientId && t.userId === userId) for (const s of t.scopes) out.add(s);
    for (const r of this.refreshTokens.values())
      if (r.clientId === clientId && r.userId === userId) for (const s of r.scopes) out.add(s);
    return out;
  }

  /** Forget a token. Its refresh token stays usable. Returns whether it existed. */
  revoke(accessToken: string): boolean {
    return this.tokens.delete(accessToken);
  }

  /** Rotate a refresh token: the old one stops working, a new access + refresh token pair is issued. */
  refresh(refreshToken: string, clientId: string, now = Date.now()): TokenInfo | undefined {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.clientId !== clientId) return undefined;
    this.refreshTokens.delete(refreshToken);
    return this.issueUser({ clientId, userId: record.userId, login: record.login, scopes: record.scopes }, now);
  }

  /** Create a single-use authorization code. */
  createCode(opts: Omit<CodeRecord, 'code' | 'expiresAt'>, now = Date.now()): CodeRecord {
    const record: CodeRecord = { ...opts, code: randomToken(30), expiresAt: now + this.settings.codeTtlSeconds * 1000 };
    this.codes.set(record.code, record);
    return record;
  }

  /**
   * Redeem an authorization code. A code that is unknown, used, expired or for another client is
   * `'invalid'`; a redirect URI other than the one used at authorize is `'redirect_mismatch'` (the
   * code stays usable).
   */
  redeemCode(
    code: string,
    clientId: string,
    redirectUri: string | undefined,
    now = Date.now(),
  ): CodeRecord | 'invalid' | 'redirect_mismatch' {
    const record = this.codes.get(code);
    if (!record || record.clientId !== clientId || record.expiresAt <= now) return 'invalid';
    if (redirectUri !== record.redirectUri) return 'redirect_mismatch';
    this.codes.delete(code);
    return record;
  }

  /** Start a device code flow. */
  createDevice(clientId: string, scopes: string[], now = Date.now()): DeviceRecord {
    let userCode = randomUserCode();
    while (this.findDevice(userCode)) userCode = randomUserCode();
    const record: DeviceRecord = {
      deviceCode: randomToken(40),
      userCode,
      clientId,
      scopes,
      expiresAt: now + this.settings.deviceExpiresInSeconds * 1000,
      intervalMs: this.settings.deviceIntervalSeconds * 1000,
      status: 'pending',
    };
    this.devices.set(record.deviceCode, record);
    return record;
  }

  /** The device flow with this user code (case-insensitive), if any. */
  findDevice(userCode: string): DeviceRecord | undefined {
    const wanted = userCode.toUpperCase();
    for (const record of this.devices.values()) if (record.userCode === wanted) return record;
    return undefined;
  }

  /** Mark a pending, unexpired device flow as approved by `user`. Returns false if there is none. */
  approveDevice(userCode: string, user: { userId: string; login: string }, now = Date.now()): boolean {
    const record = this.findDevice(userCode);
    if (!record || record.expiresAt <= now || record.status !== 'pending') return false;
    record.status = 'approved';
    record.user = { ...user };
    return true;
  }

  /** Mark a pending, unexpired device flow as denied. Returns false if there is none. */
  denyDevice(userCode: string, now = Date.now()): boolean {
    const record = this.findDevice(userCode);
    if (!record || record.expiresAt <= now || record.status !== 'pending') return false;
    record.status = 'denied';
    return true;
  }

  /**
   * Poll with a device code. Checks, in order: unknown (`invalid device code`), expired
   * (`expired_token`), denied (`access_denied`), polled sooner than the interval after the previous
   * poll (`slow_down`), approved (success; the device code is used up), else `authorization_pending`.
   */
  pollDevice(deviceCode: string, clientId: string, now = Date.now()): DevicePollResult {
    const record = this.devices.get(deviceCode);
    if (!record || record.clientId !== clientId) return { ok: false, message: 'invalid device code' };
    if (record.expiresAt <= now) return { ok: false, message: 'expired_token' };
    if (record.status === 'denied') return { ok: false, message: 'access_denied' };
    const last = record.lastPollAt;
    record.lastPollAt = now;
    if (last !== undefined && now - last < record.intervalMs) return { ok: false, message: 'slow_down' };
    if (record.status === 'approved' && record.user) {
      this.devices.delete(deviceCode);
      const token = this.issueUser(
        { clientId, userId: record.user.userId, login: record.user.login, scopes: record.scopes },
        now,
      );
      return { ok: true, token };
    }
    return { ok: false, message: 'authorization_pending' };
  }
}
