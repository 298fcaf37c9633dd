// H.264 sequence and picture parameter sets (ITU-T H.264 §7.3.2.1.1, §7.3.2.2), as far as a
// muxer needs them: profile/level, chroma format and bit depths (for avcC) and the cropped
// picture size (for the MKV Video element).

import { KvsError, type StatusName } from '@kvs-ts/core';
import { BitReader } from './bit-reader';
import { removeEmulationPrevention } from './epb';
import { H264NalType } from './nal';

const SPS_STATUS: StatusName = 'STATUS_MKV_INVALID_H264_H265_SPS_NALU';

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
// 144 (the withdrawn High 4:4:4) is kept because old streams still use it, as decoders do.
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135, 144]);

/** Parsed H.264 SPS. Sizes are in pixels after cropping. */
export interface H264Sps {
  profileIdc: number;
  /** The byte after profile_idc: constraint_set0…5 flags (MSB first) and 2 reserved bits. */
  constraintFlags: number;
  levelIdc: number;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  frameMbsOnly: boolean;
  /** Coded size, before cropping. */
  codedWidth: number;
  codedHeight: number;
  /** Frame cropping offsets in pixels. */
  crop: { left: number; right: number; top: number; bottom: number };
  width: number;
  height: number;
  maxNumRefFrames: number;
  picOrderCntType: number;
  vuiParametersPresent: boolean;
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) {
      const delta = r.se();
      if (delta < -128 || delta > 127) throw new KvsError(SPS_STATUS, `delta_scale ${delta} out of range`);
      next = (last + delta + 256) % 256;
    }
    last = next === 0 ? last : next;
  }
}

function check(ok: boolean, what: string, status: StatusName = SPS_STATUS): void {
  if (!ok) throw new KvsError(status, what);
}

/**
 * Parses an H.264 SPS NAL unit (header byte included, emulation prevention still in). Throws
 * STATUS_MKV_INVALID_H264_H265_SPS_NALU for a malformed SPS, …_SPS_WIDTH/HEIGHT when the
 * cropped size is not positive.
 */
export function parseH264Sps(nalu: Uint8Array): H264Sps {
  check(nalu.length >= 4, `SPS of ${nalu.length} bytes is too short`);
  check((nalu[0] & 0x80) === 0, 'forbidden_zero_bit set in SPS header');
  check((nalu[0] & 0x1f) === H264NalType.SPS, `NAL type ${nalu[0] & 0x1f} is not an SPS`);
  const rbsp = removeEmulationPrevention(nalu, 1);
  const r = new BitReader(rbsp, SPS_STATUS);
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = r.ue();
  check(spsId <= 31, `seq_parameter_set_id ${spsId} > 31`);
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    check(chromaFormatIdc <= 3, `chroma_format_idc ${chromaFormatIdc} > 3`);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    const lumaMinus8 = r.ue();
    const chromaMinus8 = r.ue();
    check(lumaMinus8 <= 6 && chromaMinus8 <= 6, 'bit depth above 14');
    bitDepthLuma = 8 + lumaMinus8;
    bitDepthChroma = 8 + chromaMinus8;
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNumMinus4 = r.ue();
  check(log2MaxFrameNumMinus4 <= 12, `log2_max_frame_num_minus4 ${log2MaxFrameNumMinus4} > 12`);
  const picOrderCntType = r.ue();
  check(picOrderCntType <= 2, `pic_order_cnt_type ${picOrderCntType} > 2`);
  if (picOrderCntType === 0) {
    const log2MaxPocLsbMinus4 = r.ue();
    check(log2MaxPocLsbMinus4 <= 12, `log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPocLsbMinus4} > 12`);
  } else if (picOrderCntType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    check(cycle <= 255, `num_ref_frames_in_pic_order_cnt_cycle ${cycle} > 255`);
    for (let i = 0; i < cycle; i++) r.se();
  }
  const maxNumRefFrames = r.ue();
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  const cropping = r.flag();
  let cl = 0;
  let cr = 0;
  let ct = 0;
  let cb = 0;
  if (cropping) {
    cl = r.ue();
    cr = r.ue();
    ct = r.ue();
    cb = r.ue();
  }
  const vuiParametersPresent = r.flag();

  // §7.4.2.1.1: crop units depend on ChromaArrayType and field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 3 ? 1 : 2;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const codedWidth = widthMbs * 16;
  const codedHeight = heightMapUnits * 16 * (frameMbsOnly ? 1 : 2);
  crop.left = cl * cropUnitX;
  crop.right = cr * cropUnitX;
  crop.top = ct * cropUnitY;
  crop.bottom = cb * cropUnitY;
  const width = codedWidth - crop.left - crop.right;
  const height = codedHeight - crop.top - crop.bottom;
  check(width > 0 && width <= 0xffff, `cropped width ${width} invalid`, 'STATUS_MKV_INVALID_H264_H265_SPS_WIDTH');
  check(height > 0 && height <= 0xffff, `cropped height ${height} invalid`, 'STATUS_MKV_INVALID_H264_H265_SPS_HEIGHT');
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    crop,
    width,
    height,
    maxNumRefFrames,
    picOrderCntType,
    vuiParametersPresent,
  };
}

/** The identifying fields of an H.264 PPS. */
export interface H264Pps {
  ppsId: number;
  spsId: number;
}

/** Parses the ids of an H.264 PPS NAL unit (header byte included). Throws STATUS_MKV_INVALID_H264_H265_CPD. */
export function parseH264Pps(nalu: Uint8Array): H264Pps {
  const status: StatusName = 'STATUS_MKV_INVALID_H264_H265_CPD';
  check(nalu.length >= 2 && (nalu[0] & 0x1f) === H264NalType.PPS && (nalu[0] & 0x80) === 0, 'not a PPS', status);
  const r = new BitReader(removeEmulationPrevention(nalu, 1), status);
  const ppsId = r.ue();
  const spsId = r.ue();
  check(ppsId <= 255 && spsId <= 31, `PPS ids ${ppsId}/${spsId} out of range`, status);
  return { ppsId, spsId };
}
