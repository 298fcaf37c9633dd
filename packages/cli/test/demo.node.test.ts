import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@kvs-ts/cli';
import { describe, expect, it } from 'vitest';

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ffprobe = hasTool('ffprobe') || process.env.KVS_REQUIRE_TOOLS === '1';

describe('kvs demo', () => {
  it('packages the test-vectors sample as KVS MKV and inspects it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvs-demo-'));
    try {
      const file = join(dir, 'demo.mkv');
      let text = '';
      const code = await main(
        ['demo', file],
        { write: (s: string) => (text += s) },
        { write: (s: string) => (text += s) },
      );
      expect(code).toBe(0);
      expect(text).toContain('1 segment(s), 10 cluster(s)');
      expect(text).toContain('#1 video V_MPEG4/ISO/AVC (320x240, codec private 40 B): 250 frame(s), 10 key');
      expect(text).toContain('#2 audio A_AAC (48000 Hz, 1 ch, codec private 2 B): 470 frame(s), 470 key');
      if (ffprobe) {
        // An independent decoder reads every frame of both tracks.
        const out = execFileSync(
          'ffprobe',
          ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', file],
          {
            encoding: 'utf8',
          },
        );
        expect(out.trim().split('\n')).toEqual(['h264,250', 'aac,470']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
