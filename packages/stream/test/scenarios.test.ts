import { FragmentAckType, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { StreamState as S, type StreamDefinition } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';

const MiB = 1024 * 1024;
const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;

function setup(
  def: Partial<StreamDefinition> = {},
  opts: { intermittentProducer?: boolean; storageSize?: number } = {},
) {
  const s = setupStream(def, opts);
  return { ...s, errors: s.errorNames };
}

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
});

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
});

describe('intermittent producer, pressure and staleness', () => {
  it('closes the open fragment with an EoFR after 20 s without frames', async () => {
    const { clock, stream, consumer } = setup({}, { intermittentProducer: true });
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10, { start: clock.now() })) stream.putFrame(f);
    await clock.advance(19 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).not.toContain('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    await clock.advance(10 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).toEqual(['AWS_KINESISVIDEO_END_OF_FRAGMENT']);
    // Only once.
    await clock.advance(30 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).toHaveLength(1);
  });

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
