/// <reference types="node" />
// The AWS parser-library captures against ffprobe and mkvinfo run live (the same commands as
// scripts/record-aws-oracle.sh, plus per-stream, key-frame and timestamp views), so that the
// recorded oracle in fixtures/aws-oracle.json cannot drift from what the tools say.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listTestVectors, testVectorsDir } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';
import { count, split } from './count';
import {
  ffprobeFrameTotal,
  ffprobePackets,
  ffprobeStreams,
  INTRA_ONLY,
  missingTools,
  mkvinfoCounts,
  mkvinfoKeyFrames,
  packetsOf,
  REQUIRE_TOOLS,
  skipReason,
} from './tools';
import { trackStats } from './track-stats';

const SUBDIR = 'aws-parser-library';
const root = await testVectorsDir();
const names = root === undefined ? [] : (await listTestVectors(SUBDIR)).filter((n) => n.endsWith('.mkv'));
const missing = missingTools(['ffprobe', 'mkvinfo']);
/** Files whose every frame timestamp is compared with ffprobe's pts. */
const TIMESTAMPS_CHECKED = new Set(['output_get_media.mkv', 'vogels_330.mkv']);
/** ffprobe messages that mean it stopped before the end of the file. */
const FFPROBE_GAVE_UP = /ended prematurely|End of file|exceeds containing master/i;

async function load(name: string): Promise<{ file: string; bytes: Uint8Array }> {
  const file = join(root!, SUBDIR, name);
  const buf = await readFile(file);
  return { file, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
}

describe.skipIf(root === undefined)(
  'AWS captures vs ffprobe/mkvinfo run live (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    describe.skipIf(missing.length > 0 && !REQUIRE_TOOLS)(`tools${skipReason(missing)}`, () => {
      it('ffprobe and mkvinfo are installed', () => {
        expect(missing).toEqual([]);
        expect(names.length).toBeGreaterThan(0);
      });

      for (const name of names) {
        it(`${name}: frames, clusters, SimpleTags, per-track and key-frame counts`, async () => {
          const { file, bytes } = await load(name);
          const c = count(split(bytes, 65536));
          const stats = trackStats(split(bytes, 65536));

          // Totals, exactly as the oracle script computes them.
          const total = ffprobeFrameTotal(file);
          expect(c.frames).toBe(total);
          const info = mkvinfoCounts(file);
          if (info.complete) {
            expect(c.clusters).toBe(info.clusters);
            expect(c.simpleTags).toBe(info.simpleTags);
          } else {
            // mkvinfo resynced away part of the file: it saw a subset of what we see.
            expect(c.clusters).toBeGreaterThanOrEqual(info.clusters);
            expect(c.simpleTags).toBeGreaterThanOrEqual(info.simpleTags);
          }

          // Per track: ffprobe numbers streams after the first segment's TrackEntries.
          const streams = ffprobeStreams(file);
          const ours = [...stats.byTrack.values()].reduce((a, t) => a + t.frames, 0);
          expect(ours).toBe(c.frames);
          expect(streams.reduce((a, s) => a + s.packets, 0)).toBe(total);
          for (const s of streams) {
            const track = stats.tracks[s.index];
            expect(track, `stream ${s.index} has a TrackEntry`).toBeDefined();
            expect(stats.byTrack.get(track.number)?.frames ?? 0, `track ${track.number}`).toBe(s.packets);
          }

          // Key frames, where ffprobe read the whole file.
          const { packets, stderr, status } = ffprobePackets(file);
          if (status === 0 && packets.length === total && !FFPROBE_GAVE_UP.test(stderr)) {
            for (const s of streams) {
              const track = stats.tracks[s.index];
              const want = packetsOf(packets, s.index);
              const ourKeys = stats.byTrack.get(track.number)?.keyFrames ?? 0;
              if (INTRA_ONLY.has(s.codecName)) {
                // ffprobe flags every packet of an intra-only codec K; mkvinfo reads the block flag.
                expect(want.every((p) => p.key)).toBe(true);
                expect(ourKeys, `key frames of track ${track.number}`).toBe(mkvinfoKeyFrames(file).get(track.number));
              } else {
                expect(ourKeys, `key frames of track ${track.number}`).toBe(want.filter((p) => p.key).length);
              }
            }
          }

          if (TIMESTAMPS_CHECKED.has(name)) {
            expect(packets.length).toBe(total);
            for (const s of streams) {
              const track = stats.tracks[s.index];
              const want = packetsOf(packets, s.index).map((p) => p.ptsMs);
              const got = stats.byTrack.get(track.number)!.timestampsUs.map((us) => us / 1000);
              expect(got, `pts of track ${track.number}`).toEqual(want);
            }
          }
        });
      }
    });
  },
);
