// MKV blocks as frames: ffmpeg's Matroska file against ffmpeg's own index, and decoding times
// rebuilt from presentation times for a stream with B-frames, checked against the DTS x264's MP4
// kept (test-vectors/make.sh).
import { CodecId } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { MkvWriter, NalAdaptation } from '@kvs-ts/mkv-writer';
import { readRepoVector } from '@kvs-ts/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentTypeOf, MkvFrameReader } from '../src/mkv-frames';

interface IndexEntry {
  track?: number;
  ptsUs: number;
  dtsUs?: number;
  key: boolean;
  offset: number;
  size: number;
}
const decoder = new TextDecoder();
async function vector(name: string): Promise<{ bytes: Uint8Array; frames: IndexEntry[] }> {
  const bytes = await readRepoVector(name);
  const index = JSON.parse(decoder.decode(await readRepoVector(`${name}.json`))) as { frames: IndexEntry[] };
  return { bytes, frames: index.frames };
}
const mkv = await vector('h264-aac-320x240.mkv');
const bframes = await vector('h264-main-bframes-320x240-25fps.h264');

function read(bytes: Uint8Array, cuts: number[] = []): { reader: MkvFrameReader; frames: Frame[] } {
  const reader = new MkvFrameReader();
  const frames: Frame[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    frames.push(...reader.push(bytes.subarray(from, cut)));
    from = cut;
  }
  frames.push(...reader.end());
  return { reader, frames };
}

describe('MKV frames', () => {
  it('give ffmpeg’s tracks, and every block of its index with its time, key flag and bytes', () => {
    const { reader, frames } = read(mkv.bytes);
    const tracks = reader.tracks ?? [];
    expect(tracks.map((t) => [t.trackId, t.codecId, t.trackType])).toEqual([
      [1, CodecId.H264, TrackType.VIDEO],
      [2, CodecId.AAC, TrackType.AUDIO],
    ]);
    expect(tracks[0].video).toEqual({ width: 320, height: 240 });
    expect(tracks[1].audio).toMatchObject({ samplingFrequency: 48000, channels: 1 });
    expect(tracks[0].codecPrivateData?.[0]).toBe(1); // avcC configurationVersion
    expect(contentTypeOf(tracks)).toBe('video/h264,audio/aac');
    for (const track of [1, 2]) {
      const got = frames.filter((f) => f.trackId === track);
      const want = mkv.frames.filter((f) => f.track === track);
      expect(got.length).toBe(want.length);
      got.forEach((f, i) => {
        const w = want[i];
        expect([f.pts, f.dts, (f.flags & FrameFlags.KEY_FRAME) !== 0]).toEqual([w.ptsUs, w.ptsUs, w.key]);
        expect(f.data).toEqual(mkv.bytes.subarray(w.offset, w.offset + w.size));
      });
    }
  });

  it('do not depend on how the bytes are chunked', () => {
    const whole = read(mkv.bytes).frames.map((f) => `${f.trackId}:${f.pts}:${f.data.length}`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: mkv.bytes.length - 1 }), { maxLength: 30 }), (cuts) => {
        const got = read(
          mkv.bytes,
          cuts.sort((a, b) => a - b),
        ).frames;
        expect(got.map((f) => `${f.trackId}:${f.pts}:${f.data.length}`)).toEqual(whole);
      }),
      { numRuns: 40 },
    );
  });

  it('rebuild the decoding times of a B-frame stream exactly', () => {
    // Package the elementary stream with its MP4 timestamps (PTS ≠ DTS) into MKV, which keeps PTS only.
    const writer = new MkvWriter({
      tracks: [{ trackId: 1, codecId: CodecId.H264, trackName: 'video', trackType: TrackType.VIDEO }],
      nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
    });
    const parts: Uint8Array[] = [];
    const base = 1_000_000_000;
    for (const f of bframes.frames) {
      const plan = writer.prepare({
        trackId: 1,
        pts: base + f.ptsUs,
        dts: base + (f.dtsUs ?? f.ptsUs),
        duration: 40_000,
        flags: f.key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
        data: bframes.bytes.subarray(f.offset, f.offset + f.size),
      });
      const buf = new Uint8Array(plan.size);
      writer.write(plan, buf);
      parts.push(buf);
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const frames = read(bytes).frames;
    expect(frames.length).toBe(bframes.frames.length);
    expect(bframes.frames.some((f) => f.dtsUs !== f.ptsUs)).toBe(true);
    const offset = frames[0].pts - bframes.frames[0].ptsUs;
    expect(frames.map((f) => [f.pts - offset, f.dts - offset])).toEqual(
      bframes.frames.map((f) => [f.ptsUs, f.dtsUs ?? f.ptsUs]),
    );
  });
});
