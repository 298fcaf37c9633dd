import {
  adaptAnnexBCpd,
  annexBCpdToAvcC,
  annexBCpdToHvcC,
  annexBKeyFrameCpd,
  buildAvcC,
  buildHvcC,
  CodecId,
  codecPrivateFromAnnexBKeyFrame,
  codecPrivateFromAvccKeyFrame,
  isAnnexBKeyFrame,
  isAvccKeyFrame,
  joinAnnexB,
  joinAvcc,
  MIN_H264_ANNEXB_CPD_SIZE,
  MIN_H265_ANNEXB_CPD_SIZE,
  parseHvcC,
  videoSizeFromBih,
  videoSizeFromCodecPrivate,
} from '@kvs-ts/codecs';
import { describe, expect, it } from 'vitest';
import { buildAnnexB, concat, hex, thrownStatus } from './helpers';
import { X264_PPS, X264_SPS_320x240, X264_SPS_1920x1080, X265_PPS_1080, X265_SPS_1080, X265_VPS_1080 } from './vectors';

const AUD = hex('09 f0');
const SEI = hex('06 05 02 aa bb 80');
const IDR = hex('65 88 84 00 21 ff');
const SLICE = hex('41 9a 02');
const H265_AUD = hex('46 01 50');
const H265_SEI = hex('4e 01 05 02 aa bb 80');
const H265_IDR = hex('28 01 af 1d 80');
const H265_CRA = hex('2a 01 af 1d 80');

describe('Annex-B CPD → avcC / hvcC', () => {
  it('converts SPS+PPS, tolerating leading AUD/SEI and 3-byte start codes', () => {
    const expected = buildAvcC([X264_SPS_320x240], [X264_PPS]);
    expect(annexBCpdToAvcC(joinAnnexB([X264_SPS_320x240, X264_PPS]))).toEqual(expected);
    const mixed = buildAnnexB([AUD, SEI, X264_SPS_320x240, X264_PPS], [{ fourByte: false, trailingZeros: 0 }]);
    expect(annexBCpdToAvcC(mixed)).toEqual(expected);
    expect(adaptAnnexBCpd(CodecId.H264, mixed)).toEqual(expected);
    // Repeated parameter sets are kept once.
    expect(annexBCpdToAvcC(joinAnnexB([X264_SPS_320x240, X264_PPS, X264_SPS_320x240, X264_PPS]))).toEqual(expected);
  });

  it('converts VPS+SPS+PPS to hvcC', () => {
    const cpd = buildAnnexB(
      [H265_AUD, X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_SEI],
      [{ fourByte: true, trailingZeros: 0 }],
    );
    const expected = buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] });
    expect(annexBCpdToHvcC(cpd)).toEqual(expected);
    expect(adaptAnnexBCpd(CodecId.H265, cpd)).toEqual(expected);
    // Prefix SEI only on request (FFmpeg carries x265's info SEI into hvcC; PIC does not).
    expect(annexBCpdToHvcC(cpd, { includeSei: true })).toEqual(
      buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080], sei: [H265_SEI] }),
    );
    // Without a PPS (PIC tolerates it): two arrays.
    expect(parseHvcC(annexBCpdToHvcC(joinAnnexB([X265_VPS_1080, X265_SPS_1080]))).arrays.length).toBe(2);
  });

  it('enforces PIC’s minimum sizes', () => {
    expect(MIN_H264_ANNEXB_CPD_SIZE).toBe(11);
    expect(MIN_H265_ANNEXB_CPD_SIZE).toBe(15);
    expect(thrownStatus(() => annexBCpdToAvcC(hex('00 00 01 67 42 00 00 01 68 ce')))).toBe(
      'STATUS_MKV_MIN_ANNEX_B_CPD_SIZE',
    );
    expect(thrownStatus(() => annexBCpdToHvcC(new Uint8Array(14)))).toBe('STATUS_MKV_MIN_ANNEX_B_CPD_SIZE');
  });

  it('reports missing parameter sets and bad framing', () => {
    expect(thrownStatus(() => annexBCpdToAvcC(joinAnnexB([X264_PPS, AUD, SEI])))).toBe(
      'STATUS_MKV_MISSING_SPS_FROM_H264_CPD',
    );
    expect(thrownStatus(() => annexBCpdToAvcC(joinAnnexB([X264_SPS_320x240, SEI])))).toBe(
      'STATUS_MKV_MISSING_PPS_FROM_H264_CPD',
    );
    expect(thrownStatus(() => annexBCpdToHvcC(joinAnnexB([X265_VPS_1080, X265_PPS_1080])))).toBe(
      'STATUS_MKV_HEVC_SPS_NALU_MISSING',
    );
    expect(thrownStatus(() => annexBCpdToHvcC(joinAnnexB([X265_SPS_1080, X265_PPS_1080])))).toBe(
      'STATUS_MKV_ANNEXB_CPD_MISSING_NALUS',
    );
    expect(thrownStatus(() => annexBCpdToAvcC(concat([0x01, 0x64], new Uint8Array(20))))).toBe(
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD',
    );
    expect(thrownStatus(() => adaptAnnexBCpd(CodecId.AAC, joinAnnexB([X264_SPS_320x240, X264_PPS])))).toBe(
      'STATUS_INVALID_ARG',
    );
  });
});

