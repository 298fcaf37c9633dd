// Matroska CodecIDs and KVS content types (the strings PIC matches on).

/** Matroska CodecID strings used with KVS. */
export const CodecId = {
  /** H.264; CodecPrivate = avcC. */
  H264: 'V_MPEG4/ISO/AVC',
  /** H.265; CodecPrivate = hvcC. */
  H265: 'V_MPEGH/ISO/HEVC',
  /** Video for Windows FourCC (e.g. M-JPEG); CodecPrivate = BITMAPINFOHEADER. */
  FOURCC: 'V_MS/VFW/FOURCC',
  MJPEG: 'V_MJPEG',
  VP8: 'V_VP8',
  VP9: 'V_VP9',
  AV1: 'V_AV1',
  /** AAC; CodecPrivate = AudioSpecificConfig. */
  AAC: 'A_AAC',
  /** Legacy AAC Main ID PIC still recognises. */
  AAC_MPEG4_MAIN: 'A_AAC/MPEG4/MAIN',
  /** Windows ACM audio (G.711 A-law/µ-law in KVS); CodecPrivate = WAVEFORMATEX. */
  MS_ACM: 'A_MS/ACM',
  PCM_INT_LIT: 'A_PCM/INT/LIT',
  PCM_INT_BIG: 'A_PCM/INT/BIG',
  PCM_FLOAT_IEEE: 'A_PCM/FLOAT/IEEE',
  OPUS: 'A_OPUS',
} as const;
/** One of the {@link CodecId} strings. */
export type CodecId = (typeof CodecId)[keyof typeof CodecId];

/** KVS stream content types (comma-joined for multi-track streams, e.g. `video/h264,audio/aac`). */
export const ContentType = {
  H264: 'video/h264',
  H265: 'video/h265',
  AVC: 'video/avc',
  HEVC: 'video/hevc',
  X_MKV_VIDEO: 'video/x-matroska',
  X_MKV_AUDIO: 'audio/x-matroska',
  AAC: 'audio/aac',
  ALAW: 'audio/alaw',
  MULAW: 'audio/mulaw',
} as const;
/** One of the {@link ContentType} strings. */
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** 'h264' / 'h265' for the NAL-based codec IDs, else undefined. */
export function nalCodecOfCodecId(codecId: string): 'h264' | 'h265' | undefined {
  if (codecId === CodecId.H264) return 'h264';
  if (codecId === CodecId.H265) return 'h265';
  return undefined;
}
