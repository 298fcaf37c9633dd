// AAC: AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), the CodecPrivate of A_AAC tracks, and
// ADTS headers (§1.A.2), the framing most encoders emit, from which the config can be derived.

import { KvsError, type StatusName } from '@kvs-ts/core';
import { BitReader } from './bit-reader';

const ASC_STATUS: StatusName = 'STATUS_MKV_INVALID_AAC_CPD';
const FREQ_STATUS: StatusName = 'STATUS_MKV_INVALID_AAC_CPD_SAMPLING_FREQUENCY_INDEX';
const CHANNEL_STATUS: StatusName = 'STATUS_MKV_INVALID_AAC_CPD_CHANNEL_CONFIG';

/** samplingFrequencyIndex → Hz (indices 13 and 14 are reserved, 15 means "explicit"). */
export const AAC_SAMPLING_FREQUENCIES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** Common audio object types. */
export const AacObjectType = {
  AAC_MAIN: 1,
  AAC_LC: 2,
  AAC_SSR: 3,
  AAC_LTP: 4,
  SBR: 5,
  AAC_SCALABLE: 6,
  ER_AAC_LC: 17,
  ER_AAC_LD: 23,
  PS: 29,
  ER_AAC_ELD: 39,
  USAC: 42,
} as const;

/** Channel count of a channelConfiguration (0 = defined in the program config element). */
export function aacChannelCount(channelConfiguration: number): number {
  switch (channelConfiguration) {
    case 7:
    case 12:
    case 14:
      return 8;
    case 11:
      return 7;
    case 13:
      return 24;
    default:
      return channelConfiguration <= 6 ? channelConfiguration : 0;
  }
}

function isValidChannelConfiguration(c: number): boolean {
  return Number.isInteger(c) && ((c >= 0 && c <= 7) || (c >= 11 && c <= 14));
}

/** Fields of an AudioSpecificConfig. */
export interface AudioSpecificConfig {
  /** audioObjectType (1–30, 32–95: escape 31 already resolved). For HE-AAC, 5 (SBR) or 29 (PS). */
  objectType: number;
  /** 0–12, or 15 when the frequency is explicit. */
  samplingFrequencyIndex: number;
  samplingFrequency: number;
  channelConfiguration: number;
  /** Channel count derived from channelConfiguration (0 when the PCE defines it). */
  channels: number;
  /** For SBR/PS (objectType 5/29): the output sampling frequency of the SBR extension. */
  extensionSamplingFrequency?: number;
  /** For SBR/PS: the core audio object type. */
  coreObjectType?: number;
}

/** Input of {@link buildAudioSpecificConfig}. */
export interface AudioSpecificConfigInit {
  /** 1–30 or 32–95, e.g. 2 for AAC-LC. */
  objectType: number;
  /** Hz; written as an index when it is in {@link AAC_SAMPLING_FREQUENCIES}, else explicitly (index 15). */
  samplingFrequency: number;
  /** 0–7 or 11–14 (1–6 = that many channels, 7 = 7.1). */
  channelConfiguration: number;
  /** For SBR/PS (objectType 5/29): output frequency of the SBR extension; default 2 × samplingFrequency. */
  extensionSamplingFrequency?: number;
  /** For SBR/PS: the core object type; default 2 (AAC-LC). */
  coreObjectType?: number;
}

/**
 * Builds an AudioSpecificConfig (2 bytes for common configs; longer with an escaped object type,
 * an explicit frequency or the SBR/PS extension fields), with a zeroed GASpecificConfig (frameLengthFlag, dependsOnCoreCoder,
 * extensionFlag) as PIC writes. Throws STATUS_MKV_INVALID_AAC_CPD for a bad object type,
 * …_SAMPLING_FREQUENCY_INDEX for a frequency outside 1…2^24−1, …_CHANNEL_CONFIG for a reserved
 * channel configuration.
 */
