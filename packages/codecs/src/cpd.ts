// Codec private data (CPD) of H.264/H.265 tracks: Annex-B parameter sets → avcC/hvcC (PIC's
// ADAPT_ANNEXB_CPD_NALS), CPD extraction from key frames, and the picture size of a CPD.

import { KvsError, type StatusName } from '@kvs-ts/core';
import { ANNEXB_FRAME_STATUS, AnnexBReader, startsWithStartCode } from './annexb';
import { buildAvcC, parseAvcC } from './avc-config';
import { forEachAvccNalu, type NaluLengthSize } from './avcc';
import { CodecId, nalCodecOfCodecId } from './codec-ids';
import { parseH264Sps } from './h264-sps';
import { parseH265Sps } from './h265-sps';
import { type BuildHvcCOptions, buildHvcC, hvcCNalus, parseHvcC } from './hevc-config';
import { H264NalType, H265NalType, isKeyFrameNalType, type NalCodec } from './nal';

/** PIC's minimum Annex-B CPD sizes: two (H.264) or three (H.265) NAL units with their start codes. */
export const MIN_H264_ANNEXB_CPD_SIZE = 11;
/** See {@link MIN_H264_ANNEXB_CPD_SIZE}. */
export const MIN_H265_ANNEXB_CPD_SIZE = 15;

const CPD_ANNEXB_STATUS: StatusName = 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD';

/** Options for building a CPD record from NAL units. */
export interface CpdOptions extends BuildHvcCOptions {
  /**
   * H.265: also carry prefix SEI NAL units into the hvcC (as FFmpeg does with x265's info SEI).
   * Default false, as PIC: SEI stays in the frames.
   */
  includeSei?: boolean;
}

/** Parameter sets found in a run of NAL units. */
interface ParameterSets {
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
  spsExt: Uint8Array[];
  sei: Uint8Array[];
}

function addUnique(list: Uint8Array[], nalu: Uint8Array): void {
  outer: for (const have of list) {
    if (have.length !== nalu.length) continue;
    for (let i = 0; i < have.length; i++) if (have[i] !== nalu[i]) continue outer;
    return;
  }
  list.push(nalu);
}

function collect(codec: NalCodec, sets: ParameterSets, nalu: Uint8Array): void {
  if (codec === 'h264') {
    const t = nalu[0] & 0x1f;
    if (t === H264NalType.SPS) addUnique(sets.sps, nalu);
    else if (t === H264NalType.PPS) addUnique(sets.pps, nalu);
    else if (t === H264NalType.SPS_EXT) addUnique(sets.spsExt, nalu);
  } else {
    if (nalu.length < 2) return;
    const t = (nalu[0] >> 1) & 0x3f;
    if (t === H265NalType.VPS) addUnique(sets.vps, nalu);
    else if (t === H265NalType.SPS) addUnique(sets.sps, nalu);
    else if (t === H265NalType.PPS) addUnique(sets.pps, nalu);
    else if (t === H265NalType.PREFIX_SEI) addUnique(sets.sei, nalu);
  }
}

function buildRecord(codec: NalCodec, sets: ParameterSets, options: CpdOptions = {}): Uint8Array {
  if (codec === 'h264') return buildAvcC(sets.sps, sets.pps, sets.spsExt);
  if (sets.sps.length === 0)
    throw new KvsError('STATUS_MKV_HEVC_SPS_NALU_MISSING', 'no SPS in the H.265 parameter sets');
  if (sets.vps.length === 0)
    throw new KvsError('STATUS_MKV_ANNEXB_CPD_MISSING_NALUS', 'no VPS in the H.265 parameter sets');
  const sei = options.includeSei ? sets.sei : [];
  return buildHvcC({ vps: sets.vps, sps: sets.sps, pps: sets.pps, sei }, options);
}

function codecOf(codecId: string): NalCodec {
  const codec = nalCodecOfCodecId(codecId);
  if (!codec) throw new KvsError('STATUS_INVALID_ARG', `codec ${codecId} has no NAL units`);
  return codec;
}

function annexBCpdToRecord(codec: NalCodec, cpd: Uint8Array, options?: CpdOptions): Uint8Array {
  const min = codec === 'h264' ? MIN_H264_ANNEXB_CPD_SIZE : MIN_H265_ANNEXB_CPD_SIZE;
  if (cpd.length < min) {
    throw new KvsError('STATUS_MKV_MIN_ANNEX_B_CPD_SIZE', `Annex-B ${codec} CPD of ${cpd.length} bytes, need ≥ ${min}`);
  }
  const sets: ParameterSets = { vps: [], sps: [], pps: [], spsExt: [], sei: [] };
  const r = new AnnexBReader().reset(cpd, CPD_ANNEXB_STATUS);
  while (r.next()) collect(codec, sets, cpd.subarray(r.start, r.end));
  return buildRecord(codec, sets, options);
}

