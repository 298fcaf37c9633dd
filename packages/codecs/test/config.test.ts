import {
  buildAvcC,
  buildHvcC,
  H265NalType,
  hvcCNalus,
  insertEmulationPrevention,
  parseAvcC,
  parseHvcC,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, concat, hex, thrownStatus, toHex } from './helpers';
import { X264_PPS, X264_SPS_320x240, X265_PPS_1080, X265_SPS_1080, X265_VPS_1080 } from './vectors';

/** A Baseline/Main SPS (no avcC extension) of the given size. */
function simpleSps(profile: number, wMbs: number, hMbs: number): Uint8Array {
  const w = new BitWriter()
    .u(8, profile)
    .u(8, 0xe0)
    .u(8, 31)
    .ue(0)
    .ue(0)
    .ue(2)
    .ue(1)
    .flag(false)
    .ue(wMbs - 1)
    .ue(hMbs - 1);
  w.flag(true).flag(true).flag(false).flag(false).trailing();
  return concat([0x67], insertEmulationPrevention(w.bytes()));
}

/** A High 4:2:2 SPS, 10-bit luma, 9-bit chroma. */
function high422Sps(): Uint8Array {
  const w = new BitWriter().u(8, 122).u(8, 0).u(8, 40).ue(0).ue(2).ue(2).ue(1).flag(false).flag(false);
  w.ue(0).ue(2).ue(1).flag(false).ue(119).ue(67).flag(true).flag(true).flag(false).flag(false).trailing();
  return concat([0x67], insertEmulationPrevention(w.bytes()));
}

describe('avcC', () => {
  it('builds the record for x264 High (with the chroma/bit-depth extension)', () => {
    const avcC = buildAvcC([X264_SPS_320x240], [X264_PPS]);
    const sps = toHex(X264_SPS_320x240);
    expect(toHex(avcC)).toBe(`0164000dffe1${'0019'}${sps}01${'0006'}68ebe3cb22c0${'fd'}${'f8'}${'f8'}00`);
    const parsed = parseAvcC(avcC);
    expect(parsed).toMatchObject({
      profileIdc: 100,
      profileCompatibility: 0,
      levelIdc: 13,
      lengthSize: 4,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
    });
    expect(parsed.sps).toEqual([X264_SPS_320x240]);
    expect(parsed.pps).toEqual([X264_PPS]);
    expect(parsed.spsExt).toEqual([]);
  });

  it('has no extension for Baseline/Main/Extended', () => {
    for (const profile of [66, 77, 88]) {
      const sps = simpleSps(profile, 20, 15);
      const avcC = buildAvcC([sps], [X264_PPS]);
      expect(avcC.length).toBe(6 + 2 + sps.length + 1 + 2 + X264_PPS.length);
      expect(avcC[1]).toBe(profile);
      expect(avcC[2]).toBe(0xe0);
      expect(parseAvcC(avcC).chromaFormatIdc).toBeUndefined();
    }
  });

  it('writes the extension from the SPS for High 4:2:2 10-bit', () => {
    const avcC = buildAvcC([high422Sps()], [X264_PPS], [hex('6d 11 22')]);
    const p = parseAvcC(avcC);
    expect(p).toMatchObject({ profileIdc: 122, chromaFormatIdc: 2, bitDepthLuma: 10, bitDepthChroma: 9 });
    expect(p.spsExt).toEqual([hex('6d 11 22')]);
  });

  it('round-trips lists of parameter sets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 0, maxLength: 4 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 5 }),
        (extraSps, ppsBodies) => {
          const sps = [X264_SPS_320x240, ...extraSps.map((b) => concat([0x67], b))];
          const pps = ppsBodies.map((b) => concat([0x68], b));
          const p = parseAvcC(buildAvcC(sps, pps));
          expect(p.sps).toEqual(sps);
          expect(p.pps).toEqual(pps);
        },
      ),
    );
  });

  it('reports missing or wrong parameter sets', () => {
    expect(thrownStatus(() => buildAvcC([], [X264_PPS]))).toBe('STATUS_MKV_MISSING_SPS_FROM_H264_CPD');
    expect(thrownStatus(() => buildAvcC([X264_SPS_320x240], []))).toBe('STATUS_MKV_MISSING_PPS_FROM_H264_CPD');
    expect(thrownStatus(() => buildAvcC([X264_PPS], [X264_PPS]))).toBe('STATUS_MKV_INVALID_H264_H265_CPD');
    expect(thrownStatus(() => buildAvcC([X264_SPS_320x240.subarray(0, 6)], [X264_PPS]))).toBe(
      'STATUS_MKV_INVALID_H264_H265_SPS_NALU',
    );
  });

  it('rejects malformed records', () => {
    const good = buildAvcC([X264_SPS_320x240], [X264_PPS]);
    const CPD = 'STATUS_MKV_INVALID_H264_H265_CPD';
    expect(thrownStatus(() => parseAvcC(good.subarray(0, 6)))).toBe(CPD);
    expect(thrownStatus(() => parseAvcC(concat([2], good.subarray(1))))).toBe(CPD);
    expect(thrownStatus(() => parseAvcC(concat(good.subarray(0, 4), [0xfe], good.subarray(5))))).toBe(CPD);
    for (let cut = 7; cut < 6 + 2 + X264_SPS_320x240.length + 3 + X264_PPS.length; cut++) {
      expect(
        thrownStatus(() => parseAvcC(good.subarray(0, cut))),
        `cut ${cut}`,
      ).toBe(CPD);
    }
  });
});

