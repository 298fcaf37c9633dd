// The segment merger: AWS's GetMedia captures (one MKV stream per fragment) become one Segment
// with every frame, byte for byte; a change of tracks starts a new Segment. ffprobe and mkvinfo
// read the output in merger.node.test.ts.
import { type MediaFragment, readFragments, SegmentMerger, sameTracks, saveMkv } from '@kvs-ts/getmedia';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';

const available = await testVectorsAvailable();
const DIR = 'aws-parser-library';

async function fragmentsOf(name: string): Promise<MediaFragment[]> {
  const bytes = (await readTestVector(`${DIR}/${name}`))!;
  const out: MediaFragment[] = [];
  for await (const f of readFragments([bytes.subarray(0, 100_000), bytes.subarray(100_000)])) out.push(f);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Segments and frames of an MKV file. */
function read(bytes: Uint8Array) {
  const frames: Array<{ track: number; ts: number; key: boolean; data: Uint8Array }> = [];
  let segments = 0;
  let tracks = 0;
  new MkvParser({
    segmentStart: () => segments++,
    tracks: (t) => {
      tracks += t.length;
    },
    frame: (f) => frames.push({ track: f.trackNumber, ts: f.timestampUs, key: f.keyFrame, data: f.data.slice() }),
  }).push(bytes);
  return { frames, segments, tracks };
}

describe.skipIf(!available)('SegmentMerger (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)', () => {
  it('merges output_get_media.mkv’s five fragments into one Segment with all 300 frames, byte for byte', async () => {
    const fragments = await fragmentsOf('output_get_media.mkv');
    const parts: Uint8Array[] = [];
    const stats = await saveMkv(fragments, (b) => {
      parts.push(b);
    });
    expect(stats).toMatchObject({ fragments: 5, frames: 300, segments: 1 });
    const out = concat(parts);
    expect(stats.bytes).toBe(out.length);
    const merged = read(out);
    expect(merged.segments).toBe(1);
    expect(merged.tracks).toBe(1);
    const input = fragments.flatMap((f) => f.frames);
    expect(merged.frames.map((f) => [f.track, f.ts, f.key])).toEqual(
      input.map((f) => [f.trackNumber, f.timestamp, f.key]),
    );
    const differ = input.findIndex((f, i) => !sameBytes(f.data, merged.frames[i].data));
    expect(differ).toBe(-1);
  });

  it('starts a new Segment where the tracks change (330p then 480p)', async () => {
    const low = await fragmentsOf('vogels_330.mkv');
    const high = await fragmentsOf('vogels_480.mkv');
    expect(sameTracks(low[0].tracks, high[0].tracks)).toBe(false);
    expect(sameTracks(low[0].tracks, low[1].tracks)).toBe(true);
    const parts: Uint8Array[] = [];
    const merger = new SegmentMerger((b) => {
      parts.push(b);
    });
    for (const f of [...low, ...high]) await merger.add(f);
    const stats = await merger.end();
    expect(stats.segments).toBe(2);
    const merged = read(concat(parts));
    expect(merged.segments).toBe(2);
    expect(merged.frames.length).toBe([...low, ...high].reduce((n, f) => n + f.frames.length, 0));
  });

  it('keeps the service’s fragment tags when asked', async () => {
    const fragments = await fragmentsOf('output_get_media.mkv');
    const parts: Uint8Array[] = [];
    await saveMkv(fragments, (b) => void parts.push(b), { keepFragmentTags: true });
    const names: string[] = [];
    new MkvParser({
      tags: (tags) => {
        for (const t of tags) for (const st of t.simpleTags) names.push(st.name);
      },
    }).push(concat(parts));
    expect(names.filter((n) => n === 'FRAGMENT_NUMBER')).toHaveLength(5);
    expect(names.filter((n) => n === 'PRODUCER_TIMESTAMP')).toHaveLength(5);
  });

  it('adds nothing for a fragment without frames (an error report)', async () => {
    const parts: Uint8Array[] = [];
    const merger = new SegmentMerger((b) => void parts.push(b));
    await merger.add({
      info: { timecodeScale: 1_000_000 },
      tracks: [],
      frames: [],
      tags: [],
      error: { id: 4000, code: 'X' },
    });
    expect(await merger.end()).toEqual({ fragments: 0, frames: 0, segments: 0, bytes: 0 });
    expect(parts).toEqual([]);
  });
});
