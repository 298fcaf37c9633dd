// GetMedia bodies fragment by fragment: AWS's own GetMedia captures (the shared parser-library
// vectors) give their fragments with the service's tags, whatever the chunking; frames add up to
// what ffprobe counts (the mkv-parser package's recorded oracle); cut bodies and error tags.
import { decimalSecondsToUs, isKvsError, usToDecimalSeconds } from '@kvs-ts/core';
import { FragmentAssembler, type MediaFragment, readFragments } from '@kvs-ts/getmedia';
import { readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const available = await testVectorsAvailable();
const DIR = 'aws-parser-library';

function assemble(bytes: Uint8Array, chunk: number): { fragments: MediaFragment[]; error?: unknown } {
  const fragments: MediaFragment[] = [];
  const a = new FragmentAssembler({ fragment: (f) => fragments.push(f) });
  try {
    for (let i = 0; i < bytes.length; i += chunk) a.push(bytes.subarray(i, i + chunk));
    a.end();
  } catch (error) {
    return { fragments, error };
  }
  return { fragments };
}

/** What a fragment says, without the byte views (for comparing chunkings). */
function summary(f: MediaFragment) {
  return {
    fragmentNumber: f.fragmentNumber,
    serverTimestamp: f.serverTimestamp,
    producerTimestamp: f.producerTimestamp,
    millisBehindNow: f.millisBehindNow,
    continuationToken: f.continuationToken,
    clusterTimecode: f.clusterTimecode,
    frames: f.frames.map((x) => [x.trackNumber, x.timestamp, x.key, x.data.length, x.data[0], x.data.at(-1)]),
    tags: f.tags.map((t) => `${t.name}=${t.value}`),
    tracks: f.tracks.map((t) => t.codecId),
    error: f.error,
  };
}

describe('decimalSecondsToUs', () => {
  it('turns the service’s decimal seconds into µs exactly', () => {
    expect(decimalSecondsToUs('1511852109.126')).toBe(1_511_852_109_126_000);
    expect(decimalSecondsToUs('0.000')).toBe(0);
    expect(decimalSecondsToUs('1796290693.96')).toBe(1_796_290_693_960_000);
    expect(decimalSecondsToUs('17')).toBe(17_000_000);
    expect(decimalSecondsToUs('1.0000019')).toBe(1_000_001);
    expect(decimalSecondsToUs('-1')).toBeUndefined();
    expect(decimalSecondsToUs('abc')).toBeUndefined();
  });

  it('is exact for every ms timestamp of this century (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }), (ms) => {
        const text = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
        expect(decimalSecondsToUs(text)).toBe(ms * 1000);
        expect(usToDecimalSeconds(ms * 1000 + 999)).toBe(text);
      }),
    );
  });
});

describe.skipIf(!available)(
  'GetMedia captures (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    it('output_get_media.mkv: five fragments, each with its number, times, lag and continuation token', async () => {
      const bytes = (await readTestVector(`${DIR}/output_get_media.mkv`))!;
      const { fragments, error } = assemble(bytes, 65536);
      expect(error).toBeUndefined();
      expect(fragments).toHaveLength(5);
      const first = fragments[0];
      expect(first.fragmentNumber).toBe('91343852333181432392682062607743920146159169392');
      expect(first.serverTimestamp).toBe(1_511_852_109_126_000);
      expect(first.producerTimestamp).toBe(1_511_852_108_513_000);
      expect(first.millisBehindNow).toBe(15858);
      expect(first.continuationToken).toBe(first.fragmentNumber);
      expect(first.tracks.map((t) => t.codecId)).toEqual(['V_MPEG4/ISO/AVC']);
      expect(first.tags.map((t) => t.name)).toContain('ENCODER');
      expect(first.frames[0].key).toBe(true);
      for (const f of fragments) {
        expect(f.frames).toHaveLength(60);
        expect(f.continuationToken).toMatch(/^[0-9]{47}$/);
        expect(f.error).toBeUndefined();
      }
      expect(new Set(fragments.map((f) => f.fragmentNumber)).size).toBe(5);
      expect(fragments.at(-1)?.millisBehindNow).toBe(12093);
    });

    const captures: Array<[string, number, number]> = [
      // name, fragments, frames (ffprobe's count, see packages/mkv-parser/test/fixtures/aws-oracle.json)
      ['output_get_media.mkv', 5, 300],
      ['output_get_media_sparse_fragments.mkv', 3, 180],
      ['output_get_media_sparse_fragments_merged.mkv', 3, 180],
      ['test_mixed_tags.mkv', 10, 100],
      ['kinesis_video_renderer_example_output.mkv', 8, 444],
    ];
    for (const [name, count, frames] of captures) {
      it(`${name}: ${count} fragments, ${frames} frames, the same for any chunking`, async () => {
        const bytes = (await readTestVector(`${DIR}/${name}`))!;
        const whole = assemble(bytes, bytes.length);
        expect(whole.error).toBeUndefined();
        expect(whole.fragments).toHaveLength(count);
        expect(whole.fragments.reduce((n, f) => n + f.frames.length, 0)).toBe(frames);
        const want = whole.fragments.map(summary);
        for (const chunk of [1, 7, 4096, 65536]) {
          if (chunk === 1 && bytes.length > 300_000) continue;
          expect(assemble(bytes, chunk).fragments.map(summary)).toEqual(want);
        }
      });
    }

    it('test_mixed_tags.mkv: the producer’s tags before and after the cluster stay with their fragment', async () => {
      const bytes = (await readTestVector(`${DIR}/test_mixed_tags.mkv`))!;
      const { fragments } = assemble(bytes, 999);
      for (const f of fragments) {
        expect(f.tags.filter((t) => t.name.startsWith('testTag_')).length).toBeGreaterThanOrEqual(5);
        expect(f.fragmentNumber).toMatch(/^[0-9]+$/);
        expect(f.continuationToken).toBeDefined();
      }
    });

    it('a body cut inside a frame: the fragments before the cut, then STATUS_UNEXPECTED_EOF', async () => {
      const bytes = (await readTestVector(`${DIR}/output-get-media-equal-timecode.mkv`))!;
      const { fragments, error } = assemble(bytes, 8192);
      expect(isKvsError(error) && error.statusName).toBe('STATUS_UNEXPECTED_EOF');
      expect(fragments.length).toBeGreaterThanOrEqual(1);
      expect(fragments[0].fragmentNumber).toBeDefined();
    });

    it('readFragments iterates a ReadableStream body', async () => {
      const bytes = (await readTestVector(`${DIR}/output_get_media.mkv`))!;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 30_000) c.enqueue(bytes.slice(i, i + 30_000));
          c.close();
        },
      });
      const seen: string[] = [];
      for await (const f of readFragments(body)) seen.push(f.fragmentNumber ?? '');
      expect(seen).toHaveLength(5);
    });
  },
);
