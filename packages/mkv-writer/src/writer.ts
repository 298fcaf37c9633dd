// The KVS MKV generator: PIC's mkvgen state machine (stream start → cluster per fragment →
// SimpleBlocks) plus the client-side parts of Stream.c that shape the bytes (skipping to key
// frames, EoFR, fragment metadata). Times are µs outside, timecode ticks inside.
//
// Every frame goes through plan() first, which validates and sizes it without touching the
// generator's state; only a successful write/package commits. So a rejected frame changes nothing.

import {
  AnnexBToAvccConverter,
  avccToAnnexBInPlace,
  codecPrivateFromAnnexBKeyFrame,
  isValidAvcc,
} from '@kvs-ts/codecs';
import { DEFAULT_TIMECODE_SCALE_NS, type Frame, FrameFlags, KvsError, type StatusName } from '@kvs-ts/core';
import {
  CLUSTER_HEADER_SIZE,
  MAX_BLOCK_RELATIVE_TIMECODE,
  SIMPLE_BLOCK_HEADER_SIZE,
  writeClusterHeader,
  writeSimpleBlockHeader,
} from './block';
import {
  byteLength,
  KvsTagName,
  MAX_CLUSTER_DURATION_US,
  MAX_MKV_CLIENT_ID_STRING_LEN,
  MAX_TIMECODE_SCALE_NS,
  MIN_CLUSTER_DURATION_US,
  MIN_TIMECODE_SCALE_NS,
  MKV_GENERATOR_APPLICATION_NAME,
  MKV_GENERATOR_CURRENT_VERSION,
  MKV_SEGMENT_UUID_LEN,
  NalAdaptation,
  SimpleBlockFlags,
} from './constants';
import { buildStreamHeader, type SegmentInfo } from './header';
import { encodeTag, MetadataQueue, type StreamEventMetadata } from './tags';
import { type ResolvedTrack, resolveTracks, type WriterTrackInfo, withCodecPrivateData } from './tracks';

/** Options of {@link MkvWriter}, mirroring the StreamCaps fields PIC's generator uses. */
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
  nalAdaptationFlags?: number;
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

const EMPTY: Uint8Array = new Uint8Array(0);

// What a planned frame becomes; ordered so that `kind >= CLUSTER` means "starts a cluster".
const NONE = 0;
const SKIP = 1;
const BLOCK = 2;
const CLUSTER = 3;
const STREAM = 4;
const END_OF_FRAGMENT = 5;

// Payload conversions.
const AS_IS = 0;
const ANNEXB_TO_AVCC = 1;
const AVCC_TO_ANNEXB = 2;

/**
 * What packaging a frame produces, and why. One instance is reused per writer and per form:
 * read it before the next call.
 */
export class FrameLayout {
  /** Total bytes: stream header + tags + cluster start + block header + payload. */
  size = 0;
  /** Bytes before the payload (where the frame data starts). */
  headerSize = 0;
  /** Frame payload bytes (after NAL adaptation). */
  payloadSize = 0;
  /** Bytes of EBML header + Segment + Info + Tracks at the front (PIC's dataOffset), 0 unless {@link streamStart}. */
  streamHeaderSize = 0;
  /** Bytes of Tags elements (fragment metadata, EoFR). */
  tagsSize = 0;
  /** The frame was dropped: a non-key frame before the stream's first key frame or after an EoFR. */
  skipped = false;
  /** Begins a new MKV stream (EBML header, Segment, Info, Tracks). */
  streamStart = false;
  /** Begins a new Cluster: a fragment start. */
  clusterStart = false;
  /** An EoFR: Tags only, ending the fragment. */
  endOfFragment = false;
  /** The frame carries the key-frame flag. */
  keyFrame = false;
  /** MKV TrackNumber of the block (0 for EoFR/skipped). */
  trackNumber = 0;
  /** Frame PTS / DTS after timecode rounding, µs (last frame's for an EoFR). */
  ptsUs = 0;
  dtsUs = 0;
  /** Frame duration after timecode rounding, µs. */
  durationUs = 0;
  /** PTS / DTS of the cluster the frame is in, µs. */
  clusterPtsUs = 0;
  clusterDtsUs = 0;
  /** PTS of the MKV stream's first frame, µs. */
  streamStartUs = 0;
}