export function buildAudioSpecificConfig(init: AudioSpecificConfigInit): Uint8Array {
  const { objectType, samplingFrequency, channelConfiguration } = init;
  // 31 is the escape value itself, not a type.
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 95 || objectType === 31) {
    throw new KvsError(ASC_STATUS, `audio object type ${objectType} not in 1…30, 32…95`);
  }
  if (!Number.isInteger(samplingFrequency) || samplingFrequency < 1 || samplingFrequency > 0xffffff) {
    throw new KvsError(FREQ_STATUS, `sampling frequency ${samplingFrequency} cannot be coded`);
  }
  if (!isValidChannelConfiguration(channelConfiguration)) {
    throw new KvsError(CHANNEL_STATUS, `channel configuration ${channelConfiguration} is reserved`);
  }
  // Bit fields, most significant first: [value, width].
  const fields: [number, number][] = [];
  pushObjectType(fields, objectType);
  pushFrequency(fields, samplingFrequency);
  fields.push([channelConfiguration, 4]);
  if (objectType === AacObjectType.SBR || objectType === AacObjectType.PS) {
    const ext = init.extensionSamplingFrequency ?? 2 * samplingFrequency;
    const core = init.coreObjectType ?? AacObjectType.AAC_LC;
    if (!Number.isInteger(ext) || ext < 1 || ext > 0xffffff) {
      throw new KvsError(FREQ_STATUS, `extension sampling frequency ${ext} cannot be coded`);
    }
    if (!Number.isInteger(core) || core < 1 || core > 95 || core === 31) {
      throw new KvsError(ASC_STATUS, `core audio object type ${core} not in 1…30, 32…95`);
    }
    pushFrequency(fields, ext);
    pushObjectType(fields, core);
  }
  fields.push([0, 3]);
  let bits = 0;
  for (const [, w] of fields) bits += w;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let pos = 0;
  for (const [value, width] of fields) {
    for (let b = width - 1; b >= 0; b--) {
      if (Math.floor(value / 2 ** b) & 1) out[pos >>> 3] |= 0x80 >>> (pos & 7);
      pos++;
    }
  }
  return out;
}

function pushObjectType(fields: [number, number][], objectType: number): void {
  if (objectType >= 31) fields.push([31, 5], [objectType - 32, 6]);
  else fields.push([objectType, 5]);
}

function pushFrequency(fields: [number, number][], hz: number): void {
  const index = AAC_SAMPLING_FREQUENCIES.indexOf(hz);
  if (index >= 0) fields.push([index, 4]);
  else fields.push([15, 4], [hz, 24]);
}

function readObjectType(r: BitReader): number {
  const t = r.u(5);
  return t === 31 ? 32 + r.u(6) : t;
}

function readFrequency(r: BitReader): { index: number; hz: number } {
  const index = r.u(4);
  if (index === 15) {
    const hz = r.u(24);
    if (hz === 0) throw new KvsError(FREQ_STATUS, 'explicit sampling frequency 0');
    return { index, hz };
  }
  if (index >= AAC_SAMPLING_FREQUENCIES.length) {
    throw new KvsError(FREQ_STATUS, `sampling frequency index ${index} is reserved`);
  }
  return { index, hz: AAC_SAMPLING_FREQUENCIES[index] };
}

/**
 * Parses an AudioSpecificConfig up to the channel configuration (and, for SBR/PS, the extension
 * frequency and core object type). Throws STATUS_MKV_INVALID_AAC_CPD when truncated or the object
 * type is 0, …_SAMPLING_FREQUENCY_INDEX for reserved indices (13, 14) or an explicit 0 Hz,
 * …_CHANNEL_CONFIG for reserved channel configurations (8–10, 15).
 */
export function parseAudioSpecificConfig(cpd: Uint8Array): AudioSpecificConfig {
  if (cpd.length < 2) throw new KvsError(ASC_STATUS, `AudioSpecificConfig of ${cpd.length} bytes`);
  const r = new BitReader(cpd, ASC_STATUS);
  const objectType = readObjectType(r);
  if (objectType === 0) throw new KvsError(ASC_STATUS, 'audio object type 0 (null)');
  const freq = readFrequency(r);
  const channelConfiguration = r.u(4);
  if (!isValidChannelConfiguration(channelConfiguration)) {
    throw new KvsError(CHANNEL_STATUS, `channel configuration ${channelConfiguration} is reserved`);
  }
  const config: AudioSpecificConfig = {
    objectType,
    samplingFrequencyIndex: freq.index,
    samplingFrequency: freq.hz,
    channelConfiguration,
    channels: aacChannelCount(channelConfiguration),
  };
  if (objectType === AacObjectType.SBR || objectType === AacObjectType.PS) {
    config.extensionSamplingFrequency = readFrequency(r).hz;
    config.coreObjectType = readObjectType(r);
  }
  return config;
}

