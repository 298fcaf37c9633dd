import {
  AnnexBReader,
  AnnexBToAvccConverter,
  annexBToAvcc,
  annexBToAvccCopy,
  annexBToAvccSize,
  avccToAnnexB,
  forEachAnnexBNalu,
  joinAnnexB,
  joinAvcc,
  splitAnnexB,
  splitAvcc,
  startsWithStartCode,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAnnexB, concat, framingArb, hex, naluArb, thrownStatus, toHex } from './helpers';

const INVALID = 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA';

// Strictly canonical inputs (no trailing zeros), and lenient ones with leading/trailing zero runs.
const canonicalArb = fc
  .tuple(fc.array(naluArb, { minLength: 1, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }))
  .map(([nalus, four]) => ({
    nalus,
    annexB: buildAnnexB(
      nalus,
      four.map((fourByte) => ({ fourByte, trailingZeros: 0 })),
    ),
  }));
const lenientArb = fc
  .tuple(
    fc.array(naluArb, { minLength: 1, maxLength: 12 }),
    fc.array(framingArb, { minLength: 1, maxLength: 12 }),
    fc.nat({ max: 5 }),
  )
  .map(([nalus, framings, lead]) => ({ nalus, annexB: buildAnnexB(nalus, framings, lead) }));

describe('Annex-B scanning', () => {
  it('finds NAL units after 3- and 4-byte start codes', () => {
    const src = hex('00 00 00 01 67 42 00 00 01 68 ce 00 00 01 65 88 84');
    expect(splitAnnexB(src).map(toHex)).toEqual(['6742', '68ce', '658884']);
    const seen: number[][] = [];
    expect(forEachAnnexBNalu(src, (s, e, i) => void seen.push([s, e, i]))).toBe(3);
    expect(seen).toEqual([
      [4, 6, 0],
      [9, 11, 1],
      [14, 17, 2],
    ]);
  });

  it('stops early when the callback returns false', () => {
    const src = hex('00 00 01 09 10 00 00 01 67 42 00 00 01 68');
    expect(forEachAnnexBNalu(src, (_s, _e, i) => i < 1)).toBe(2);
  });

  it('the reader reuses itself without allocating views', () => {
    const r = new AnnexBReader();
    const a = hex('00 00 01 41 9a 00 00 01 41 9b');
    r.reset(a);
    const got: string[] = [];
    while (r.next()) got.push(toHex(r.data.subarray(r.start, r.end)));
    expect(got).toEqual(['419a', '419b']);
    expect(new AnnexBReader().next()).toBe(false);
    r.reset(hex('00 00 00 01 06 05'));
    expect(r.next()).toBe(true);
    expect([r.start, r.end]).toEqual([4, 6]);
    expect(r.next()).toBe(false);
    expect(r.next()).toBe(false);
  });

  it('treats zeros before a start code or at the end as trailing_zero_8bits (dropped)', () => {
    expect(splitAnnexB(hex('00 00 00 00 00 01 65 80 00 00 00 00 00 00 01 41 80 00 00')).map(toHex)).toEqual([
      '6580',
      '4180',
    ]);
    expect(splitAnnexB(hex('00 00 01 65 80 00')).map(toHex)).toEqual(['6580']);
    expect(annexBToAvccSize(hex('00 00 01 65 80 00 00 00'))).toBe(6);
  });

  it('rejects what is not Annex-B', () => {
    const bad = [
      '', // empty
      '00 00 00', // zeros only
      '65 88 84', // no start code
      '00 01 65', // one zero is not a start code
      '00 00 02 65', // not a start code
      '00 00 01', // start code without a NAL unit
      '00 00 01 65 00 00 01', // trailing start code
      '00 00 01 00 00 01 65', // empty NAL unit
      '00 00 01 65 00 00 00 01 00 00 00 01 41', // empty NAL unit between 4-byte start codes
      '00 00 01 65 00 00 02 80', // 00 00 02 inside a NAL unit
      '00 00 01 65 00 00 00 80', // 00 00 00 inside a NAL unit
      '00 00 01 65 00 00 00 00 80', // more than 3 zeros not followed by 01
    ];
    for (const b of bad) {
      expect(
        thrownStatus(() => annexBToAvccSize(hex(b))),
        b,
      ).toBe(INVALID);
      expect(
        thrownStatus(() => splitAnnexB(hex(b))),
        b,
      ).toBe(INVALID);
    }
    expect(thrownStatus(() => splitAnnexB(hex('65'), 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD'))).toBe(
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD',
    );
  });

  it('reports the offset of the problem', () => {
    try {
      annexBToAvccSize(hex('00 00 01 65 88 00 00 02'));
      expect.unreachable();
    } catch (e) {
      expect((e as { offset: number }).offset).toBe(5);
    }
  });

  it('keeps escaped zeros (00 00 03) inside NAL units', () => {
    expect(splitAnnexB(hex('00 00 01 67 00 00 03 00 00 03 01 aa')).map(toHex)).toEqual(['6700000300000301aa']);
  });

  it('sniffs start codes', () => {
    expect(startsWithStartCode(hex('00 00 01 67'))).toBe(true);
    expect(startsWithStartCode(hex('00 00 00 01'))).toBe(true);
    expect(startsWithStartCode(hex('00 00 00 00 01'))).toBe(false);
    expect(startsWithStartCode(hex('01 64 00 1f'))).toBe(false);
    expect(startsWithStartCode(hex('00 00'))).toBe(false);
  });

  it('split recovers generated NAL units (mixed start codes, leading/trailing zeros)', () => {
    fc.assert(
      fc.property(lenientArb, ({ nalus, annexB }) => {
        expect(splitAnnexB(annexB)).toEqual(nalus);
      }),
    );
  });
});

describe('Annex-B → AVCC', () => {
  it('converts a known frame', () => {
    const src = hex('00 00 00 01 67 42 00 00 01 68 ce 00 00 01 65 88 84');
    expect(toHex(annexBToAvccCopy(src))).toBe('000000026742' + '0000000268ce' + '00000003658884');
    expect(annexBToAvccSize(src)).toBe(19);
  });

  it('equals the reference framing, for canonical and lenient inputs, at any offset', () => {
    fc.assert(
      fc.property(
        fc.oneof(canonicalArb, lenientArb),
        fc.nat({ max: 16 }),
        fc.nat({ max: 16 }),
        ({ nalus, annexB }, offset, slack) => {
          const expected = joinAvcc(nalus);
          expect(annexBToAvccSize(annexB)).toBe(expected.length);
          expect(annexBToAvccCopy(annexB)).toEqual(expected);
          const dst = new Uint8Array(offset + expected.length + slack).fill(0xee);
          expect(annexBToAvcc(annexB, dst, offset)).toBe(expected.length);
          expect(dst.subarray(offset, offset + expected.length)).toEqual(expected);
          // Nothing outside the output range is touched.
          expect(dst.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
          expect(dst.subarray(offset + expected.length).every((b) => b === 0xee)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('works on views with a byte offset into a larger buffer', () => {
    fc.assert(
      fc.property(lenientArb, fc.nat({ max: 7 }), ({ nalus, annexB }, pad) => {
        const big = new Uint8Array(pad + annexB.length + 3).fill(0x55);
        big.set(annexB, pad);
        const view = big.subarray(pad, pad + annexB.length);
        expect(annexBToAvccCopy(view)).toEqual(joinAvcc(nalus));
      }),
    );
  });

  it('round-trips Annex-B → AVCC → Annex-B → AVCC', () => {
    fc.assert(
      fc.property(fc.oneof(canonicalArb, lenientArb), ({ nalus, annexB }) => {
        const avcc = annexBToAvccCopy(annexB);
        const back = avccToAnnexB(avcc);
        expect(back).toEqual(joinAnnexB(nalus));
        expect(splitAvcc(annexBToAvccCopy(back))).toEqual(nalus);
      }),
    );
  });

  it('writes nothing when the input is invalid or the output does not fit', () => {
    const dst = new Uint8Array(64).fill(0xee);
    expect(thrownStatus(() => annexBToAvcc(hex('00 00 01 65 88 00 00 00 80'), dst, 0))).toBe(INVALID);
    expect(thrownStatus(() => annexBToAvcc(hex('00 00 01 65 88'), dst, 62))).toBe('STATUS_BUFFER_TOO_SMALL');
    expect(thrownStatus(() => annexBToAvcc(hex('00 00 01 65 88'), dst, -1))).toBe('STATUS_BUFFER_TOO_SMALL');
    expect(dst.every((b) => b === 0xee)).toBe(true);
  });

  it('the converter scans once, then writes', () => {
    const conv = new AnnexBToAvccConverter();
    expect(thrownStatus(() => conv.write(new Uint8Array(10)))).toBe('STATUS_INVALID_OPERATION');
    const src = concat([0, 0, 1, 0x65, 1, 2, 3], [0, 0, 0, 0, 0, 0, 1, 0x41, 9], [0, 0, 1, 0x41, 8]);
    expect(conv.prepare(src)).toBe(8 + 6 + 6);
    expect(conv.naluCount).toBe(3);
    const dst = new Uint8Array(23);
    expect(thrownStatus(() => conv.write(dst, 10))).toBe('STATUS_BUFFER_TOO_SMALL');
    expect(conv.write(dst, 1)).toBe(20);
    expect(toHex(dst)).toBe('00' + '0000000465010203' + '000000024109' + '000000024108' + '0000');
    expect(conv.outputSize).toBe(0);
    expect(thrownStatus(() => conv.prepare(hex('00 00 01')))).toBe(INVALID);
    expect(conv.outputSize).toBe(0);
  });

  it('handles many NAL units (bounds table growth)', () => {
    const nalus = Array.from({ length: 300 }, (_, i) => new Uint8Array([0x41, (i % 250) + 4]));
    const src = buildAnnexB(nalus, [{ fourByte: false, trailingZeros: 0 }]);
    expect(annexBToAvccCopy(src)).toEqual(joinAvcc(nalus));
    const dst = new Uint8Array(300 * 6);
    annexBToAvcc(src, dst);
    expect(dst).toEqual(joinAvcc(nalus));
  });

  it('handles a large frame with long NAL units', () => {
    const big = new Uint8Array(40_000).map((_, i) => 4 + ((i * 7919) % 250));
    const nalus = [hex('67 42 c0 1e'), hex('68 ce 3c 80'), concat([0x65], big), concat([0x65], big.subarray(1000))];
    for (const fourByte of [true, false]) {
      const src = buildAnnexB(nalus, [{ fourByte, trailingZeros: 0 }]);
      const dst = new Uint8Array(annexBToAvccSize(src) + 8);
      annexBToAvcc(src, dst, 8);
      expect(dst.subarray(8)).toEqual(joinAvcc(nalus));
    }
  });
});
