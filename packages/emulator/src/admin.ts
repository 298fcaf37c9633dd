// The programmatic admin API (`emulator.admin`): fault injection and a look at the state, for
// tests. The same operations are served over HTTP by admin-http.ts.

import type { ControlFault, Faults, PutMediaFault } from './faults';
import type { Store } from './store';

export interface FragmentSummary {
  fragmentNumber: string;
  producerTimestampMs: number;
  serverTimestampMs: number;
  durationMs: number;
  sizeInBytes: number;
  persisted: boolean;
}

export class Admin {
  constructor(
    private readonly faults: Faults,
    private readonly store: Store,
  ) {}

  /** The next `count` control calls (optionally of one action) fail with HTTP 500 InternalFailure. */
  failControlCalls(count: number, action?: string): void {
    this.faults.failControl({ kind: 'internal', count, action });
  }

  /** The next `count` control calls (optionally of one action) are throttled (ClientLimitExceededException). */
  throttleControlCalls(count: number, action?: string): void {
    this.faults.failControl({ kind: 'throttle', count, action });
  }

  /** Arms a fault for the next PutMedia connection(s), see {@link PutMediaFault}. */
  putMediaFault(fault: PutMediaFault): void {
    this.faults.putMediaFault(fault);
  }

  /** The next `count` PutMedia requests get 403 ExpiredTokenException. */
  expireTokens(count = 1): void {
    this.faults.expireTokens(count);
  }

  /** Forgets every armed fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Stream names. */
  streams(): string[] {
    return [...this.store.streams.keys()];
  }

  /** The stored fragments of a stream. */
  fragments(stream: string): FragmentSummary[] {
    const rec = this.store.streams.get(stream);
    return (rec?.fragments ?? []).map((f) => ({
      fragmentNumber: f.number,
      producerTimestampMs: f.producerTimestampMs,
      serverTimestampMs: f.serverTimestampMs,
      durationMs: f.durationMs,
      sizeInBytes: f.size,
      persisted: f.persisted,
    }));
  }

  /** Applies a fault given as JSON (the HTTP admin API's body). */
  apply(kind: string, body: Record<string, unknown>): void {
    switch (kind) {
      case 'control':
        this.faults.failControl(body as unknown as ControlFault);
        return;
      case 'putMedia':
        this.putMediaFault(body as PutMediaFault);
        return;
      case 'expireTokens':
        this.expireTokens(typeof body.count === 'number' ? body.count : 1);
        return;
      case 'clear':
        this.clearFaults();
        return;
      default:
        throw new Error(`unknown fault kind ${kind}`);
    }
  }
}