/**
 * Annex-B H.264 CPD (SPS and PPS with start codes; AUD, SEI and other NAL units are ignored) →
 * avcC. Duplicate parameter sets are kept once. Throws STATUS_MKV_MIN_ANNEX_B_CPD_SIZE under 11
 * bytes, STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD for bad framing,
 * STATUS_MKV_MISSING_SPS/PPS_FROM_H264_CPD, and SPS parse errors.
 */
export function annexBCpdToAvcC(cpd: Uint8Array): Uint8Array {
  return annexBCpdToRecord('h264', cpd);
}

/**
 * Annex-B H.265 CPD (VPS, SPS, PPS with start codes; prefix SEI with `includeSei`; others
 * ignored) → hvcC. Throws
 * STATUS_MKV_MIN_ANNEX_B_CPD_SIZE under 15 bytes, STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD,
 * STATUS_MKV_HEVC_SPS_NALU_MISSING, STATUS_MKV_ANNEXB_CPD_MISSING_NALUS without a VPS, and SPS
 * parse errors. A missing PPS is tolerated, as in PIC.
 */
export function annexBCpdToHvcC(cpd: Uint8Array, options?: CpdOptions): Uint8Array {
  return annexBCpdToRecord('h265', cpd, options);
}

/**
 * PIC's ADAPT_ANNEXB_CPD_NALS for a track: Annex-B CPD → avcC (V_MPEG4/ISO/AVC) or hvcC
 * (V_MPEGH/ISO/HEVC). Throws STATUS_INVALID_ARG for other codecs.
 */
export function adaptAnnexBCpd(codecId: string, cpd: Uint8Array, options?: CpdOptions): Uint8Array {
  return annexBCpdToRecord(codecOf(codecId), cpd, options);
}

/**
 * The Annex-B CPD of an Annex-B key frame, as PIC extracts it when a track has none: the bytes
 * before the first key slice (H.264 IDR; H.265 IRAP, which includes x265's CRA key frames), as a
 * view into `frame`. Throws STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA for bad framing and
 * STATUS_MKV_ANNEXB_CPD_MISSING_NALUS when there is no key slice or nothing before it.
 */
export function annexBKeyFrameCpd(codecId: string, frame: Uint8Array): Uint8Array {
  const codec = codecOf(codecId);
  const r = new AnnexBReader().reset(frame, ANNEXB_FRAME_STATUS);
  let prevEnd = 0;
  while (r.next()) {
    const b = frame[r.start];
    const type = codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f;
    if (isKeyFrameNalType(codec, type)) {
      if (prevEnd === 0) throw new KvsError('STATUS_MKV_ANNEXB_CPD_MISSING_NALUS', 'nothing precedes the key slice');
      return frame.subarray(0, prevEnd);
    }
    prevEnd = r.end;
  }
  throw new KvsError('STATUS_MKV_ANNEXB_CPD_MISSING_NALUS', 'no key slice in the frame');
}

/**
 * Whether an Annex-B frame contains a key slice (H.264 IDR; H.265 IRAP): what the KEY_FRAME flag
 * of a frame should say. Stops at the first key slice. Throws
 * STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA for bad framing.
 */
export function isAnnexBKeyFrame(codecId: string, frame: Uint8Array): boolean {
  const codec = codecOf(codecId);
  const r = new AnnexBReader().reset(frame, ANNEXB_FRAME_STATUS);
  while (r.next()) {
    const b = frame[r.start];
    if (isKeyFrameNalType(codec, codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f)) return true;
  }
  return false;
}

/** {@link isAnnexBKeyFrame} for AVCC frames. Throws STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA. */
export function isAvccKeyFrame(codecId: string, frame: Uint8Array, lengthSize: NaluLengthSize = 4): boolean {
  const codec = codecOf(codecId);
  let key = false;
  forEachAvccNalu(
    frame,
    (s) => {
      const b = frame[s];
      key = isKeyFrameNalType(codec, codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f);
      return !key;
    },
    lengthSize,
  );
  return key;
}

/**
 * avcC/hvcC from the parameter sets that precede the first key slice of an Annex-B key frame.
 * Errors as {@link annexBKeyFrameCpd}, then as {@link annexBCpdToAvcC}/{@link annexBCpdToHvcC}.
 */
