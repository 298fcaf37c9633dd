// WAVEFORMATEX, the CodecPrivate of A_MS/ACM tracks: 18 little-endian bytes. KVS uses it for
// G.711 (format tag 6 = A-law, 7 = µ-law), as PIC's mkvgenGeneratePcmCpd does.

import { KvsError, type StatusName } from '@kvs-ts/core';

const STATUS: StatusName = 'STATUS_MKV_INVALID_AMS_ACM_CPD';

/** WAVEFORMATEX size without extra bytes. */
export const WAVEFORMATEX_SIZE = 18;

/** wFormatTag values. */
export const WaveFormatTag = {
  PCM: 1,
  IEEE_FLOAT: 3,
  ALAW: 6,
  MULAW: 7,
} as const;

/** G.711 sampling-rate range PIC accepts. */
export const MIN_PCM_SAMPLING_RATE = 8000;
/** See {@link MIN_PCM_SAMPLING_RATE}. */
export const MAX_PCM_SAMPLING_RATE = 192000;

/** Fields of a WAVEFORMATEX. */
export interface WaveFormatEx {
  formatTag: number;
  channels: number;
  samplesPerSec: number;
  avgBytesPerSec: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Extra bytes after the 18-byte structure (views into the input). */
  extra: Uint8Array;
}

function isG711(tag: number): boolean {
  return tag === WaveFormatTag.ALAW || tag === WaveFormatTag.MULAW;
}

/**
 * Builds the 18-byte G.711 WAVEFORMATEX: 8 bits per sample, blockAlign = channels,
 * avgBytesPerSec = rate × channels, cbSize 0. Throws STATUS_MKV_INVALID_AMS_ACM_CPD for a format
 * other than A-law (6) / µ-law (7), a rate outside 8000–192000 or channels outside 1–255.
 */
export function buildG711WaveFormatEx(formatTag: number, samplesPerSec: number, channels: number): Uint8Array {
  if (!isG711(formatTag)) throw new KvsError(STATUS, `format tag ${formatTag} is not G.711 (6 or 7)`);
  if (
    !Number.isInteger(samplesPerSec) ||
    samplesPerSec < MIN_PCM_SAMPLING_RATE ||
    samplesPerSec > MAX_PCM_SAMPLING_RATE
  ) {
    throw new KvsError(
      STATUS,
      `sampling rate ${samplesPerSec} outside ${MIN_PCM_SAMPLING_RATE}–${MAX_PCM_SAMPLING_RATE}`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 255) {
    throw new KvsError(STATUS, `channel count ${channels} outside 1–255`);
  }
  const out = new Uint8Array(WAVEFORMATEX_SIZE);
  const v = new DataView(out.buffer);
  v.setUint16(0, formatTag, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, samplesPerSec, true);
  v.setUint32(8, samplesPerSec * channels, true);
  v.setUint16(12, channels, true);
  v.setUint16(14, 8, true);
  v.setUint16(16, 0, true);
  return out;
}

/**
 * Parses a WAVEFORMATEX of any format. G.711 formats must also be consistent (8 bits, blockAlign =
 * channels, avgBytesPerSec = rate × channels, rate in PIC's range). Throws
 * STATUS_MKV_INVALID_AMS_ACM_CPD for fewer than 18 bytes, cbSize running past the end, zero
 * channels or rate, or an inconsistent G.711 header.
 */
export function parseWaveFormatEx(cpd: Uint8Array): WaveFormatEx {
  if (cpd.length < WAVEFORMATEX_SIZE) throw new KvsError(STATUS, `WAVEFORMATEX of ${cpd.length} bytes`);
  const v = new DataView(cpd.buffer, cpd.byteOffset, cpd.byteLength);
  const cbSize = v.getUint16(16, true);
  if (cbSize > cpd.length - WAVEFORMATEX_SIZE)
    throw new KvsError(STATUS, `cbSize ${cbSize} runs past the end`, { offset: 16 });
  const fmt: WaveFormatEx = {
    formatTag: v.getUint16(0, true),
    channels: v.getUint16(2, true),
    samplesPerSec: v.getUint32(4, true),
    avgBytesPerSec: v.getUint32(8, true),
    blockAlign: v.getUint16(12, true),
    bitsPerSample: v.getUint16(14, true),
    extra: cpd.subarray(WAVEFORMATEX_SIZE, WAVEFORMATEX_SIZE + cbSize),
  };
  if (fmt.channels === 0 || fmt.samplesPerSec === 0) throw new KvsError(STATUS, 'zero channels or sampling rate');
  if (isG711(fmt.formatTag)) {
    const ok =
      fmt.bitsPerSample === 8 &&
      fmt.blockAlign === fmt.channels &&
      fmt.avgBytesPerSec === fmt.samplesPerSec * fmt.channels &&
      fmt.samplesPerSec >= MIN_PCM_SAMPLING_RATE &&
      fmt.samplesPerSec <= MAX_PCM_SAMPLING_RATE;
    if (!ok) throw new KvsError(STATUS, 'inconsistent G.711 WAVEFORMATEX');
  }
  return fmt;
}
