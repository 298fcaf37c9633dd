// The frame-order coordinator: merged order, the one-tick collision compensation, EoFR flushes,
// and the fragment-boundary property on random A/V arrivals.

import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameOrderCoordinator, FrameOrderMode, MkvWriter } from '../src/index';
import { concat, walk } from './walk';

const TRACKS = [
  { trackId: 1, trackType: TrackType.VIDEO },
  { trackId: 2, trackType: TrackType.AUDIO },
];

function fr(trackId: number, us: number, flags = 0): Frame {
  return { trackId, pts: us, dts: us, duration: 0, flags, data: new Uint8Array([trackId, us & 0xff]) };
}

function collect(options: Partial<ConstructorParameters<typeof FrameOrderCoordinator>[0]> = {}) {
  const out: Frame[] = [];
  const c = new FrameOrderCoordinator({ tracks: TRACKS, ...options }, (f) => out.push(f));
  return { c, out };
}

describe('FrameOrderCoordinator', () => {
  it('holds frames until every track has one, then releases the earliest first', () => {
    const { c, out } = collect();
    c.put(fr(1, 0, FrameFlags.KEY_FRAME));
    c.put(fr(1, 33_000));
    expect(out.length).toBe(0);
    c.put(fr(2, 10_000));
    expect(out.map((f) => [f.trackId, f.pts])).toEqual([
      [1, 0],
      [2, 10_000],
    ]);
    c.flush();
    expect(out.map((f) => f.pts)).toEqual([0, 10_000, 33_000]);
    expect(c.queued).toBe(0);
  });

  it('same tick on audio and a video key frame: the key frame first, the audio frame one tick later', () => {
    const { c, out } = collect();
    const audio = fr(2, 40_300);
    c.put(audio);
    c.put(fr(1, 40_900, FrameFlags.KEY_FRAME));
    c.flush();
    expect(out.map((f) => [f.trackId, f.pts])).toEqual([
      [1, 40_900],
      [2, 41_300],
    ]);
    // The caller's frame object is not modified.
    expect(audio.pts).toBe(40_300);
  });

  it('same tick without a key frame: track order, the later one bumped; compare by DTS moves only the PTS', () => {
    const { c, out } = collect({ compare: 'dts', timecodeScaleNs: 10_000_000 });
    c.put({ ...fr(2, 5_000), dts: 5_000 });
    c.put({ ...fr(1, 9_000), pts: 19_000 });
    c.flush();
    expect(out.map((f) => [f.trackId, f.pts, f.dts])).toEqual([
      [1, 19_000, 9_000],
      [2, 15_000, 5_000],
    ]);
  });

  it('an EoFR flushes what is held, then goes through', () => {
    const { c, out } = collect();
    c.put(fr(1, 0, FrameFlags.KEY_FRAME));
    c.put(fr(1, 40_000));
    c.put({ trackId: 0, pts: 0, dts: 0, duration: 0, flags: FrameFlags.END_OF_FRAGMENT, data: new Uint8Array(0) });
    expect(out.map((f) => f.flags)).toEqual([FrameFlags.KEY_FRAME, 0, FrameFlags.END_OF_FRAGMENT]);
  });

  it('PASS_THROUGH emits at once', () => {
    const { c, out } = collect({ mode: FrameOrderMode.PASS_THROUGH });
    c.put(fr(2, 50));
    c.put(fr(1, 10));
    expect(out.map((f) => f.pts)).toEqual([50, 10]);
  });

  it('random A/V arrivals: fragments start on video key frames and never overlap the previous one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20_000, max: 50_000 }),
        fc.integer({ min: 10_000, max: 64_000 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: -200_000, max: 200_000 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 400 }),
        fc.constantFrom<'pts' | 'dts'>('pts', 'dts'),
        fc.boolean(),
        (videoStep, audioStep, gop, audioOffset, arrivals, compare, audioFirst) => {
          const base = 1_000_000_000;
          const video: Frame[] = [];
          const audio: Frame[] = [];
          for (let i = 0; i < 120; i++)
            video.push(fr(1, base + i * videoStep, i % gop === 0 ? FrameFlags.KEY_FRAME : 0));
          for (let i = 0; i < 150; i++) audio.push(fr(2, base + audioOffset + i * audioStep, FrameFlags.KEY_FRAME));
          const w = new MkvWriter({
            tracks: [
              { trackId: 1, codecId: 'V_X', trackType: TrackType.VIDEO },
              { trackId: 2, codecId: 'A_X', trackType: TrackType.AUDIO },
            ],
          });
          const parts: Uint8Array[] = [];
          let skipped = 0;
          const tracks = audioFirst ? [TRACKS[1], TRACKS[0]] : TRACKS;
          const c = new FrameOrderCoordinator({ tracks, compare, maxFramesPerTrack: 1000 }, (f) => {
            const p = w.packageFrame(f);
            if (p.skipped) skipped++;
            parts.push(p.header.slice(), p.data.slice());
          });
          // Arrival order: a random merge of the two tracks (each in its own order).
          let vi = 0;
          let ai = 0;
          for (const takeVideo of arrivals) {
            if (takeVideo && vi < video.length) c.put(video[vi++]);
            else if (ai < audio.length) c.put(audio[ai++]);
          }
          while (vi < video.length) c.put(video[vi++]);
          while (ai < audio.length) c.put(audio[ai++]);
          c.flush();
          const m = walk(concat(parts));
          expect(m.blocks.length + skipped).toBe(video.length + audio.length);
          let prevMax = -1;
          let prev = -1;
          for (const b of m.blocks) {
            expect(b.timecode).toBeGreaterThanOrEqual(prev);
            prev = b.timecode;
          }
          for (const cl of m.clusters) {
            const blocks = m.blocks.filter((b) => b.cluster === cl.index);
            expect(blocks[0].track).toBe(1);
            expect(blocks[0].flags & 0x80).toBe(0x80);
            expect(Math.min(...blocks.map((b) => b.timecode))).toBeGreaterThan(prevMax);
            prevMax = Math.max(...blocks.map((b) => b.timecode));
          }
          // Only audio older than the first video key frame is dropped.
          const firstKey = m.blocks[0].timecode;
          expect(skipped).toBe(audio.filter((a) => Math.floor(a.pts / 1000) < firstKey).length);
        },
      ),
      { numRuns: 150 },
    );
  });
});
