// H.265 parameter sets (ITU-T H.265 §7.3.2.1–7.3.2.3, profile_tier_level §7.3.3), as far as a
// muxer needs them: the general profile/tier/level for hvcC, chroma format and bit depths, and
// the conformance-window-cropped picture size.

import { KvsError, type StatusName } from '@kvs-ts/core';
import { BitReader } from './bit-reader';
import { removeEmulationPrevention } from './epb';
import { H265NalType } from './nal';

const SPS_STATUS: StatusName = 'STATUS_MKV_INVALID_H264_H265_SPS_NALU';
const CPD_STATUS: StatusName = 'STATUS_MKV_INVALID_H264_H265_CPD';

/** A sub-layer's entry of profile_tier_level. */
export interface H265SubLayer {
  profilePresent: boolean;
  levelPresent: boolean;
  /** sub_layer_profile_idc, when profilePresent. */
  profileIdc?: number;
  /** sub_layer_level_idc, when levelPresent. */
  levelIdc?: number;
}

/** The general part of profile_tier_level, plus its sub-layers. */
export interface H265ProfileTierLevel {
  generalProfileSpace: number;
  generalTierFlag: boolean;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[0…31], flag 0 in the most significant bit. */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as hvcC stores them. */
  generalConstraintIndicatorFlags: Uint8Array;
  /** 30 × the level number (e.g. 93 for level 3.1). */
  generalLevelIdc: number;
  subLayers: H265SubLayer[];
}

/** Parsed H.265 SPS. Sizes are in luma samples after the conformance window. */
export interface H265Sps {
  vpsId: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  profileTierLevel: H265ProfileTierLevel;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples, before the conformance window. */
  codedWidth: number;
  codedHeight: number;
  /** Conformance window offsets in luma samples. */
  conformanceWindow: { left: number; right: number; top: number; bottom: number };
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

/** Parsed H.265 VPS header. */
export interface H265Vps {
  vpsId: number;
  maxLayersMinus1: number;
  maxSubLayersMinus1: number;
  temporalIdNesting: boolean;
  profileTierLevel: H265ProfileTierLevel;
}

/** The identifying fields of an H.265 PPS. */
export interface H265Pps {
  ppsId: number;
  spsId: number;
}

function check(ok: boolean, what: string, status: StatusName): void {
  if (!ok) throw new KvsError(status, what);
}

/** Reads profile_tier_level(1, maxNumSubLayersMinus1) (§7.3.3). */
export function readProfileTierLevel(r: BitReader, maxNumSubLayersMinus1: number): H265ProfileTierLevel {
  const generalProfileSpace = r.u(2);
  const generalTierFlag = r.flag();
  const generalProfileIdc = r.u(5);
  const generalProfileCompatibilityFlags = r.u(32);
  const generalConstraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = r.u(8);
  const generalLevelIdc = r.u(8);
  const subLayers: H265SubLayer[] = [];
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    subLayers.push({ profilePresent: r.flag(), levelPresent: r.flag() });
  }
  if (maxNumSubLayersMinus1 > 0) r.skip(2 * (8 - maxNumSubLayersMinus1)); // reserved_zero_2bits
  for (const sub of subLayers) {
    if (sub.profilePresent) {
      r.skip(3); // sub_layer_profile_space, sub_layer_tier_flag
      sub.profileIdc = r.u(5);
      r.skip(32 + 48); // compatibility and constraint flags
    }
    if (sub.levelPresent) sub.levelIdc = r.u(8);
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
    subLayers,
  };
}

function rbspOf(nalu: Uint8Array, type: number, name: string, status: StatusName): Uint8Array {
  check(nalu.length >= 3, `${name} of ${nalu.length} bytes is too short`, status);
  check((nalu[0] & 0x80) === 0, `forbidden_zero_bit set in ${name} header`, status);
  const t = (nalu[0] >> 1) & 0x3f;
  check(t === type, `NAL type ${t} is not a ${name}`, status);
  return removeEmulationPrevention(nalu, 2);
}

/**
 * Parses an H.265 SPS NAL unit (2-byte header included, emulation prevention still in). Throws
 * STATUS_MKV_INVALID_H264_H265_SPS_NALU, STATUS_MKV_INVALID_HEVC_SPS_CHROMA_FORMAT_IDC, or
 * …_SPS_WIDTH/HEIGHT when the cropped size is not positive.
 */
