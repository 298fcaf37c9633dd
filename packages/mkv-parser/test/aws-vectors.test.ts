// Every AWS parser-library capture parses, with counts equal to what ffprobe and mkvinfo
// report (recorded by scripts/record-aws-oracle.sh; aws-vectors.node.test.ts runs the tools
// live), whatever the chunking.
import { listTestVectors, readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';
import { count, randomSplit, split } from './count';
import oracle from './fixtures/aws-oracle.json' with { type: 'json' };

const available = await testVectorsAvailable();
const DIR = 'aws-parser-library';
// These two captures end inside their last SimpleBlock (a cut GetMedia response).
const TRUNCATED = new Set(['output-get-media-equal-timecode.mkv', 'output-get-media-non-increasing-timecode.mkv']);

describe.skipIf(!available)(
  'AWS parser-library captures (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    it('are all covered by the oracle', async () => {
      const names = (await listTestVectors(DIR)).filter((n) => n.endsWith('.mkv'));
      expect(names.sort()).toEqual(Object.keys(oracle.files).sort());
    });

    for (const [name, want] of Object.entries(oracle.files)) {
      it(`${name}: counts match ffprobe and mkvinfo, for any chunking`, async () => {
        const bytes = (await readTestVector(`${DIR}/${name}`))!;
        const c = count(split(bytes, 65536));
        if (TRUNCATED.has(name)) expect(c.error?.statusName).toBe('STATUS_UNEXPECTED_EOF');
        else expect(c.error).toBeUndefined();
        expect(c.frames).toBe(want.frames);
        expect(c.segments).toBe(want.ebmlHeaders);
        expect(c.ebmlHeaders).toBe(want.ebmlHeaders);
        if (want.mkvinfoComplete) {
          expect(c.clusters).toBe(want.clusters);
          expect(c.simpleTags).toBe(want.simpleTags);
        } else {
          expect(c.clusters).toBeGreaterThanOrEqual(want.clusters);
          expect(c.simpleTags).toBeGreaterThanOrEqual(want.simpleTags);
        }
        for (const [seed, max] of [
          [1, 7],
          [2, 4096],
          [3, 200_000],
        ]) {
          const again = count(randomSplit(bytes, seed, max));
          expect({ ...again, error: again.error?.status }).toEqual({ ...c, error: c.error?.status });
        }
      });
    }

    it('reads the GetMedia metadata of output_get_media.mkv', async () => {
      const c = count([(await readTestVector(`${DIR}/output_get_media.mkv`))!]);
      expect(c.tracks).toEqual(Array(5).fill('1:video:V_MPEG4/ISO/AVC'));
      expect(c.keyFrames).toBe(5);
      for (const tag of [
        'AWS_KINESISVIDEO_FRAGMENT_NUMBER',
        'AWS_KINESISVIDEO_SERVER_TIMESTAMP',
        'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP',
        'AWS_KINESISVIDEO_CONTINUATION_TOKEN',
      ]) {
        expect(c.tagNames.filter((n) => n === tag)).toHaveLength(5);
      }
    });
  },
);
