// StreamDefinition: every field of the C++ StreamDefinition / PIC StreamInfo + StreamCaps, with
// the AWS producer SDKs' defaults, validated with PIC's status codes. Times are µs.

import {
  ContentStorePressurePolicy,
  type ContentViewOptions,
  ContentViewOverflowPolicy,
  StreamingType,
} from '@kvs-ts/content-store';
import { KvsError, type StatusName, type TrackInfo, TrackType } from '@kvs-ts/core';
import { FrameOrderMode, NalAdaptation, type WriterTrackInfo } from '@kvs-ts/mkv-writer';

const SECOND = 1_000_000;
const HOUR = 3600 * SECOND;

/** `MAX_STREAM_NAME_LEN`. */
export const MAX_STREAM_NAME_LEN = 256;
/** `MAX_CONTENT_TYPE_LEN`. */
export const MAX_CONTENT_TYPE_LEN = 128;
/** `MAX_ARN_LEN` (KMS key IDs may be ARNs). */
export const MAX_ARN_LEN = 2048;
/** Stream tags: at most 50, name ≤ 128, value ≤ 1024 (service quotas). */
export const MAX_TAG_COUNT = 50;
export const MAX_TAG_NAME_LEN = 128;
export const MAX_TAG_VALUE_LEN = 1024;
/** `MIN_RETENTION_PERIOD`: 1 h; 0 means no retention. Max 10 years (service). */
export const MIN_RETENTION_PERIOD = HOUR;
export const MAX_RETENTION_PERIOD = 87_600 * HOUR;
/** `MIN_BUFFER_DURATION`: the service quota's minimum buffer. */
export const MIN_BUFFER_DURATION = 20 * SECOND;

/** A stream's settings. Every field but `streamName` has the AWS SDKs' default. */
export interface StreamDefinition {
  /** 1–256 characters. */
  streamName: string;
  /** Data retention (µs); 0 = none, else ≥ 1 h (default 1 h, as the C++ SDK). */
  retentionPeriod?: number;
  /** Stream tags added with TagResource after describe/create (≤ 50). Failure to tag is not fatal. */
  tags?: Readonly<Record<string, string>>;
  /** KMS key for CreateStream (default: the service's `aws/kinesisvideo`). */
  kmsKeyId?: string;
  /** REALTIME (default), NEAR_REALTIME or OFFLINE. */
  streamingType?: StreamingType;
  /** MIME type for CreateStream (default `video/h264`; comma-joined for several tracks). */
  contentType?: string;
  /** Latency pressure fires when the unsent buffer is longer than this (µs); 0 = never (default). */
  maxLatency?: number;
  /** Fragment duration (µs) without key-frame fragmentation (default 2 s). */
  fragmentDuration?: number;
  /** MKV timecode scale (µs per tick, default 1 ms = 1000). */
  timecodeScale?: number;
  /** A fragment at every key frame (default true). */
  keyFrameFragmentation?: boolean;
  /** Use the frames' timestamps (default true) rather than the clock's. */
  frameTimecodes?: boolean;
  /** Absolute cluster timecodes (default true). */
  absoluteFragmentTimes?: boolean;
  /** Ask the service for fragment ACKs (default true). */
  fragmentAcks?: boolean;
  /** Restart the stream after recoverable errors (default true). */
  restartOnError?: boolean;
  /**
   * Accepted for compatibility with AWS's StreamDefinition and ignored: PIC uses it to recompute
   * its running averages on each metrics call; kvs-ts keeps them current as frames and ACKs come.
   */
  recalculateMetrics?: boolean;
  /** NAL adaptation bits (default Annex-B frames and CPD → AVCC, as the C++ SDK). */
  nalAdaptationFlags?: number;
  /** Expected frame rate, for buffer sizing (default 25). */
  frameRate?: number;
  /**
   * Accepted for compatibility with AWS's StreamDefinition and ignored: PIC sizes NEAR_REALTIME
   * views and its storage estimate with it; kvs-ts sizes views by frame rate and buffer duration
   * (one item per frame) and admits frames by the store's exact free space.
   */
  avgBandwidthBps?: number;
  /** How long frames stay buffered (µs, default 120 s; min 20 s). */
  bufferDuration?: number;
  /** How far to roll back on reconnect (µs, default 40 s; ≤ bufferDuration). */
  replayDuration?: number;
  /** No BUFFERING ACK for this long (µs) means a stale connection; 0 = no check (default 30 s). */
  connectionStalenessDuration?: number;
  /** 16-byte SegmentUID (default random). */
  segmentUuid?: Uint8Array;
  /** 1–3 tracks (default one H.264 video track: id 1, `V_MPEG4/ISO/AVC`, name `kinesis_video`). */
  tracks?: readonly WriterTrackInfo[];
  /** Multi-track frame ordering (default PASS_THROUGH for one track, MULTI_TRACK_AV for several). */
  frameOrderingMode?: FrameOrderMode;
  /** What a full store does (default DROP_TAIL_ITEM, the C++/C producer default). */
  storePressurePolicy?: ContentStorePressurePolicy;
  /** What a full content view does (default DROP_UNTIL_FRAGMENT_START). */
  viewOverflowPolicy?: ContentViewOverflowPolicy;
  /** Create the stream when DescribeStream says it does not exist (default true). */
  allowStreamCreation?: boolean;
}

