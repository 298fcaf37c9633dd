/**
 * @module @kvs-ts/codecs
 * What a KVS producer needs to know about its codecs: H.264/H.265 Annex-B and AVCC framing (the
 * Annex-B → AVCC converter is the MKV writer's hot path), parameter-set parsing, avcC/hvcC codec
 * private data, AAC AudioSpecificConfig and ADTS, G.711 WAVEFORMATEX, and Matroska codec IDs.
 * Every bad input throws a KvsError with the PIC status AWS's C producer would report.
 */

export type { AdtsHeader, AudioSpecificConfig, AudioSpecificConfigInit } from './aac';
export {
  AAC_SAMPLING_FREQUENCIES,
  AacObjectType,
  aacChannelCount,
  adtsToAudioSpecificConfig,
  buildAudioSpecificConfig,
  forEachAdtsFrame,
  parseAdtsHeader,
  parseAudioSpecificConfig,
} from './aac';
export {
  ANNEXB_FRAME_STATUS,
  AnnexBReader,
  forEachAnnexBNalu,
  joinAnnexB,
  splitAnnexB,
  startsWithStartCode,
} from './annexb';
export { AnnexBToAvccConverter, annexBToAvcc, annexBToAvccCopy, annexBToAvccSize } from './annexb-to-avcc';
export type { AvcDecoderConfig } from './avc-config';
export { avcCHasExtension, buildAvcC, parseAvcC } from './avc-config';
export type { NaluLengthSize } from './avcc';
export {
  AVCC_FRAME_STATUS,
  avccToAnnexB,
  avccToAnnexBInPlace,
  forEachAvccNalu,
  isValidAvcc,
  joinAvcc,
  splitAvcc,
  validateAvcc,
} from './avcc';
export { BitReader } from './bit-reader';
export { CodecId, ContentType, nalCodecOfCodecId } from './codec-ids';
export type { CpdOptions, VideoSize } from './cpd';
export {
  adaptAnnexBCpd,
  annexBCpdToAvcC,
  annexBCpdToHvcC,
  annexBKeyFrameCpd,
  codecPrivateFromAnnexBKeyFrame,
  codecPrivateFromAvccKeyFrame,
  isAnnexBKeyFrame,
  isAvccKeyFrame,
  MIN_H264_ANNEXB_CPD_SIZE,
  MIN_H265_ANNEXB_CPD_SIZE,
  videoSizeFromBih,
  videoSizeFromCodecPrivate,
} from './cpd';
export { hasEmulationPrevention, insertEmulationPrevention, removeEmulationPrevention } from './epb';
export type { H264Pps, H264Sps } from './h264-sps';
export { parseH264Pps, parseH264Sps } from './h264-sps';
export type { H265Pps, H265ProfileTierLevel, H265Sps, H265SubLayer, H265Vps } from './h265-sps';
export { parseH265Pps, parseH265Sps, parseH265Vps, readProfileTierLevel } from './h265-sps';
export type { BuildHvcCOptions, HevcDecoderConfig, HevcNaluArray, HevcParameterSets } from './hevc-config';
export { buildHvcC, hvcCNalus, parseHvcC } from './hevc-config';
export type { NalCodec } from './nal';
export {
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  isH264IdrType,
  isH265IdrType,
  isH265IrapType,
  isKeyFrameNalType,
  isParameterSetNalType,
  isVclNalType,
  nalType,
} from './nal';
export type { WaveFormatEx } from './waveformatex';
export {
  buildG711WaveFormatEx,
  MAX_PCM_SAMPLING_RATE,
  MIN_PCM_SAMPLING_RATE,
  parseWaveFormatEx,
  WAVEFORMATEX_SIZE,
  WaveFormatTag,
} from './waveformatex';
