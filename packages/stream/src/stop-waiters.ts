// The callers of stopSync waiting for a stream to drain (PIC's STREAM_CLOSED_TIMEOUT wait).

import { KvsError } from '@kvs-ts/core';
import type { Clock } from './service';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Promises that settle together when the stream has drained, failed or was reset. */
export class StopWaiters {
  private list: Waiter[] = [];

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** A promise that settles with the others, or rejects with STATUS_OPERATION_TIMED_OUT after `timeout` µs. */
  wait(clock: Clock, timeout: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // A stop that cannot finish (no connection, no ACK) fails.
      const timer = clock.setTimeout(() => {
        const i = this.list.indexOf(waiter);
        if (i < 0) return;
        this.list.splice(i, 1);
        reject(
          new KvsError(
            'STATUS_OPERATION_TIMED_OUT',
            `stopSync: not drained and acknowledged within ${timeout / 1_000_000} s`,
          ),
        );
      }, timeout);
      const waiter: Waiter = {
        resolve: () => {
          clock.clearTimeout(timer);
          resolve();
        },
        reject: (e: unknown) => {
          clock.clearTimeout(timer);
          reject(e);
        },
      };
      this.list.push(waiter);
    });
  }

  resolveAll(): void {
    for (const w of this.list.splice(0)) w.resolve();
  }

  rejectAll(error: unknown): void {
    for (const w of this.list.splice(0)) w.reject(error);
  }
}
