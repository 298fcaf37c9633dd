// Fragment ACKs: BUFFERING, RECEIVED and PERSISTED ACKs for each fragment (PERSISTED ones trim the
// view, cumulatively); duplicate, late, out-of-window and malformed ACKs change nothing; ERROR ACKs
// are reported and end the connection, whose successor replays the fragment or skips it.
// Tests named R1–R3 pin findings of the PIC review (docs/reviews/stream-pic-review.md): each
// failed before its fix, as its `fails:` comment says. Each test states what PIC / the spec does;
// a failure here is a bug in the stream package, not in the test.
import { FragmentAckType, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { StreamState as S } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { setupStreamWithErrorNames, videoFrames } from './fakes';

const SECOND = 1_000_000;

const setup = setupStreamWithErrorNames;

const idx = (ts: number, start: number) => Math.round((ts - start) / 40_000);

describe('ACK storms', () => {
  it('survives duplicate, late and out-of-window ACKs without corrupting state', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(100)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const s = consumer.sessions.get(1)!;
    const [c0, c1, c2] = s.clusters;
    const ack = (ackType: number, timecode: number) =>
      stream.fragmentAck(1, { ackType: ackType as 1, timecode, fragmentNumber: '1', result: R.OK });
    // Duplicates are harmless.
    for (let i = 0; i < 5; i++) expect(ack(FragmentAckType.BUFFERING, c0)).toBe(StatusCode.STATUS_SUCCESS);
    expect(ack(FragmentAckType.PERSISTED, c0)).toBe(StatusCode.STATUS_SUCCESS);
    const tail = stream.view.tail;
    expect(ack(FragmentAckType.PERSISTED, c0)).toBe(StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW);
    expect(stream.view.tail).toBe(tail);
    // Far outside the window, before and after.
    expect(ack(FragmentAckType.RECEIVED, c0 - 1_000_000)).toBe(StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW);
    expect(ack(FragmentAckType.RECEIVED, c2 + 10_000_000)).toBe(StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW);
    // PERSISTED ACKs are cumulative (the service persists in order, as PIC assumes): one for
    // fragment 2 trims fragment 1 too, and a late one for fragment 1 is then out of the window.
    expect(tail).toBe(25);
    expect(ack(FragmentAckType.PERSISTED, c2)).toBe(StatusCode.STATUS_SUCCESS);
    expect(stream.view.tail).toBe(75);
    expect(ack(FragmentAckType.PERSISTED, c1)).toBe(StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW);
    expect(stream.view.tail).toBe(75);
    // IDLE, unknown types, bad timecodes and unknown handles change nothing.
    expect(stream.fragmentAck(1, { ackType: FragmentAckType.IDLE, result: R.OK })).toBe(StatusCode.STATUS_SUCCESS);
    expect(stream.fragmentAck(1, { ackType: 9 as 1, timecode: c2, result: R.OK })).toBe(
      StatusCode.STATUS_INVALID_FRAGMENT_ACK_TYPE,
    );
    expect(stream.fragmentAck(1, { ackType: 1, timecode: Number.NaN, result: R.OK })).toBe(
      StatusCode.STATUS_INVALID_FRAGMENT_ACK_TYPE,
    );
    expect(stream.fragmentAck(77, { ackType: 1, timecode: c2, result: R.OK })).toBe(
      StatusCode.STATUS_UPLOAD_HANDLE_ABORTED,
    );
    expect(stream.state).toBe(S.STREAMING);
    expect(stream.view.head).toBe(100);
  });

  it('a random storm of ACKs never throws and never moves the tail past a fragment that was not PERSISTED', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(250)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const clusters = consumer.sessions.get(1)!.clusters;
    const persisted = new Set<number>();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 2000; k++) {
      const type = 1 + rnd(5);
      const tc = rnd(4) === 0 ? clusters[0] + rnd(20_000) - 5_000 : clusters[rnd(clusters.length)];
      stream.fragmentAck(1, { ackType: type as 1, timecode: tc, fragmentNumber: 'x', result: R.OK });
      if (type === FragmentAckType.PERSISTED && clusters.includes(tc)) persisted.add(tc);
      // The tail only passes a fragment that it, or a later one, was PERSISTED (cumulative ACKs).
      const tailTs =
        stream.view.tail < stream.view.head ? stream.view.itemPts(stream.view.tail) / 1000 : Number.POSITIVE_INFINITY;
      const newest = Math.max(-1, ...persisted);
      for (const c of clusters) if (c < tailTs) expect(newest).toBeGreaterThanOrEqual(c);
      expect(stream.view.tail).toBeLessThanOrEqual(stream.view.head);
    }
  });
});

describe('PERSISTED ACKs', () => {
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
});

describe('ERROR ACKs', () => {
  it('a non-retriable error skips the fragment for good and reconnects; the rest is delivered', async () => {
    const { clock, stream, errors, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(75)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const [, c1] = consumer.sessions.get(1)!.clusters;
    stream.fragmentAck(1, {
      ackType: FragmentAckType.ERROR,
      timecode: c1,
      fragmentNumber: '2',
      result: R.ACK_FRAGMENT_TIMECODE_NOT_MONOTONIC,
      errorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
    });
    expect(errors).toEqual(['STATUS_ACK_ERR_FRAGMENT_TIMECODE_NOT_MONOTONIC']);
    await clock.advance(SECOND);
    consumer.pump();
    const second = consumer.sessions.get(2)!;
    expect(second.error).toBeUndefined();
    // The replay skips the failed fragment (frames 25..49).
    const idx = second.frames.map((f) => Math.round((f.ts - consumer.sessions.get(1)!.frames[0].ts) / 40_000));
    expect(idx.some((i) => i >= 25 && i < 50)).toBe(false);
    expect(idx).toContain(0);
    expect(idx).toContain(74);
  });

  it('a retriable error (4000 read error) reconnects and replays the fragment', async () => {
    const { clock, stream, errors, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(75)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const [, c1] = consumer.sessions.get(1)!.clusters;
    stream.fragmentAck(1, {
      ackType: FragmentAckType.ERROR,
      timecode: c1,
      fragmentNumber: '2',
      result: R.ACK_STREAM_READ_ERROR,
    });
    expect(errors).toEqual(['STATUS_ACK_ERR_STREAM_READ_ERROR']);
    await clock.advance(SECOND);
    consumer.pump();
    expect(consumer.sessions.get(2)!.frames).toHaveLength(75);
  });

  it('a non-retriable error on the fragment being built drops its frames until the next key frame', async () => {
    const { clock, stream, consumer } = setup();
    const dropped: number[] = [];
    stream.on('droppedFrame', (pts) => dropped.push(pts));
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    const frames = [...videoFrames(60)];
    for (const f of frames.slice(0, 30)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    const [, c1] = consumer.sessions.get(1)!.clusters;
    stream.fragmentAck(1, { ackType: FragmentAckType.ERROR, timecode: c1, result: R.ACK_INVALID_MKV_DATA });
    for (const f of frames.slice(30)) stream.putFrame(f);
    expect(dropped).toEqual(frames.slice(30, 50).map((f) => f.pts));
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
