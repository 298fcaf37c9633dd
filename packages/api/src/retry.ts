// Retries of one API call: throttling, 5xx and requests that got no answer, with full-jitter
// exponential backoff (wait a random time in [0, min(cap, base × 2^attempt))), as the AWS SDKs'
// standard retry mode does. Everything else (4xx other than throttling) fails at once.

import { isRetryableError } from './errors';

/** Retry settings; times in µs. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries?: number;
  /** The first retry waits up to this long, µs; each next one twice as long. Default 100 ms. */
  baseDelayUs?: number;
  /** The longest wait, µs. Default 5 s. */
  maxDelayUs?: number;
  /** Uniform in [0, 1). Default Math.random. */
  random?: () => number;
  /** Waits `delayUs`; rejects when `signal` aborts. Default setTimeout. */
  sleep?: (delayUs: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_BASE_DELAY_US = 100_000;
export const DEFAULT_MAX_DELAY_US = 5_000_000;

/** A resolved {@link RetryOptions}. */
export class RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayUs: number;
  readonly maxDelayUs: number;
  private readonly random: () => number;
  private readonly sleep: (delayUs: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: RetryOptions = {}) {
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.baseDelayUs = options.baseDelayUs ?? DEFAULT_BASE_DELAY_US;
    this.maxDelayUs = options.maxDelayUs ?? DEFAULT_MAX_DELAY_US;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleepWithTimer;
  }

  /** The wait (µs) before retry number `retry` (0 for the first). */
  delayUs(retry: number): number {
    const ceiling = Math.min(this.maxDelayUs, this.baseDelayUs * 2 ** Math.min(retry, 30));
    return Math.floor(this.random() * ceiling);
  }

  /**
   * Runs `attempt` until it succeeds, fails with an error that is not retryable, runs out of
   * retries, or `signal` aborts. `attempt` gets the attempt number (0 first).
   */
  async run<T>(attempt: (n: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt(n);
      } catch (error) {
        if (n >= this.maxRetries || !isRetryableError(error) || signal?.aborted) throw error;
        await this.sleep(this.delayUs(n), signal);
      }
    }
  }
}

/** setTimeout as a promise, µs; rejects with the signal's reason when it aborts. */
export function sleepWithTimer(delayUs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayUs / 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
