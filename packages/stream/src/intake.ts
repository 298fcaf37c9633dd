// A stream's intake, as PIC's `Stream.c putFrame` up to the content view: frame ordering across
// tracks (the FrameOrderCoordinator, owned here as PIC's stream owns it; docs/decisions/
// frame-order.md), PIC's blocking put for OFFLINE streams (waiting for room), packaging each
// frame by mkv-writer straight into the view, and the MKV streams the writer started (their
// start and header, which a connection starting inside one needs). It reports what happened to
// its host; the stream reacts.

import { type ContentView, PressureSignal, StreamingType, ViewItemFlags } from '@kvs-ts/content-store';
import { type Frame, FrameFlags, isKvsError, KvsError, StatusCode } from '@kvs-ts/core';
import {
  FrameOrderCoordinator,
  FrameOrderMode,
  type HeldFrames,
  MkvWriter,
  type MkvWriterOptions,
  type PlannedFrame,
} from '@kvs-ts/mkv-writer';
import type { ResolvedStreamDefinition } from './definition';
import type { StreamCounters } from './metrics';
import type { Clock } from './service';

// Module-level copies of imported constants read per frame (see session.ts).
const KEY_FRAME = FrameFlags.KEY_FRAME;
const NO_SIGNAL = PressureSignal.NONE;
const { STREAM_START, FRAGMENT_START, FRAGMENT_END } = ViewItemFlags;
const SECOND = 1_000_000;
const EMPTY = new Uint8Array(0);
/** MKV bytes a frame may bring along in the store (block header, a cluster start, tags), for room checks. */
const MKV_FRAME_ALLOWANCE = 1024;

/** What the intake needs from its stream. */
export interface IntakeHost {
  readonly clock: Clock;
  /** Why puts are refused right now (stopped, failed, inside getStreamData), else undefined. */
  refusal(): KvsError | undefined;
  /** Whether the stream stopped taking frames. */
  readonly stopping: boolean;
  /** The error that stopped the stream for good. */
  readonly failure: KvsError | undefined;
  /** A frame that started a new MKV stream is in the view (reported even if commit threw). */
  mkvStreamStarted(): void;
  /** A frame went into the view; `signals` are the pressure signals its commit raised. */
  stored(signals: number): void;
  /** A frame will not reach the service: refused or skipped before it was stored. */
  dropped(pts: number): void;
  /** A frame the coordinator released (not the caller's) was refused: report, do not throw. */
  refused(error: KvsError, pts: number): void;
}

/** One MKV stream the writer started: its first PTS and its header (tracks). */
interface MkvStream {
  startUs: number;
  header: Uint8Array;
}

/** The put path of one stream. */
export class Intake {
  readonly writer: MkvWriter;
  private readonly order: FrameOrderCoordinator | undefined;
  /** Track IDs whose key frames start fragments (video, or every track of an audio-only stream). */
  private readonly fragmentTracks: ReadonlySet<number>;
  /** The track whose PTS deltas give the frame rate metric (the first that starts fragments). */
  private readonly rateTrack: number;
  private readonly offline: boolean;
  /** The MKV streams in the view, by the view's stream number (ContentView.itemStream). */
  private readonly mkvStreams = new Map<number, MkvStream>();
  /** The writer starts a new MKV stream at the next key frame (token rotation, reconnect). */
  private resetOnKeyFrame = false;
  /** Drop frames until the next key frame (a non-retriable ERROR ACK hit the open fragment). */
  private skipUntilKeyFrame = false;
  /** putFrameAsync calls not yet applied (they keep their order; putFrame waits its turn). */
  private queued = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Wakes the put waiting for room. */
  private roomWaiter: (() => void) | undefined;
  /** Bumped by interrupt(): puts queued before it give up. */
  private epoch = 0;
  /** When the last frame was put (µs), for the intermittent-producer check. */
  private lastPutTime = 0;
  private readonly plan: PlannedFrame;
  private readonly heldScratch: HeldFrames = { count: 0, bytes: 0, largest: 0, endPts: 0 };

