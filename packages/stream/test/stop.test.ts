// Stopping, resetting and freeing a stream: stop() refuses new frames; stopSync() drains what is
// buffered, sends the end-of-fragment tag and resolves on the last PERSISTED ACK (or once all is
// sent when none is expected), or times out; resetConnection() replays on a new connection;
// resetStream() drops the buffer and starts over from NEW; free() leaves no timer behind.
// R9, R10 and R12 pin findings of the PIC review (docs/reviews/stream-pic-review.md): each failed
// before its fix, as its `fails:` comment says.
import { FragmentAckType, ServiceCallResult as R } from '@kvs-ts/core';
import { StreamState as S, type StreamDefinition, UploadHandleState as U } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { settle, setupStream, videoFrames } from './fakes';

const SECOND = 1_000_000;

const setup = setupStream;

describe('stop and stopSync', () => {
  it('refuses frames after stop()', () => {
    const { stream } = setup();
    stream.stop();
    expect(() => stream.putFrame([...videoFrames(1)][0])).toThrow(/STATUS_STREAM_HAS_BEEN_STOPPED/);
  });

  it('stopSync drains, sends the end-of-fragment tag, and resolves on the last PERSISTED ACK', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(60)) stream.putFrame(f);
    await clock.advance(0);
    let done = false;
    const p = stream.stopSync().then(() => {
      done = true;
    });
    consumer.ackTypes = [];
    consumer.pump();
    await settle();
    expect(done).toBe(false);
    expect(stream.uploadHandles[0]?.state).toBe(U.AWAITING_ACK);
    consumer.ackTypes = [FragmentAckType.PERSISTED];
    consumer.ackAll();
    consumer.pump();
    await p;
    expect(done).toBe(true);
    const s = consumer.sessions.get(1)!;
    expect(s.tagNames.at(-1)).toBe('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    expect(s.frames).toHaveLength(60);
    expect(s.ended).toBe(true);
  });

  it('stopSync fails with STATUS_OPERATION_TIMED_OUT when nothing drains it (no transport pulls)', async () => {
    const { clock, stream } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10)) stream.putFrame(f);
    let error: unknown;
    const p = stream.stopSync(5_000_000).catch((e) => {
      error = e;
    });
    await clock.advance(6_000_000);
    await p;
    expect(String(error)).toContain('STATUS_OPERATION_TIMED_OUT');
    stream.free();
  });

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
});

describe('stop() during a rotation with relative fragment times', () => {
  // From the review of the B9–B14 fixes (docs/reviews/stream-model-wide.md).
  it('opens no extra connection while the old one still sends what is buffered', async () => {
    const s = setupStream({ absoluteFragmentTimes: false });
    s.service.token = () => ({ result: R.OK, token: 't', expiration: s.clock.now() + 31_000_000 });
    s.stream.start();
    await s.clock.advance(0);
    const frames = [...videoFrames(2000, { start: s.clock.now(), gop: 250 })]; // a key frame every 10 s
    // 29 s of frames: the rotation at 28 s waits for the next MKV stream (the key frame at 30 s);
    // the last second is still buffered when the stream stops.
    for (let k = 0; k < 29 * 25; k++) {
      s.stream.putFrame(frames[k]);
      if (k < 28 * 25) s.consumer.pump();
      await s.clock.advance(40_000);
    }
    expect(s.service.count('put')).toBe(1);
    const stop = s.stream.stopSync();
    for (let r = 0; r < 50; r++) {
      s.consumer.pump();
      await s.clock.advance(100_000);
    }
    await stop;
    expect(s.service.count('put')).toBe(1);
    expect(s.consumer.allFrames().length).toBe(29 * 25);
  });
});

describe('resetConnection and resetStream', () => {
  it('resetConnection keeps the data and replays it on a new connection', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(40)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    stream.resetConnection();
    await clock.advance(1_000_000);
    consumer.pump();
    const second = consumer.sessions.get(2)!;
    expect(second.frames[0].ts).toBe(consumer.sessions.get(1)!.frames[0].ts);
    expect(second.frames).toHaveLength(40);
  });

  it('resetStream drops buffered data and restarts from NEW', async () => {
    const { clock, stream, states } = setup();
    const dropped: number[] = [];
    stream.on('droppedFrame', (pts) => dropped.push(pts));
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10)) stream.putFrame(f);
    stream.resetStream();
    await clock.advance(0);
    expect(stream.view.head - stream.view.tail).toBe(0);
    expect(dropped).toHaveLength(10);
    expect(states.filter((s) => s === S.NEW)).toHaveLength(1);
    expect(stream.state).toBe(S.READY);
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
});

describe('free', () => {
  it('R9 free() leaves no timer behind (service-call timeouts included)', async () => {
    const { clock, service, stream } = setup();
    service.describe = () => new Promise(() => {});
    stream.start();
    await clock.advance(0);
    stream.free();
    expect(clock.pending).toBe(0); // fails: the 15 s DescribeStream timeout is still armed
  });
});
