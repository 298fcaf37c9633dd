import type { TrackType } from '@kvs-ts/core';

/** The EBML header of one MKV stream. */
export interface EbmlHeader {
  version: number;
  readVersion: number;
  maxIdLength: number;
  maxSizeLength: number;
  docType: string;
  docTypeVersion: number;
  docTypeReadVersion: number;
  /** Byte offset of the EBML element. */
  offset: number;
}

/** Segment Info. */
export interface SegmentInfo {
  /** Nanoseconds per timecode tick (Matroska TimestampScale; KVS uses 1 ms = 1,000,000). */
  timecodeScale: number;
  /** Segment duration in µs, when the file says. */
  durationUs?: number;
  segmentUid?: Uint8Array;
  title?: string;
  muxingApp?: string;
  writingApp?: string;
  dateUtc?: Date;
}

/** The names of Matroska track types as kvs inspect prints them. */
export type TrackTypeName =
  | 'video'
  | 'audio'
  | 'complex'
  | 'logo'
  | 'subtitle'
  | 'buttons'
  | 'control'
  | 'metadata'
  | 'unknown';

/** One TrackEntry. */
export interface MkvTrack {
  number: number;
  /** TrackUID: 64-bit, hence bigint. */
  uid?: bigint;
  type: TrackType | number;
  typeName: TrackTypeName;
  codecId: string;
  codecPrivate?: Uint8Array;
  codecName?: string;
  name?: string;
  language?: string;
  /** DefaultDuration in ns, when given (used to space laced frames). */
  defaultDurationNs?: number;
  codecDelayNs?: number;
  seekPreRollNs?: number;
  video?: { pixelWidth: number; pixelHeight: number; displayWidth?: number; displayHeight?: number };
  audio?: { samplingFrequency: number; outputSamplingFrequency?: number; channels: number; bitDepth?: number };
}

/** A cluster's start. */
export interface ClusterStart {
  /** Cluster Timestamp in timecode ticks. */
  timecode: number;
  /** The same, in µs. */
  timestampUs: number;
  /** Byte offset of the Cluster element. */
  offset: number;
  /** Whether the cluster has an unknown size (KVS streams). */
  unknownSize: boolean;
}

/**
 * One frame. In the synchronous handler API the parser reuses one object for every frame:
 * read or copy what you need during the callback (`data` itself stays valid).
 */
export interface MkvFrame {
  trackNumber: number;
  /** Absolute presentation timestamp in µs (cluster + block timecode, × timecode scale). */
  timestampUs: number;
  /** Block timecode relative to its cluster, in ticks (signed 16-bit). */
  relativeTimecode: number;
  keyFrame: boolean;
  discardable: boolean;
  invisible: boolean;
  /** The frame's bytes: a view, never a copy. */
  data: Uint8Array;
  /** Position within a laced block (0 when not laced). */
  laceIndex: number;
  /** Frames in its block (1 when not laced). */
  laceCount: number;
  /** Whether the frame came from a BlockGroup (then durationUs / references may be set). */
  fromBlockGroup: boolean;
  /** BlockDuration in µs, for BlockGroup frames that have one. */
  durationUs: number | undefined;
  /** ReferenceBlock values (relative ticks), for BlockGroup frames. */
  references: readonly number[];
  /** Byte offset of the (Simple)Block payload. */
  offset: number;
}

/**
 * A SimpleBlock read by its header only ({@link MkvParserOptions.frameData} `false`): what a
 * frame is without its bytes. The parser reuses one object: read it during the callback.
 */
export interface MkvBlockHead {
  trackNumber: number;
  /** Presentation timestamp in µs of the block (its first frame when laced). */
  timestampUs: number;
  /** Block timecode relative to its cluster, in ticks (signed 16-bit). */
  relativeTimecode: number;
  keyFrame: boolean;
  discardable: boolean;
  invisible: boolean;
  /** 0 none, 1 Xiph, 2 fixed-size, 3 EBML: a laced block is reported once, not per frame. */
  lacing: number;
  /** Bytes after the block header: the frame (or the lace header and frames). */
  size: number;
  /** Byte offset of those bytes. */
  offset: number;
}

/** The Targets of a Tag. */
export interface MkvTagTargets {
  typeValue?: number;
  type?: string;
  trackUids: bigint[];
  editionUids: bigint[];
  chapterUids: bigint[];
  attachmentUids: bigint[];
}

/** A SimpleTag, with its nested SimpleTags. */
export interface MkvSimpleTag {
  name: string;
  /** TagString, when present. */
  value?: string;
  /** TagBinary, when present. */
  binary?: Uint8Array;
  language?: string;
  isDefault?: boolean;
  children: MkvSimpleTag[];
}

/** A Tag element: what it targets and its SimpleTags. */
export interface MkvTag {
  targets: MkvTagTargets;
  simpleTags: MkvSimpleTag[];
}
