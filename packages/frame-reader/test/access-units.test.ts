// Access units out of Annex-B elementary streams: ffmpeg's own frame index of the repository's
// test vectors (test-vectors/make.sh) is the reference, under every way of chunking the bytes.
import { readRepoVector } from '@kvs-ts/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccessUnit, AccessUnitSplitter } from '../src/access-units';

interface IndexEntry {
  offset: number;
  size: number;
  key: boolean;
}

const decoder = new TextDecoder();
async function vector(name: string): Promise<{ bytes: Uint8Array; frames: IndexEntry[] }> {
  const bytes = await readRepoVector(name);
  const index = JSON.parse(decoder.decode(await readRepoVector(`${name}.json`))) as { frames: IndexEntry[] };
  return { bytes, frames: index.frames };
}

const baseline = await vector('h264-baseline-320x240-25fps.h264');
const bframes = await vector('h264-main-bframes-320x240-25fps.h264');

/** Splits `bytes` pushed in chunks cut at `cuts` (sorted offsets). */
function split(codec: 'h264' | 'h265', bytes: Uint8Array, cuts: number[] = []): AccessUnit[] {
  const s = new AccessUnitSplitter(codec);
  const out: AccessUnit[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.subarray(from, cut)));
    from = cut;
  }
  const last = s.end();
  if (last) out.push(last);
  return out;
}

function expectIndex(units: AccessUnit[], v: { bytes: Uint8Array; frames: IndexEntry[] }): void {
  expect(units.length).toBe(v.frames.length);
  units.forEach((u, i) => {
    const f = v.frames[i];
    expect({ i, key: u.key }).toEqual({ i, key: f.key });
    expect(u.data).toEqual(v.bytes.subarray(f.offset, f.offset + f.size));
  });
}

describe('Annex-B access units', () => {
  it('match ffmpeg’s frame index of an H.264 Baseline stream (SPS/PPS before each IDR)', () => {
    expectIndex(split('h264', baseline.bytes), baseline);
  });

  it('match ffmpeg’s frame index of an H.264 Main stream with B-frames', () => {
    expectIndex(split('h264', bframes.bytes), bframes);
  });

  it('do not depend on how the bytes are chunked', () => {
    const whole = split('h264', bframes.bytes);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bframes.bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
        const units = split(
          'h264',
          bframes.bytes,
          cuts.sort((a, b) => a - b),
        );
        expect(units.map((u) => u.data.length)).toEqual(whole.map((u) => u.data.length));
        expect(units.map((u) => u.key)).toEqual(whole.map((u) => u.key));
      }),
      { numRuns: 60 },
    );
  });

  it('survive one-byte chunks', () => {
    const cuts = Array.from({ length: bframes.bytes.length - 1 }, (_, i) => i + 1);
    expectIndex(split('h264', bframes.bytes, cuts), bframes);
  });

  // H.265 by hand: NAL headers are two bytes; a VCL NAL's third byte starts with
  // first_slice_segment_in_pic_flag.
  const sc = [0, 0, 0, 1];
  const h265 = (type: number, ...payload: number[]) => [...sc, type << 1, 1, ...payload];
  it('group H.265 NAL units into pictures (parameter sets, SEI, slices of one picture)', () => {
    const bytes = new Uint8Array([
      ...h265(35, 0x50), // AUD
      ...h265(32, 0x11), // VPS
      ...h265(33, 0x22), // SPS
      ...h265(34, 0x33), // PPS
      ...h265(39, 0x44), // prefix SEI
      ...h265(19, 0x80, 0xaa), // IDR_W_RADL, first slice
      ...h265(19, 0x00, 0xbb), // a second slice of the same picture
      ...h265(1, 0x80, 0xcc), // TRAIL_R, first slice: a new picture
      ...h265(40, 0x55), // suffix SEI stays with it
      ...h265(21, 0x80, 0xdd), // CRA: an IRAP picture, a key frame
      ...h265(0, 0x80, 0xee), // TRAIL_N
    ]);
    const units = split('h265', bytes);
    expect(units.map((u) => [u.data.length, u.key])).toEqual([
      [5 * 7 + 2 * 8, true],
      [8 + 7, false],
      [8, true],
      [8, false],
    ]);
    // Every byte lands in exactly one unit, in order.
    let at = 0;
    for (const u of units) {
      expect(u.data).toEqual(bytes.subarray(at, at + u.data.length));
      at += u.data.length;
    }
    expect(at).toBe(bytes.length);
  });

  it('drop bytes before the first start code and report them', () => {
    const s = new AccessUnitSplitter('h264');
    const units = s.push(new Uint8Array([9, 9, 9, 0, 0, 1, 0x65, 0x88, 0x80, 1, 2, 3]));
    const last = s.end();
    expect(units).toEqual([]);
    expect(last?.key).toBe(true);
    expect(last?.data).toEqual(new Uint8Array([0, 0, 1, 0x65, 0x88, 0x80, 1, 2, 3]));
    expect(s.leadingBytes).toBe(3);
  });

  it('give nothing for input without a picture', () => {
    const s = new AccessUnitSplitter('h264');
    s.push(new Uint8Array([0, 0, 0, 1, 0x67, 1, 2, 3, 0, 0, 0, 1, 0x68, 4]));
    expect(s.end()).toBeUndefined();
  });
});
