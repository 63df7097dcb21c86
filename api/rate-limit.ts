import { createHash } from 'node:crypto';
import type { TokenStore } from './token-store';

/** What limitPerClient and the routes need of a limiter: the seconds to wait, or 0. */
export interface Limiter {
  hit(key: string): number | Promise<number>;
}

// Fixed-window counters in memory: enough to blunt token guessing and PIN brute force from one
// address or against one token. (Per process: behind several API replicas, limit at the proxy too.)
export class RateLimiter implements Limiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit for `key`; returns the seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const t = this.now();
    let window = this.windows.get(key);
    if (!window || t - window.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.sweep(t);
      window = { start: t, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return window.count > this.limit ? Math.ceil((window.start + this.windowMs - t) / 1000) : 0;
  }

  private sweep(t: number): void {
    for (const [key, window] of this.windows) {
      if (t - window.start >= this.windowMs) this.windows.delete(key);
    }
  }
}

/**
 * The same fixed windows kept in the token store's database, for the limits that must hold
 * across API processes and restarts (the request forms: each accepted one mails someone). Keys
 * are stored as SHA-256 hashes: no e-mail or client address in clear in the table or a backup.
 */
export class StoredRateLimiter implements Limiter {
  private nextPrune = 0;

  constructor(
    private readonly store: Pick<TokenStore, 'countHit' | 'pruneHits'>,
    /** Keeps this limiter's buckets apart from the others' in the one table. */
    private readonly name: string,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(key: string): Promise<number> {
    const t = this.now();
    // Ended windows are dead weight only: dropped once a minute, not on every hit.
    if (t >= this.nextPrune) {
      this.nextPrune = t + 60_000;
      await this.store.pruneHits(t);
    }
    const bucket = `${this.name}:${createHash('sha256').update(key).digest('base64url')}`;
    const { hits, windowEnd } = await this.store.countHit(bucket, t, this.windowMs);
    return hits > this.limit ? Math.ceil((windowEnd - t) / 1000) : 0;
  }
}