  constructor(
    private readonly definition: ResolvedStreamDefinition,
    private readonly view: ContentView,
    private readonly counters: StreamCounters,
    private readonly host: IntakeHost,
    writerOptions: Pick<MkvWriterOptions, 'clientId' | 'now'>,
    /** How long putFrameAsync waits for room on an OFFLINE stream, µs. */
    private readonly offlineWait: number,
  ) {
    const def = definition;
    const timecodeScaleNs = Math.round(def.timecodeScale * 1000);
    this.writer = new MkvWriter({
      tracks: def.tracks,
      timecodeScaleNs,
      keyFrameFragmentation: def.keyFrameFragmentation,
      fragmentDurationUs: def.keyFrameFragmentation ? undefined : def.fragmentDuration,
      absoluteFragmentTimes: def.absoluteFragmentTimes,
      frameTimecodes: def.frameTimecodes,
      nalAdaptationFlags: def.nalAdaptationFlags,
      segmentUuid: def.segmentUuid,
      ...writerOptions,
    });
    this.plan = this.writer.newPlan();
    this.fragmentTracks = new Set(this.writer.trackInfo.filter((t) => t.startsFragments).map((t) => t.trackId));
    this.rateTrack = def.tracks.find((t) => this.fragmentTracks.has(t.trackId))?.trackId ?? def.tracks[0].trackId;
    this.offline = def.streamingType === StreamingType.OFFLINE;
    this.order =
      def.frameOrderingMode === FrameOrderMode.PASS_THROUGH || def.tracks.length < 2
        ? undefined
        : new FrameOrderCoordinator({ tracks: def.tracks, mode: def.frameOrderingMode, timecodeScaleNs }, (frame) =>
            this.storeReleased(frame),
          );
  }

  /** putFrameAsync calls that wait for room. */
  get waiting(): number {
    return this.queued;
  }

  // ---------------------------------------------------------------------------------------------
  // Puts

  /** putFrame: the frame goes in now or the call throws (and nothing changes). */
  put(frame: Frame): void {
    const refusal = this.host.refusal();
    if (refusal) throw refusal;
    this.lastPutTime = this.host.clock.now();
    try {
      // Checked here because the rate counter reads the frame before the writer validates it: a
      // null frame would be a TypeError instead of PIC's status (packages/kvs/test/bad-input.test.ts).
      if (frame === null || typeof frame !== 'object') throw new KvsError('STATUS_NULL_ARG', 'frame is required');
      if (frame.trackId === this.rateTrack) this.counters.frame(frame.pts);
      if (this.order) this.order.put(frame);
      else this.store(frame);
    } catch (e) {
      this.counters.putFrameErrors++;
      throw e;
    }
  }

