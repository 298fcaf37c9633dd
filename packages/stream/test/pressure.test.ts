// Pressure: with nothing sent, latency pressure is reported, the full buffer (bufferDuration)
// evicts and reports dropped frames and fragments, a connection without ACKs goes stale, and a
// full store fails the put under the OOM policy. Frames an overflow cuts off are reported, never
// lost silently.
// R11 pins a finding of the PIC review (docs/reviews/stream-pic-review.md): it failed before its
// fix, as its `fails:` comment says.
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';

const MiB = 1024 * 1024;
const SECOND = 1_000_000;

const setup = setupStream;

describe('latency, buffer and storage pressure, and staleness', () => {
  it('reports latency pressure, dropped frames on overflow, and a stale connection', async () => {
    const { clock, stream, consumer } = setup({
      maxLatency: 2 * SECOND,
      connectionStalenessDuration: 5 * SECOND,
      bufferDuration: 20 * SECOND,
    });
    const events: string[] = [];
    stream.on('latencyPressure', () => events.push('latency'));
    stream.on('droppedFrame', () => events.push('dropped'));
    stream.on('droppedFragment', () => events.push('droppedFragment'));
    stream.on('connectionStale', () => events.push('stale'));
    stream.start();
    await clock.advance(0);
    // 30 s of frames, nothing sent: latency pressure, then the 20 s buffer overflows.
    for (const f of videoFrames(750)) stream.putFrame(f);
    expect(events).toContain('latency');
    expect(events).toContain('dropped');
    expect(events).toContain('droppedFragment');
    await clock.advance(0);
    consumer.ackTypes = [];
    consumer.pump();
    expect(events).toContain('stale');
    expect(stream.metrics().droppedFrames).toBeGreaterThan(0);
  });

  it('fails a put with STATUS_STORE_OUT_OF_MEMORY under the OOM policy and keeps its state', async () => {
    const { stream } = setup({ storePressurePolicy: 0, bufferDuration: 600 * SECOND }, { storageSize: 10 * MiB });
    let thrown: unknown;
    let n = 0;
    for (const f of videoFrames(1000, { size: 64 * 1024 })) {
      try {
        stream.putFrame(f);
        n++;
      } catch (e) {
        thrown = e;
        break;
      }
    }
    expect(String(thrown)).toContain('STATUS_STORE_OUT_OF_MEMORY');
    expect(stream.view.head).toBe(n);
  });
});

describe('view overflow', () => {
  it('R11 frames passed over when a session must start at a fragment boundary are reported dropped', async () => {
    // DROP_TAIL_VIEW_ITEM overflow leaves current in the middle of a fragment.
    const { clock, stream, consumer, dropped } = setup({ viewOverflowPolicy: 0, bufferDuration: 20 * SECOND });
    const put: number[] = [];
    for (const f of videoFrames(740)) {
      stream.putFrame(f);
      put.push(f.pts);
    }
    stream.start();
    for (let i = 0; i < 5; i++) {
      await clock.advance(SECOND);
      consumer.pump();
    }
    const stopped = stream.stopSync();
    for (let i = 0; i < 5; i++) {
      consumer.pump();
      await clock.advance(SECOND);
    }
    await stopped;
    const delivered = new Set(consumer.allFrames().map((f) => f.ts));
    const lost = put.filter((ts) => !delivered.has(ts) && !dropped.includes(ts));
    expect(lost).toEqual([]); // fails: the rest of the cut fragment is skipped, then trimmed as "ACKED"
  });
});
