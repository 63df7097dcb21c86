// Fixed-window counters in memory: enough to blunt token guessing and PIN brute force from one
// address or against one token. (Per process: behind several API replicas, limit at the proxy too.)
export class RateLimiter {
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