describe('CPD from key frames', () => {
  const h264Key = joinAnnexB([AUD, X264_SPS_1920x1080, X264_PPS, SEI, IDR, IDR]);
  const h265Key = joinAnnexB([H265_AUD, X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_SEI, H265_IDR]);

  it('takes everything before the first IDR slice of an Annex-B frame, as a view', () => {
    const cpd = annexBKeyFrameCpd(CodecId.H264, h264Key);
    expect(cpd).toEqual(joinAnnexB([AUD, X264_SPS_1920x1080, X264_PPS, SEI]));
    expect(cpd.buffer).toBe(h264Key.buffer);
    expect(codecPrivateFromAnnexBKeyFrame(CodecId.H264, h264Key)).toEqual(buildAvcC([X264_SPS_1920x1080], [X264_PPS]));
    expect(annexBKeyFrameCpd(CodecId.H265, h265Key)).toEqual(
      joinAnnexB([H265_AUD, X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_SEI]),
    );
    expect(codecPrivateFromAnnexBKeyFrame(CodecId.H265, h265Key)).toEqual(
      buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] }),
    );
  });

  it('detects key frames', () => {
    expect(isAnnexBKeyFrame(CodecId.H264, h264Key)).toBe(true);
    expect(isAnnexBKeyFrame(CodecId.H264, joinAnnexB([AUD, SLICE]))).toBe(false);
    expect(isAnnexBKeyFrame(CodecId.H265, h265Key)).toBe(true);
    expect(isAnnexBKeyFrame(CodecId.H265, joinAnnexB([H265_CRA]))).toBe(true);
    expect(isAnnexBKeyFrame(CodecId.H265, joinAnnexB([H265_AUD, hex('02 01 d0')]))).toBe(false);
    expect(isAvccKeyFrame(CodecId.H264, joinAvcc([X264_SPS_320x240, IDR]))).toBe(true);
    expect(isAvccKeyFrame(CodecId.H264, joinAvcc([SLICE]))).toBe(false);
    expect(isAvccKeyFrame(CodecId.H265, joinAvcc([H265_IDR], 2), 2)).toBe(true);
    expect(thrownStatus(() => isAnnexBKeyFrame(CodecId.H264, hex('65')))).toBe(
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
    );
  });

  it('treats H.265 CRA as a key slice (x265 open-GOP key frames)', () => {
    const cra = joinAnnexB([X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_CRA]);
    expect(annexBKeyFrameCpd(CodecId.H265, cra)).toEqual(joinAnnexB([X265_VPS_1080, X265_SPS_1080, X265_PPS_1080]));
  });

  it('works on AVCC key frames', () => {
    expect(codecPrivateFromAvccKeyFrame(CodecId.H264, joinAvcc([AUD, X264_SPS_1920x1080, X264_PPS, IDR]))).toEqual(
      buildAvcC([X264_SPS_1920x1080], [X264_PPS]),
    );
    expect(codecPrivateFromAvccKeyFrame(CodecId.H264, joinAvcc([X264_SPS_1920x1080, X264_PPS, IDR], 2), 2)).toEqual(
      buildAvcC([X264_SPS_1920x1080], [X264_PPS]),
    );
    expect(
      codecPrivateFromAvccKeyFrame(CodecId.H265, joinAvcc([X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_IDR])),
    ).toEqual(buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] }));
  });

  it('reports frames without a key slice or without anything before it', () => {
    const M = 'STATUS_MKV_ANNEXB_CPD_MISSING_NALUS';
    expect(thrownStatus(() => annexBKeyFrameCpd(CodecId.H264, joinAnnexB([X264_SPS_320x240, X264_PPS, SLICE])))).toBe(
      M,
    );
    expect(thrownStatus(() => annexBKeyFrameCpd(CodecId.H264, joinAnnexB([IDR])))).toBe(M);
    expect(thrownStatus(() => codecPrivateFromAvccKeyFrame(CodecId.H264, joinAvcc([X264_SPS_320x240, SLICE])))).toBe(M);
    expect(thrownStatus(() => codecPrivateFromAvccKeyFrame(CodecId.H264, joinAvcc([X264_PPS, IDR])))).toBe(
      'STATUS_MKV_MISSING_SPS_FROM_H264_CPD',
    );
    expect(thrownStatus(() => annexBKeyFrameCpd(CodecId.H264, hex('65 88')))).toBe(
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
    );
    expect(thrownStatus(() => codecPrivateFromAvccKeyFrame(CodecId.H264, hex('00 00 00 09 65')))).toBe(
      'STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA',
    );
  });
});

