// What `kvs put` and `kvs demo` show about a producer stream: frames and fragments put, ACKs by
// kind, and how long a fragment waits for PERSISTED after it ended.

import { type FragmentAck, FragmentAckType } from '@kvs-ts/core';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

/** Counters and latencies of one producer stream. */
export class AckStats {
  frames = 0;
  fragments = 0;
  buffering = 0;
  received = 0;
  persisted = 0;
  errors = 0;
  dropped = 0;
  readonly errorMessages: string[] = [];
  /** Fragment end → PERSISTED, ms. */
  readonly latenciesMs: number[] = [];
  /** Fragment start (its key frame's timestamp, ms) → wall time the fragment ended, ms. */
  private readonly ends = new Map<number, number>();
  private openFragment: number | undefined;

  /**
   * A frame was put. `fragmentStart` is its timestamp in ms when it is the key frame that starts
   * a fragment (the previous fragment ends now).
   */
  framePut(fragmentStart?: number): void {
    this.frames++;
    if (fragmentStart === undefined) return;
    this.fragments++;
    this.closeFragment();
    this.openFragment = fragmentStart;
  }

  /** No more frames: the open fragment ends now. */
  closeFragment(): void {
    if (this.openFragment !== undefined) this.ends.set(this.openFragment, Date.now());
    this.openFragment = undefined;
  }

  /** An ACK from the stream's `ack` event. */
  ack(ack: Readonly<FragmentAck>): void {
    switch (ack.ackType) {
      case FragmentAckType.BUFFERING:
        this.buffering++;
        break;
      case FragmentAckType.RECEIVED:
        this.received++;
        break;
      case FragmentAckType.PERSISTED: {
        this.persisted++;
        // With absolute fragment times (the default) the ACK's timecode is the fragment's start in ms.
        const end = ack.timecode === undefined ? undefined : this.ends.get(ack.timecode);
        if (end !== undefined) {
          this.latenciesMs.push(Date.now() - end);
          this.ends.delete(ack.timecode as number);
        }
        break;
      }
      case FragmentAckType.ERROR:
        this.errors++;
        this.errorMessages.push(`ERROR ACK ${ack.errorId ?? ''} ${ack.errorCode ?? ''}`.trim());
        break;
    }
  }

  /** p50 and p99 of fragment end → PERSISTED, ms (undefined before the first). */
  latency(): { p50: number; p99: number; max: number } | undefined {
    if (this.latenciesMs.length === 0) return undefined;
    const sorted = [...this.latenciesMs].sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] };
  }

  /** One line: frames, fragments, ACKs by kind, latency. */
  line(label: string): string {
    const l = this.latency();
    const latency = l ? `, fragment end → PERSISTED p50 ${l.p50} ms, p99 ${l.p99} ms` : '';
    const dropped = this.dropped > 0 ? `, ${this.dropped} dropped` : '';
    return (
      `${label}: ${this.frames} frames, ${this.fragments} fragments; ACKs: ${this.buffering} buffering, ` +
      `${this.received} received, ${this.persisted} persisted, ${this.errors} errors${dropped}${latency}`
    );
  }
}

/** What `bufferLine` reads of a stream's metrics. */
interface BufferMetrics {
  currentViewDuration: number;
  currentViewSize: number;
  state: string;
}

/** The producer's buffer: how much waits to be sent, how full the store is, the stream's state. */
export function bufferLine(m: BufferMetrics, storeAllocated: number, storeSize: number): string {
  const fill = ((storeAllocated / storeSize) * 100).toFixed(1);
  return (
    `buffer: ${(m.currentViewDuration / 1e6).toFixed(1)} s, ${(m.currentViewSize / 1024).toFixed(0)} KiB ` +
    `(store ${fill} % full), state ${m.state}`
  );
}
