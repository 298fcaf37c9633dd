/// <reference types="node" />
// External readers on the merged MKV of AWS's GetMedia capture: ffprobe counts and decodes all
// 300 frames of the one video stream, mkvinfo reads one Segment with five clusters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFragments, saveMkv } from '@kvs-ts/getmedia';
import { readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import { afterAll, describe, expect, it } from 'vitest';

function has(cmd: string): boolean {
  const r = spawnSync(cmd, [cmd.startsWith('ff') ? '-version' : '--version'], { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

const available = await testVectorsAvailable();
const tools = (has('ffprobe') && has('mkvinfo')) || process.env.KVS_REQUIRE_TOOLS === '1';
const dir = mkdtempSync(join(tmpdir(), 'kvs-merger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!available || !tools)(
  'merged GetMedia output in ffprobe and mkvinfo (skipped: no shared test vectors, or ffprobe/mkvinfo not installed)',
  () => {
    it('output_get_media.mkv merged: one video stream of 300 frames that decode, one Segment', async () => {
      const bytes = (await readTestVector('aws-parser-library/output_get_media.mkv'))!;
      const parts: Uint8Array[] = [];
      await saveMkv(readFragments([bytes]), (b) => void parts.push(b));
      const file = join(dir, 'merged.mkv');
      writeFileSync(file, Buffer.concat(parts));
      const probe = spawnSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-count_frames',
          '-show_entries',
          'stream=codec_name,nb_read_frames,width,height',
          '-of',
          'json',
          file,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(probe.status).toBe(0);
      expect(probe.stderr).toBe('');
      const streams = JSON.parse(probe.stdout).streams;
      expect(streams).toEqual([{ codec_name: 'h264', width: 640, height: 360, nb_read_frames: '300' }]);
      const info = spawnSync('mkvinfo', ['--all', file], { encoding: 'utf8', timeout: 60_000 });
      expect(info.status).toBe(0);
      expect(info.stdout.match(/\+ Segment:/g)).toHaveLength(1);
      expect(info.stdout.match(/\+ Cluster$/gm)).toHaveLength(5);
    });
  },
);
