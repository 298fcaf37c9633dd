// OFFLINE streams never evict: PIC blocks the putting thread until PERSISTED ACKs make room
// (anchors-aws.md §1.2 handleAvailability). Here that is putFrameAsync, which waits on the same
// condition with the same timeout and the same interruption status.
import { StreamingType } from '@kvs-ts/content-store';
import { type Frame, isKvsError, StatusCode } from '@kvs-ts/core';
import { MAX_BLOCKING_PUT_WAIT } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { OPAQUE_TRACK, setupStream, videoFrames } from './fakes';
import { AAC_TRACK } from './model-support';

const SECOND = 1_000_000;

/** An OFFLINE stream whose 20 s buffer (the minimum) holds 500 frames of 25 fps. */
async function offline() {
  const s = setupStream({ streamingType: StreamingType.OFFLINE, bufferDuration: 20 * SECOND });
  s.stream.start();
  await s.clock.advance(0);
  const frames: Frame[] = [...videoFrames(700, { start: s.clock.now(), gop: 10 })];
  return { ...s, frames };
}

/** Puts frames until the buffer is full; returns how many went in. */
function fill(s: Awaited<ReturnType<typeof offline>>): number {
  let n = 0;
  for (const f of s.frames) {
    try {
      s.stream.putFrame(f);
    } catch (e) {
      expect(isKvsError(e) && e.statusName).toBe('STATUS_STORE_OUT_OF_MEMORY');
      return n;
    }
    n++;
  }
  throw new Error('the buffer never filled');
}

async function outcome(p: Promise<void>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (isKvsError(e) ? e.statusName : `non-KvsError ${String(e)}`),
  );
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('putFrameAsync on an OFFLINE stream (PIC blocking put)', () => {
  it('waits while the buffer is full and puts the frame once PERSISTED ACKs trim it', async () => {
    const s = await offline();
    s.consumer.ackTypes = [];
    const n = fill(s);
    expect(n).toBeGreaterThan(10);
    const head = s.stream.view.head;
    let settled = '';
    const p = s.stream.putFrameAsync(s.frames[n]).then(() => {
      settled = 'resolved';
    });
    await flush();
    s.consumer.pump(); // sent, but nothing ACKed: still no room
    await s.clock.advance(SECOND);
    expect(settled).toBe('');
    expect(s.stream.view.head).toBe(head);
    s.consumer.ackTypes = [1, 2, 3];
    s.consumer.ackAll(); // PERSISTED for the complete fragments: they leave the view
    await p;
    expect(s.stream.view.head).toBe(head + 1);
    expect(s.dropped).toEqual([]);
    // Only fill()'s synchronous put failed; the one that waited is not a failed put.
    expect(s.stream.metrics().putFrameErrors).toBe(1);
  });

  it('keeps call order: queued puts go in one after another, each as room appears', async () => {
    const s = await offline();
    const n = fill(s);
    const puts = s.frames.slice(n, n + 30).map((f) => s.stream.putFrameAsync(f));
    // A plain putFrame may not overtake them.
    expect(() => s.stream.putFrame(s.frames[n + 30])).toThrow(/STATUS_INVALID_OPERATION/);
    for (let round = 0; round < 50; round++) {
      s.consumer.pump();
      s.consumer.ackAll();
      await s.clock.advance(40_000);
    }
    await Promise.all(puts);
    const stop = s.stream.stopSync();
    for (let round = 0; round < 20; round++) {
      s.consumer.pump();
      s.consumer.ackAll();
      await s.clock.advance(100_000);
    }
    await stop;
    const sent = s.consumer.allFrames().map((f) => f.ts);
    expect(sent).toEqual(s.frames.slice(0, n + 30).map((f) => f.pts));
  });

  it('gives up after offlineBufferAvailabilityTimeout with STATUS_OPERATION_TIMED_OUT, storing nothing', async () => {
    const s = await offline();
    const n = fill(s);
    const head = s.stream.view.head;
    const p = outcome(s.stream.putFrameAsync(s.frames[n]));
    await s.clock.advance(MAX_BLOCKING_PUT_WAIT - 1);
    await flush();
    await s.clock.advance(1);
    expect(await p).toBe('STATUS_OPERATION_TIMED_OUT');
    expect(s.stream.view.head).toBe(head);
    // The stream still works: the next put waits again, and succeeds with room.
    const next = s.stream.putFrameAsync(s.frames[n]);
    s.consumer.pump();
    s.consumer.ackAll();
    await next;
    expect(s.stream.view.head).toBe(head + 1);
  });

  it('a stop, resetStream or free while it waits rejects with STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED', async () => {
    for (const end of ['stop', 'reset', 'free'] as const) {
      const s = await offline();
      const n = fill(s);
      const first = outcome(s.stream.putFrameAsync(s.frames[n]));
      const queued = outcome(s.stream.putFrameAsync(s.frames[n + 1]));
      await flush();
      if (end === 'stop') s.stream.stop();
      else if (end === 'reset') s.stream.resetStream();
      else s.stream.free();
      expect({ end, first: await first, queued: await queued }).toEqual({
        end,
        first: 'STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED',
        queued: 'STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED',
      });
      if (end !== 'free') s.stream.free();
    }
  });

  it('a putFrame right after resetStream() is taken: the interrupted puts no longer count', async () => {
    const s = await offline();
    const n = fill(s);
    const waiting = outcome(s.stream.putFrameAsync(s.frames[n]));
    s.stream.resetStream();
    const next = s.frames[n + 10]; // a key frame (gop 10) starts the new stream
    expect(() => s.stream.putFrame(next)).not.toThrow();
    expect(await waiting).toBe('STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED');
    expect(s.stream.view.head - s.stream.view.tail).toBe(1);
    s.stream.free();
  });

  it('rejects a bad frame at once, without waiting', async () => {
    const s = await offline();
    fill(s);
    expect(await outcome(s.stream.putFrameAsync({ ...s.frames[0], trackId: 9 }))).toBe(
      'STATUS_MKV_TRACK_INFO_NOT_FOUND',
    );
    expect(await outcome(s.stream.putFrameAsync(s.frames[0]))).toBe('STATUS_MKV_INVALID_FRAME_TIMESTAMP');
  });
});