  /** putFrameAsync: PIC's blocking put (see KinesisVideoStream.putFrameAsync). */
  putAsync(frame: Frame): Promise<void> {
    const epoch = this.epoch;
    let wait: boolean;
    try {
      wait = this.queued > 0 || this.mustWait(frame);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!wait) {
      try {
        this.put(frame);
        return Promise.resolve();
      } catch (e) {
        if (!this.isOfflineFull(e)) return Promise.reject(e);
        this.counters.putFrameErrors--; // it waits instead
      }
    }
    this.queued++;
    const run = this.chain.then(() => this.putWhenRoom(frame, epoch));
    const done = run.finally(() => {
      // An interrupt dropped the count (and these puts) already.
      if (this.epoch === epoch) this.queued--;
    });
    this.chain = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  /**
   * Whether an OFFLINE put of `frame` has to wait (the view is full, or the store has no block
   * that big). Validates the frame as put would (a KvsError for a bad one), so that a frame
   * that can never go in does not wait.
   */
  private mustWait(frame: Frame): boolean {
    if (!this.offline || this.host.stopping || this.host.failure) return false;
    if (this.order === undefined) {
      // The writer sizes the frame exactly without changing its state.
      const plan = this.writer.prepare(frame, this.plan);
      return !plan.skipped && !this.view.hasRoomFor(plan.size);
    }
    // The frame-order coordinator may release every frame it holds along with this one, and
    // whatever it releases must fit (a released frame that does not would be dropped): room for
    // all of them, with an allowance for the MKV bytes around each.
    const data = frame === null || typeof frame !== 'object' ? undefined : frame.data;
    if (!(data instanceof Uint8Array)) return false;
    const held = this.order.held(this.heldScratch);
    const count = held.count + 1;
    const end = Math.max(held.endPts, frame.pts + Math.max(frame.duration, 0));
    const largest = Math.max(held.largest, data.length);
    const bytes = held.bytes + data.length + count * MKV_FRAME_ALLOWANCE;
    return !this.view.hasRoomForItems(count, bytes, largest + MKV_FRAME_ALLOWANCE, end);
  }

  /** An OFFLINE put found no room: it waits and tries again rather than failing. */
  private isOfflineFull(e: unknown): boolean {
    return isKvsError(e) && e.status === StatusCode.STATUS_STORE_OUT_OF_MEMORY && this.offline;
  }

  private async putWhenRoom(frame: Frame, epoch: number): Promise<void> {
    const clock = this.host.clock;
    const deadline = clock.now() + this.offlineWait;
    for (;;) {
      if (this.host.stopping || this.epoch !== epoch)
        throw new KvsError(
          'STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED',
          'the stream was stopped, reset or freed while putFrameAsync waited',
        );
      const failure = this.host.failure;
      if (failure)
        throw new KvsError('STATUS_INVALID_STREAM_STATE', `the stream failed: ${failure.message}`, { cause: failure });
      if (!this.mustWait(frame)) {
        try {
          this.put(frame);
          return;
        } catch (e) {
          // The estimate was short: wait for more room, as PIC's checkForAvailability loop does.
          if (!this.isOfflineFull(e)) throw e;
          this.counters.putFrameErrors--; // not a failed put: it waits and tries again
        }
      }
      const left = deadline - clock.now();
      if (left <= 0)
        throw new KvsError(
          'STATUS_OPERATION_TIMED_OUT',
          `putFrameAsync: no room in the OFFLINE buffer within ${this.offlineWait / SECOND} s`,
        );
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(() => wake(), left);
        const wake = () => {
          clock.clearTimeout(timer);
          if (this.roomWaiter === wake) this.roomWaiter = undefined;
          resolve();
        };
        this.roomWaiter = wake;
      });
    }
  }

  /** Items left the view, or the stream stopped or failed: the waiting put looks again. */
  wake(): void {
    const wake = this.roomWaiter;
    if (wake) wake();
  }

  /** A reset or free: waiting puts reject on their own; new ones do not queue behind them. */
  interrupt(): void {
    this.epoch++;
    this.wake();
    this.queued = 0;
    this.chain = Promise.resolve();
  }

  /** Releases every frame the coordinator holds (stop, the intermittent-producer EoFR). */
  flush(): void {
    this.order?.flush();
  }

  /** Forgets the frames the coordinator holds (resetStream, first). */
  dropHeld(): void {
    this.order?.clear();
  }

  /** Starts over: a new MKV stream, no pending switch or skip, no known MKV streams (resetStream, last). */
  reset(): void {
    this.writer.reset();
    this.mkvStreams.clear();
    this.resetOnKeyFrame = false;
    this.skipUntilKeyFrame = false;
  }

  /** The next key frame starts a new MKV stream (token rotation). */
  newMkvStreamAtKeyFrame(): void {
    this.resetOnKeyFrame = true;
  }

  /** No new MKV stream will be needed after all (stop during a rotation). */
  keepMkvStream(): void {
    this.resetOnKeyFrame = false;
  }

  /** A non-retriable ERROR ACK hit the fragment being built: drop frames until the next key frame. */
  skipToKeyFrame(): void {
    this.skipUntilKeyFrame = true;
  }

  /**
   * PIC's intermittent-producer EoFR: closes the open fragment when no frame was put since
   * `quietSince` (µs). Only with key-frame fragmentation, and once per fragment.
   */
  closeIdleFragment(quietSince: number): void {
    const writer = this.writer;
    if (!this.definition.keyFrameFragmentation || !writer.streamStarted || writer.lastWasEndOfFragment) return;
    if (this.lastPutTime >= quietSince) return;
    this.order?.flush();
    this.store({
      trackId: this.definition.tracks[0].trackId,
      pts: 0,
      dts: 0,
      duration: 0,
      flags: FrameFlags.END_OF_FRAGMENT,
      data: EMPTY,
    });
  }

  /**
   * A frame the frame-order coordinator releases, possibly during another frame's putFrame or
   * stop(): a rejection is reported rather than thrown at a caller who did not put it.
   */
  private storeReleased(frame: Frame): void {
    try {
      this.store(frame);
    } catch (e) {
      if (!isKvsError(e)) throw e;
      this.counters.putFrameErrors++;
      this.host.dropped(frame.pts);
      this.host.refused(e, frame.pts);
    }
  }

  /** Packages one (ordered) frame into the view: one copy, straight from the writer. */
  private store(frame: Frame): void {
    // Only a key frame that can start a fragment (video, on an A/V stream) may start a new MKV
    // stream or end a skip: an AAC frame is a key frame too.
    const key = (frame.flags & KEY_FRAME) !== 0 && this.fragmentTracks.has(frame.trackId);
    if (key && this.resetOnKeyFrame) {
      this.resetOnKeyFrame = false;
      this.skipUntilKeyFrame = false;
      this.writer.reset();
    } else if (this.skipUntilKeyFrame) {
      if (!key) {
        this.host.dropped(frame.pts);
        return;
      }
      this.skipUntilKeyFrame = false;
    }
    const plan = this.writer.prepare(frame, this.plan);
    if (plan.skipped) {
      this.host.dropped(frame.pts);
      return;
    }
    let flags = 0;
    if (plan.streamStart) flags |= STREAM_START;
    if (plan.clusterStart) flags |= FRAGMENT_START;
    if (plan.endOfFragment) flags |= FRAGMENT_END;
    const v = this.view;
    const dst = v.reserve(plan.dtsUs, plan.ptsUs, plan.durationUs, flags, plan.size);
    try {
      this.writer.write(plan, dst);
    } catch (e) {
      v.cancelReservation();
      throw e;
    }
    const before = v.head;
    let signals: number = NO_SIGNAL;
    try {
      signals = v.commit();
    } finally {
      // commit() rethrows a 'droppedFrame' listener's error after storing the frame: the
      // bookkeeping of a stored frame still happens.
      if (plan.streamStart && v.head > before) {
        this.noteMkvStream();
        this.host.mkvStreamStarted();
      }
    }
    this.host.stored(signals);
  }

  // ---------------------------------------------------------------------------------------------
  // MKV streams

  /** Records the MKV stream the item just stored starts, and forgets streams that left the view. */
  private noteMkvStream(): void {
    const v = this.view;
    this.mkvStreams.set(v.itemStream(v.head - 1), {
      startUs: this.writer.currentTimestamps().streamStartUs,
      header: this.writer.streamHeader(),
    });
    const oldest = v.itemStream(v.tail);
    for (const k of this.mkvStreams.keys()) if (k < oldest) this.mkvStreams.delete(k);
  }

  /** The start PTS of the MKV stream item `i` belongs to (the writer's current one past the head). */
  mkvStreamStartOf(i: number): number {
    const v = this.view;
    return (
      (i < v.head ? this.mkvStreams.get(v.itemStream(i))?.startUs : undefined) ??
      this.writer.currentTimestamps().streamStartUs
    );
  }

  /** The start PTS of the MKV stream the writer is in. */
  get currentMkvStreamStart(): number {
    return this.writer.currentTimestamps().streamStartUs;
  }

  /**
   * The header of the MKV stream item `i` belongs to (with that stream's codec private data;
   * B15), else the writer's current one.
   */
  mkvStreamHeaderOf(i: number): Uint8Array {
    return this.mkvStreams.get(this.view.itemStream(i))?.header ?? this.writer.streamHeader();
  }
}
