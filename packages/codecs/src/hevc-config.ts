// HEVCDecoderConfigurationRecord ("hvcC", ISO/IEC 14496-15 §8.3.3.1): the H.265 codec private
// data of V_MPEGH/ISO/HEVC tracks. 23 fixed bytes, then arrays of parameter-set NAL units.

import { KvsError, type StatusName } from '@kvs-ts/core';
import type { NaluLengthSize } from './avcc';
import { parseH265Sps } from './h265-sps';
import { H265NalType } from './nal';

const FORMAT_STATUS: StatusName = 'STATUS_MKV_INVALID_HEVC_FORMAT';

/** One NAL unit array of an hvcC. */
export interface HevcNaluArray {
  /** array_completeness: all NAL units of this type are here, none in the samples. */
  completeness: boolean;
  nalUnitType: number;
  nalus: Uint8Array[];
}

/** The fields of an hvcC record. */
export interface HevcDecoderConfig {
  generalProfileSpace: number;
  generalTierFlag: boolean;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  /** 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  minSpatialSegmentationIdc: number;
  parallelismType: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Frames per 256 s, 0 = unspecified. */
  avgFrameRate: number;
  constantFrameRate: number;
  numTemporalLayers: number;
  temporalIdNested: boolean;
  lengthSize: NaluLengthSize;
  arrays: HevcNaluArray[];
}

/** Parameter sets for {@link buildHvcC} (NAL units with their 2-byte headers). */
export interface HevcParameterSets {
  vps: readonly Uint8Array[];
  sps: readonly Uint8Array[];
  pps: readonly Uint8Array[];
  /** Declarative SEI (prefix SEI) NAL units, if any. */
  sei?: readonly Uint8Array[];
}

/** Options of {@link buildHvcC}. */
export interface BuildHvcCOptions {
  /**
   * array_completeness of every array. Default false: KVS key frames repeat their parameter
   * sets in-band (as PIC and FFmpeg's Matroska muxer write it); true suits 'hvc1' sample entries.
   */
  arrayCompleteness?: boolean;
}

/**
 * Builds an hvcC with 4-byte NAL lengths. The general profile/tier/level, chroma format, bit
 * depths, temporal layers and nesting come from the first SPS; min_spatial_segmentation_idc,
 * parallelismType and the frame rate fields are written as 0 (unknown). Arrays are VPS, SPS, PPS,
 * SEI, each only when non-empty. Throws STATUS_MKV_HEVC_SPS_NALU_MISSING without an SPS,
 * SPS parse errors as they come, STATUS_MKV_INVALID_HEVC_NALU_COUNT for more than 65535 NAL units
 * of a type, and STATUS_MKV_INVALID_HEVC_FORMAT for NAL units of the wrong type or size.
 */
export function buildHvcC(sets: HevcParameterSets, options: BuildHvcCOptions = {}): Uint8Array {
  if (sets.sps.length === 0) throw new KvsError('STATUS_MKV_HEVC_SPS_NALU_MISSING', 'hvcC needs an SPS');
  const groups: [number, readonly Uint8Array[]][] = [
    [H265NalType.VPS, sets.vps],
    [H265NalType.SPS, sets.sps],
    [H265NalType.PPS, sets.pps],
    [H265NalType.PREFIX_SEI, sets.sei ?? []],
  ];
  let size = 23;
  let arrays = 0;
  for (const [type, list] of groups) {
    if (list.length === 0) continue;
    if (list.length > 0xffff)
      throw new KvsError('STATUS_MKV_INVALID_HEVC_NALU_COUNT', `${list.length} NAL units of type ${type}`);
    arrays++;
    size += 3;
    for (const n of list) {
      if (n.length < 2 || n.length > 0xffff || ((n[0] >> 1) & 0x3f) !== type) {
        throw new KvsError(FORMAT_STATUS, `NAL unit of ${n.length} bytes in the type-${type} array`);
      }
      size += 2 + n.length;
    }
  }
  const sps = parseH265Sps(sets.sps[0]);
  const ptl = sps.profileTierLevel;
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = (ptl.generalProfileSpace << 6) | (ptl.generalTierFlag ? 0x20 : 0) | ptl.generalProfileIdc;
  const compat = ptl.generalProfileCompatibilityFlags;
  out[2] = compat >>> 24;
  out[3] = (compat >>> 16) & 0xff;
  out[4] = (compat >>> 8) & 0xff;
  out[5] = compat & 0xff;
  out.set(ptl.generalConstraintIndicatorFlags, 6);
  out[12] = ptl.generalLevelIdc;
  out[13] = 0xf0; // reserved '1111', min_spatial_segmentation_idc = 0
  out[14] = 0x00;
  out[15] = 0xfc; // reserved '111111', parallelismType = 0
  out[16] = 0xfc | sps.chromaFormatIdc;
  out[17] = 0xf8 | (sps.bitDepthLuma - 8);
  out[18] = 0xf8 | (sps.bitDepthChroma - 8);
  out[19] = 0; // avgFrameRate
  out[20] = 0;
  out[21] = ((sps.maxSubLayersMinus1 + 1) << 3) | (sps.temporalIdNesting ? 0x04 : 0) | 3;
  out[22] = arrays;
  const complete = options.arrayCompleteness ? 0x80 : 0;
  let p = 23;
  for (const [type, list] of groups) {
    if (list.length === 0) continue;
    out[p] = complete | type;
    out[p + 1] = list.length >>> 8;
    out[p + 2] = list.length & 0xff;
    p += 3;
    for (const n of list) {
      out[p] = n.length >>> 8;
      out[p + 1] = n.length & 0xff;
      out.set(n, p + 2);
      p += 2 + n.length;
    }
  }
  return out;
}

