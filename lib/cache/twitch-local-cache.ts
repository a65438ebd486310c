import type { TwitchCachedResponse } from './twitch-cache.js';

interface Entry {
  value: TwitchCachedResponse;
  /** Epoch ms after which the entry is gone. */
  expiresAt: number;
}

/**
 * The process-local tier of the response cache: at most `maxEntries` answers, least recently used
 * dropped first, each until its own absolute expiry. Without Redis it is the whole cache; with Redis
 * it sits in front of it and keeps copies of what this process read or wrote there, until the
 * moment the Redis entry expires.
 */
export class TwitchLocalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now = Date.now()): TwitchCachedResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry); // most recently used last
    return entry.value;
  }

  set(key: string, value: TwitchCachedResponse, expiresAt: number): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
