// One entry for files and pipes: the format is sniffed, the tracks come first, frames follow.
import { CodecId } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, KvsError } from '@kvs-ts/core';
import { NalAdaptation } from '@kvs-ts/mkv-writer';
import { readRepoVector } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';
import { openFrameSource, sniffFormat } from '../src/source';

const h264 = await readRepoVector('h264-baseline-320x240-25fps.h264');
const mkv = await readRepoVector('h264-aac-320x240.mkv');

/** `bytes` as a ReadableStream of `size`-byte chunks, as fetch or a file would give them. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function all(frames: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

describe('frame sources', () => {
  it('sniff MKV and Annex-B', () => {
    expect(sniffFormat(mkv.subarray(0, 8))).toBe('mkv');
    expect(sniffFormat(h264.subarray(0, 8))).toBe('annexb');
    expect(sniffFormat(new Uint8Array([0, 0, 1, 0x67]))).toBe('annexb');
    expect(sniffFormat(new TextEncoder().encode('hello'))).toBeUndefined();
  });

  it('time an Annex-B stream by its frame rate from startUs', async () => {
    const src = await openFrameSource(chunked(h264, 4096), { frameRate: 25, startUs: 5_000_000 });
    expect(src.format).toBe('h264');
    expect(src.tracks.map((t) => t.codecId)).toEqual([CodecId.H264]);
    expect(src.contentType).toBe('video/h264');
    expect(src.nalAdaptationFlags).toBe(NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS);
    const frames = await all(src.frames);
    expect(frames.length).toBe(250);
    expect(frames.slice(0, 3).map((f) => [f.pts, f.dts, f.duration])).toEqual([
      [5_000_000, 5_000_000, 40_000],
      [5_040_000, 5_040_000, 40_000],
      [5_080_000, 5_080_000, 40_000],
    ]);
    expect(frames.filter((f) => f.flags & FrameFlags.KEY_FRAME).length).toBe(10);
  });

  it('skip Annex-B frames before the first key frame and count them', async () => {
    // Start in the middle of the first GOP: the next IDR is where the stream begins.
    const secondGop = h264.subarray(20_000);
    const src = await openFrameSource([secondGop], { format: 'h264' });
    const frames = await all(src.frames);
    expect(frames[0].flags & FrameFlags.KEY_FRAME).toBe(FrameFlags.KEY_FRAME);
    expect(frames[0].pts).toBe(0);
    expect(src.skippedFrames).toBeGreaterThan(0);
  });

  it('read an MKV file’s tracks before its frames, times from startUs', async () => {
    const src = await openFrameSource(chunked(mkv, 1000), { startUs: 7_000_000 });
    expect(src.format).toBe('mkv');
    expect(src.contentType).toBe('video/h264,audio/aac');
    expect(src.nalAdaptationFlags).toBe(NalAdaptation.NONE);
    const frames = await all(src.frames);
    expect(Math.min(...frames.map((f) => f.dts))).toBe(7_000_000);
    expect(frames.filter((f) => f.trackId === 1).length).toBe(250);
  });

  it('refuse empty and unknown input with a KvsError', async () => {
    await expect(openFrameSource([])).rejects.toBeInstanceOf(KvsError);
    await expect(openFrameSource([new TextEncoder().encode('not video at all')])).rejects.toThrow(
      /neither MKV nor an Annex-B/,
    );
    await expect(openFrameSource([h264], { frameRate: 0 })).rejects.toBeInstanceOf(KvsError);
    const noKey = await openFrameSource([new Uint8Array([0, 0, 0, 1, 0x41, 0x9a, 1, 2])], { format: 'h264' });
    await expect(all(noKey.frames)).rejects.toThrow(/no H264 key frame/);
  });
});