describe('videoSizeFromCodecPrivate', () => {
  it('reads avcC, hvcC and Annex-B CPDs', () => {
    expect(videoSizeFromCodecPrivate(CodecId.H264, buildAvcC([X264_SPS_1920x1080], [X264_PPS]))).toEqual({
      width: 1920,
      height: 1080,
    });
    expect(videoSizeFromCodecPrivate(CodecId.H264, joinAnnexB([AUD, X264_SPS_320x240, X264_PPS]))).toEqual({
      width: 320,
      height: 240,
    });
    const hvcC = buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] });
    expect(videoSizeFromCodecPrivate(CodecId.H265, hvcC)).toEqual({ width: 1920, height: 1080 });
    expect(videoSizeFromCodecPrivate(CodecId.H265, joinAnnexB([X265_VPS_1080, X265_SPS_1080]))).toEqual({
      width: 1920,
      height: 1080,
    });
  });

  it('reads a BITMAPINFOHEADER', () => {
    const bih = new Uint8Array(40);
    const v = new DataView(bih.buffer);
    v.setUint32(0, 40, true);
    v.setInt32(4, 640, true);
    v.setInt32(8, -480, true);
    expect(videoSizeFromCodecPrivate(CodecId.FOURCC, bih)).toEqual({ width: 640, height: 480 });
    expect(thrownStatus(() => videoSizeFromBih(bih.subarray(0, 39)))).toBe('STATUS_MKV_INVALID_BIH_CPD');
    v.setInt32(4, 0, true);
    expect(thrownStatus(() => videoSizeFromBih(bih))).toBe('STATUS_MKV_INVALID_BIH_CPD');
  });

  it('reports bad CPDs', () => {
    expect(thrownStatus(() => videoSizeFromCodecPrivate(CodecId.H264, joinAnnexB([X264_PPS])))).toBe(
      'STATUS_MKV_MISSING_SPS_FROM_H264_CPD',
    );
    expect(thrownStatus(() => videoSizeFromCodecPrivate(CodecId.H265, joinAnnexB([X265_VPS_1080])))).toBe(
      'STATUS_MKV_HEVC_SPS_NALU_MISSING',
    );
    expect(thrownStatus(() => videoSizeFromCodecPrivate(CodecId.H264, hex('01 64 00')))).toBe(
      'STATUS_MKV_INVALID_H264_H265_CPD',
    );
    expect(thrownStatus(() => videoSizeFromCodecPrivate(CodecId.H265, hex('01 64 00')))).toBe(
      'STATUS_MKV_INVALID_HEVC_FORMAT',
    );
    expect(thrownStatus(() => videoSizeFromCodecPrivate(CodecId.AAC, hex('12 10')))).toBe('STATUS_INVALID_ARG');
  });
});
