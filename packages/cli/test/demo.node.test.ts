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
  it('streams the sample through the embedded emulator, tails it, and writes a playable MKV', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvs-demo-'));
    try {
      const file = join(dir, 'demo.mkv');
      let text = '';
      const code = await main(
        ['demo', '--seconds', '12', '--fast', '--no-progress', '--out', file],
        { write: (s: string) => (text += s) },
        { write: (s: string) => (text += s) },
      );
      expect(code, text).toBe(0);
      // 12 s of the 10 s sample looped: 300 video frames, 562 AAC frames (470 per loop, cut at 12 s).
      expect(text).toMatch(
        /producer: 862 frames, 12 fragments; ACKs: 12 buffering, 12 received, 12 persisted, 0 errors/,
      );
      expect(text).toMatch(/consumer \(GetMedia\): 12 fragments, 862 frames/);
      expect(text).toContain('1 segment(s), 12 cluster(s)');
      expect(text).toContain('#1 video V_MPEG4/ISO/AVC (320x240, codec private 40 B): 300 frame(s), 12 key');
      expect(text).toContain('#2 audio A_AAC (48000 Hz, 1 ch, codec private 2 B): 562 frame(s), 562 key');
      if (ffprobe) {
        // An independent decoder reads every frame of both tracks.
        const out = execFileSync(
          'ffprobe',
          ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', file],
          { encoding: 'utf8' },
        );
        expect(out.trim().split('\n')).toEqual(['h264,300', 'aac,562']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong with its arguments', async () => {
    let text = '';
    const sink = { write: (s: string) => (text += s) };
    expect(await main(['demo', '--seconds', '-1'], sink, sink)).toBe(2);
    expect(text).toMatch(/--seconds must be a positive number/);
  });
});