export function codecPrivateFromAnnexBKeyFrame(codecId: string, frame: Uint8Array, options?: CpdOptions): Uint8Array {
  return adaptAnnexBCpd(codecId, annexBKeyFrameCpd(codecId, frame), options);
}

/**
 * avcC/hvcC from the parameter sets that precede the first key slice of an AVCC key frame.
 * Throws STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA for bad framing,
 * STATUS_MKV_ANNEXB_CPD_MISSING_NALUS without a key slice, then as {@link buildAvcC}/{@link buildHvcC}.
 */
export function codecPrivateFromAvccKeyFrame(
  codecId: string,
  frame: Uint8Array,
  lengthSize: NaluLengthSize = 4,
  options?: CpdOptions,
): Uint8Array {
  const codec = codecOf(codecId);
  const sets: ParameterSets = { vps: [], sps: [], pps: [], spsExt: [], sei: [] };
  let key = false;
  forEachAvccNalu(
    frame,
    (s, e) => {
      const b = frame[s];
      if (isKeyFrameNalType(codec, codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f)) {
        key = true;
        return false;
      }
      collect(codec, sets, frame.subarray(s, e));
      return true;
    },
    lengthSize,
  );
  if (!key) throw new KvsError('STATUS_MKV_ANNEXB_CPD_MISSING_NALUS', 'no key slice in the frame');
  return buildRecord(codec, sets, options);
}

/** Picture size in pixels. */
export interface VideoSize {
  width: number;
  height: number;
}

function firstAnnexBSps(codec: NalCodec, cpd: Uint8Array): Uint8Array | undefined {
  const r = new AnnexBReader().reset(cpd, CPD_ANNEXB_STATUS);
  while (r.next()) {
    const b = cpd[r.start];
    if (codec === 'h264' ? (b & 0x1f) === H264NalType.SPS : ((b >> 1) & 0x3f) === H265NalType.SPS) {
      return cpd.subarray(r.start, r.end);
    }
  }
  return undefined;
}

/**
 * Picture size from a track's CPD, as PIC fills the MKV Video element: from the first SPS of an
 * avcC/hvcC or Annex-B CPD (H.264, H.265), or from a BITMAPINFOHEADER (V_MS/VFW/FOURCC). Throws
 * STATUS_MKV_INVALID_H264_H265_CPD / STATUS_MKV_INVALID_HEVC_FORMAT for a bad record, the
 * missing-SPS statuses, SPS parse errors, STATUS_MKV_INVALID_BIH_CPD, or STATUS_INVALID_ARG for
 * codecs without a picture size in their CPD.
 */
export function videoSizeFromCodecPrivate(codecId: string, cpd: Uint8Array): VideoSize {
  if (codecId === CodecId.FOURCC) return videoSizeFromBih(cpd);
  const codec = codecOf(codecId);
  let sps: Uint8Array | undefined;
  if (startsWithStartCode(cpd)) sps = firstAnnexBSps(codec, cpd);
  else if (codec === 'h264') sps = parseAvcC(cpd).sps[0];
  else sps = hvcCNalus(parseHvcC(cpd), H265NalType.SPS)[0];
  if (!sps) {
    throw codec === 'h264'
      ? new KvsError('STATUS_MKV_MISSING_SPS_FROM_H264_CPD', 'no SPS in the CPD')
      : new KvsError('STATUS_MKV_HEVC_SPS_NALU_MISSING', 'no SPS in the CPD');
  }
  const parsed = codec === 'h264' ? parseH264Sps(sps) : parseH265Sps(sps);
  return { width: parsed.width, height: parsed.height };
}

/** Size of a BITMAPINFOHEADER (40 bytes, little-endian; a negative height means top-down rows). */
export function videoSizeFromBih(cpd: Uint8Array): VideoSize {
  if (cpd.length < 40) throw new KvsError('STATUS_MKV_INVALID_BIH_CPD', `BITMAPINFOHEADER of ${cpd.length} bytes`);
  const v = new DataView(cpd.buffer, cpd.byteOffset, cpd.byteLength);
  const biSize = v.getUint32(0, true);
  const width = v.getInt32(4, true);
  const height = Math.abs(v.getInt32(8, true));
  if (biSize < 40 || biSize > cpd.length || width <= 0 || width > 0xffff || height === 0 || height > 0xffff) {
    throw new KvsError('STATUS_MKV_INVALID_BIH_CPD', `BITMAPINFOHEADER size ${biSize}, ${width}×${height}`);
  }
  return { width, height };
}