describe('putFrameAsync on an OFFLINE A/V stream (frames pass the frame-order coordinator)', () => {
  /**
   * Video runs two frames ahead of audio (V V A A …), so one put can release several held frames;
   * the producer queues every frame at once while the network drains and the service ACKs at
   * its own pace. Nothing may be dropped, and every frame arrives, in order.
   */
  async function avOffline(videoSize: number, storageSize: number, bufferSeconds: number) {
    const s = setupStream(
      {
        streamingType: StreamingType.OFFLINE,
        bufferDuration: bufferSeconds * SECOND,
        tracks: [OPAQUE_TRACK, AAC_TRACK],
      },
      { storageSize },
    );
    s.stream.start();
    await s.clock.advance(0);
    const start = s.clock.now();
    const frames: Frame[] = [];
    for (let k = 0; k < 1600; k += 2) {
      for (const j of [k, k + 1]) {
        const pts = start + j * 40_000;
        const key = j % 10 === 0;
        frames.push({
          trackId: 1,
          pts,
          dts: pts,
          duration: 39_000,
          flags: key ? 1 : 0,
          data: new Uint8Array(videoSize),
        });
      }
      for (const j of [k, k + 1]) {
        const pts = start + j * 40_000 + 7_000;
        frames.push({ trackId: 2, pts, dts: pts, duration: 20_000, flags: 1, data: new Uint8Array(50) });
      }
    }
    let settled = 0;
    let failed = '';
    for (const f of frames) {
      s.stream.putFrameAsync(f).then(
        () => settled++,
        (e: unknown) => {
          failed ||= String(e);
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    const waitedAtStart = frames.length - settled;
    for (let round = 0; round < 4000 && settled < frames.length && !failed; round++) {
      await s.clock.advance(40_000);
      if (round % 25 === 0) {
        s.consumer.pump();
        s.consumer.ackAll();
        // Queued puts settle one after another in promise callbacks: let them run.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    const stop = s.stream.stopSync();
    for (let round = 0; round < 40; round++) {
      s.consumer.pump();
      s.consumer.ackAll();
      await s.clock.advance(100_000);
    }
    await stop;
    return { s, frames, waitedAtStart, settled, failed };
  }

  it.each([
    ['the 20 s buffer fills first', 200, 16 * 1024 * 1024, 20],
    ['the 10 MiB store fills first (20 kB video)', 20_000, 10 * 1024 * 1024, 120],
    ['the 10 MiB store fills first (60 kB video)', 60_000, 10 * 1024 * 1024, 120],
  ])('waits for room for everything a put may release: %s', async (_what, videoSize, storageSize, bufferSeconds) => {
    const { s, frames, waitedAtStart, settled, failed } = await avOffline(videoSize, storageSize, bufferSeconds);
    expect(failed).toBe('');
    expect(waitedAtStart).toBeGreaterThan(0); // the buffer did fill: puts had to wait
    expect(settled).toBe(frames.length);
    expect({ dropped: s.dropped.length, errors: s.errorNames }).toEqual({ dropped: 0, errors: [] });
    const sent = s.consumer.allFrames();
    expect(sent.length).toBe(frames.length);
    expect(sent.filter((f) => f.track === 1).map((f) => f.ts)).toEqual(
      frames.filter((f) => f.trackId === 1).map((f) => f.pts),
    );
  });
});

describe('putFrameAsync on a REALTIME stream', () => {
  it('is putFrame: resolves at once (evicting when full) or rejects with its error', async () => {
    const s = setupStream({ bufferDuration: 20 * SECOND });
    s.stream.start();
    await s.clock.advance(0);
    const frames = [...videoFrames(600, { start: s.clock.now(), gop: 10 })];
    for (const f of frames) await s.stream.putFrameAsync(f);
    expect(s.dropped.length).toBeGreaterThan(0); // the 20 s buffer evicted, nothing waited
    expect(await outcome(s.stream.putFrameAsync(frames[0]))).toBe('STATUS_MKV_INVALID_FRAME_TIMESTAMP');
    s.stream.stop();
    expect(await outcome(s.stream.putFrameAsync(frames[599]))).toBe('STATUS_STREAM_HAS_BEEN_STOPPED');
    expect(StatusCode.STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED).toBe(0x52000076);
  });
});
