// PIC mkvgen / client constants the generator enforces, by their PIC names, with times in µs.

/** Most tracks a KVS stream may carry (`MAX_SUPPORTED_TRACK_COUNT_PER_STREAM`). */
export const MAX_SUPPORTED_TRACK_COUNT_PER_STREAM = 3;
/** Longest Matroska CodecID, in bytes (`MKV_MAX_CODEC_ID_LEN`). */
export const MKV_MAX_CODEC_ID_LEN = 32;
/** Longest track name, in bytes (`MKV_MAX_TRACK_NAME_LEN`). */
export const MKV_MAX_TRACK_NAME_LEN = 32;
/** Largest codec private data, in bytes (`MKV_MAX_CODEC_PRIVATE_LEN`, 1 MiB). */
export const MKV_MAX_CODEC_PRIVATE_LEN = 1024 * 1024;
/** Longest tag name, in bytes (`MKV_MAX_TAG_NAME_LEN`). */
export const MKV_MAX_TAG_NAME_LEN = 128;
/** Longest tag value, in bytes (`MKV_MAX_TAG_VALUE_LEN`). */
export const MKV_MAX_TAG_VALUE_LEN = 256;
/** Most metadata items queued at once (`MAX_FRAGMENT_METADATA_COUNT`). */
export const MAX_FRAGMENT_METADATA_COUNT = 25;
/** Most custom name/value pairs of one stream event (`MAX_EVENT_CUSTOM_PAIRS`). */
export const MAX_EVENT_CUSTOM_PAIRS = 10;
/** Longest S3 image prefix of an image-generation event, in bytes (`MAX_IMAGE_PREFIX_LENGTH`). */
export const MAX_IMAGE_PREFIX_LENGTH = 256;
/** Shortest cluster duration without key-frame fragmentation (`MIN_CLUSTER_DURATION`), µs. */
export const MIN_CLUSTER_DURATION_US = 1_000_000;
/** Longest cluster duration without key-frame fragmentation (`MAX_CLUSTER_DURATION`), µs. */
export const MAX_CLUSTER_DURATION_US = 30_000_000;
/** Smallest MKV TimecodeScale PIC accepts (`MIN_TIMECODE_SCALE`: one 100 ns unit), ns. */
export const MIN_TIMECODE_SCALE_NS = 100;
/** Largest MKV TimecodeScale PIC accepts (`MAX_TIMECODE_SCALE`: 1 s), ns. */
export const MAX_TIMECODE_SCALE_NS = 1_000_000_000;
/** SegmentUID length (`MKV_SEGMENT_UUID_LEN`). */
export const MKV_SEGMENT_UUID_LEN = 16;
/** Longest client ID appended to the muxing/writing app (`MAX_MKV_CLIENT_ID_STRING_LEN`). */
export const MAX_MKV_CLIENT_ID_STRING_LEN = 64;
/** Frames queued per track by the frame-order coordinator (`DEFAULT_MAX_FRAME_QUEUE_SIZE_PER_TRACK`). */
export const DEFAULT_MAX_FRAME_QUEUE_SIZE_PER_TRACK = 60;

/** PIC's `MKV_GENERATOR_APPLICATION_NAME_STRING`: the Title, and the start of the app strings. */
export const MKV_GENERATOR_APPLICATION_NAME = 'Kinesis Video SDK';
/** PIC's `MKV_GENERATOR_CURRENT_VERSION_STRING`, appended to the muxing/writing app. */
export const MKV_GENERATOR_CURRENT_VERSION = '1.1.0';

/**
 * NAL adaptation flags, bit for bit PIC's `NAL_ADAPTATION_FLAGS` (equal to the mkvgen
 * `MKV_GEN_ADAPT_*` behaviour flags).
 */
export const NalAdaptation = {
  NONE: 0,
  /** Frames arrive Annex-B; written as AVCC (4-byte lengths). */
  ANNEXB_NALS: 0x08,
  /** Frames arrive AVCC; written as Annex-B. */
  AVCC_NALS: 0x10,
  /** Codec private data arrives Annex-B; written as avcC / hvcC. */
  ANNEXB_CPD_NALS: 0x20,
  /** {@link NalAdaptation.ANNEXB_NALS} | {@link NalAdaptation.ANNEXB_CPD_NALS} (the C++ SDK's default). */
  ANNEXB_CPD_AND_FRAME_NALS: 0x28,
} as const;
/** A combination of {@link NalAdaptation} bits. */
export type NalAdaptationFlags = number;

/** Stream event bits of `putEventMetadata`, as PIC's `STREAM_EVENT_TYPE`. */
export const StreamEventType = {
  NONE: 0,
  /** Ask KVS to extract images from the fragment (`AWS_KINESISVIDEO_IMAGE_GENERATION`). */
  IMAGE_GENERATION: 1,
  /** Ask KVS to publish an SNS notification for the fragment (`AWS_KINESISVIDEO_NOTIFICATION`). */
  NOTIFICATION: 2,
} as const;
/** A combination of {@link StreamEventType} bits. */
export type StreamEventType = number;

/** The reserved tag names the producer writes. */
export const KvsTagName = {
  END_OF_FRAGMENT: 'AWS_KINESISVIDEO_END_OF_FRAGMENT',
  NOTIFICATION: 'AWS_KINESISVIDEO_NOTIFICATION',
  IMAGE_GENERATION: 'AWS_KINESISVIDEO_IMAGE_GENERATION',
  IMAGE_PREFIX: 'AWS_KINESISVIDEO_IMAGE_PREFIX',
} as const;

/** User metadata names may not start with this (`AWS_INTERNAL_METADATA_PREFIX`). */
export const AWS_INTERNAL_METADATA_PREFIX = 'AWS';

/** SimpleBlock flag bits (Matroska). */
export const SimpleBlockFlags = {
  KEY_FRAME: 0x80,
  INVISIBLE: 0x08,
  DISCARDABLE: 0x01,
} as const;

const utf8 = new TextEncoder();

/** UTF-8 length of a string, as PIC's STRNLEN counts bytes. */
export function byteLength(s: string): number {
  // ASCII fast path: most names are ASCII, where the length is the byte count.
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? s.length : utf8.encode(s).length;
}
