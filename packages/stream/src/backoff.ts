// Exponential backoff with full jitter, as PIC's state-machine default
// (DEFAULT_STATE_MACHINE_EXPONENTIAL_BACKOFF_RETRY_CONFIGURATION): 100 ms factor, 10 s cap,
// unlimited retries, reset after 90 s without a retry.

/** Backoff settings (µs). */
export interface BackoffConfig {
  /** Base wait (µs): the n-th retry waits up to factor × 2^n. Default 100 ms. */
  factor: number;
  /** Cap on one wait (µs). Default 10 s. */
  maxWait: number;
  /** A quiet period (µs) after which the retry count starts again. Default 90 s. */
  resetAfter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffConfig> = {
  factor: 100_000,
  maxWait: 10_000_000,
  resetAfter: 90_000_000,
};

/**
 * Full-jitter exponential backoff: wait = random × min(maxWait, factor × 2^attempt). The
 * random source and the clock are injected so tests are deterministic.
 */
export class ExponentialBackoff {
  private attempt = 0;
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: BackoffConfig = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait (µs) before the next retry at time `now` (µs), counting this retry. */
  next(now: number): number {
    if (now - this.lastAt > this.config.resetAfter) this.attempt = 0;
    const ceiling = Math.min(this.config.maxWait, this.config.factor * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    this.lastAt = now;
    return Math.floor(this.random() * ceiling);
  }

  /** Retries counted since the last reset. */
  get retries(): number {
    return this.attempt;
  }

  /** Starts counting again (after a success). */
  reset(): void {
    this.attempt = 0;
    this.lastAt = Number.NEGATIVE_INFINITY;
  }
}
