// Token rotation: before its streaming token expires the stream opens a new connection, which
// starts a new MKV stream at the next key frame, while the old one sends what it still has; no
// frame is lost or sent twice, with audio and with relative fragment times too. A replay after a
// drop may reach back across a rotation, into the older MKV stream.
// R7, R8 and R14 pin findings of the PIC review (docs/reviews/stream-pic-review.md), B15 a finding
// of docs/reviews/stream-model-wide.md: each failed before its fix.
import { ContentStore } from '@kvs-ts/content-store';
import { ServiceCallResult as R } from '@kvs-ts/core';
import { KinesisVideoStream } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import {
  FakeClock,
  FakeService,
  MockConsumer,
  OPAQUE_TRACK,
  setupStream,
  setupStreamWithErrorNames,
  videoFrames,
} from './fakes';

const MiB = 1024 * 1024;
const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;

const setup = setupStreamWithErrorNames;

describe('token rotation', () => {
  it('rotates to a second connection before the token expires, over a simulated hour, without gap or duplicate', async () => {
    const { clock, service, stream, errors, consumer } = setup();
    stream.start();
    await clock.advance(0);
    const fps = 5;
    const frames = videoFrames(3600 * fps, { fps, gop: 10, size: 64, start: clock.now() });
    // One second of frames at a time, pumped and ACKed as a live consumer would.
    for (let second = 0; second < 3600; second++) {
      for (let k = 0; k < fps; k++) stream.putFrame(frames.next().value!);
      await clock.advance(SECOND);
      consumer.pump();
    }
    const stopped = stream.stopSync();
    consumer.pump();
    await stopped;
    expect(errors).toEqual([]);
    const sessions = [...consumer.sessions.values()];
    // Tokens last 1 h but are capped at 40 min (minus jitter), rotated 3 s early: two rotations.
    expect(service.count('token')).toBeGreaterThanOrEqual(2);
    expect(sessions.length).toBe(service.count('put'));
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    for (const s of sessions) {
      expect(s.error).toBeUndefined();
      expect(s.ebmlHeaders).toBe(1);
      expect(s.frames[0].key).toBe(true);
    }
    // Every frame exactly once, in order, across the connections.
    const all = consumer.allFrames().map((f) => f.ts);
    expect(all).toHaveLength(3600 * fps);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBeGreaterThan(all[i - 1]);
    // The rotations happened at ≤ 40 min.
    const opened = service.calls.filter((c) => c.api === 'put').map((c) => c.at);
    for (let i = 1; i < opened.length; i++) expect(opened[i] - opened[i - 1]).toBeLessThanOrEqual(40 * MINUTE);
  }, 60_000);

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

describe('a replay that reaches back across a rotation', () => {
  it('B15 a connection starting inside an older MKV stream sends that stream’s header (its tracks and codec private data), not the newest one', async () => {
    const SEC = 1_000_000;
    const s = setupStream({ replayDuration: 5 * SEC });
    s.consumer.ackTypes = []; // nothing is acknowledged: the replay finds every frame still buffered
    s.service.token = () => ({ result: R.OK, token: 't', expiration: s.clock.now() + 40 * SEC });
    s.stream.writer.setCodecPrivateData(1, Uint8Array.of(1, 2, 3));
    s.stream.start();
    await s.clock.advance(0);
    const start = s.clock.now();
    const frames = [...videoFrames(1200, { start, gop: 25 })];
    let k = 0;
    const run = async (untilUs: number) => {
      for (; frames[k].pts < start + untilUs; k++) {
        s.stream.putFrame(frames[k]);
        s.consumer.pump();
        await s.clock.advance(40_000);
      }
    };
    await run(36 * SEC);
    // The format changes; the rotation at 37 s starts MKV stream 2, which carries the new CPD.
    s.stream.writer.setCodecPrivateData(1, Uint8Array.of(4, 5, 6));
    await run(40 * SEC);
    const second = s.stream.uploadHandles.at(-1)?.handle ?? 0;
    expect(second).toBe(2);
    expect(s.consumer.session(2).codecPrivates).toEqual([Uint8Array.of(4, 5, 6)]);
    // Connection 2 drops; the 5 s replay reaches back into MKV stream 1 (before 37 s).
    s.stream.streamTerminated(2, R.NETWORK_READ_TIMEOUT);
    await run(42 * SEC);
    const third = s.consumer.session(3);
    expect(third.frames[0].ts).toBeLessThan(start + 37 * SEC);
    // Its first header is MKV stream 1's (CPD 1 2 3); stream 2 follows on a connection of its own.
    expect(third.codecPrivates[0]).toEqual(Uint8Array.of(1, 2, 3));
    expect(third.codecPrivates).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(s.consumer.session(4).codecPrivates[0]).toEqual(Uint8Array.of(4, 5, 6));
  });

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
