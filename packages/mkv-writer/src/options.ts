// MkvWriter's options, checked the way PIC's createMkvGenerator checks its StreamCaps fields.

import { DEFAULT_TIMECODE_SCALE_NS, KvsError, type StatusName } from '@kvs-ts/core';
import {
  byteLength,
  MAX_CLUSTER_DURATION_US,
  MAX_MKV_CLIENT_ID_STRING_LEN,
  MAX_TIMECODE_SCALE_NS,
  MIN_CLUSTER_DURATION_US,
  MIN_TIMECODE_SCALE_NS,
  MKV_GENERATOR_APPLICATION_NAME,
  MKV_GENERATOR_CURRENT_VERSION,
  MKV_SEGMENT_UUID_LEN,
  NalAdaptation,
  type NalAdaptationFlags,
} from './constants';
import type { SegmentInfo } from './header';
import { type ResolvedTrack, resolveTracks, type WriterTrackInfo } from './tracks';

/** Options of `MkvWriter`, mirroring the StreamCaps fields PIC's generator uses. */
export interface MkvWriterOptions {
  /** 1–3 tracks; TrackNumber = index + 1, TrackUID = trackId. */
  tracks: readonly WriterTrackInfo[];
  /** MKV TimecodeScale in ns, 100 … 1e9 (default 1 ms). */
  timecodeScaleNs?: number;
  /** A new cluster (fragment) at every key frame (default true). */
  keyFrameFragmentation?: boolean;
  /**
   * Without key-frame fragmentation: a new cluster at the first key frame this long after the
   * cluster start, µs, 1–30 s (default 2 s).
   */
  fragmentDurationUs?: number;
  /** Cluster timecodes absolute (default) or relative to the stream's first frame. */
  absoluteFragmentTimes?: boolean;
  /** Use the frames' own PTS/DTS (default); otherwise stamp frames with {@link now}. */
  frameTimecodes?: boolean;
  /** Clock for `frameTimecodes: false`, µs (default wall clock). */
  now?: () => number;
  /** {@link NalAdaptation} bits (default NONE). ANNEXB_NALS and AVCC_NALS exclude each other. */
  nalAdaptationFlags?: NalAdaptationFlags;
  /** 16-byte SegmentUID, not all zero (default: random). */
  segmentUuid?: Uint8Array;
  /** Appended to the muxing/writing app as PIC does (≤ 64 bytes). */
  clientId?: string;
  /** Info Title (default "Kinesis Video SDK"). */
  title?: string;
  /** MuxingApp (default "Kinesis Video SDK 1.1.0[ clientId]", PIC's string). */
  muxingApp?: string;
  /** WritingApp (default as {@link muxingApp}). */
  writingApp?: string;
  /**
   * Write an empty Targets element in every Tag. PIC writes none and KVS accepts that; Matroska
   * makes Targets mandatory and mkvalidator flags its absence. Default false (PIC's bytes).
   */
  tagTargets?: boolean;
  /**
   * Reject fragment-start frames whose PTS ≠ DTS (STATUS_MKV_PTS_DTS_ARE_NOT_SAME), as older PIC
   * releases did. Current PIC tracks cluster PTS and DTS separately and does not check; default false.
   */
  requirePtsEqualsDtsAtFragmentStart?: boolean;
}

/** The options after validation, defaults filled in. */
export interface ResolvedWriterOptions {
  tracks: ResolvedTrack[];
  nalFlags: number;
  keyFrameFragmentation: boolean;
  fragmentDurationUs: number;
  absoluteFragmentTimes: boolean;
  frameTimecodes: boolean;
  now: () => number;
  requirePtsEqualsDtsAtFragmentStart: boolean;
  tagTargets: boolean;
  /** The Info element: SegmentUID, TimecodeScale, Title, apps. */
  info: SegmentInfo;
}

function fail(status: StatusName, message: string): never {
  throw new KvsError(status, message);
}

/** Validates `options` (a KvsError with PIC's status for the first bad one) and fills in the defaults. */
export function resolveOptions(options: MkvWriterOptions): ResolvedWriterOptions {
  if (options === null || typeof options !== 'object') fail('STATUS_NULL_ARG', 'options are required');
  const nal = options.nalAdaptationFlags ?? NalAdaptation.NONE;
  if (!Number.isInteger(nal) || nal < 0) fail('STATUS_INVALID_ARG', `NAL adaptation flags ${nal}`);
  const kff = options.keyFrameFragmentation ?? true;
  const fragmentUs = options.fragmentDurationUs ?? 2_000_000;
  if (!kff && !(fragmentUs >= MIN_CLUSTER_DURATION_US && fragmentUs <= MAX_CLUSTER_DURATION_US)) {
    fail('STATUS_MKV_INVALID_CLUSTER_DURATION', `cluster duration ${fragmentUs} µs outside 1–30 s`);
  }
  if ((nal & NalAdaptation.ANNEXB_NALS) !== 0 && (nal & NalAdaptation.AVCC_NALS) !== 0) {
    fail('STATUS_MKV_BOTH_ANNEXB_AND_AVCC_SPECIFIED', 'ANNEXB_NALS and AVCC_NALS together');
  }
  const scale = options.timecodeScaleNs ?? DEFAULT_TIMECODE_SCALE_NS;
  if (!Number.isInteger(scale) || scale < MIN_TIMECODE_SCALE_NS || scale > MAX_TIMECODE_SCALE_NS) {
    fail('STATUS_MKV_INVALID_TIMECODE_SCALE', `timecode scale ${scale} ns outside 100 ns … 1 s`);
  }
  const clientId = options.clientId;
  if (clientId !== undefined && (typeof clientId !== 'string' || byteLength(clientId) > MAX_MKV_CLIENT_ID_STRING_LEN)) {
    fail('STATUS_MKV_INVALID_CLIENT_ID_LENGTH', `client ID longer than ${MAX_MKV_CLIENT_ID_STRING_LEN} bytes`);
  }
  let uuid = options.segmentUuid;
  if (uuid !== undefined) {
    if (!(uuid instanceof Uint8Array) || uuid.length !== MKV_SEGMENT_UUID_LEN || uuid.every((b) => b === 0)) {
      fail('STATUS_MKV_INVALID_SEGMENT_UUID', 'segment UUID must be 16 bytes, not all zero');
    }
    uuid = uuid.slice();
  } else {
    uuid = crypto.getRandomValues(new Uint8Array(MKV_SEGMENT_UUID_LEN));
  }
  const tracks = resolveTracks(options.tracks, nal);
  const app = `${MKV_GENERATOR_APPLICATION_NAME} ${MKV_GENERATOR_CURRENT_VERSION}${clientId ? ` ${clientId}` : ''}`;
  return {
    tracks,
    nalFlags: nal,
    keyFrameFragmentation: kff,
    fragmentDurationUs: fragmentUs,
    absoluteFragmentTimes: options.absoluteFragmentTimes ?? true,
    frameTimecodes: options.frameTimecodes ?? true,
    now: options.now ?? (() => Date.now() * 1000),
    requirePtsEqualsDtsAtFragmentStart: options.requirePtsEqualsDtsAtFragmentStart ?? false,
    tagTargets: options.tagTargets ?? false,
    info: {
      segmentUuid: uuid,
      timecodeScaleNs: scale,
      title: options.title ?? MKV_GENERATOR_APPLICATION_NAME,
      muxingApp: options.muxingApp ?? app,
      writingApp: options.writingApp ?? options.muxingApp ?? app,
    },
  };
}
