// NAL unit header helpers. H.264 has a 1-byte header (type in the low 5 bits), H.265 a 2-byte
// header (type in bits 1–6 of the first byte).

/** H.264 `nal_unit_type` values (ITU-T H.264 Table 7-1) that kvs-ts cares about. */
export const H264NalType = {
  SLICE: 1,
  SLICE_DPA: 2,
  SLICE_DPB: 3,
  SLICE_DPC: 4,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
  SPS_EXT: 13,
  PREFIX: 14,
  SUBSET_SPS: 15,
} as const;

/** H.265 `nal_unit_type` values (ITU-T H.265 Table 7-1) that kvs-ts cares about. */
export const H265NalType = {
  TRAIL_N: 0,
  TRAIL_R: 1,
  BLA_W_LP: 16,
  BLA_W_RADL: 17,
  BLA_N_LP: 18,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA_NUT: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
} as const;

/** The two video codecs with NAL units. */
export type NalCodec = 'h264' | 'h265';

/** H.264 `nal_unit_type` of a NAL unit's first byte. */
export function h264NalType(firstByte: number): number {
  return firstByte & 0x1f;
}

/** H.265 `nal_unit_type` of a NAL unit's first byte. */
export function h265NalType(firstByte: number): number {
  return (firstByte >> 1) & 0x3f;
}

/** `nal_unit_type` of a NAL unit's first byte for either codec. */
export function nalType(codec: NalCodec, firstByte: number): number {
  return codec === 'h264' ? firstByte & 0x1f : (firstByte >> 1) & 0x3f;
}

/** Whether an H.264 NAL type is an IDR slice. */
export function isH264IdrType(type: number): boolean {
  return type === H264NalType.IDR;
}

/** Whether an H.265 NAL type is an IDR slice (IDR_W_RADL or IDR_N_LP). */
export function isH265IdrType(type: number): boolean {
  return type === H265NalType.IDR_W_RADL || type === H265NalType.IDR_N_LP;
}

/**
 * Whether an H.265 NAL type is an IRAP picture (BLA, IDR, CRA, or reserved IRAP 22–23): every
 * picture a decoder may start at, which for x265's open-GOP streams includes CRA.
 */
export function isH265IrapType(type: number): boolean {
  return type >= 16 && type <= 23;
}

/**
 * Whether a NAL type starts a random-access picture: H.264 IDR (5); H.265 IRAP (16–23). The
 * KEY_FRAME flag of a frame should match this.
 */
export function isKeyFrameNalType(codec: NalCodec, type: number): boolean {
  return codec === 'h264' ? type === H264NalType.IDR : type >= 16 && type <= 23;
}

/** Whether a NAL type is a parameter set: H.264 SPS/PPS/SPS extension; H.265 VPS/SPS/PPS. */
export function isParameterSetNalType(codec: NalCodec, type: number): boolean {
  return codec === 'h264'
    ? type === H264NalType.SPS || type === H264NalType.PPS || type === H264NalType.SPS_EXT
    : type === H265NalType.VPS || type === H265NalType.SPS || type === H265NalType.PPS;
}

/** Whether a NAL type carries a coded slice (VCL NAL unit). */
export function isVclNalType(codec: NalCodec, type: number): boolean {
  return codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
}
