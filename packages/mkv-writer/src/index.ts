/**
 * @module @kvs-ts/mkv-writer
 * The KVS MKV generator, byte for byte as AWS's PIC writes it: EBML header, Segment of unknown
 * size, Info, Tracks, one unknown-size Cluster per fragment, SimpleBlocks with 8-byte sizes,
 * fragment metadata and stream events as Tags before the next Cluster, EoFR and end-of-stream
 * tags, NAL adaptation and codec private data extraction — without copying frame data. Plus PIC's
 * frame-order coordinator for multi-track streams.
 */

export { CLUSTER_HEADER_SIZE, SIMPLE_BLOCK_HEADER_SIZE } from './block';
export {
  AWS_INTERNAL_METADATA_PREFIX,
  DEFAULT_MAX_FRAME_QUEUE_SIZE_PER_TRACK,
  KvsTagName,
  MAX_CLUSTER_DURATION_US,
  MAX_EVENT_CUSTOM_PAIRS,
  MAX_FRAGMENT_METADATA_COUNT,
  MAX_IMAGE_PREFIX_LENGTH,
  MAX_MKV_CLIENT_ID_STRING_LEN,
  MAX_SUPPORTED_TRACK_COUNT_PER_STREAM,
  MAX_TIMECODE_SCALE_NS,
  MIN_CLUSTER_DURATION_US,
  MIN_TIMECODE_SCALE_NS,
  MKV_GENERATOR_APPLICATION_NAME,
  MKV_GENERATOR_CURRENT_VERSION,
  MKV_MAX_CODEC_ID_LEN,
  MKV_MAX_CODEC_PRIVATE_LEN,
  MKV_MAX_TAG_NAME_LEN,
  MKV_MAX_TAG_VALUE_LEN,
  MKV_MAX_TRACK_NAME_LEN,
  MKV_SEGMENT_UUID_LEN,
  NalAdaptation,
  type NalAdaptationFlags,
  SimpleBlockFlags,
  StreamEventType,
} from './constants';
export type { FrameOrderCoordinatorOptions, HeldFrames } from './frame-order';
export { FrameOrderCoordinator, FrameOrderMode } from './frame-order';
export type { MkvWriterOptions } from './options';
export type { PlannedFrame } from './plan';
export { FrameLayout, PackagedFrame } from './plan';
export type { StreamEventMetadata, TagPair } from './tags';
export { encodeTag } from './tags';
export type { ResolvedTrack, WriterTrackInfo } from './tracks';
export { MkvWriter } from './writer';