describe('hvcC', () => {
  it('builds the record for x265 Main 1080p', () => {
    const hvcC = buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] });
    expect(toHex(hvcC.subarray(0, 23))).toBe(
      ['01', '01', '60000000', '900000000000', '78', 'f000', 'fc', 'fd', 'f8', 'f8', '0000', '0f', '03'].join(''),
    );
    const p = parseHvcC(hvcC);
    expect(p).toMatchObject({
      generalProfileSpace: 0,
      generalTierFlag: false,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalLevelIdc: 120,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      numTemporalLayers: 1,
      temporalIdNested: true,
      lengthSize: 4,
    });
    expect(p.arrays.map((a) => [a.completeness, a.nalUnitType, a.nalus.length])).toEqual([
      [false, 32, 1],
      [false, 33, 1],
      [false, 34, 1],
    ]);
    expect(hvcCNalus(p, H265NalType.SPS)).toEqual([X265_SPS_1080]);
    expect(hvcCNalus(p, H265NalType.VPS)).toEqual([X265_VPS_1080]);
    expect(hvcCNalus(p, H265NalType.PPS)).toEqual([X265_PPS_1080]);
  });

  it('sets array_completeness on request and omits empty arrays', () => {
    const hvcC = buildHvcC({ vps: [], sps: [X265_SPS_1080], pps: [X265_PPS_1080] }, { arrayCompleteness: true });
    const p = parseHvcC(hvcC);
    expect(p.arrays.map((a) => [a.completeness, a.nalUnitType])).toEqual([
      [true, 33],
      [true, 34],
    ]);
  });

  it('round-trips lists of parameter sets and SEI', () => {
    const nal = (type: number) => fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => concat([type << 1, 1], b));
    fc.assert(
      fc.property(
        fc.array(nal(32), { maxLength: 3 }),
        fc.array(nal(33), { maxLength: 2 }),
        fc.array(nal(34), { maxLength: 3 }),
        fc.array(nal(39), { maxLength: 2 }),
        (vps, moreSps, pps, sei) => {
          const sps = [X265_SPS_1080, ...moreSps];
          const p = parseHvcC(buildHvcC({ vps, sps, pps, sei }));
          expect(hvcCNalus(p, 32)).toEqual(vps);
          expect(hvcCNalus(p, 33)).toEqual(sps);
          expect(hvcCNalus(p, 34)).toEqual(pps);
          expect(hvcCNalus(p, 39)).toEqual(sei);
        },
      ),
    );
  });

  it('reports missing SPS and wrong NAL units', () => {
    expect(thrownStatus(() => buildHvcC({ vps: [X265_VPS_1080], sps: [], pps: [] }))).toBe(
      'STATUS_MKV_HEVC_SPS_NALU_MISSING',
    );
    expect(thrownStatus(() => buildHvcC({ vps: [X265_SPS_1080], sps: [X265_SPS_1080], pps: [] }))).toBe(
      'STATUS_MKV_INVALID_HEVC_FORMAT',
    );
  });

  it('rejects malformed records', () => {
    const good = buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] });
    const F = 'STATUS_MKV_INVALID_HEVC_FORMAT';
    expect(thrownStatus(() => parseHvcC(good.subarray(0, 22)))).toBe(F);
    expect(thrownStatus(() => parseHvcC(concat([0], good.subarray(1))))).toBe(F);
    for (let cut = 23; cut < good.length; cut++) {
      expect(
        thrownStatus(() => parseHvcC(good.subarray(0, cut))),
        `cut ${cut}`,
      ).toBe(F);
    }
    const wrongType = good.slice();
    wrongType[23] = 0x21; // VPS array declared as SPS
    expect(thrownStatus(() => parseHvcC(wrongType))).toBe(F);
  });
});