export function parseH265Sps(nalu: Uint8Array): H265Sps {
  const rbsp = rbspOf(nalu, H265NalType.SPS, 'SPS', SPS_STATUS);
  // nuh_layer_id > 0 SPSs of multi-layer extensions use a different syntax.
  const layerId = ((nalu[0] & 1) << 5) | (nalu[1] >> 3);
  check(layerId === 0, `SPS with nuh_layer_id ${layerId} is not supported`, SPS_STATUS);
  const r = new BitReader(rbsp, SPS_STATUS);
  const vpsId = r.u(4);
  const maxSubLayersMinus1 = r.u(3);
  check(maxSubLayersMinus1 <= 6, `sps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`, SPS_STATUS);
  const temporalIdNesting = r.flag();
  const profileTierLevel = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = r.ue();
  check(spsId <= 15, `sps_seq_parameter_set_id ${spsId} > 15`, SPS_STATUS);
  const chromaFormatIdc = r.ue();
  check(
    chromaFormatIdc <= 3,
    `chroma_format_idc ${chromaFormatIdc} > 3`,
    'STATUS_MKV_INVALID_HEVC_SPS_CHROMA_FORMAT_IDC',
  );
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const codedWidth = r.ue();
  const codedHeight = r.ue();
  let cl = 0;
  let cr = 0;
  let ct = 0;
  let cb = 0;
  if (r.flag()) {
    cl = r.ue();
    cr = r.ue();
    ct = r.ue();
    cb = r.ue();
  }
  const lumaMinus8 = r.ue();
  const chromaMinus8 = r.ue();
  check(lumaMinus8 <= 8 && chromaMinus8 <= 8, 'bit depth above 16', SPS_STATUS);
  const log2MaxPocLsbMinus4 = r.ue();
  check(log2MaxPocLsbMinus4 <= 12, `log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPocLsbMinus4} > 12`, SPS_STATUS);

  // §7.4.3.2.1: the window is in chroma units.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const conformanceWindow = {
    left: cl * subWidthC,
    right: cr * subWidthC,
    top: ct * subHeightC,
    bottom: cb * subHeightC,
  };
  const width = codedWidth - conformanceWindow.left - conformanceWindow.right;
  const height = codedHeight - conformanceWindow.top - conformanceWindow.bottom;
  check(width > 0 && width <= 0xffff, `cropped width ${width} invalid`, 'STATUS_MKV_INVALID_H264_H265_SPS_WIDTH');
  check(height > 0 && height <= 0xffff, `cropped height ${height} invalid`, 'STATUS_MKV_INVALID_H264_H265_SPS_HEIGHT');
  return {
    vpsId,
    maxSubLayersMinus1,
    temporalIdNesting,
    profileTierLevel,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    codedWidth,
    codedHeight,
    conformanceWindow,
    width,
    height,
    bitDepthLuma: 8 + lumaMinus8,
    bitDepthChroma: 8 + chromaMinus8,
  };
}

/** Parses the header of an H.265 VPS NAL unit. Throws STATUS_MKV_INVALID_H264_H265_CPD. */
export function parseH265Vps(nalu: Uint8Array): H265Vps {
  const r = new BitReader(rbspOf(nalu, H265NalType.VPS, 'VPS', CPD_STATUS), CPD_STATUS);
  const vpsId = r.u(4);
  r.skip(2); // vps_base_layer_internal_flag, vps_base_layer_available_flag
  const maxLayersMinus1 = r.u(6);
  const maxSubLayersMinus1 = r.u(3);
  check(maxSubLayersMinus1 <= 6, `vps_max_sub_layers_minus1 ${maxSubLayersMinus1} > 6`, CPD_STATUS);
  const temporalIdNesting = r.flag();
  const reserved = r.u(16);
  check(reserved === 0xffff, 'vps_reserved_0xffff_16bits is not 0xffff', CPD_STATUS);
  const profileTierLevel = readProfileTierLevel(r, maxSubLayersMinus1);
  return { vpsId, maxLayersMinus1, maxSubLayersMinus1, temporalIdNesting, profileTierLevel };
}

/** Parses the ids of an H.265 PPS NAL unit. Throws STATUS_MKV_INVALID_H264_H265_CPD. */
export function parseH265Pps(nalu: Uint8Array): H265Pps {
  const r = new BitReader(rbspOf(nalu, H265NalType.PPS, 'PPS', CPD_STATUS), CPD_STATUS);
  const ppsId = r.ue();
  const spsId = r.ue();
  check(ppsId <= 63 && spsId <= 15, `PPS ids ${ppsId}/${spsId} out of range`, CPD_STATUS);
  return { ppsId, spsId };
}