/**
 * {@link FrameLayout} plus the bytes: `header` (a view of writer memory, valid until the next
 * call) and `data` (the caller's frame data, or converted bytes when NAL adaptation applies).
 * Sending `header` then `data` sends the frame.
 */
export class PackagedFrame extends FrameLayout {
  header: Uint8Array = EMPTY;
  data: Uint8Array = EMPTY;
}

function fail(status: StatusName, message: string): never {
  throw new KvsError(status, message);
}

/**
 * The KVS MKV generator. Byte layout and validation follow AWS's PIC (src/mkvgen); see the
 * package README for the decisions where it differs.
 *
 * Two ways to package frames, neither of which copies or allocates per frame for AVCC/opaque data:
 * - {@link packageFrame}: the header bytes as a view of writer memory plus the frame data;
 * - {@link prepare} then {@link write}: the size first, then header and frame written (Annex-B
 *   converted) straight into the caller's buffer — one copy, into the content store.
 */
export class MkvWriter {
  private tracks: ResolvedTrack[];
  private readonly nalFlags: number;
  /** Annex-B → AVCC in one scan: sized in plan(), written in writePayload(). */
  private readonly converter = new AnnexBToAvccConverter();
  private readonly scaleNs: number;
  /** TimecodeScale in µs when it is a whole number of µs (then ticks = µs / scaleUs exactly). */
  private readonly scaleUs: number;
  private readonly scaleIntegralUs: boolean;
  private readonly keyFrameFragmentation: boolean;
  private readonly clusterDurationTicks: number;
  private readonly absolute: boolean;
  private readonly frameTimecodes: boolean;
  private readonly now: () => number;
  private readonly strictPtsDts: boolean;
  private readonly info: SegmentInfo;
  private readonly targets: boolean;
  private readonly meta: MetadataQueue;
  private header: Uint8Array | undefined;
  private readonly eos: Uint8Array;

  // Generator state (committed).
  private started = false;
  private eofr = false;
  private clusterPts = 0;
  private clusterDts = 0;
  private streamStartPts = 0;
  private streamStartStored = false;
  private lastPts = 0;
  private lastDts = 0;

  // The planned frame (valid between plan() and commit()).
  private pKind: number = NONE;
  private pFrame: Frame | undefined;
  private pTrack = 0;
  private pPts = 0;
  private pDts = 0;
  private pRel = 0;
  private pFlags = 0;
  private pPayload = 0;
  private pConvert: number = AS_IS;
  private pClusterTc = 0;
  private pStreamStart = 0;
  private pUpdatedTrack: ResolvedTrack | undefined;
  private pHeader: Uint8Array = EMPTY;
  private pTags: Uint8Array = EMPTY;
  private pTagsNotSentOnly = false;
  private prepared = false;

  private tagsCacheVersion = -1;
  private tagsCache: Uint8Array = EMPTY;

  private readonly layout = new FrameLayout();
  private readonly packaged = new PackagedFrame();
  private scratch = new Uint8Array(4096);
  private readonly headerViews = new Map<number, Uint8Array>();
  private payloadScratch: Uint8Array = EMPTY;

