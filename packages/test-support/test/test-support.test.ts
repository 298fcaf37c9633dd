import {
  listRepoVectors,
  listTestVectors,
  readRepoVector,
  readTestVector,
  testVectorsAvailable,
} from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';

const available = await testVectorsAvailable();

describe.skipIf(!available)('shared AWS test vectors (absent: set KVS_TEST_VECTORS or place ../shared)', () => {
  it('lists the parser-library captures', async () => {
    const names = await listTestVectors('aws-parser-library');
    expect(names).toContain('clusters.mkv');
  });

  it('reads a capture byte-exactly as a plain Uint8Array starting with the EBML magic', async () => {
    const bytes = await readTestVector('aws-parser-library/clusters.mkv');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(Array.from(bytes!.subarray(0, 4))).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
  });

  it('rejects a missing file instead of reporting absence', async () => {
    await expect(readTestVector('aws-parser-library/no-such-file.mkv')).rejects.toThrow(/not found/);
  });
});

describe('names', () => {
  it('refuses names that escape the directory', async () => {
    await expect(readTestVector('../etc/passwd')).rejects.toThrow(/relative/);
    await expect(readTestVector('/etc/passwd')).rejects.toThrow(/relative/);
  });
});

describe('repository test-vectors/', () => {
  it('lists the committed sample', async () => {
    expect(await listRepoVectors()).toContain('h264-baseline-320x240-25fps.h264');
  });

  it('has frame indexes whose ranges tile each elementary stream', async () => {
    for (const name of ['h264-baseline-320x240-25fps.h264', 'aac-lc-48khz-mono.aac']) {
      const bytes = await readRepoVector(name);
      const index = JSON.parse(new TextDecoder().decode(await readRepoVector(`${name}.json`))) as {
        frames: { offset: number; size: number; key: boolean }[];
      };
      let end = 0;
      for (const f of index.frames) {
        expect(f.offset).toBe(end);
        end = f.offset + f.size;
      }
      expect(end).toBe(bytes.length);
    }
  });
});