/** Fields of an ADTS header. */
export interface AdtsHeader {
  /** 0 = MPEG-4, 1 = MPEG-2. */
  mpegVersion: number;
  protectionAbsent: boolean;
  /** profile_ObjectType (audio object type − 1). */
  profile: number;
  objectType: number;
  samplingFrequencyIndex: number;
  samplingFrequency: number;
  channelConfiguration: number;
  /** Whole frame length in bytes, header included. */
  frameLength: number;
  /** 7, or 9 with CRC. */
  headerLength: number;
  bufferFullness: number;
  /** number_of_raw_data_blocks_in_frame + 1. */
  rawDataBlocks: number;
}

const ADTS_STATUS: StatusName = 'STATUS_MKV_INVALID_FRAME_DATA';

/**
 * Parses the ADTS header at `src[offset]`. Throws STATUS_MKV_INVALID_FRAME_DATA without a
 * syncword, with a non-zero layer, a truncated header or an impossible frame length, and
 * STATUS_MKV_INVALID_AAC_CPD_SAMPLING_FREQUENCY_INDEX for a reserved frequency index.
 */
export function parseAdtsHeader(src: Uint8Array, offset = 0): AdtsHeader {
  if (offset < 0 || offset + 7 > src.length) throw new KvsError(ADTS_STATUS, 'truncated ADTS header', { offset });
  const b1 = src[offset + 1];
  if (src[offset] !== 0xff || (b1 & 0xf0) !== 0xf0) throw new KvsError(ADTS_STATUS, 'no ADTS syncword', { offset });
  if ((b1 & 0x06) !== 0) throw new KvsError(ADTS_STATUS, 'ADTS layer is not 0', { offset });
  const b2 = src[offset + 2];
  const b3 = src[offset + 3];
  const protectionAbsent = (b1 & 1) === 1;
  const profile = b2 >> 6;
  const samplingFrequencyIndex = (b2 >> 2) & 0x0f;
  if (samplingFrequencyIndex >= AAC_SAMPLING_FREQUENCIES.length) {
    throw new KvsError(FREQ_STATUS, `ADTS sampling frequency index ${samplingFrequencyIndex} is reserved`, { offset });
  }
  const channelConfiguration = ((b2 & 1) << 2) | (b3 >> 6);
  const frameLength = ((b3 & 3) << 11) | (src[offset + 4] << 3) | (src[offset + 5] >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength < headerLength) {
    throw new KvsError(ADTS_STATUS, `ADTS frame length ${frameLength} < header length ${headerLength}`, { offset });
  }
  return {
    mpegVersion: (b1 >> 3) & 1,
    protectionAbsent,
    profile,
    objectType: profile + 1,
    samplingFrequencyIndex,
    samplingFrequency: AAC_SAMPLING_FREQUENCIES[samplingFrequencyIndex],
    channelConfiguration,
    frameLength,
    headerLength,
    bufferFullness: ((src[offset + 5] & 0x1f) << 6) | (src[offset + 6] >> 2),
    rawDataBlocks: (src[offset + 6] & 3) + 1,
  };
}

/**
 * Calls `onFrame(frameStart, payloadStart, frameEnd, header)` for each ADTS frame of `src`, in
 * order; the payload is `src.subarray(payloadStart, frameEnd)` (the raw AAC frame KVS stores).
 * Throws as {@link parseAdtsHeader}, or STATUS_MKV_INVALID_FRAME_DATA when a frame runs past the
 * end. Returning `false` stops the walk. Returns the number of frames visited.
 */
export function forEachAdtsFrame(
  src: Uint8Array,
  onFrame: (frameStart: number, payloadStart: number, frameEnd: number, header: AdtsHeader) => unknown,
): number {
  let p = 0;
  let count = 0;
  while (p < src.length) {
    const h = parseAdtsHeader(src, p);
    const end = p + h.frameLength;
    if (end > src.length)
      throw new KvsError(ADTS_STATUS, `ADTS frame of ${h.frameLength} bytes runs past the end`, { offset: p });
    if (onFrame(p, p + h.headerLength, end, h) === false) return count + 1;
    count++;
    p = end;
  }
  return count;
}

/** The AudioSpecificConfig an ADTS header describes. */
export function adtsToAudioSpecificConfig(header: AdtsHeader): Uint8Array {
  return buildAudioSpecificConfig({
    objectType: header.objectType,
    samplingFrequency: header.samplingFrequency,
    channelConfiguration: header.channelConfiguration,
  });
}