/**
 * Parses an hvcC record. NAL units are views into `cpd`. Throws STATUS_MKV_INVALID_HEVC_FORMAT
 * for a truncated or inconsistent record.
 */
export function parseHvcC(cpd: Uint8Array): HevcDecoderConfig {
  const fail = (what: string, offset?: number): never => {
    throw new KvsError(FORMAT_STATUS, `hvcC: ${what}`, { offset });
  };
  if (cpd.length < 23) fail(`${cpd.length} bytes is too short`);
  if (cpd[0] !== 1) fail(`configurationVersion ${cpd[0]} is not 1`, 0);
  const lengthMinusOne = cpd[21] & 3;
  if (lengthMinusOne === 2) fail('lengthSizeMinusOne 2 (3-byte lengths) is not allowed', 21);
  const arrays: HevcNaluArray[] = [];
  let p = 23;
  const count = cpd[22];
  for (let a = 0; a < count; a++) {
    if (p + 3 > cpd.length) fail('truncated NAL unit array header', p);
    const completeness = (cpd[p] & 0x80) !== 0;
    const nalUnitType = cpd[p] & 0x3f;
    const numNalus = (cpd[p + 1] << 8) | cpd[p + 2];
    p += 3;
    const nalus: Uint8Array[] = [];
    for (let i = 0; i < numNalus; i++) {
      if (p + 2 > cpd.length) fail('truncated NAL unit length', p);
      const len = (cpd[p] << 8) | cpd[p + 1];
      if (len < 2 || p + 2 + len > cpd.length) fail(`NAL unit of ${len} bytes does not fit`, p);
      const nalu = cpd.subarray(p + 2, p + 2 + len);
      if (((nalu[0] >> 1) & 0x3f) !== nalUnitType)
        fail(`NAL unit of type ${(nalu[0] >> 1) & 0x3f} in a type-${nalUnitType} array`, p);
      nalus.push(nalu);
      p += 2 + len;
    }
    arrays.push({ completeness, nalUnitType, nalus });
  }
  return {
    generalProfileSpace: cpd[1] >> 6,
    generalTierFlag: (cpd[1] & 0x20) !== 0,
    generalProfileIdc: cpd[1] & 0x1f,
    generalProfileCompatibilityFlags: ((cpd[2] << 24) | (cpd[3] << 16) | (cpd[4] << 8) | cpd[5]) >>> 0,
    generalConstraintIndicatorFlags: cpd.slice(6, 12),
    generalLevelIdc: cpd[12],
    minSpatialSegmentationIdc: ((cpd[13] & 0x0f) << 8) | cpd[14],
    parallelismType: cpd[15] & 3,
    chromaFormatIdc: cpd[16] & 3,
    bitDepthLuma: 8 + (cpd[17] & 7),
    bitDepthChroma: 8 + (cpd[18] & 7),
    avgFrameRate: (cpd[19] << 8) | cpd[20],
    constantFrameRate: cpd[21] >> 6,
    numTemporalLayers: (cpd[21] >> 3) & 7,
    temporalIdNested: (cpd[21] & 4) !== 0,
    lengthSize: (lengthMinusOne + 1) as NaluLengthSize,
    arrays,
  };
}

/** All NAL units of one type in a parsed hvcC, in array order. */
export function hvcCNalus(config: HevcDecoderConfig, nalUnitType: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of config.arrays) if (a.nalUnitType === nalUnitType) out.push(...a.nalus);
  return out;
}
