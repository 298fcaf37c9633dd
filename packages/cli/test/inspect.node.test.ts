import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InspectReport, main } from '@kvs-ts/cli';
import { testVectorsDir } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';

const vectors = await testVectorsDir();

function capture() {
  let text = '';
  return {
    stream: { write: (s: string) => (text += s) },
    get text() {
      return text;
    },
  };
}

async function run(args: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(args, out.stream, err.stream);
  return { code, out: out.text, err: err.text };
}

describe.skipIf(!vectors)(
  'kvs inspect on the AWS captures (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    it('prints the documented JSON for a GetMedia capture', async () => {
      const { code, out } = await run(['inspect', join(vectors!, 'aws-parser-library/output_get_media.mkv'), '--json']);
      expect(code).toBe(0);
      const r = JSON.parse(out) as InspectReport;
      expect(r.segments).toBe(5);
      expect(r.clusters).toBe(5);
      expect(r.tracks).toEqual([
        { number: 1, type: 'video', codecId: 'V_MPEG4/ISO/AVC', codecPrivateBytes: 54, width: 640, height: 360 },
      ]);
      expect(r.frames).toEqual({ '1': 300 });
      expect(r.keyFrames).toEqual({ '1': 5 });
      expect(r.tags).toHaveLength(60);
      expect(r.tags[7]).toEqual({
        name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER',
        value: '91343852333181432392682062607743920146159169392',
      });
      expect(r.error).toBeUndefined();
    });

    it('counts two tracks separately (vogels_330.mkv: 909 + 1425 packets per ffprobe)', async () => {
      const r = JSON.parse(
        (await run(['inspect', join(vectors!, 'aws-parser-library/vogels_330.mkv'), '--json'])).out,
      ) as InspectReport;
      expect(Object.values(r.frames).sort((a, b) => a - b)).toEqual([909, 1425]);
      expect(r.tracks.map((t) => t.type).sort()).toEqual(['audio', 'video']);
    });

    it('reports a cut capture as truncated, with what it counted, and exits 0', async () => {
      const { code, out } = await run([
        'inspect',
        join(vectors!, 'aws-parser-library/output-get-media-equal-timecode.mkv'),
        '--json',
      ]);
      expect(code).toBe(0);
      const r = JSON.parse(out) as InspectReport;
      expect(r.truncated).toBe(true);
      expect(r.error?.statusName).toBe('STATUS_UNEXPECTED_EOF');
      expect(r.frames).toEqual({ '1': 239 });
    });

    it('prints a readable summary without --json', async () => {
      const { code, out } = await run(['inspect', join(vectors!, 'aws-parser-library/output_get_media.mkv')]);
      expect(code).toBe(0);
      expect(out).toContain('5 segment(s), 5 cluster(s)');
      expect(out).toContain('#1 video V_MPEG4/ISO/AVC (640x360, codec private 54 B): 300 frame(s), 5 key');
      expect(out).toContain('AWS_KINESISVIDEO_CONTINUATION_TOKEN');
    });
  },
);

describe('kvs command line', () => {
  it('fails with exit code 1 and a status on bytes that are not MKV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvs-cli-'));
    try {
      const file = join(dir, 'junk.mkv');
      writeFileSync(file, Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x00, 0x00));
      const { code, out } = await run(['inspect', file, '--json']);
      expect(code).toBe(1);
      expect(JSON.parse(out).error.statusName).toBe('STATUS_FORMAT_ERROR');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains missing files, bad arguments and unknown commands', async () => {
    expect((await run(['inspect', '/nonexistent/x.mkv'])).code).toBe(1);
    expect((await run(['inspect'])).code).toBe(2);
    expect((await run(['inspect', 'a', '--yaml'])).code).toBe(2);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    expect((await run(['help'])).out).toMatch(/inspect \[options\] <file>/);
    expect((await run(['inspect', '--help'])).out).toContain('--json');
  });
});