/** A definition with every default applied and every field checked. */
export type ResolvedStreamDefinition = Required<
  Omit<StreamDefinition, 'kmsKeyId' | 'segmentUuid' | 'tags' | 'recalculateMetrics' | 'avgBandwidthBps'>
> &
  Pick<StreamDefinition, 'kmsKeyId' | 'segmentUuid'> & { tags: Readonly<Record<string, string>> };

/** The default track: H.264 video, as the C++ StreamDefinition constructor makes it. */
export const DEFAULT_TRACK: Readonly<TrackInfo> = Object.freeze({
  trackId: 1,
  codecId: 'V_MPEG4/ISO/AVC',
  trackName: 'kinesis_video',
  trackType: TrackType.VIDEO,
});

function fail(status: StatusName, message: string): never {
  throw new KvsError(status, message);
}

function nonNegative(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) fail('STATUS_INVALID_ARG', `${name} must be a finite number ≥ 0 µs, got ${v}`);
}

/**
 * Applies the SDK defaults and validates. Throws a KvsError with PIC's status for the first bad
 * field; the input is not modified.
 */
export function resolveStreamDefinition(def: StreamDefinition): ResolvedStreamDefinition {
  if (def === null || typeof def !== 'object') fail('STATUS_NULL_ARG', 'a StreamDefinition is required');
  const name = def.streamName;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_STREAM_NAME_LEN) {
    fail('STATUS_INVALID_STREAM_NAME_LENGTH', `streamName must be 1-${MAX_STREAM_NAME_LEN} characters`);
  }
  const retentionPeriod = def.retentionPeriod ?? HOUR;
  if (retentionPeriod !== 0 && (!(retentionPeriod >= MIN_RETENTION_PERIOD) || retentionPeriod > MAX_RETENTION_PERIOD)) {
    fail('STATUS_INVALID_RETENTION_PERIOD', `retentionPeriod must be 0 or 1 h … 10 years (µs), got ${retentionPeriod}`);
  }
  const tags = { ...(def.tags ?? {}) };
  const tagNames = Object.keys(tags);
  if (tagNames.length > MAX_TAG_COUNT) fail('STATUS_MAX_TAG_COUNT', `at most ${MAX_TAG_COUNT} stream tags`);
  for (const k of tagNames) {
    if (k.length === 0 || k.length > MAX_TAG_NAME_LEN)
      fail('STATUS_INVALID_TAG_NAME_LEN', `tag name '${k}' must be 1-${MAX_TAG_NAME_LEN} characters`);
    const v = tags[k];
    if (typeof v !== 'string' || v.length > MAX_TAG_VALUE_LEN)
      fail('STATUS_INVALID_TAG_VALUE_LEN', `tag '${k}' value must be ≤ ${MAX_TAG_VALUE_LEN} characters`);
  }
  if (def.kmsKeyId !== undefined && (typeof def.kmsKeyId !== 'string' || def.kmsKeyId.length > MAX_ARN_LEN)) {
    fail('STATUS_INVALID_ARG', `kmsKeyId must be a string of ≤ ${MAX_ARN_LEN} characters`);
  }
  const streamingType = def.streamingType ?? StreamingType.REALTIME;
  if (![StreamingType.REALTIME, StreamingType.NEAR_REALTIME, StreamingType.OFFLINE].includes(streamingType)) {
    fail('STATUS_INVALID_ARG', `unknown streamingType ${streamingType}`);
  }
  if (streamingType === StreamingType.OFFLINE && retentionPeriod === 0) {
    fail('STATUS_OFFLINE_MODE_WITH_ZERO_RETENTION', 'OFFLINE streaming needs retention');
  }
  const tracks = def.tracks ?? [DEFAULT_TRACK];
  if (!Array.isArray(tracks) || tracks.length === 0)
    fail('STATUS_TRACK_INFO_MISSING', 'at least one track is required');
  const contentType = def.contentType ?? defaultContentType(tracks);
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > MAX_CONTENT_TYPE_LEN) {
    fail('STATUS_MKV_INVALID_CONTENT_TYPE_LENGTH', `contentType must be 1-${MAX_CONTENT_TYPE_LEN} characters`);
  }
  const resolved: ResolvedStreamDefinition = {
    streamName: name,
    retentionPeriod,
    tags,
    kmsKeyId: def.kmsKeyId,
    streamingType,
    contentType,
    maxLatency: def.maxLatency ?? 0,
    fragmentDuration: def.fragmentDuration ?? 2 * SECOND,
    timecodeScale: def.timecodeScale ?? 1000,
    keyFrameFragmentation: def.keyFrameFragmentation ?? true,
    frameTimecodes: def.frameTimecodes ?? true,
    absoluteFragmentTimes: def.absoluteFragmentTimes ?? true,
    fragmentAcks: def.fragmentAcks ?? true,
    restartOnError: def.restartOnError ?? true,
    nalAdaptationFlags: def.nalAdaptationFlags ?? NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
    frameRate: def.frameRate ?? 25,
    bufferDuration: def.bufferDuration ?? 120 * SECOND,
    replayDuration: def.replayDuration ?? 40 * SECOND,
    connectionStalenessDuration: def.connectionStalenessDuration ?? 30 * SECOND,
    segmentUuid: def.segmentUuid,
    tracks,
    frameOrderingMode:
      def.frameOrderingMode ?? (tracks.length > 1 ? FrameOrderMode.MULTI_TRACK_AV : FrameOrderMode.PASS_THROUGH),
    storePressurePolicy: def.storePressurePolicy ?? ContentStorePressurePolicy.DROP_TAIL_ITEM,
    viewOverflowPolicy: def.viewOverflowPolicy ?? ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
    allowStreamCreation: def.allowStreamCreation ?? true,
  };
  for (const k of ['maxLatency', 'fragmentDuration', 'replayDuration', 'connectionStalenessDuration'] as const)
    nonNegative(k, resolved[k]);
  if (!(resolved.bufferDuration >= MIN_BUFFER_DURATION) || !Number.isFinite(resolved.bufferDuration)) {
    fail(
      'STATUS_INVALID_CONTENT_VIEW_DURATION',
      `bufferDuration must be ≥ ${MIN_BUFFER_DURATION} µs, got ${resolved.bufferDuration}`,
    );
  }
  // PIC clamps the replay duration to the buffer.
  if (resolved.replayDuration > resolved.bufferDuration) resolved.replayDuration = resolved.bufferDuration;
  if (!(resolved.timecodeScale >= 0.1) || resolved.timecodeScale > SECOND) {
    fail('STATUS_MKV_INVALID_TIMECODE_SCALE', `timecodeScale must be 0.1 µs … 1 s, got ${resolved.timecodeScale}`);
  }
  if (!Number.isFinite(resolved.frameRate) || resolved.frameRate < 0)
    fail('STATUS_INVALID_ARG', `frameRate must be ≥ 0`);
  if (resolved.frameRate === 0) resolved.frameRate = 25;
  return resolved;
}

