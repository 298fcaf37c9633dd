// The clock and timers the client runs on, injectable so tests drive time by hand
// (test/fake-timers.ts) and every delay is in µs like the rest of kvs-ts (docs/architecture.md, Time).

/** A clock and one-shot timers, in µs. */
export interface Timers {
  /** µs since the Unix epoch (signing time, metrics). */
  now(): number;
  /** Calls `fn` after `delayUs`; returns a handle for {@link clearTimeout}. */
  setTimeout(fn: () => void, delayUs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform's clock and timers. */
export const systemTimers: Timers = {
  now: () => Date.now() * 1000,
  setTimeout: (fn, delayUs) => globalThis.setTimeout(fn, Math.max(0, Math.round(delayUs / 1000))),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** A delay drawn uniformly from [0, min(max, base × 2^attempt)): AWS's "full jitter" backoff. */
export function fullJitterUs(
  attempt: number,
  baseUs: number,
  maxUs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxUs, baseUs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** A token bucket: `perSecond` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private lastUs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.lastUs = now();
  }

  /** Takes a token and returns 0, or returns how long (µs) until one is there. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastUs) / 1_000_000) * this.perSecond);
    this.lastUs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1_000_000);
  }
}
