// Regression tests from the PIC review (docs/reviews/stream-pic-review.md, findings R1–R14): each
// failed before its fix.
// Review findings. Each test states what PIC / the spec does; a failure
// here is a bug in the stream package, not in the test.
import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType, ServiceCallResult as R } from '@kvs-ts/core';
import { KinesisVideoStream, type StreamDefinition } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService, MockConsumer, OPAQUE_TRACK, setupStream, videoFrames } from './fakes';

const MiB = 1024 * 1024;
const SECOND = 1_000_000;

function setup(def: Partial<StreamDefinition> = {}, opts: { intermittentProducer?: boolean } = {}) {
  const s = setupStream(def, opts);
  return { ...s, errors: s.errorNames };
}

const idx = (ts: number, start: number) => Math.round((ts - start) / 40_000);

describe('review: ACK handling', () => {
  it('R1 a PERSISTED ACK that arrives before the handle is AWAITING_ACK still lets stopSync finish (PIC lastPersistedAckTs)', async () => {
    const { clock, stream, consumer } = setup({}, { intermittentProducer: true });
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = []; // the service ACKs each fragment once; we send them by hand
    for (const f of videoFrames(10, { start: clock.now() })) stream.putFrame(f);
    await clock.advance(25 * SECOND); // the intermittent producer closes the fragment with an EoFR
    consumer.pump();
    const s = consumer.sessions.get(1)!;
    expect(s.tagNames).toContain('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    // The fragment is closed, so the service persists it while the connection is still open.
    stream.fragmentAck(1, { ackType: FragmentAckType.PERSISTED, timecode: s.clusters[0], result: R.OK });
    let done = false;
    const p = stream.stopSync().then(() => {
      done = true;
    });
    for (let i = 0; i < 10 && !done; i++) {
      consumer.pump();
      await clock.advance(SECOND);
    }
    expect(done).toBe(true); // fails: handle 1 sits in AWAITING_ACK for an ACK that already came
    await p;
  });

  it('R2 a retriable ERROR ACK (5001 archival) replays the failed fragment even though it had a RECEIVED ACK', async () => {
    const { clock, stream, consumer, dropped } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    const frames = [...videoFrames(75)];
    for (const f of frames) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const [c0, c1] = consumer.sessions.get(1)!.clusters;
    for (const tc of [c0, c1]) {
      stream.fragmentAck(1, { ackType: FragmentAckType.BUFFERING, timecode: tc, result: R.OK });
      stream.fragmentAck(1, { ackType: FragmentAckType.RECEIVED, timecode: tc, result: R.OK });
    }
    // Received, but the service failed to archive it: PIC sets current to this fragment and replays it.
    stream.fragmentAck(1, { ackType: FragmentAckType.ERROR, timecode: c1, result: R.ACK_FRAGMENT_ARCHIVAL_ERROR });
    await clock.advance(SECOND);
    consumer.pump();
    const replay = consumer.sessions.get(2)!.frames.map((f) => idx(f.ts, frames[0].pts));
    const frame25 = replay.includes(25) || dropped.includes(frames[25].pts);
    expect(frame25).toBe(true); // fails: replay starts at 50; fragment 25..49 is neither resent nor reported
  });

  it('R3 an ERROR ACK without FragmentTimecode is still reported and ends the connection (PIC falls back to current)', async () => {
    const { clock, stream, consumer, errors } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(30)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    stream.fragmentAck(1, { ackType: FragmentAckType.ERROR, result: R.ACK_INVALID_MKV_DATA });
    expect(errors).toContain('STATUS_ACK_ERR_INVALID_MKV_DATA'); // fails: silently ignored
  });
});

describe('review: recovery', () => {
  it('R4 a connection that dies while AWAITING_ACK (timeout) is replayed, and stopSync does not resolve before', async () => {
    const { clock, service, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    const frames = [...videoFrames(60)];
    for (const f of frames) stream.putFrame(f);
    await clock.advance(0);
    consumer.ackTypes = [];
    let done = false;
    const p = stream.stopSync().then(() => {
      done = true;
    });
    consumer.pump(); // everything sent, EoS sent, handle 1 AWAITING_ACK; no ACK at all yet
    stream.streamTerminated(1, R.NETWORK_READ_TIMEOUT);
    await clock.advance(SECOND);
    // Nothing was ACKed, so nothing is known to have arrived: PIC marks the connection IN_USE and
    // rolls back on the next session.
    expect(done).toBe(false); // fails: stopSync resolves, the 60 frames are silently lost
    expect(service.count('put')).toBe(2);
    consumer.ackTypes = [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED];
    consumer.pump();
    await p;
  });

  it('R5 a PutMedia that keeps failing is retried with backoff, not in a tight loop (PIC transition hook)', async () => {
    const { clock, service, stream } = setup();
    service.put = () => ({ result: R.INTERNAL_ERROR });
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(5)) stream.putFrame(f);
    for (let i = 0; i < 3; i++) await clock.advance(0); // no time passes
    const puts = service.count('put');
    stream.free(); // without this the PUT_STREAM → DESCRIBE → … → PUT_STREAM cycle never ends
    // With a 100 ms × 2^n full-jitter backoff nothing may be retried at t+0.
    expect(puts).toBeLessThanOrEqual(1); // fails: ~40 describe/endpoint/token/put cycles in 0 µs
  });

  it('R6 a connection that drops right after opening is not reopened in a tight loop', async () => {
    const { clock, service, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(30)) stream.putFrame(f);
    await clock.advance(0);
    for (let i = 0; i < 20; i++) {
      consumer.pump();
      const h = stream.uploadHandles.at(-1);
      if (h) stream.streamTerminated(h.handle, R.INTERNAL_ERROR);
      await clock.advance(0); // no time passes
    }
    expect(service.count('put')).toBeLessThanOrEqual(3); // fails: one new PutMedia per drop, no wait
  });
});

describe('review: token rotation', () => {
  it('R7 rotation on an A/V stream drops no frames (an audio key frame must not reset the generator)', async () => {
    const clock = new FakeClock();
    const service = new FakeService(clock);
    service.token = () => ({ result: R.OK, token: 't', expiration: clock.now() + 60 * SECOND });
    const stream = new KinesisVideoStream({
      definition: {
        streamName: 'av',
        nalAdaptationFlags: 0,
        frameOrderingMode: 0,
        tracks: [OPAQUE_TRACK, { trackId: 2, codecId: 'A_KVS_TEST', trackName: 'audio', trackType: 2 }],
        frameRate: 100,
      },
      store: new ContentStore({ storageSize: 16 * MiB }),
      service,
      clock,
      random: () => 0.5,
      intermittentProducer: false,
    });
    const dropped: number[] = [];
    stream.on('droppedFrame', (pts) => dropped.push(pts));
    const consumer = new MockConsumer(stream as KinesisVideoStream<unknown>);
    stream.start();
    await clock.advance(0);
    const video = videoFrames(2000, { start: clock.now(), gop: 50 });
    let t = clock.now();
    for (let second = 0; second < 70; second++) {
      for (let k = 0; k < 25; k++) {
        const v = video.next().value!;
        stream.putFrame(v);
        // one AAC-like audio frame per video frame; every audio frame is a key frame
        stream.putFrame({ trackId: 2, pts: v.pts, dts: v.dts, duration: 40_000, flags: 1, data: new Uint8Array(20) });
        t = v.pts;
      }
      await clock.advance(SECOND);
      consumer.pump();
    }
    expect(t).toBeGreaterThan(0);
    expect(service.count('put')).toBeGreaterThanOrEqual(2); // a rotation happened
    expect(dropped).toEqual([]); // fails: up to a GOP of frames dropped at each rotation
  });

  it('R8 with relative fragment times, each PutMedia carries the start of the MKV stream it sends', async () => {
    const { clock, service, stream, consumer } = setup({ absoluteFragmentTimes: false });
    service.token = () => ({ result: R.OK, token: 't', expiration: clock.now() + 60 * SECOND });
    stream.start();
    await clock.advance(0);
    const frames = videoFrames(5000, { start: clock.now(), gop: 50 });
    const put: number[] = [];
    for (let second = 0; second < 70; second++) {
      for (let k = 0; k < 25; k++) {
        const f = frames.next().value!;
        stream.putFrame(f);
        put.push(f.pts);
      }
      await clock.advance(SECOND);
      consumer.pump();
    }
    expect(service.opened.length).toBeGreaterThanOrEqual(2);
    // Relative cluster timecodes + x-amzn-producer-start-timestamp must give back the frames' PTS.
    let offset = 0;
    for (const [k, s] of [...consumer.sessions.values()].entries()) {
      expect(s.ebmlHeaders).toBe(1);
      const absolute = s.frames.map((f) => service.opened[k].streamStartTime + f.ts);
      // fails for session 2: opened with the old MKV stream's start, its clusters count from the new one
      expect(absolute).toEqual(put.slice(offset, offset + s.frames.length));
      offset += s.frames.length;
    }
  });
});

describe('review: resources', () => {
  it('R9 free() leaves no timer behind (service-call timeouts included)', async () => {
    const { clock, service, stream } = setup();
    service.describe = () => new Promise(() => {});
    stream.start();
    await clock.advance(0);
    stream.free();
    expect(clock.pending).toBe(0); // fails: the 15 s DescribeStream timeout is still armed
  });

  it('R10 resetStream() tells the transports of its open upload handles that they are finished', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(30)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const closed: number[] = [];
    const pulsed: number[] = [];
    stream.on('closed', (h) => closed.push(h));
    stream.on('dataAvailable', (h) => pulsed.push(h));
    stream.resetStream();
    expect(closed.includes(1) || pulsed.includes(1)).toBe(true); // fails: handle 1 vanishes silently
  });

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

describe('review: stop and connection edge cases', () => {
  for (const def of [{ retentionPeriod: 0 }, { fragmentAcks: false }] as Partial<StreamDefinition>[]) {
    it(`R12 stopSync resolves once everything is sent when no PERSISTED ACK is expected (${JSON.stringify(def)})`, async () => {
      const { clock, stream, consumer } = setup(def);
      stream.start();
      await clock.advance(0);
      for (const f of videoFrames(60)) stream.putFrame(f);
      await clock.advance(0);
      let done = false;
      const p = stream.stopSync().then(() => {
        done = true;
      });
      for (let i = 0; i < 5 && !done; i++) {
        consumer.pump(); // reads END_OF_STREAM and reports streamTerminated(handle, OK)
        await clock.advance(SECOND);
      }
      expect(consumer.sessions.get(1)!.ended).toBe(true);
      expect(done).toBe(true); // fails: the handle was removed in endSession, checkStopped never runs again
      await p;
    });
  }

  it('R13 a connection that ends before its PutMedia result is delivered does not leave the stream STREAMING with no handle', async () => {
    const { clock, service, stream, consumer } = setup();
    service.put = (req, n) => {
      // the transport's socket fails at once, then the (already started) open call reports OK
      if (n === 1) stream.streamTerminated(req.uploadHandle, R.NETWORK_CONNECTION_TIMEOUT);
      return { result: R.OK };
    };
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(30)) stream.putFrame(f);
    await clock.advance(5 * SECOND);
    consumer.pump();
    expect(stream.uploadHandles.length).toBeGreaterThan(0); // fails: STREAMING, no handle, nothing reconnects
    expect(service.count('put')).toBe(2);
  });
});

describe('review: session ends without a successor', () => {
  it("R14 with retention 0, a replay that crosses a rotation's stream start does not stall the stream", async () => {
    const { clock, service, stream, consumer } = setup({ retentionPeriod: 0 });
    service.token = () => ({ result: R.OK, token: 't', expiration: clock.now() + 60 * SECOND });
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = []; // no ACKs: nothing is trimmed, the replay reaches back 40 s
    const frames = videoFrames(5000, { start: clock.now(), gop: 25 });
    for (let second = 0; second < 62; second++) {
      for (let k = 0; k < 25; k++) stream.putFrame(frames.next().value!);
      await clock.advance(SECOND);
      consumer.pump();
    }
    expect(consumer.sessions.size).toBe(2); // rotated at 57 s
    stream.streamTerminated(2, R.NETWORK_READ_TIMEOUT); // the new connection drops
    for (let second = 0; second < 10; second++) {
      for (let k = 0; k < 25; k++) stream.putFrame(frames.next().value!);
      await clock.advance(SECOND);
      consumer.pump();
    }
    // Connection 3 replays from 22 s and ends at the 57 s stream start (END_OF_STREAM, handle
    // already removed), so the transport's streamTerminated(3, OK) is ignored and nobody reconnects.
    const last = [...consumer.sessions.values()].at(-1)!;
    const newest = last.frames.at(-1)!.ts;
    expect(newest).toBeGreaterThan(frames.next().value!.pts - 5 * SECOND); // fails: nothing after 57 s is sent again
  });
});
