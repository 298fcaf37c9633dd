// The KVS MKV generator: PIC's mkvgen state machine (stream start → cluster per fragment →
// SimpleBlocks) plus the client-side parts of Stream.c that shape the bytes (skipping to key
// frames, EoFR, fragment metadata). Times are µs outside, timecode ticks inside.
//
// Every frame goes through plan() first, which validates and sizes it into a PlannedFrame without
// touching the generator's state; only write() of that plan (or packageFrame) commits. So a
// rejected frame changes nothing, and write() works from the plan alone plus the committed state.

import {
  AnnexBToAvccConverter,
  avccToAnnexBInPlace,
  codecPrivateFromAnnexBKeyFrame,
  isValidAvcc,
} from '@kvs-ts/codecs';
import { type Frame, FrameFlags, KvsError, type StatusName, usPerTick } from '@kvs-ts/core';
import {
  CLUSTER_HEADER_SIZE,
  MAX_BLOCK_RELATIVE_TIMECODE,
  SIMPLE_BLOCK_HEADER_SIZE,
  writeClusterHeader,
  writeSimpleBlockHeader,
} from './block';
import { KvsTagName, NalAdaptation, SimpleBlockFlags, type StreamEventType } from './constants';
import { buildStreamHeader, type SegmentInfo } from './header';
import { type MkvWriterOptions, resolveOptions } from './options';
import { EMPTY, PackagedFrame, PayloadConversion, PlanKind, PlannedFrame } from './plan';
import { encodeTag, MetadataQueue, type StreamEventMetadata } from './tags';
import { type ResolvedTrack, withCodecPrivateData } from './tracks';

// Plan kinds and conversions as module constants: the per-frame code compares with them often.
const { SKIP, BLOCK, CLUSTER, STREAM, END_OF_FRAGMENT } = PlanKind;
const { AS_IS, ANNEXB_TO_AVCC, AVCC_TO_ANNEXB } = PayloadConversion;

function fail(status: StatusName, message: string): never {
  throw new KvsError(status, message);
}