  constructor(options: MkvWriterOptions) {
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
    if (
      clientId !== undefined &&
      (typeof clientId !== 'string' || byteLength(clientId) > MAX_MKV_CLIENT_ID_STRING_LEN)
    ) {
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
    this.tracks = resolveTracks(options.tracks, nal);
    this.nalFlags = nal;
    this.scaleNs = scale;
    this.scaleUs = scale / 1000;
    this.scaleIntegralUs = scale % 1000 === 0;
    this.keyFrameFragmentation = kff;
    this.clusterDurationTicks = kff ? 0 : this.toTicks(fragmentUs);
    this.absolute = options.absoluteFragmentTimes ?? true;
    this.frameTimecodes = options.frameTimecodes ?? true;
    this.now = options.now ?? (() => Date.now() * 1000);
    this.strictPtsDts = options.requirePtsEqualsDtsAtFragmentStart ?? false;
    this.targets = options.tagTargets ?? false;
    const app = `${MKV_GENERATOR_APPLICATION_NAME} ${MKV_GENERATOR_CURRENT_VERSION}${clientId ? ` ${clientId}` : ''}`;
    this.info = {
      segmentUuid: uuid,
      timecodeScaleNs: scale,
      title: options.title ?? MKV_GENERATOR_APPLICATION_NAME,
      muxingApp: options.muxingApp ?? app,
      writingApp: options.writingApp ?? options.muxingApp ?? app,
    };
    this.meta = new MetadataQueue(this.targets);
    this.eos = encodeTag(KvsTagName.END_OF_FRAGMENT, '', this.targets);
    // Builds once now so that an Info that cannot be encoded fails at construction.
    this.header = buildStreamHeader(this.info, this.tracks);
  }

  // ---------------------------------------------------------------------------------------------
  // Stream-level API

  /** The tracks as written: CPD after adaptation or extraction, Video/Audio parameters. */
  get trackInfo(): readonly Readonly<ResolvedTrack>[] {
    return this.tracks;
  }

  /** The 16-byte SegmentUID. */
  get segmentUuid(): Uint8Array {
    return this.info.segmentUuid.slice();
  }

  /** MKV TimecodeScale, ns. */
  get timecodeScaleNs(): number {
    return this.scaleNs;
  }

  /** Whether the current MKV stream has started (its header went out with a key frame). */
  get streamStarted(): boolean {
    return this.started;
  }

  /** Whether the last thing packaged was an EoFR (or {@link finish}): the next frame must be a key frame. */
  get lastWasEndOfFragment(): boolean {
    return this.eofr;
  }

  /**
   * EBML header + Segment (unknown size) + Info + Tracks with the current codec private data, as
   * sent at a stream start. The stream package re-sends it at every new connection. Do not modify
   * the returned array.
   */
  streamHeader(): Uint8Array {
    this.header ??= buildStreamHeader(this.info, this.tracks);
    return this.header;
  }

  /**
   * PIC's end-of-stream blob: Tags{Tag{SimpleTag AWS_KINESISVIDEO_END_OF_FRAGMENT ""}}, appended
   * at the end of an upload session so KVS closes the last fragment. Do not modify it.
   */
  endOfStreamTags(): Uint8Array {
    return this.eos;
  }

  /**
   * Ends the MKV stream: not-yet-written metadata then the end-of-fragment tag, as PIC appends at
   * stream stop; empty when no stream is open or it already ended with an EoFR. Afterwards the
   * next frame must be a key frame (it starts a new cluster in the same Segment).
   */
  finish(): Uint8Array {
    this.prepared = false;
    if (!this.started || this.eofr) return EMPTY;
    const bytes = this.meta.encode(true, KvsTagName.END_OF_FRAGMENT);
    this.meta.commit(true);
    this.eofr = true;
    return bytes;
  }

  /** Starts a new MKV stream at the next key frame (PIC's mkvgenResetGenerator). Queued metadata stays. */
  reset(): void {
    this.prepared = false;
    this.started = false;
    this.eofr = false;
    this.clusterPts = 0;
    this.clusterDts = 0;
    this.streamStartStored = false;
  }

  /**
   * Sets a track's codec private data (PIC's mkvgenSetCodecPrivateData), adapted as at
   * construction. Takes effect in the next {@link streamHeader} and stream start.
   */
  setCodecPrivateData(trackId: number, codecPrivateData: Uint8Array): void {
    const i = this.trackIndex(trackId);
    if (i < 0) fail('STATUS_MKV_TRACK_INFO_NOT_FOUND', `no track ${trackId}`);
    if (!(codecPrivateData instanceof Uint8Array))
      fail('STATUS_MKV_CODEC_PRIVATE_NULL', 'codec private data is not bytes');
    const t = this.tracks[i];
    const next =
      codecPrivateData.length === 0
        ? { ...t, codecPrivateData: undefined }
        : withCodecPrivateData(t, codecPrivateData, this.nalFlags);
    const tracks = this.tracks.slice();
    tracks[i] = next;
    this.tracks = tracks;
    this.header = undefined;
    this.prepared = false;
  }

  /**
   * Queues fragment metadata (PIC's putKinesisVideoFragmentMetadata): written as Tags before the
   * next cluster. Persistent items are written before every fragment until replaced or cleared
   * with an empty value; one-shot items once. Names may not start with "AWS"; name 1–128 bytes,
   * value 0–256; at most 25 queued.
   */
  putFragmentMetadata(name: string, value: string, persistent = true): void {
    this.meta.put(name, value, persistent);
  }

  /**
   * Queues a stream event (PIC's putKinesisVideoEventMetadata): {@link StreamEventType} bits,
   * optional image prefix and ≤ 10 custom pairs. Needs a started stream; each event once per fragment.
   */
  putEventMetadata(events: number, metadata?: StreamEventMetadata): void {
    this.meta.putEvent(events, metadata, this.started);
  }

  /** Timestamps of the current stream and cluster, µs (PIC's mkvgenGetCurrentTimestamps). */
  currentTimestamps(): { streamStartUs: number; clusterPtsUs: number; clusterDtsUs: number } {
    return {
      streamStartUs: this.toUs(this.streamStartPts),
      clusterPtsUs: this.toUs(this.clusterPts),
      clusterDtsUs: this.toUs(this.clusterDts),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Packaging

  /**
   * Packages a frame: returns the header bytes (a view of writer memory, valid until the next call
   * on this writer) and the frame data (the caller's view; converted bytes, also writer memory,
   * under NAL adaptation). The returned object is reused. Throws a KvsError and changes nothing
   * when the frame is rejected. Invalidates a pending {@link prepare}.
   */
  packageFrame(frame: Frame): PackagedFrame {
    const out = this.packaged;
    this.plan(frame, out);
    const headerSize = out.headerSize;
    if (headerSize > this.scratch.length) {
      this.scratch = new Uint8Array(Math.max(headerSize, this.scratch.length * 2));
      this.headerViews.clear();
    }
    this.writeHeader(this.scratch, 0);
    let view = this.headerViews.get(headerSize);
    if (view === undefined) {
      view = this.scratch.subarray(0, headerSize);
      if (this.headerViews.size < 64) this.headerViews.set(headerSize, view);
    }
    out.header = view;
    const frameData = this.pFrame?.data;
    if (this.pKind < BLOCK || frameData === undefined) {
      out.data = EMPTY;
    } else if (this.pConvert === AS_IS) {
      out.data = frameData;
    } else {
      if (this.payloadScratch.length < this.pPayload) {
        this.payloadScratch = new Uint8Array(Math.max(this.pPayload, this.payloadScratch.length * 2));
      }
      this.writePayload(this.payloadScratch, 0);
      out.data = this.payloadScratch.subarray(0, this.pPayload);
    }
    this.commit();
    return out;
  }

  /**
   * Phase one of the content-store form: validates and sizes `frame` without changing the
   * generator. The returned object (reused) says how many bytes {@link write} will write and what
   * they contain. Throws a KvsError for a rejected frame (then {@link write} is not allowed).
   */
  prepare(frame: Frame): FrameLayout {
    this.prepared = false;
    this.plan(frame, this.layout);
    this.prepared = true;
    return this.layout;
  }

  /**
   * Phase two: writes the prepared frame's bytes (header, then the frame data — Annex-B converted
   * straight into `dst`) at `dst[offset…]`, commits the generator state, and returns the byte
   * count. Throws STATUS_INVALID_OPERATION without a prepared frame, STATUS_BUFFER_TOO_SMALL
   * when `dst` cannot hold it (then the frame stays prepared).
   */
  write(dst: Uint8Array, offset = 0): number {
    if (!this.prepared) fail('STATUS_INVALID_OPERATION', 'write() needs a successful prepare() first');
    const size = this.layout.size;
    if (!(offset >= 0) || offset + size > dst.length) {
      fail('STATUS_BUFFER_TOO_SMALL', `${size} bytes do not fit at offset ${offset} of ${dst.length}`);
    }
    const pos = this.writeHeader(dst, offset);
    if (this.pKind >= BLOCK && this.pKind <= STREAM) this.writePayload(dst, pos);
    this.prepared = false;
    this.commit();
    return size;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private trackIndex(trackId: number): number {
    const tracks = this.tracks;
    for (let i = 0; i < tracks.length; i++) if (tracks[i].trackId === trackId) return i;
    return -1;
  }

  private toTicks(us: number): number {
    return this.scaleIntegralUs ? Math.floor(us / this.scaleUs) : Math.floor((us * 1000) / this.scaleNs);
  }

  private toUs(ticks: number): number {
    return this.scaleIntegralUs ? ticks * this.scaleUs : (ticks * this.scaleNs) / 1000;
  }

  private checkedTicks(us: number, what: string): number {
    if (typeof us !== 'number' || !Number.isFinite(us) || us > Number.MAX_SAFE_INTEGER) {
      fail('STATUS_MKV_MAX_FRAME_TIMECODE', `${what} ${us} is not a representable timestamp`);
    }
    if (us < 0) fail('STATUS_MKV_INVALID_FRAME_TIMESTAMP', `${what} ${us} is negative`);
    const t = this.toTicks(us);
    if (t > Number.MAX_SAFE_INTEGER) fail('STATUS_MKV_MAX_FRAME_TIMECODE', `${what} ${us} µs overflows the timecode`);
    return t;
  }

  /** Validates and sizes a frame into `out` and the pending fields; changes no generator state. */
  private plan(frame: Frame, out: FrameLayout): void {
    this.pKind = NONE;
    this.pFrame = undefined;
    this.pUpdatedTrack = undefined;
    if (frame === null || typeof frame !== 'object') fail('STATUS_NULL_ARG', 'frame is required');
    const flags = frame.flags | 0;
    if ((flags & FrameFlags.END_OF_FRAGMENT) !== 0) {
      this.planEndOfFragment(flags, out);
      return;
    }
    const ti = this.trackIndex(frame.trackId);
    if (ti < 0) fail('STATUS_MKV_TRACK_INFO_NOT_FOUND', `frame for unknown track ${frame.trackId}`);
    const track = this.tracks[ti];
    const data = frame.data;
    if (!(data instanceof Uint8Array) || data.length === 0) fail('STATUS_MKV_INVALID_FRAME_DATA', 'frame has no data');
    const key = (flags & FrameFlags.KEY_FRAME) !== 0;
    const fragmentKey = key && track.startsFragments;

    out.keyFrame = key;
    out.endOfFragment = false;
    out.trackNumber = track.trackNumber;
    // PIC's Stream.c drops non-key frames until the stream (or the fragment after an EoFR) starts.
    if (!fragmentKey && (!this.started || this.eofr)) {
      this.pKind = SKIP;
      out.skipped = true;
      out.streamStart = out.clusterStart = false;
      out.size = out.headerSize = out.payloadSize = out.streamHeaderSize = out.tagsSize = 0;
      out.ptsUs = out.dtsUs = out.durationUs = 0;
      this.fillClusterTimes(out, this.clusterPts, this.clusterDts, this.streamStartPts);
      return;
    }

    let pts: number;
    let dts: number;
    if (this.frameTimecodes) {
      pts = this.checkedTicks(frame.pts, 'PTS');
      dts = this.checkedTicks(frame.dts, 'DTS');
    } else {
      pts = dts = this.checkedTicks(this.now(), 'clock time');
    }
    const duration = frame.duration > 0 && Number.isFinite(frame.duration) ? this.toTicks(frame.duration) : 0;
    if (pts < this.clusterPts || dts < this.clusterDts) {
      fail(
        'STATUS_MKV_INVALID_FRAME_TIMESTAMP',
        `timestamp (PTS ${frame.pts} µs, DTS ${frame.dts} µs) is before the current cluster start`,
      );
    }
    let kind: number;
    if (!this.started) kind = STREAM;
    else if (
      fragmentKey &&
      (this.keyFrameFragmentation || this.eofr || pts - this.clusterPts >= this.clusterDurationTicks)
    ) {
      kind = CLUSTER;
    } else kind = BLOCK;
    if (kind !== BLOCK && this.strictPtsDts && pts !== dts) {
      fail('STATUS_MKV_PTS_DTS_ARE_NOT_SAME', 'a fragment-start frame must have PTS == DTS');
    }
    const rel = kind === BLOCK ? pts - this.clusterPts : 0;
    if (rel > MAX_BLOCK_RELATIVE_TIMECODE) {
      fail('STATUS_MKV_LARGE_FRAME_TIMECODE', `frame is ${rel} ticks after its cluster start (max 32767)`);
    }

    // NAL adaptation applies to H.264/H.265 video tracks.
    let convert: number = AS_IS;
    let payload = data.length;
    if (track.nal !== undefined) {
      if ((this.nalFlags & NalAdaptation.ANNEXB_NALS) !== 0) {
        // One scan: the converter keeps the NAL bounds for write().
        payload = this.converter.prepare(data);
        convert = ANNEXB_TO_AVCC;
      } else if ((this.nalFlags & NalAdaptation.AVCC_NALS) !== 0) {
        if (!isValidAvcc(data, 4)) fail('STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA', 'frame is not AVCC');
        convert = AVCC_TO_ANNEXB;
      }
    }

    // PIC takes the CPD from the first Annex-B key frame of a track that has none.
    let headerBytes: Uint8Array = EMPTY;
    if (convert === ANNEXB_TO_AVCC && key && track.codecPrivateData === undefined) {
      let cpd: Uint8Array | undefined;
      try {
        cpd = codecPrivateFromAnnexBKeyFrame(track.codecId, data);
      } catch {
        // PIC warns and goes on without CPD.
      }
      if (cpd !== undefined) {
        try {
          this.pUpdatedTrack = withCodecPrivateData(track, cpd, 0);
        } catch {
          this.pUpdatedTrack = undefined;
        }
      }
    }
    if (kind === STREAM) {
      if (this.pUpdatedTrack !== undefined) {
        const tracks = this.tracks.slice();
        tracks[ti] = this.pUpdatedTrack;
        headerBytes = buildStreamHeader(this.info, tracks);
      } else {
        headerBytes = this.streamHeader();
      }
    }
    let tags: Uint8Array = EMPTY;
    if (kind >= CLUSTER && !this.meta.isEmpty) {
      if (this.tagsCacheVersion !== this.meta.version) {
        this.tagsCache = this.meta.encode(false);
        this.tagsCacheVersion = this.meta.version;
      }
      tags = this.tagsCache;
    }

    const streamStart = kind === STREAM ? pts : this.streamStartStored ? this.streamStartPts : pts;
    const clusterPts = kind === BLOCK ? this.clusterPts : pts;
    const clusterDts = kind === BLOCK ? this.clusterDts : dts;
    let blockFlags = 0;
    if (key) blockFlags |= SimpleBlockFlags.KEY_FRAME;
    if (flags & FrameFlags.DISCARDABLE) blockFlags |= SimpleBlockFlags.DISCARDABLE;
    if (flags & FrameFlags.INVISIBLE) blockFlags |= SimpleBlockFlags.INVISIBLE;

    this.pKind = kind;
    this.pFrame = frame;
    this.pTrack = ti;
    this.pPts = pts;
    this.pDts = dts;
    this.pRel = rel;
    this.pFlags = blockFlags;
    this.pPayload = payload;
    this.pConvert = convert;
    this.pStreamStart = streamStart;
    this.pClusterTc = this.absolute ? pts : pts - streamStart;
    this.pHeader = headerBytes;
    this.pTags = tags;
    this.pTagsNotSentOnly = false;

    const headerSize =
      headerBytes.length + tags.length + (kind >= CLUSTER ? CLUSTER_HEADER_SIZE : 0) + SIMPLE_BLOCK_HEADER_SIZE;
    out.skipped = false;
    out.streamStart = kind === STREAM;
    out.clusterStart = kind >= CLUSTER;
    out.streamHeaderSize = headerBytes.length;
    out.tagsSize = tags.length;
    out.headerSize = headerSize;
    out.payloadSize = payload;
    out.size = headerSize + payload;
    out.ptsUs = this.toUs(pts);
    out.dtsUs = this.toUs(dts);
    out.durationUs = this.toUs(duration);
    this.fillClusterTimes(out, clusterPts, clusterDts, streamStart);
  }

  private planEndOfFragment(flags: number, out: FrameLayout): void {
    if (!this.keyFrameFragmentation) {
      fail('STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE', 'EoFR needs key-frame fragmentation');
    }
    if ((flags & FrameFlags.KEY_FRAME) !== 0) {
      fail('STATUS_SETTING_KEY_FRAME_FLAG_WHILE_USING_EOFR', 'an EoFR frame cannot be a key frame');
    }
    if (this.eofr) fail('STATUS_MULTIPLE_CONSECUTIVE_EOFR', 'EoFR right after an EoFR');
    if (!this.started) fail('STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE', 'EoFR before the stream started');
    const tags = this.meta.encode(true, KvsTagName.END_OF_FRAGMENT);
    this.pKind = END_OF_FRAGMENT;
    this.pHeader = EMPTY;
    this.pTags = tags;
    this.pTagsNotSentOnly = true;
    this.pPayload = 0;
    out.skipped = false;
    out.streamStart = out.clusterStart = out.keyFrame = false;
    out.endOfFragment = true;
    out.trackNumber = 0;
    out.streamHeaderSize = 0;
    out.tagsSize = out.headerSize = out.size = tags.length;
    out.payloadSize = 0;
    out.ptsUs = this.toUs(this.lastPts);
    out.dtsUs = this.toUs(this.lastDts);
    out.durationUs = 0;
    this.fillClusterTimes(out, this.clusterPts, this.clusterDts, this.streamStartPts);
  }

  private fillClusterTimes(out: FrameLayout, clusterPts: number, clusterDts: number, streamStart: number): void {
    out.clusterPtsUs = this.toUs(clusterPts);
    out.clusterDtsUs = this.toUs(clusterDts);
    out.streamStartUs = this.toUs(streamStart);
  }

  /** Writes the planned bytes before the payload; returns the position after them. */
  private writeHeader(dst: Uint8Array, pos: number): number {
    const kind = this.pKind;
    if (kind <= SKIP) return pos;
    if (this.pHeader.length > 0) {
      dst.set(this.pHeader, pos);
      pos += this.pHeader.length;
    }
    if (this.pTags.length > 0) {
      dst.set(this.pTags, pos);
      pos += this.pTags.length;
    }
    if (kind === END_OF_FRAGMENT) return pos;
    if (kind >= CLUSTER) pos = writeClusterHeader(dst, pos, this.pClusterTc);
    return writeSimpleBlockHeader(
      dst,
      pos,
      this.tracks[this.pTrack].trackNumber,
      this.pRel,
      this.pFlags,
      this.pPayload,
    );
  }

  /** Writes the planned payload (converted if needed) at `dst[pos…]`. */
  private writePayload(dst: Uint8Array, pos: number): void {
    const data = (this.pFrame as Frame).data;
    if (this.pConvert === ANNEXB_TO_AVCC) {
      this.converter.write(dst, pos);
      this.converter.release();
    } else {
      dst.set(data, pos);
      if (this.pConvert === AVCC_TO_ANNEXB) avccToAnnexBInPlace(dst.subarray(pos, pos + data.length));
    }
  }

  /** Applies the planned frame to the generator state. */
  private commit(): void {
    const kind = this.pKind;
    this.pFrame = undefined;
    if (kind === END_OF_FRAGMENT) {
      this.meta.commit(true);
      this.eofr = true;
      this.pKind = NONE;
      return;
    }
    if (kind <= SKIP) {
      this.pKind = NONE;
      return;
    }
    if (this.pUpdatedTrack !== undefined) {
      const tracks = this.tracks.slice();
      tracks[this.pTrack] = this.pUpdatedTrack;
      this.tracks = tracks;
      this.header = kind === STREAM ? this.pHeader : undefined;
      this.pUpdatedTrack = undefined;
    }
    if (kind === STREAM) {
      this.started = true;
      if (!this.streamStartStored) {
        this.streamStartPts = this.pStreamStart;
        this.streamStartStored = true;
      }
    }
    if (kind >= CLUSTER) {
      this.clusterPts = this.pPts;
      this.clusterDts = this.pDts;
      this.eofr = false;
      if (this.pTags.length > 0) this.meta.commit(this.pTagsNotSentOnly);
    }
    this.lastPts = this.pPts;
    this.lastDts = this.pDts;
    this.pKind = NONE;
  }
}
