/**
 * @module @kvs-ts/mkv-parser
 * A streaming, zero-copy Matroska parser for KVS: push chunks and receive events
 * ({@link MkvParser}), or iterate events from a `ReadableStream` ({@link parseMkv}). It reads
 * unknown-size Segments and Clusters, several segments back to back (GetMedia), all lacing
 * forms, BlockGroups and Tags, and skips SeekHead, Cues, Chapters, Attachments, Void and
 * CRC-32 without buffering them.
 */

export type { MkvHandler, MkvParserOptions } from './parser';
export { MkvParser } from './parser';
export type { MkvEvent, MkvSource } from './stream';
export { parseMkv } from './stream';
export type {
  ClusterStart,
  EbmlHeader,
  MkvBlockHead,
  MkvFrame,
  MkvSimpleTag,
  MkvTag,
  MkvTagTargets,
  MkvTrack,
  SegmentInfo,
  TrackTypeName,
} from './types';