// Writer states are numbered across all writers, so that a plan made by one writer never matches another.
let lastSeq = 0;
function nextSeq(): number {
  return ++lastSeq;
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
  /** µs per tick in lowest terms: see toUs(). */
  private readonly tickNum: number;
  private readonly tickDen: number;
  private readonly wholeUs: boolean;
  private readonly keyFrameFragmentation: boolean;
  private readonly clusterDurationTicks: number;
  private readonly absolute: boolean;
  private readonly frameTimecodes: boolean;
  private readonly now: () => number;
  private readonly strictPtsDts: boolean;
  private readonly info: SegmentInfo;
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

  /** Changes with every change of the state above, of the tracks or of the metadata queue: plans carry it. */
  private seq = nextSeq();

  /** Numbers plan() calls that scan Annex-B; `scanned` is the one whose NAL bounds the converter holds. */
  private scans = 0;
  private scanned = 0;

  private tagsCacheVersion = -1;
  private tagsCache: Uint8Array = EMPTY;

  /** prepare()'s plan when the caller brings none. */
  private readonly defaultPlan = new PlannedFrame();
  private readonly packaged = new PackagedFrame();
  private scratch = new Uint8Array(4096);
  private readonly headerViews = new Map<number, Uint8Array>();
  private payloadScratch: Uint8Array = EMPTY;

  constructor(options: MkvWriterOptions) {
    const o = resolveOptions(options);
    this.tracks = o.tracks;
    this.nalFlags = o.nalFlags;
    this.scaleNs = o.info.timecodeScaleNs;
    ({ num: this.tickNum, den: this.tickDen } = usPerTick(this.scaleNs));
    this.wholeUs = this.tickDen === 1;
    this.keyFrameFragmentation = o.keyFrameFragmentation;
    this.clusterDurationTicks = o.keyFrameFragmentation ? 0 : this.toTicks(o.fragmentDurationUs);
    this.absolute = o.absoluteFragmentTimes;
    this.frameTimecodes = o.frameTimecodes;
    this.now = o.now;
    this.strictPtsDts = o.requirePtsEqualsDtsAtFragmentStart;
    this.info = o.info;
    this.meta = new MetadataQueue(o.tagTargets);
    this.eos = encodeTag(KvsTagName.END_OF_FRAGMENT, '', o.tagTargets);
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
    this.seq = nextSeq();
    if (!this.started || this.eofr) return EMPTY;
    const bytes = this.meta.encode(true, KvsTagName.END_OF_FRAGMENT);
    this.meta.commit(true);
    this.eofr = true;
    return bytes;
  }

  /** Starts a new MKV stream at the next key frame (PIC's mkvgenResetGenerator). Queued metadata stays. */
  reset(): void {
    this.seq = nextSeq();
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
    this.seq = nextSeq();
  }

  /**
   * Queues fragment metadata (PIC's putKinesisVideoFragmentMetadata): written as Tags before the
   * next cluster. Persistent items are written before every fragment until replaced or cleared
   * with an empty value; one-shot items once. Names may not start with "AWS"; name 1–128 bytes,
   * value 0–256; at most 25 queued.
   */
  putFragmentMetadata(name: string, value: string, persistent = true): void {
    this.meta.put(name, value, persistent);
    this.seq = nextSeq();
  }

  /**
   * Queues a stream event (PIC's putKinesisVideoEventMetadata): {@link StreamEventType} bits,
   * optional image prefix and ≤ 10 custom pairs. Needs a started stream; each event once per fragment.
   */
  putEventMetadata(events: StreamEventType, metadata?: StreamEventMetadata): void {
    this.meta.putEvent(events, metadata, this.started);
    this.seq = nextSeq();
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
   * when the frame is rejected. Makes every outstanding {@link PlannedFrame} stale.
   */
  packageFrame(frame: Frame): PackagedFrame {
    const out = this.plan(frame, this.packaged);
    const headerSize = out.headerSize;
    if (headerSize > this.scratch.length) {
      this.scratch = new Uint8Array(Math.max(headerSize, this.scratch.length * 2));
      this.headerViews.clear();
    }
    this.writeHeader(out, this.scratch, 0);
    let view = this.headerViews.get(headerSize);
    if (view === undefined) {
      view = this.scratch.subarray(0, headerSize);
      if (this.headerViews.size < 64) this.headerViews.set(headerSize, view);
    }
    out.header = view;
    if (out.kind < BLOCK || out.kind > STREAM) {
      out.data = EMPTY;
    } else if (out.conversion === AS_IS) {
      out.data = out.source;
    } else {
      const size = out.payloadSize;
      if (this.payloadScratch.length < size) {
        this.payloadScratch = new Uint8Array(Math.max(size, this.payloadScratch.length * 2));
      }
      this.writePayload(out, this.payloadScratch, 0);
      out.data = this.payloadScratch.subarray(0, size);
    }
    this.commit(out);
    return out;
  }

  /** A new, empty plan for {@link prepare}, owned by the caller and reused frame after frame. */
  newPlan(): PlannedFrame {
    return new PlannedFrame();
  }

  /**
   * Phase one of the content-store form: validates and sizes `frame` into `out` (by default a
   * plan the writer owns and reuses) without changing the generator, and returns `out`: how many
   * bytes {@link write} will write and what they contain. Throws a KvsError for a rejected frame
   * (then `out` cannot be written).
   */
  prepare(frame: Frame, out: PlannedFrame = this.defaultPlan): PlannedFrame {
    if (!(out instanceof PlannedFrame)) fail('STATUS_INVALID_ARG', 'prepare() needs a plan from newPlan()');
    return this.plan(frame, out);
  }

  /**
   * Phase two: writes `plan`'s bytes (header, then the frame data — Annex-B converted straight
   * into `dst`) at `dst[offset…]`, commits it to the generator state, and returns the byte count
   * (`plan.size`). Throws STATUS_INVALID_OPERATION unless `plan` was prepared by this writer in
   * its current state (any packaging, write, reset, finish, codec private data or metadata change
   * since makes it stale), and STATUS_BUFFER_TOO_SMALL when `dst` cannot hold it (then the plan
   * stays valid).
   */
  write(plan: PlannedFrame, dst: Uint8Array, offset = 0): number {
    if (!(plan instanceof PlannedFrame) || plan.seq !== this.seq) {
      fail('STATUS_INVALID_OPERATION', 'write() needs a plan prepared by this writer since its last change');
    }
    const size = plan.size;
    if (!(offset >= 0) || offset + size > dst.length) {
      fail('STATUS_BUFFER_TOO_SMALL', `${size} bytes do not fit at offset ${offset} of ${dst.length}`);
    }
    const pos = this.writeHeader(plan, dst, offset);
    if (plan.kind >= BLOCK && plan.kind <= STREAM) this.writePayload(plan, dst, pos);
    this.commit(plan);
    return size;
  }

  // ---------------------------------------------------------------------------------------------
  // Planning: validates and sizes a frame into a plan; changes no generator state.

  private trackIndex(trackId: number): number {
    const tracks = this.tracks;
    for (let i = 0; i < tracks.length; i++) if (tracks[i].trackId === trackId) return i;
    return -1;
  }

  // @kvs-ts/core's ticksToUs / usToTicks, exact, with the scale's µs per tick worked out once.
  // Kept this small on purpose: the JIT then always inlines them (a call would box the result).
  private toUs(ticks: number): number {
    if (this.wholeUs) return ticks * this.tickNum;
    return this.fractionalToUs(ticks);
  }

  private fractionalToUs(ticks: number): number {
    return (ticks * this.tickNum) / this.tickDen;
  }

  private toTicks(us: number): number {
    if (this.wholeUs) return Math.floor(us / this.tickNum);
    return Math.floor((us * this.tickDen) / this.tickNum);
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

  /** Fills `out` for `frame`, or throws with `out` left invalid; returns `out`. */
  private plan<P extends PlannedFrame>(frame: Frame, out: P): P {
    out.seq = 0; // not writable unless planning completes
    out.updatedTrack = undefined;
    if (frame === null || typeof frame !== 'object') fail('STATUS_NULL_ARG', 'frame is required');
    const flags = frame.flags | 0;
    if ((flags & FrameFlags.END_OF_FRAGMENT) !== 0) {
      this.planEndOfFragment(flags, out);
    } else {
      const ti = this.trackIndex(frame.trackId);
      if (ti < 0) fail('STATUS_MKV_TRACK_INFO_NOT_FOUND', `frame for unknown track ${frame.trackId}`);
      const data = frame.data;
      if (!(data instanceof Uint8Array) || data.length === 0)
        fail('STATUS_MKV_INVALID_FRAME_DATA', 'frame has no data');
      const track = this.tracks[ti];
      out.keyFrame = (flags & FrameFlags.KEY_FRAME) !== 0;
      out.endOfFragment = false;
      out.trackNumber = track.trackNumber;
      out.trackIndex = ti;
      // PIC's Stream.c drops non-key frames until the stream (or the fragment after an EoFR) starts.
      const fragmentKey = out.keyFrame && track.startsFragments;
      if (!fragmentKey && (!this.started || this.eofr)) {
        this.planSkip(out);
      } else {
        this.planTimes(frame, fragmentKey, out);
        this.planPayload(data, out);
        this.planLayout(flags, out);
      }
    }
    out.seq = this.seq;
    return out;
  }

  private planSkip(out: PlannedFrame): void {
    out.kind = SKIP;
    out.skipped = true;
    out.streamStart = out.clusterStart = false;
    out.size = out.headerSize = out.payloadSize = out.streamHeaderSize = out.tagsSize = 0;
    out.ptsUs = out.dtsUs = out.durationUs = 0;
    this.fillCommittedTimes(out);
  }

  /** The bytes before a SimpleBlock's payload: stream header and/or cluster start, tags, block header. */
  private planLayout(flags: number, out: PlannedFrame): void {
    const kind = out.kind;
    // The stream header at a stream start; the fragment metadata at a cluster start.
    let streamHeader = EMPTY;
    if (kind === STREAM) {
      streamHeader = out.updatedTrack ? this.headerWith(out.trackIndex, out.updatedTrack) : this.streamHeader();
    }
    let tags = EMPTY;
    if (kind >= CLUSTER && !this.meta.isEmpty) {
      if (this.tagsCacheVersion !== this.meta.version) {
        this.tagsCache = this.meta.encode(false);
        this.tagsCacheVersion = this.meta.version;
      }
      tags = this.tagsCache;
    }
    let blockFlags = 0;
    if (out.keyFrame) blockFlags |= SimpleBlockFlags.KEY_FRAME;
    if (flags & FrameFlags.DISCARDABLE) blockFlags |= SimpleBlockFlags.DISCARDABLE;
    if (flags & FrameFlags.INVISIBLE) blockFlags |= SimpleBlockFlags.INVISIBLE;
    const headerSize =
      streamHeader.length + tags.length + (kind >= CLUSTER ? CLUSTER_HEADER_SIZE : 0) + SIMPLE_BLOCK_HEADER_SIZE;
    out.streamHeader = streamHeader;
    out.tags = tags;
    out.tagsNotSentOnly = false;
    out.blockFlags = blockFlags;
    out.skipped = false;
    out.streamStart = kind === STREAM;
    out.clusterStart = kind >= CLUSTER;
    out.streamHeaderSize = streamHeader.length;
    out.tagsSize = tags.length;
    out.headerSize = headerSize;
    out.size = headerSize + out.payloadSize;
  }

  /** The stream header with track `index` replaced by `track` (codec private data taken from a key frame). */
  private headerWith(index: number, track: ResolvedTrack): Uint8Array {
    const tracks = this.tracks.slice();
    tracks[index] = track;
    return buildStreamHeader(this.info, tracks);
  }

  /**
   * The frame's times: its ticks, what it starts (stream, cluster or neither), its block and
   * cluster timecodes, and the µs it reports (after timecode rounding).
   */
  private planTimes(frame: Frame, fragmentKey: boolean, out: PlannedFrame): void {
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
    let kind: PlanKind = BLOCK;
    if (!this.started) kind = STREAM;
    else if (
      fragmentKey &&
      (this.keyFrameFragmentation || this.eofr || pts - this.clusterPts >= this.clusterDurationTicks)
    ) {
      kind = CLUSTER;
    }
    if (kind !== BLOCK && this.strictPtsDts && pts !== dts) {
      fail('STATUS_MKV_PTS_DTS_ARE_NOT_SAME', 'a fragment-start frame must have PTS == DTS');
    }
    const rel = kind === BLOCK ? pts - this.clusterPts : 0;
    if (rel > MAX_BLOCK_RELATIVE_TIMECODE) {
      fail('STATUS_MKV_LARGE_FRAME_TIMECODE', `frame is ${rel} ticks after its cluster start (max 32767)`);
    }
    const streamStart = kind === STREAM || !this.streamStartStored ? pts : this.streamStartPts;
    out.kind = kind;
    out.pts = pts;
    out.dts = dts;
    out.relativeTimecode = rel;
    out.streamStartTicks = streamStart;
    out.clusterTimecode = this.absolute ? pts : pts - streamStart;
    out.ptsUs = this.toUs(pts);
    out.dtsUs = this.toUs(dts);
    out.durationUs = this.toUs(duration);
    out.clusterPtsUs = this.toUs(kind === BLOCK ? this.clusterPts : pts);
    out.clusterDtsUs = this.toUs(kind === BLOCK ? this.clusterDts : dts);
    out.streamStartUs = this.toUs(streamStart);
  }

  /** NAL adaptation (H.264/H.265 video tracks) and the codec private data of a first key frame. */
  private planPayload(data: Uint8Array, out: PlannedFrame): void {
    const track = this.tracks[out.trackIndex];
    let conversion: PayloadConversion = AS_IS;
    let payload = data.length;
    if (track.nal !== undefined) {
      if ((this.nalFlags & NalAdaptation.ANNEXB_NALS) !== 0) {
        // One scan: the converter keeps the NAL bounds for write().
        this.scanned = 0;
        payload = this.converter.prepare(data);
        out.scan = this.scanned = ++this.scans;
        conversion = ANNEXB_TO_AVCC;
      } else if ((this.nalFlags & NalAdaptation.AVCC_NALS) !== 0) {
        if (!isValidAvcc(data, 4)) fail('STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA', 'frame is not AVCC');
        conversion = AVCC_TO_ANNEXB;
      }
    }
    out.source = data;
    out.conversion = conversion;
    out.payloadSize = payload;
    // PIC takes the CPD from the first Annex-B key frame of a track that has none.
    if (conversion !== ANNEXB_TO_AVCC || !out.keyFrame || track.codecPrivateData !== undefined) return;
    let cpd: Uint8Array | undefined;
    try {
      cpd = codecPrivateFromAnnexBKeyFrame(track.codecId, data);
    } catch {
      // PIC warns and goes on without CPD.
    }
    if (cpd === undefined) return;
    try {
      out.updatedTrack = withCodecPrivateData(track, cpd, 0);
    } catch {
      out.updatedTrack = undefined;
    }
  }

  private planEndOfFragment(flags: number, out: PlannedFrame): void {
    if (!this.keyFrameFragmentation) {
      fail('STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE', 'EoFR needs key-frame fragmentation');
    }
    if ((flags & FrameFlags.KEY_FRAME) !== 0) {
      fail('STATUS_SETTING_KEY_FRAME_FLAG_WHILE_USING_EOFR', 'an EoFR frame cannot be a key frame');
    }
    if (this.eofr) fail('STATUS_MULTIPLE_CONSECUTIVE_EOFR', 'EoFR right after an EoFR');
    if (!this.started) fail('STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE', 'EoFR before the stream started');
    const tags = this.meta.encode(true, KvsTagName.END_OF_FRAGMENT);
    out.kind = END_OF_FRAGMENT;
    out.streamHeader = EMPTY;
    out.tags = tags;
    out.tagsNotSentOnly = true;
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
    this.fillCommittedTimes(out);
  }

  /** The current cluster's and stream's µs times, for a frame that starts neither (skipped, EoFR). */
  private fillCommittedTimes(out: PlannedFrame): void {
    out.streamStartTicks = this.streamStartPts;
    out.clusterPtsUs = this.toUs(this.clusterPts);
    out.clusterDtsUs = this.toUs(this.clusterDts);
    out.streamStartUs = this.toUs(this.streamStartPts);
  }

  // ---------------------------------------------------------------------------------------------
  // Writing and committing a plan

  /** Writes the plan's bytes before the payload; returns the position after them. */
  private writeHeader(plan: PlannedFrame, dst: Uint8Array, pos: number): number {
    const kind = plan.kind;
    if (kind <= SKIP) return pos;
    if (plan.streamHeader.length > 0) {
      dst.set(plan.streamHeader, pos);
      pos += plan.streamHeader.length;
    }
    if (plan.tags.length > 0) {
      dst.set(plan.tags, pos);
      pos += plan.tags.length;
    }
    if (kind === END_OF_FRAGMENT) return pos;
    if (kind >= CLUSTER) pos = writeClusterHeader(dst, pos, plan.clusterTimecode);
    return writeSimpleBlockHeader(dst, pos, plan.trackNumber, plan.relativeTimecode, plan.blockFlags, plan.payloadSize);
  }

  /** Writes the plan's payload (converted if needed) at `dst[pos…]`. */
  private writePayload(plan: PlannedFrame, dst: Uint8Array, pos: number): void {
    const data = plan.source;
    if (plan.conversion === ANNEXB_TO_AVCC) {
      // The converter holds the latest scan; another plan made since needs this one's again.
      if (this.scanned !== plan.scan) {
        this.scanned = 0;
        if (this.converter.prepare(data) !== plan.payloadSize) {
          fail('STATUS_INVALID_OPERATION', 'the frame data changed after prepare()');
        }
        this.scanned = plan.scan;
      }
      this.converter.write(dst, pos);
      this.converter.release();
      this.scanned = 0;
    } else {
      dst.set(data, pos);
      if (plan.conversion === AVCC_TO_ANNEXB) avccToAnnexBInPlace(dst.subarray(pos, pos + data.length));
    }
  }

  /** Applies the plan to the generator state; the plan (and every other) is stale afterwards. */
  private commit(plan: PlannedFrame): void {
    const kind = plan.kind;
    plan.source = EMPTY;
    this.seq = nextSeq();
    if (kind === END_OF_FRAGMENT) {
      this.meta.commit(true);
      this.eofr = true;
      return;
    }
    if (kind <= SKIP) return;
    if (plan.updatedTrack !== undefined) {
      const tracks = this.tracks.slice();
      tracks[plan.trackIndex] = plan.updatedTrack;
      this.tracks = tracks;
      this.header = kind === STREAM ? plan.streamHeader : undefined;
      plan.updatedTrack = undefined;
    }
    if (kind === STREAM) {
      this.started = true;
      if (!this.streamStartStored) {
        this.streamStartPts = plan.streamStartTicks;
        this.streamStartStored = true;
      }
    }
    if (kind >= CLUSTER) {
      this.clusterPts = plan.pts;
      this.clusterDts = plan.dts;
      this.eofr = false;
      if (plan.tags.length > 0) this.meta.commit(plan.tagsNotSentOnly);
    }
    this.lastPts = plan.pts;
    this.lastDts = plan.dts;
  }
}