/** Content type from the tracks' codecs: `video/h264`, `video/h264,audio/aac`, … */
export function defaultContentType(tracks: readonly TrackInfo[]): string {
  const types = tracks.map((t) => {
    switch (t.codecId) {
      case 'V_MPEG4/ISO/AVC':
        return 'video/h264';
      case 'V_MPEGH/ISO/HEVC':
        return 'video/h265';
      case 'A_AAC':
      case 'A_AAC/MPEG4/MAIN':
        return 'audio/aac';
      case 'A_MS/ACM':
        return (t as WriterTrackInfo).g711 === 'mulaw' ? 'audio/mulaw' : 'audio/alaw';
      default:
        return t.trackType === TrackType.AUDIO ? 'audio/x-matroska' : 'video/x-matroska';
    }
  });
  return types.join(',');
}

/**
 * The content view a stream with this definition needs. Its capacity in items: one item per frame
 * of every track over the buffer duration (video at the stream's frame rate, audio at ~50 frames/s:
 * AAC at 48 kHz makes 47), whatever the streaming type. PIC sizes NEAR_REALTIME views in fragments
 * because its items are fragments there; here an item is always a frame.
 */
export function contentViewOptions(def: ResolvedStreamDefinition): Omit<ContentViewOptions, 'onRemove'> {
  let perSecond = 0;
  for (const t of def.tracks) perSecond += t.trackType === TrackType.AUDIO ? 50 : def.frameRate;
  return {
    bufferDuration: def.bufferDuration,
    itemCount: Math.max(11, Math.ceil((perSecond * def.bufferDuration) / SECOND)),
    frameRate: def.frameRate,
    streamingType: def.streamingType,
    fragmentDuration: def.fragmentDuration,
    overflowPolicy: def.viewOverflowPolicy,
    pressurePolicy: def.storePressurePolicy,
    maxLatency: def.maxLatency,
    // Staleness is measured by BUFFERING ACKs: without ACKs there is nothing to measure.
    connectionStalenessDuration: def.fragmentAcks ? def.connectionStalenessDuration : 0,
    retentionPeriod: def.retentionPeriod,
  };
}
