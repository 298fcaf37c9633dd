// AVCDecoderConfigurationRecord ("avcC", ISO/IEC 14496-15 §5.3.3.1): the H.264 codec private
// data of V_MPEG4/ISO/AVC tracks.

import { KvsError, type StatusName } from '@kvs-ts/core';
import type { NaluLengthSize } from './avcc';
import { parseH264Sps } from './h264-sps';
import { H264NalType } from './nal';

const CPD_STATUS: StatusName = 'STATUS_MKV_INVALID_H264_H265_CPD';

/** The fields of an avcC record. */
export interface AvcDecoderConfig {
  /** AVCProfileIndication (= SPS profile_idc). */
  profileIdc: number;
  /** profile_compatibility (= the SPS constraint flags byte). */
  profileCompatibility: number;
  /** AVCLevelIndication (= SPS level_idc). */
  levelIdc: number;
  /** NAL length-field size of the track's AVCC frames. */
  lengthSize: NaluLengthSize;
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** Present only in records with the high-profile extension. */
  chromaFormatIdc?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  spsExt?: Uint8Array[];
}

/**
 * Whether a profile's avcC carries the chroma format / bit depth extension. ISO/IEC 14496-15
 * edition 1 listed only 100, 110, 122 and 144; later editions (and FFmpeg, GPAC) write it for
 * every profile except Baseline, Main and Extended, which covers 244 (High 4:4:4) and friends.
 */
export function avcCHasExtension(profileIdc: number): boolean {
  return profileIdc !== 66 && profileIdc !== 77 && profileIdc !== 88;
}

/**
 * Builds an avcC from SPS and PPS NAL units (header byte included), with 4-byte NAL lengths.
 * Profile, compatibility and level come from bytes 1–3 of the first SPS; the extension's chroma
 * format and bit depths from parsing it. Throws STATUS_MKV_MISSING_SPS_FROM_H264_CPD /
 * STATUS_MKV_MISSING_PPS_FROM_H264_CPD when a list is empty, SPS parse errors as they come, and
 * STATUS_MKV_INVALID_H264_H265_CPD for NAL units of the wrong type or size.
 */
export function buildAvcC(
  sps: readonly Uint8Array[],
  pps: readonly Uint8Array[],
  spsExt: readonly Uint8Array[] = [],
): Uint8Array {
  if (sps.length === 0) throw new KvsError('STATUS_MKV_MISSING_SPS_FROM_H264_CPD', 'avcC needs at least one SPS');
  if (pps.length === 0) throw new KvsError('STATUS_MKV_MISSING_PPS_FROM_H264_CPD', 'avcC needs at least one PPS');
  if (sps.length > 31 || pps.length > 255 || spsExt.length > 255) {
    throw new KvsError(CPD_STATUS, `too many parameter sets (${sps.length} SPS, ${pps.length} PPS)`);
  }
  const checkList = (list: readonly Uint8Array[], type: number, name: string) => {
    for (const n of list) {
      if (n.length === 0 || n.length > 0xffff || (n[0] & 0x1f) !== type) {
        throw new KvsError(CPD_STATUS, `${name} NAL unit of ${n.length} bytes, type ${n[0] & 0x1f}`);
      }
    }
  };
  checkList(sps, H264NalType.SPS, 'SPS');
  checkList(pps, H264NalType.PPS, 'PPS');
  checkList(spsExt, H264NalType.SPS_EXT, 'SPS extension');
  const first = parseH264Sps(sps[0]);
  const ext = avcCHasExtension(first.profileIdc);
  let size = 6 + 1;
  for (const n of sps) size += 2 + n.length;
  for (const n of pps) size += 2 + n.length;
  if (ext) {
    size += 4;
    for (const n of spsExt) size += 2 + n.length;
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = sps[0][1];
  out[2] = sps[0][2];
  out[3] = sps[0][3];
  out[4] = 0xfc | 3;
  out[5] = 0xe0 | sps.length;
  let p = 6;
  const put = (n: Uint8Array) => {
    out[p] = n.length >>> 8;
    out[p + 1] = n.length & 0xff;
    out.set(n, p + 2);
    p += 2 + n.length;
  };
  for (const n of sps) put(n);
  out[p++] = pps.length;
  for (const n of pps) put(n);
  if (ext) {
    out[p++] = 0xfc | first.chromaFormatIdc;
    out[p++] = 0xf8 | (first.bitDepthLuma - 8);
    out[p++] = 0xf8 | (first.bitDepthChroma - 8);
    out[p++] = spsExt.length;
    for (const n of spsExt) put(n);
  }
  return out;
}

/**
 * Parses an avcC record. The returned NAL units are views into `cpd`. Throws
 * STATUS_MKV_INVALID_H264_H265_CPD for a truncated or inconsistent record.
 */
export function parseAvcC(cpd: Uint8Array): AvcDecoderConfig {
  const fail = (what: string, offset?: number): never => {
    throw new KvsError(CPD_STATUS, `avcC: ${what}`, { offset });
  };
  if (cpd.length < 7) fail(`${cpd.length} bytes is too short`);
  if (cpd[0] !== 1) fail(`configurationVersion ${cpd[0]} is not 1`, 0);
  const lengthMinusOne = cpd[4] & 3;
  if (lengthMinusOne === 2) fail('lengthSizeMinusOne 2 (3-byte lengths) is not allowed', 4);
  let p = 5;
  const readList = (count: number): Uint8Array[] => {
    const list: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (p + 2 > cpd.length) fail('truncated parameter set length', p);
      const len = (cpd[p] << 8) | cpd[p + 1];
      if (len === 0 || p + 2 + len > cpd.length) fail(`parameter set of ${len} bytes does not fit`, p);
      list.push(cpd.subarray(p + 2, p + 2 + len));
      p += 2 + len;
    }
    return list;
  };
  const sps = readList(cpd[p++] & 0x1f);
  if (p >= cpd.length) fail('missing numOfPictureParameterSets', p);
  const pps = readList(cpd[p++]);
  const config: AvcDecoderConfig = {
    profileIdc: cpd[1],
    profileCompatibility: cpd[2],
    levelIdc: cpd[3],
    lengthSize: (lengthMinusOne + 1) as NaluLengthSize,
    sps,
    pps,
  };
  // Many writers omit the extension even for high profiles, so it is optional.
  if (avcCHasExtension(config.profileIdc) && p + 4 <= cpd.length) {
    config.chromaFormatIdc = cpd[p] & 3;
    config.bitDepthLuma = 8 + (cpd[p + 1] & 7);
    config.bitDepthChroma = 8 + (cpd[p + 2] & 7);
    const extCount = cpd[p + 3];
    p += 4;
    config.spsExt = readList(extCount);
  }
  for (const n of sps) if ((n[0] & 0x1f) !== H264NalType.SPS) fail(`SPS entry has NAL type ${n[0] & 0x1f}`);
  for (const n of pps) if ((n[0] & 0x1f) !== H264NalType.PPS) fail(`PPS entry has NAL type ${n[0] & 0x1f}`);
  return config;
}
