import {
  avccToAnnexB,
  avccToAnnexBInPlace,
  CodecId,
  forEachAvccNalu,
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  isH264IdrType,
  isH265IdrType,
  isH265IrapType,
  isKeyFrameNalType,
  isParameterSetNalType,
  isValidAvcc,
  isVclNalType,
  joinAnnexB,
  joinAvcc,
  nalCodecOfCodecId,
  nalType,
  splitAnnexB,
  splitAvcc,
  validateAvcc,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, naluArb, thrownStatus, toHex } from './helpers';

const INVALID = 'STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA';

describe('AVCC framing', () => {
  it('walks length-prefixed NAL units', () => {
    const src = hex('00000002 6742 00000001 68 00000003 658884');
    expect(splitAvcc(src).map(toHex)).toEqual(['6742', '68', '658884']);
    expect(validateAvcc(src)).toBe(3);
    expect(isValidAvcc(src)).toBe(true);
    expect(forEachAvccNalu(src, (_s, _e, i) => i < 1)).toBe(2);
  });

  it('supports 1- and 2-byte length fields', () => {
    expect(splitAvcc(hex('0002 6742 0001 68'), 2).map(toHex)).toEqual(['6742', '68']);
    expect(splitAvcc(hex('02 6742 01 68'), 1).map(toHex)).toEqual(['6742', '68']);
    expect(toHex(avccToAnnexB(hex('02 6742 01 68'), 1))).toBe('000000016742' + '0000000168');
    expect(thrownStatus(() => validateAvcc(hex('00'), 3 as 4))).toBe('STATUS_INVALID_ARG');
  });

  it('rejects bad framing', () => {
    for (const b of ['', '00', '000000', '00000000', '00000005 6742', '00000001 67 000000', '00000001 67 00000000']) {
      expect(
        thrownStatus(() => validateAvcc(hex(b))),
        b,
      ).toBe(INVALID);
      expect(isValidAvcc(hex(b)), b).toBe(false);
      expect(
        thrownStatus(() => avccToAnnexB(hex(b))),
        b,
      ).toBe(INVALID);
    }
    // A length ≥ 2^31 must not turn negative.
    expect(thrownStatus(() => validateAvcc(hex('ffffffff 00')))).toBe(INVALID);
  });

  it('converts to Annex-B in place, leaving bad input untouched', () => {
    const buf = hex('00000002 6742 00000001 68');
    avccToAnnexBInPlace(buf);
    expect(toHex(buf)).toBe('000000016742' + '0000000168');
    const bad = hex('00000002 6742 00000009 68');
    const copy = bad.slice();
    expect(thrownStatus(() => avccToAnnexBInPlace(bad))).toBe(INVALID);
    expect(bad).toEqual(copy);
  });

  it('round-trips NAL lists through AVCC (all length sizes) and Annex-B', () => {
    fc.assert(
      fc.property(
        fc.array(naluArb, { minLength: 1, maxLength: 10 }),
        fc.constantFrom(1 as const, 2 as const, 4 as const),
        (nalus, size) => {
          const avcc = joinAvcc(nalus, size);
          expect(isValidAvcc(avcc, size)).toBe(true);
          expect(splitAvcc(avcc, size)).toEqual(nalus);
          const annexB = avccToAnnexB(avcc, size);
          expect(annexB).toEqual(joinAnnexB(nalus));
          expect(splitAnnexB(annexB)).toEqual(nalus);
        },
      ),
    );
  });

  it('refuses NAL units its length size cannot frame', () => {
    expect(thrownStatus(() => joinAvcc([new Uint8Array(256)], 1))).toBe(INVALID);
    expect(thrownStatus(() => joinAvcc([new Uint8Array(0)]))).toBe(INVALID);
  });
});

describe('NAL types', () => {
  it('reads H.264 and H.265 types', () => {
    expect(h264NalType(0x65)).toBe(H264NalType.IDR);
    expect(h264NalType(0x67)).toBe(H264NalType.SPS);
    expect(h265NalType(0x40)).toBe(H265NalType.VPS);
    expect(h265NalType(0x42)).toBe(H265NalType.SPS);
    expect(h265NalType(0x26)).toBe(H265NalType.IDR_W_RADL);
    expect(nalType('h264', 0x68)).toBe(8);
    expect(nalType('h265', 0x44)).toBe(34);
  });

  it('classifies key, parameter-set and VCL types', () => {
    expect(isH264IdrType(5)).toBe(true);
    expect(isH264IdrType(1)).toBe(false);
    expect(isH265IdrType(19) && isH265IdrType(20)).toBe(true);
    expect(isH265IdrType(21)).toBe(false);
    expect([15, 16, 21, 23, 24].map(isH265IrapType)).toEqual([false, true, true, true, false]);
    expect(isKeyFrameNalType('h264', 5)).toBe(true);
    expect(isKeyFrameNalType('h265', 21)).toBe(true);
    expect(isKeyFrameNalType('h265', 1)).toBe(false);
    expect([7, 8, 13, 6].map((t) => isParameterSetNalType('h264', t))).toEqual([true, true, true, false]);
    expect([32, 33, 34, 39].map((t) => isParameterSetNalType('h265', t))).toEqual([true, true, true, false]);
    expect([1, 5, 6].map((t) => isVclNalType('h264', t))).toEqual([true, true, false]);
    expect([0, 31, 32].map((t) => isVclNalType('h265', t))).toEqual([true, true, false]);
  });

  it('maps codec IDs', () => {
    expect(nalCodecOfCodecId(CodecId.H264)).toBe('h264');
    expect(nalCodecOfCodecId('V_MPEGH/ISO/HEVC')).toBe('h265');
    expect(nalCodecOfCodecId(CodecId.AAC)).toBeUndefined();
  });
});
