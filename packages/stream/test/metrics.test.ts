// Stream metrics: emitted periodically when asked (metricsInterval) until free(); control- and
// data-plane API latencies, session durations and counts; the frame rate measured from the
// frames' timestamps. Counters such as droppedFrames and putFrameErrors are checked with the
// features that move them.
import { ContentStore } from '@kvs-ts/content-store';
import { ServiceCallResult as R } from '@kvs-ts/core';
import { KinesisVideoStream } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService, OPAQUE_TRACK, setupStream, videoFrames } from './fakes';

const MiB = 1024 * 1024;

const setup = setupStream;

describe('metrics', () => {
  it('emits metrics periodically when asked', async () => {
    const clock = new FakeClock();
    const stream = new KinesisVideoStream({
      definition: { streamName: 'm', tracks: [OPAQUE_TRACK], nalAdaptationFlags: 0 },
      store: new ContentStore({ storageSize: 16 * MiB }),
      service: new FakeService(clock),
      clock,
      intermittentProducer: false,
      metricsInterval: 10_000_000,
    });
    const seen: string[] = [];
    stream.on('metrics', (m) => seen.push(m.state));
    stream.start();
    await clock.advance(35_000_000);
    expect(seen).toEqual(['READY', 'READY', 'READY']);
    stream.free();
    await clock.advance(35_000_000);
    expect(seen).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('reports API latencies and session durations', async () => {
    const { clock, service, stream, consumer } = setup();
    service.describe = (name) =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => resolve({ result: R.OK, description: { streamName: name, streamArn: 'arn:x', status: 'ACTIVE' } }),
          200_000,
        ),
      );
    service.put = () => new Promise((resolve) => clock.setTimeout(() => resolve({ result: R.OK }), 50_000));
    stream.start();
    await clock.advance(1_000_000);
    for (const f of videoFrames(50)) stream.putFrame(f);
    await clock.advance(1_000_000);
    consumer.pump();
    await clock.advance(3_000_000);
    const p = stream.stopSync();
    consumer.pump();
    await p;
    const m = stream.metrics();
    // describe 200 ms, then endpoint and token at 0 ms: EMA 200 → 160 → 128 ms.
    expect(m.cplApiCallLatency).toBe(128_000);
    expect(m.dataApiCallLatency).toBe(50_000);
    expect(m.avgSessionDuration).toBeGreaterThanOrEqual(3_000_000);
    expect(m.totalSessions).toBe(1);
  });

  it('measures the frame rate from the frames’ timestamps', async () => {
    const { stream } = setup();
    for (const f of videoFrames(50, { fps: 30 })) stream.putFrame(f);
    expect(stream.metrics().currentFrameRate).toBeCloseTo(30, 0);
  });
});
