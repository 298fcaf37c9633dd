// KinesisVideoStream: what PIC's Stream.c does between putFrame and the network, in one pure,
// synchronous, clock-injected object. Frames are packaged by mkv-writer straight into the
// content store; the state machine walks describe → create → tag → endpoint → token → ready →
// put stream → streaming and back after faults; transports pull bytes per upload handle and
// feed ACKs and connection ends back.

import {
  type ContentStore,
  type ContentView,
  type ContentViewMetrics,
  PressureSignal,
  type RemovedItem,
  RemoveReason,
  StreamingType,
  ViewItemFlags,
} from '@kvs-ts/content-store';
import {
  ackErrorStatus,
  type FragmentAck,
  FragmentAckType,
  type Frame,
  FrameFlags,
  isHostAliveResult,
  isKvsError,
  isRetriableResult,
  isRetriableStatus,
  KvsError,
  ServiceCallResult,
  StatusCode,
  type StatusName,
  serviceCallResultStatus,
  statusName,
} from '@kvs-ts/core';
import {
  FrameOrderCoordinator,
  FrameOrderMode,
  type HeldFrames,
  MkvWriter,
  type StreamEventMetadata,
} from '@kvs-ts/mkv-writer';
import { EventEmitter } from 'eventemitter3';
import { DEFAULT_BACKOFF, ExponentialBackoff } from './backoff';
import { type ResolvedStreamDefinition, resolveStreamDefinition, type StreamDefinition } from './definition';
import type { Clock, ServiceCallOutcome, StreamService } from './service';
import {
  acceptsTransition,
  nextStreamState,
  STREAM_STATE_TABLE,
  StreamState,
  type StreamStatus,
  streamStateName,
} from './states';
import { READY_TO_TRIM, SENDING, UploadHandle, UploadHandleState } from './upload';

const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;
/** PIC's MIN_STREAMING_TOKEN_EXPIRATION_DURATION. */
export const MIN_STREAMING_TOKEN_EXPIRATION_DURATION = 30 * SECOND;
/** PIC's MAX_ENFORCED_TOKEN_EXPIRATION_DURATION: connections rotate at least this often. */
export const MAX_ENFORCED_TOKEN_EXPIRATION_DURATION = 40 * MINUTE;
/** PIC's STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD: rotate this long before the token expires. */
export const STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD = 3 * SECOND;
/** PIC's INTERMITTENT_PRODUCER_MAX_TIMEOUT: close the open fragment after this long without frames. */
export const INTERMITTENT_PRODUCER_MAX_TIMEOUT = 20 * SECOND;
/** PIC's intermittent-producer timer period and first delay. */
export const INTERMITTENT_PRODUCER_PERIOD = 5 * SECOND;
export const INTERMITTENT_PRODUCER_START_DELAY = 3 * SECOND;
/** PIC's STREAM_CLOSED_TIMEOUT: how long stopSync waits by default. */
export const STREAM_CLOSED_TIMEOUT = 120 * SECOND;
/** PIC's MAX_BLOCKING_PUT_WAIT: how long an OFFLINE put waits for room by default. */
export const MAX_BLOCKING_PUT_WAIT = 15 * SECOND;
/** Service call completion timeout (PIC's SERVICE_CALL_DEFAULT_TIMEOUT + connection timeout). */
export const DEFAULT_SERVICE_CALL_TIMEOUT = 15 * SECOND;

/** What {@link KinesisVideoStream.getStreamData} returns; the object is reused per stream. */
export interface StreamData {
  /**
   * STATUS_SUCCESS with `data`; STATUS_NO_MORE_DATA_AVAILABLE (nothing yet), STATUS_AWAITING_PERSISTED_ACK
   * (all sent, waiting for the last PERSISTED ACK), STATUS_END_OF_STREAM (this connection is done:
   * close it), STATUS_UPLOAD_HANDLE_ABORTED.
   */
  status: number;
  /**
   * Bytes to send: a view into the content store (or writer memory), valid until the next
   * getStreamData call on this stream. Send or copy it before calling again.
   */
  data: Uint8Array;
}

/** Events of a {@link KinesisVideoStream} (an eventemitter3 emitter). */
export interface StreamEvents {
  /** The stream reached READY (after describe/create/tag/endpoint/token). */
  ready: () => void;
  /** The state machine moved. */
  stateChange: (state: StreamState, previous: StreamState) => void;
  /** Data is available for the upload handle (PIC's streamDataAvailableFn). */
  dataAvailable: (uploadHandle: number, availableDuration: number, availableBytes: number) => void;
  /** An ACK arrived (every ACK, as PIC's fragmentAckReceivedFn). */
  ack: (ack: Readonly<FragmentAck>, uploadHandle: number) => void;
  /** A stream error (PIC's streamErrorReportFn). `fatal` when the stream gave up. */
  error: (error: KvsError, details: { uploadHandle: number; fragmentTimestamp?: number; fatal: boolean }) => void;
  /**
   * A frame will not reach the service: it left the buffer unsent, or it was sent only on a
   * connection that dropped and the replay cannot send it again, or it was refused before it was
   * stored. `pts` is in µs as the stream stored it: the frame's PTS rounded down to the timecode
   * scale (1 ms by default; the clock time when `frameTimecodes` is false); a frame refused
   * before it was stored is reported with the PTS it was put with.
   */
  droppedFrame: (pts: number, reason: RemoveReason) => void;
  /** A whole fragment will not reach the service (its start's PTS, as for droppedFrame). */
  droppedFragment: (pts: number, reason: RemoveReason) => void;
  /** Store free space ≤ 5 % (bytes left). */
  storagePressure: (remainingBytes: number) => void;
  /** Buffer within 5 % of its duration (µs left). */
  bufferDurationPressure: (remainingDuration: number) => void;
  /** Unsent buffer longer than maxLatency (µs buffered). */
  latencyPressure: (currentBufferDuration: number) => void;
  /** No BUFFERING ACK for longer than the staleness duration (µs since the last). */
  connectionStale: (sinceLastBufferingAck: number) => void;
  /** An upload handle's connection finished (PIC's streamClosedFn). */
  closed: (uploadHandle: number) => void;
  /** Periodic StreamMetrics, every `metricsInterval` (PIC's logMetric / metricLoggingPeriod). */
  metrics: (metrics: StreamMetrics) => void;
}

/** Options of {@link KinesisVideoStream}. */
export interface KinesisVideoStreamOptions<T = unknown> {
  definition: StreamDefinition;
  /** The client's content store (shared by its streams). */
  store: ContentStore;
  service: StreamService<T>;
  clock: Clock;
  /** Random source for jitter (default Math.random). */
  random?: () => number;
  /** Device name for CreateStream (default "Kinesis_Video_Device", PIC's). */
  deviceName?: string;
  /** Written into the MKV muxing app (≤ 64 bytes). */
  clientId?: string;
  /** Control-plane call timeout, µs (default 15 s). */
  serviceCallTimeout?: number;
  /** Close the open fragment after 20 s without frames (default true, PIC's AUTOMATIC_STREAMING_INTERMITTENT_PRODUCER). */
  intermittentProducer?: boolean;
  /** Emit a `metrics` event this often, µs; 0 (default, as PIC's logMetric off) for never. */
  metricsInterval?: number;
  /**
   * How long {@link KinesisVideoStream.putFrameAsync} waits for room on an OFFLINE stream, µs
   * (PIC's ClientInfo.offlineBufferAvailabilityTimeout; default 15 s, MAX_BLOCKING_PUT_WAIT).
   */
  offlineBufferAvailabilityTimeout?: number;
}

/** Counters for StreamMetrics that the view does not keep. */
interface Counters {
  bufferedAcks: number;
  receivedAcks: number;
  persistedAcks: number;
  errorAcks: number;
  staleEvents: number;
  putFrameErrors: number;
  totalSessions: number;
  transferredBytes: number;
  retries: number;
  cplLatency: number;
  dataLatency: number;
  sessionTime: number;
  sessionsEnded: number;
  latencyPressures: number;
  bufferPressures: number;
  storagePressures: number;
}

/** StreamMetrics (PIC v3 fields that apply; durations µs). */
export interface StreamMetrics extends ContentViewMetrics {
  state: string;
  uptime: number;
  totalSessions: number;
  totalActiveSessions: number;
  transferredBytes: number;
  bufferedAcks: number;
  receivedAcks: number;
  persistedAcks: number;
  errorAcks: number;
  putFrameErrors: number;
  streamApiCallRetryCount: number;
  currentFrameRate: number;
  /** PIC v2's PTS-based frame rate (the same measure here). */
  elementaryFrameRate: number;
  currentTransferRate: number;
  /** Mean duration of finished connections that carried data, µs. */
  avgSessionDuration: number;
  /** Control-plane call latency (describe, create, tag, endpoint, token), EMA, µs. */
  cplApiCallLatency: number;
  /** Data-plane call latency (opening PutMedia), EMA, µs. */
  dataApiCallLatency: number;
}

const S = StreamState;
const U = UploadHandleState;
const R = ServiceCallResult;
const F = ViewItemFlags;

/**
 * One KVS stream of a producer. Create it, `start()` it, `putFrame()` into it; a transport
 * serves each upload handle the state machine opens (see {@link StreamService.putStream}).
 */
export class KinesisVideoStream<T = unknown> extends EventEmitter<StreamEvents> {
  readonly definition: ResolvedStreamDefinition;
  readonly view: ContentView;
  readonly writer: MkvWriter;
  private readonly contentStore: ContentStore;
  private readonly service: StreamService<T>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly deviceName: string;
  private readonly serviceCallTimeout: number;
  private readonly offlineWait: number;
  /** putFrameAsync calls not yet applied (they keep their order; putFrame waits its turn). */
  private queuedPuts = 0;
  private putChain: Promise<void> = Promise.resolve();
  /** Wakes the put waiting for room (items left the view, or the stream stopped or failed). */
  private roomWaiter: (() => void) | undefined;
  private readonly order: FrameOrderCoordinator | undefined;
  private readonly backoff: ExponentialBackoff;
  private readonly createdAt: number;

  private stateValue: StreamState = S.NEW;
  private previousState: StreamState = S.NONE;
  private localRetries = 0;
  private lastResult: number = R.NOT_SET;
  private streamStatus: StreamStatus | undefined;
  private streamArn: string | undefined;
  private endpoint: string | undefined;
  private token: T | undefined;
  private tokenExpiration = 0;
  private started = false;
  private isReady = false;
  private failure: KvsError | undefined;
  /** Service call generation: results of calls made before a reset are ignored. */
  private generation = 0;
  private timer: unknown;
  private rotationTimer: unknown;
  private intermittentTimer: unknown;
  private metricsTimer: unknown;

  private readonly handles: UploadHandle[] = [];
  private nextHandle = 1;
  /** Set when a connection that had sent data ended unexpectedly: roll back at the next session. */
  private rollback: { hostAlive: boolean } | undefined;
  /**
   * The item a dropped connection was in the middle of (-1: none). Its index is stable once
   * unpinned. If the replay does not reach back to it, it never arrives whole: report it dropped.
   */
  private cutItem = -1;
  /**
   * The start PTS of each MKV stream the writer started, by the view's stream number
   * (ContentView.itemStream): with relative fragment times a connection's cluster timecodes count
   * from its MKV stream's start, which PutMedia announces when it opens. With it, the stream's
   * header (its tracks), which a connection starting inside that stream sends first. One entry
   * per MKV stream.
   */
  private readonly mkvStreams = new Map<number, { startUs: number; header: Uint8Array }>();
  /** The generator starts a new MKV stream at the next key frame (token rotation, reconnect). */
  private resetOnKeyFrame = false;
  /** Drop frames until the next key frame (a non-retriable ERROR ACK hit the open fragment). */
  private skipUntilKeyFrame = false;
  private stopping = false;
  /** A token rotation waits for the new connection before the generator starts a new MKV stream. */
  private rotationPending = false;
  /** Relative fragment times: the rotated connection opens once its MKV stream has started. */
  private awaitStreamStart = false;
  /** Track IDs whose key frames start fragments (video, or every track of an audio-only stream). */
  private readonly fragmentTracks: ReadonlySet<number>;
  /** The track whose PTS deltas give the frame rate metric. */
  private readonly rateTrack: number;
  /** Timers of service calls in flight (their timeouts), cleared by free(). */
  private readonly callTimers = new Set<unknown>();
  private stopWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private lastPutTime = 0;
  private staleReported = false;
  private readonly counters: Counters = {
    bufferedAcks: 0,
    receivedAcks: 0,
    persistedAcks: 0,
    errorAcks: 0,
    staleEvents: 0,
    putFrameErrors: 0,
    totalSessions: 0,
    transferredBytes: 0,
    retries: 0,
    cplLatency: 0,
    dataLatency: 0,
    sessionTime: 0,
    sessionsEnded: 0,
    latencyPressures: 0,
    bufferPressures: 0,
    storagePressures: 0,
  };
  private readonly result: StreamData = { status: StatusCode.STATUS_NO_MORE_DATA_AVAILABLE, data: new Uint8Array(0) };

  constructor(options: KinesisVideoStreamOptions<T>) {
    super();
    const def = resolveStreamDefinition(options.definition);
    this.definition = def;
    this.contentStore = options.store;
    this.service = options.service;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.deviceName = options.deviceName ?? 'Kinesis_Video_Device';
    this.serviceCallTimeout = options.serviceCallTimeout ?? DEFAULT_SERVICE_CALL_TIMEOUT;
    const wait = options.offlineBufferAvailabilityTimeout ?? MAX_BLOCKING_PUT_WAIT;
    if (!(wait > 0 && wait < Infinity))
      throw new KvsError('STATUS_INVALID_ARG', `offlineBufferAvailabilityTimeout must be > 0 µs, got ${wait}`);
    this.offlineWait = wait;
    this.backoff = new ExponentialBackoff(DEFAULT_BACKOFF, this.random);
    this.createdAt = this.clock.now();
    this.writer = new MkvWriter({
      tracks: def.tracks,
      timecodeScaleNs: Math.round(def.timecodeScale * 1000),
      keyFrameFragmentation: def.keyFrameFragmentation,
      fragmentDurationUs: def.keyFrameFragmentation ? undefined : def.fragmentDuration,
      absoluteFragmentTimes: def.absoluteFragmentTimes,
      frameTimecodes: def.frameTimecodes,
      now: () => this.clock.now(),
      nalAdaptationFlags: def.nalAdaptationFlags,
      segmentUuid: def.segmentUuid,
      clientId: options.clientId,
    });
    this.fragmentTracks = new Set(this.writer.trackInfo.filter((t) => t.startsFragments).map((t) => t.trackId));
    this.rateTrack = def.tracks.find((t) => this.fragmentTracks.has(t.trackId))?.trackId ?? def.tracks[0].trackId;
    this.order =
      def.frameOrderingMode === FrameOrderMode.PASS_THROUGH || def.tracks.length < 2
        ? undefined
        : new FrameOrderCoordinator(
            {
              tracks: def.tracks,
              mode: def.frameOrderingMode as FrameOrderMode,
              timecodeScaleNs: Math.round(def.timecodeScale * 1000),
            },
            (frame) => this.storeReleased(frame),
          );
    this.view = options.store.createView({
      bufferDuration: def.bufferDuration,
      itemCount: viewItemCount(def),
      frameRate: def.frameRate,
      streamingType: def.streamingType,
      fragmentDuration: def.fragmentDuration,
      overflowPolicy: def.viewOverflowPolicy as never,
      pressurePolicy: def.storePressurePolicy as never,
      maxLatency: def.maxLatency,
      connectionStalenessDuration: def.fragmentAcks ? def.connectionStalenessDuration : 0,
      retentionPeriod: def.retentionPeriod,
      onRemove: (item) => this.onItemRemoved(item),
    });
    if (options.intermittentProducer ?? true) this.scheduleIntermittentCheck(INTERMITTENT_PRODUCER_START_DELAY);
    const every = options.metricsInterval ?? 0;
    if (!(every >= 0)) throw new KvsError('STATUS_INVALID_ARG', `metricsInterval must be ≥ 0 µs, got ${every}`);
    if (every > 0) this.scheduleMetrics(every);
  }

  private scheduleMetrics(every: number): void {
    this.metricsTimer = this.clock.setTimeout(() => {
      this.metricsTimer = undefined;
      if (this.failure) return;
      this.emit('metrics', this.metrics());
      this.scheduleMetrics(every);
    }, every);
  }

  // ---------------------------------------------------------------------------------------------
  // Public state

  /** The state machine's state. */
  get state(): StreamState {
    return this.stateValue;
  }

  /** Whether the stream reached READY at least once and has not failed. */
  get ready(): boolean {
    return this.isReady && this.failure === undefined;
  }

  /** The error that stopped the stream for good, if any. */
  get error(): KvsError | undefined {
    return this.failure;
  }

  /** The stream ARN from describe/create. */
  get arn(): string | undefined {
    return this.streamArn;
  }

  /** Upload handles that are not finished, oldest first, with their states. */
  get uploadHandles(): ReadonlyArray<{ handle: number; state: UploadHandleState }> {
    return this.handles.map((h) => ({ handle: h.handle, state: h.state }));
  }

  /** Starts the state machine (NEW → DESCRIBE → …). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.step();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames and metadata

  /**
   * Packages a frame into the content store. Throws a KvsError (and stores nothing) for a rejected
   * frame: bad timestamps or flags, STATUS_STORE_OUT_OF_MEMORY under the OOM policy,
   * STATUS_STREAM_HAS_BEEN_STOPPED after stop(). With several tracks frames first pass the
   * frame-order coordinator, which holds them by reference until every track has one.
   *
   * OFFLINE streams never evict: where PIC blocks the caller until PERSISTED ACKs make room,
   * this (synchronous) call throws STATUS_STORE_OUT_OF_MEMORY and changes nothing. Use
   * {@link putFrameAsync}, which waits as PIC does. A listener may not put frames while
   * getStreamData runs (its events come from the middle of a walk over the buffer):
   * STATUS_INVALID_OPERATION.
   */
  putFrame(frame: Frame): void {
    if (this.queuedPuts > 0 && !this.stopping)
      throw new KvsError(
        'STATUS_INVALID_OPERATION',
        'putFrame while putFrameAsync calls wait for room: await them first (frames must stay in order)',
      );
    this.putNow(frame);
  }

  /**
   * {@link putFrame} that waits for room instead of failing: PIC's blocking put. On an OFFLINE
   * stream (which never evicts) a full buffer makes it wait until ACKs trim the view, at most
   * `offlineBufferAvailabilityTimeout` (then STATUS_OPERATION_TIMED_OUT); a stop, reset or free
   * meanwhile rejects with STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED, a failure of the
   * stream with its error. Other streaming types evict instead of waiting, so this resolves or
   * rejects at once, as putFrame returns or throws. Calls are applied in call order; a putFrame
   * while some wait throws STATUS_INVALID_OPERATION. Like PIC, only this stream's ACKs wake a
   * waiting put, not room another stream frees in the shared store.
   */
  putFrameAsync(frame: Frame): Promise<void> {
    const generation = this.generation;
    let wait: boolean;
    try {
      wait = this.queuedPuts > 0 || this.mustWait(frame);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!wait) {
      try {
        this.putNow(frame);
        return Promise.resolve();
      } catch (e) {
        if (!this.isOfflineFull(e)) return Promise.reject(e);
        this.counters.putFrameErrors--; // it waits instead
      }
    }
    this.queuedPuts++;
    const run = this.putChain.then(() => this.putWhenRoom(frame, generation));
    const done = run.finally(() => {
      // A reset or free dropped the count (and these puts) already.
      if (this.generation === generation) this.queuedPuts--;
    });
    this.putChain = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  /**
   * Whether an OFFLINE put of `frame` has to wait (the view is full, or the store has no block
   * that big). Validates the frame as putFrame would (a KvsError for a bad one), so that a frame
   * that can never go in does not wait.
   */
  private mustWait(frame: Frame): boolean {
    if (this.definition.streamingType !== StreamingType.OFFLINE || this.stopping || this.failure) return false;
    if (this.order === undefined) {
      // The writer sizes the frame exactly without changing its state.
      const layout = this.writer.prepare(frame);
      return !layout.skipped && !this.view.hasRoomFor(layout.size);
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
    return (
      isKvsError(e) &&
      e.status === StatusCode.STATUS_STORE_OUT_OF_MEMORY &&
      this.definition.streamingType === StreamingType.OFFLINE
    );
  }

  private readonly heldScratch: HeldFrames = { count: 0, bytes: 0, largest: 0, endPts: 0 };

  private async putWhenRoom(frame: Frame, generation: number): Promise<void> {
    const deadline = this.clock.now() + this.offlineWait;
    for (;;) {
      if (this.stopping || this.generation !== generation)
        throw new KvsError(
          'STATUS_BLOCKING_PUT_INTERRUPTED_STREAM_TERMINATED',
          'the stream was stopped, reset or freed while putFrameAsync waited',
        );
      if (this.failure)
        throw new KvsError('STATUS_INVALID_STREAM_STATE', `the stream failed: ${this.failure.message}`, {
          cause: this.failure,
        });
      if (!this.mustWait(frame)) {
        try {
          this.putNow(frame);
          return;
        } catch (e) {
          // The estimate was short: wait for more room, as PIC's checkForAvailability loop does.
          if (!this.isOfflineFull(e)) throw e;
          this.counters.putFrameErrors--; // not a failed put: it waits and tries again
        }
      }
      const left = deadline - this.clock.now();
      if (left <= 0)
        throw new KvsError(
          'STATUS_OPERATION_TIMED_OUT',
          `putFrameAsync: no room in the OFFLINE buffer within ${this.offlineWait / SECOND} s`,
        );
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(() => wake(), left);
        const wake = () => {
          this.clock.clearTimeout(timer);
          if (this.roomWaiter === wake) this.roomWaiter = undefined;
          resolve();
        };
        this.roomWaiter = wake;
      });
    }
  }

  private wakePut(): void {
    const wake = this.roomWaiter;
    if (wake) wake();
  }

  /** After a reset or free: waiting puts reject on their own; new ones do not queue behind them. */
  private dropQueuedPuts(): void {
    this.wakePut();
    this.queuedPuts = 0;
    this.putChain = Promise.resolve();
  }

  private putNow(frame: Frame): void {
    if (this.stopping) throw new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putFrame after stop()');
    if (this.pulling)
      throw new KvsError(
        'STATUS_INVALID_OPERATION',
        'putFrame from an event listener while getStreamData runs: put the frame after it returns',
      );
    if (this.failure)
      throw new KvsError('STATUS_INVALID_STREAM_STATE', `the stream failed: ${this.failure.message}`, {
        cause: this.failure,
      });
    this.lastPutTime = this.clock.now();
    this.measureFrameRate(frame);
    try {
      if (this.order) this.order.put(frame);
      else this.store(frame);
    } catch (e) {
      this.counters.putFrameErrors++;
      throw e;
    }
  }

  /** PIC's elementary frame rate: an EMA of 1 / PTS delta on the first fragment-starting track. */
  private measureFrameRate(frame: Frame): void {
    if (frame.trackId !== this.rateTrack) return;
    const delta = frame.pts - this.lastRatePts;
    this.lastRatePts = frame.pts;
    if (!(delta > 0) || !Number.isFinite(delta)) return;
    const rate = SECOND / delta;
    this.frameRate = this.frameRate === 0 ? rate : this.frameRate + 0.2 * (rate - this.frameRate);
  }

  private frameRate = 0;
  private lastRatePts = Number.NaN;

  /** Fragment metadata for the next fragment(s) (PIC's putKinesisVideoFragmentMetadata). */
  putFragmentMetadata(name: string, value: string, persistent = true): void {
    if (this.stopping) throw new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putFragmentMetadata after stop()');
    this.writer.putFragmentMetadata(name, value, persistent);
  }

  /** A stream event (image generation, notification) for the current fragment (PIC's putKinesisVideoEventMetadata). */
  putEventMetadata(events: number, metadata?: StreamEventMetadata): void {
    if (this.stopping) throw new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putEventMetadata after stop()');
    this.writer.putEventMetadata(events, metadata);
  }

  /**
   * A frame the frame-order coordinator releases, possibly during another frame's putFrame or
   * stop(): a rejection is reported (droppedFrame + error) rather than thrown at a caller who
   * did not put it.
   */
  private storeReleased(frame: Frame): void {
    try {
      this.store(frame);
    } catch (e) {
      if (!isKvsError(e)) throw e;
      this.counters.putFrameErrors++;
      this.emit('droppedFrame', frame.pts, RemoveReason.REMOVED);
      this.report(e, 0, false, frame.pts);
    }
  }

  /** Packages one (ordered) frame into the store: one copy, straight from the writer. */
  private store(frame: Frame): void {
    // Only a key frame that can start a fragment (video, on an A/V stream) may start a new MKV
    // stream or end a skip: an AAC frame is a key frame too.
    const key = (frame.flags & FrameFlags.KEY_FRAME) !== 0 && this.fragmentTracks.has(frame.trackId);
    if (key && this.resetOnKeyFrame) {
      this.resetOnKeyFrame = false;
      this.skipUntilKeyFrame = false;
      this.writer.reset();
    } else if (this.skipUntilKeyFrame) {
      if (!key) {
        this.emit('droppedFrame', frame.pts, RemoveReason.REMOVED);
        return;
      }
      this.skipUntilKeyFrame = false;
    }
    const layout = this.writer.prepare(frame);
    if (layout.skipped) {
      this.emit('droppedFrame', frame.pts, RemoveReason.REMOVED);
      return;
    }
    let flags = 0;
    if (layout.streamStart) flags |= F.STREAM_START;
    if (layout.clusterStart) flags |= F.FRAGMENT_START;
    if (layout.endOfFragment) flags |= F.FRAGMENT_END;
    const dst = this.view.reserve(layout.dtsUs, layout.ptsUs, layout.durationUs, flags, layout.size);
    try {
      this.writer.write(dst);
    } catch (e) {
      this.view.cancelReservation();
      throw e;
    }
    const before = this.view.head;
    let signals: number = PressureSignal.NONE;
    try {
      signals = this.view.commit();
    } finally {
      // commit() rethrows a 'droppedFrame' listener's error after storing the frame: the
      // bookkeeping of a stored frame still happens.
      if (layout.streamStart && this.view.head > before) {
        this.noteMkvStream();
        this.awaitStreamStart = false;
      }
    }
    if (signals !== PressureSignal.NONE) this.pressure(signals);
    this.dataAvailable();
    if (this.stateValue === S.READY && this.timer === undefined && !this.awaitStreamStart) this.step();
  }

  private pressure(signals: number): void {
    const v = this.view;
    if (signals & PressureSignal.STORAGE) {
      this.counters.storagePressures++;
      this.emit('storagePressure', this.storeAvailable());
    }
    if (signals & PressureSignal.BUFFER_DURATION) {
      this.counters.bufferPressures++;
      this.emit('bufferDurationPressure', v.remainingBufferDuration);
    }
    if (signals & PressureSignal.LATENCY) {
      this.counters.latencyPressures++;
      this.emit('latencyPressure', v.currentViewDuration);
    }
  }

  private storeAvailable(): number {
    return this.contentStore.availableSize;
  }

  private onItemRemoved(item: Readonly<RemovedItem>): void {
    this.wakePut();
    if (item.reason === RemoveReason.ACKED || item.flags & F.SKIP_ITEM) return;
    // Sent on a connection that dropped, waiting for the replay, and never acknowledged: lost too.
    const replayLost = this.rollback !== undefined && !(item.flags & (F.RECEIVED_ACK | F.PERSISTED_ACK));
    if (item.sent && !replayLost) return;
    this.emit('droppedFrame', item.pts, item.reason);
    if (item.flags & F.FRAGMENT_START) this.emit('droppedFragment', item.pts, item.reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Stop and reset

  /**
   * Stops taking frames; what is buffered is still sent, then each connection ends with the
   * end-of-stream tags. Returns at once.
   */
  stop(): void {
    if (this.stopping) return;
    this.order?.flush();
    this.stopping = true;
    this.wakePut();
    const eos = this.writer.finish();
    if (eos.length > 0) {
      // The tail of the last fragment goes out after the buffered frames.
      const h = this.sendingHandle();
      if (h) h.tail = eos;
      else this.pendingTail = eos;
    }
    for (const h of this.handles) if (h.state === U.READY || h.state === U.STREAMING) h.state = U.TERMINATING;
    this.clearTimer('intermittentTimer');
    this.clearTimer('rotationTimer');
    // A rotation with relative times waits for the next MKV stream before it connects; no frame
    // will start one now: what is buffered goes out on a connection for the current stream.
    const waited = this.awaitStreamStart;
    this.awaitStreamStart = false;
    this.resetOnKeyFrame = false;
    this.dataAvailable();
    if (
      waited &&
      this.stateValue === S.READY &&
      this.timer === undefined &&
      this.sendingHandle() === undefined &&
      this.hasUnsentData()
    )
      this.step();
    this.checkStopped();
  }

  /** End-of-stream tags waiting for a connection to carry them. */
  private pendingTail: Uint8Array | undefined;

  /**
   * {@link stop}, then waits until everything buffered was sent and (with fragment ACKs and
   * retention) the last fragment is PERSISTED. Rejects if the stream fails first.
   */
  stopSync(timeout = STREAM_CLOSED_TIMEOUT): Promise<void> {
    this.stop();
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      // PIC's STREAM_CLOSED_TIMEOUT: a stop that cannot finish (no connection, no ACK) fails.
      const timer = this.clock.setTimeout(() => {
        const i = this.stopWaiters.indexOf(waiter);
        if (i < 0) return;
        this.stopWaiters.splice(i, 1);
        reject(
          new KvsError(
            'STATUS_OPERATION_TIMED_OUT',
            `stopSync: not drained and acknowledged within ${timeout / SECOND} s`,
          ),
        );
      }, timeout);
      const waiter = {
        resolve: () => {
          this.clock.clearTimeout(timer);
          resolve();
        },
        reject: (e: unknown) => {
          this.clock.clearTimeout(timer);
          reject(e);
        },
      };
      this.stopWaiters.push(waiter);
      this.checkStopped();
    });
  }

  /** Ends the current connection and opens a new one, keeping the buffered data (PIC's kinesisVideoStreamResetConnection). */
  resetConnection(): void {
    const h = this.sendingHandle();
    if (h) this.streamTerminated(h.handle, R.OK);
    else if (this.stateValue === S.STREAMING || this.stateValue === S.READY) this.restartFrom(R.OK);
  }

  /** Drops everything buffered and restarts the state machine from NEW (PIC's kinesisVideoStreamResetStream). */
  resetStream(): void {
    this.generation++;
    this.dropQueuedPuts();
    this.clearTimer('timer');
    this.clearTimer('rotationTimer');
    this.clearCallTimers();
    this.order?.clear();
    this.dropHandles();
    this.settleStopWaiters(
      new KvsError('STATUS_STREAM_BEING_SHUTDOWN', 'resetStream() dropped what stopSync() waited for'),
    );
    this.stopping = false;
    this.pendingTail = undefined;
    this.rotationPending = false;
    this.awaitStreamStart = false;
    this.view.removeAll();
    this.view.clearStreamStartHeader();
    this.writer.reset();
    this.rollback = undefined;
    this.cutItem = -1;
    this.mkvStreams.clear();
    this.resetOnKeyFrame = false;
    this.skipUntilKeyFrame = false;
    this.failure = undefined;
    this.isReady = false;
    this.localRetries = 0;
    this.lastResult = R.NOT_SET;
    this.backoff.reset();
    this.setState(S.NEW);
    if (this.started) this.step();
  }

  /** Stops timers and gives the stream's buffer back to the store. Open connections read END_OF_STREAM. */
  free(): void {
    this.generation++;
    this.dropQueuedPuts();
    this.clearTimer('timer');
    this.clearTimer('rotationTimer');
    this.clearTimer('intermittentTimer');
    this.clearTimer('metricsTimer');
    this.clearCallTimers();
    this.dropHandles();
    this.settleStopWaiters(new KvsError('STATUS_STREAM_BEING_SHUTDOWN', 'the stream was freed'));
    this.view.free();
    this.removeAllListeners();
  }

  /**
   * Ends every connection: each transport is told (a `closed` event, then END_OF_STREAM from
   * getStreamData, as PIC pulses every handle on streamTerminatedEvent(INVALID_UPLOAD_HANDLE)).
   */
  private dropHandles(): void {
    const open = this.handles.splice(0);
    for (const h of open) {
      const wasOpen = h.state !== U.TERMINATED && h.state !== U.ERROR;
      h.state = U.TERMINATED;
      this.ended.add(h.handle);
      if (wasOpen) this.emit('closed', h.handle);
    }
  }

  /** Handles that were dropped by a reset: their transports read END_OF_STREAM. */
  private readonly ended = new Set<number>();

  private settleStopWaiters(error: KvsError): void {
    for (const w of this.stopWaiters.splice(0)) w.reject(error);
  }

  private clearCallTimers(): void {
    for (const t of this.callTimers) this.clock.clearTimeout(t);
    this.callTimers.clear();
  }

  private checkStopped(): void {
    if (!this.stopping || this.stopWaiters.length === 0) return;
    if (this.failure) {
      for (const w of this.stopWaiters.splice(0)) w.reject(this.failure);
      return;
    }
    const busy = this.handles.some((h) => h.state !== U.TERMINATED && h.state !== U.ERROR);
    const unsent = this.hasUnsentData();
    if (!busy && !unsent) for (const w of this.stopWaiters.splice(0)) w.resolve();
  }

  // ---------------------------------------------------------------------------------------------
  // The state machine

  private setState(next: StreamState): void {
    if (next === this.stateValue) return;
    this.previousState = this.stateValue;
    this.stateValue = next;
    this.emit('stateChange', next, this.previousState);
  }

  /** PIC's stepStateMachine: pick the next state from the last result, check, retry or move, execute. */
  private step(): void {
    if (this.failure || this.timer !== undefined) return;
    const current = this.stateValue;
    const decision = nextStreamState(current, {
      result: this.lastResult,
      streamStatus: this.streamStatus,
      hasTags: Object.keys(this.definition.tags).length > 0,
      allowStreamCreation: this.definition.allowStreamCreation,
      recoverOnError: this.definition.restartOnError,
    });
    if ('fail' in decision) return this.fail(decision.fail, this.lastResult);
    let next = decision.next;
    if (!acceptsTransition(current, next)) {
      return this.fail(
        StatusCode.STATUS_INVALID_STREAM_STATE,
        this.lastResult,
        `${streamStateName(current)} → ${streamStateName(next)}`,
      );
    }
    let delay = 0;
    if (next === current && current !== S.STREAMING) {
      this.localRetries++;
      this.counters.retries++;
      const def = STREAM_STATE_TABLE[current];
      if (this.lastResult !== R.OK && this.lastResult !== R.NOT_SET && !isRetriableResult(this.lastResult)) {
        return this.fail(serviceCallResultStatus(this.lastResult), this.lastResult);
      }
      if (def.maxRetries !== 0 && this.localRetries > def.maxRetries) {
        if (current !== S.TAG_STREAM) return this.fail(def.failStatus, this.lastResult);
        // Tagging is best effort (PIC reports STATUS_TAG_STREAM_CALL_FAILED and goes on).
        this.report(
          new KvsError('STATUS_TAG_STREAM_CALL_FAILED', `TagResource failed ${def.maxRetries + 1} times`),
          0,
          false,
        );
        next = S.GET_ENDPOINT;
        this.localRetries = 0;
      } else {
        delay = this.backoff.next(this.clock.now());
      }
    } else {
      this.localRetries = 0;
      // PIC's transition hook waits before any transition that follows a failed result, so a
      // PutMedia that keeps failing cannot spin through describe → endpoint → token → put.
      const r = this.lastResult;
      if (r !== R.OK && r !== R.NOT_SET && r !== R.STREAM_AUTH_IN_GRACE_PERIOD)
        delay = this.backoff.next(this.clock.now());
    }
    this.setState(next);
    if (delay > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.execute();
      }, delay);
    } else {
      this.execute();
    }
  }

  /** PIC's execute*State functions. */
  private execute(): void {
    const def = this.definition;
    switch (this.stateValue) {
      case S.NEW:
        this.lastResult = R.NOT_SET;
        return this.step();
      case S.DESCRIBE:
        return this.call(
          () => this.service.describeStream(def.streamName),
          (out) => {
            const d = out.description;
            if (out.result === R.OK) {
              if (d === undefined || typeof d.streamArn !== 'string' || d.streamArn.length === 0) {
                return this.fail(
                  StatusCode.STATUS_INVALID_DESCRIBE_STREAM_RESPONSE,
                  out.result,
                  'DescribeStream gave no stream ARN',
                );
              }
              this.streamArn = d.streamArn;
              this.streamStatus = d.status;
            } else {
              this.streamStatus = undefined;
            }
          },
        );
      case S.CREATE:
        return this.call(
          () =>
            this.service.createStream({
              deviceName: this.deviceName,
              streamName: def.streamName,
              contentType: def.contentType,
              kmsKeyId: def.kmsKeyId,
              retentionPeriod: def.retentionPeriod,
            }),
          (out) => {
            if (out.result !== R.OK) return;
            if (typeof out.streamArn !== 'string' || out.streamArn.length === 0) {
              return this.fail(
                StatusCode.STATUS_INVALID_CREATE_STREAM_RESPONSE,
                out.result,
                'CreateStream gave no stream ARN',
              );
            }
            this.streamArn = out.streamArn;
            this.streamStatus = 'ACTIVE';
          },
        );
      case S.TAG_STREAM:
        return this.call(
          () => this.service.tagStream({ streamArn: this.streamArn ?? '', streamName: def.streamName, tags: def.tags }),
          () => {},
        );
      case S.GET_ENDPOINT:
        return this.call(
          () => this.service.getDataEndpoint({ streamName: def.streamName, apiName: 'PUT_MEDIA' }),
          (out) => {
            if (out.result !== R.OK) return;
            if (typeof out.endpoint !== 'string' || out.endpoint.length === 0 || out.endpoint.length > 10_000) {
              this.lastResult = R.UNKNOWN;
              this.report(new KvsError('STATUS_INVALID_URI_LEN', 'GetDataEndpoint gave no usable endpoint'), 0, false);
              return;
            }
            this.endpoint = out.endpoint;
          },
        );
      case S.GET_TOKEN:
        return this.call(
          () => this.service.getStreamingToken({ streamName: def.streamName }),
          (out) => {
            if (out.result !== R.OK) return;
            this.acceptToken(out.token, out.expiration);
          },
        );
      case S.READY:
        if (!this.isReady) {
          this.isReady = true;
          this.emit('ready');
        }
        // Open a connection once there is something to send (PIC waits for data too).
        if (this.hasUnsentData() && !this.awaitStreamStart) this.step();
        return;
      case S.PUT_STREAM:
        return this.openConnection();
      case S.STREAMING:
        // The backoff starts over once the service acknowledges data (or after 90 s of quiet).
        return;
      case S.STOPPED:
        if (this.stopping && !this.hasUnsentData()) return;
        return this.step();
    }
  }

  /** Runs a service call with a timeout; feeds its result to the state machine. */
  private call<O extends ServiceCallOutcome>(
    invoke: () => Promise<O>,
    onResult: (out: O) => void,
    dataPlane = false,
  ): void {
    const generation = this.generation;
    const state = this.stateValue;
    const started = this.clock.now();
    let settled = false;
    const settle = (out: O) => {
      if (settled) return;
      settled = true;
      this.clock.clearTimeout(timeout);
      this.callTimers.delete(timeout);
      this.latency(dataPlane, this.clock.now() - started);
      if (generation !== this.generation || state !== this.stateValue || this.failure) return;
      this.lastResult = typeof out?.result === 'number' ? out.result : R.UNKNOWN;
      onResult(out);
      if (!this.failure) this.step();
    };
    const timeout = this.clock.setTimeout(() => settle({ result: R.REQUEST_TIMEOUT } as O), this.serviceCallTimeout);
    this.callTimers.add(timeout);
    let promise: Promise<O>;
    try {
      promise = invoke();
    } catch (e) {
      promise = Promise.reject(e);
    }
    Promise.resolve(promise).then(settle, (e: unknown) => settle({ result: resultOf(e) } as O));
  }

  /** PIC's API call latency metrics: an exponential moving average per plane. */
  private latency(dataPlane: boolean, us: number): void {
    const c = this.counters;
    if (dataPlane) c.dataLatency = c.dataLatency === 0 ? us : c.dataLatency + 0.2 * (us - c.dataLatency);
    else c.cplLatency = c.cplLatency === 0 ? us : c.cplLatency + 0.2 * (us - c.cplLatency);
  }

  /** PIC's getStreamingTokenResult: bounds and jitter on the expiration; schedules the rotation. */
  private acceptToken(token: T | undefined, expiration: number | undefined): void {
    const now = this.clock.now();
    if (typeof expiration !== 'number' || !(expiration >= now + MIN_STREAMING_TOKEN_EXPIRATION_DURATION)) {
      this.lastResult = R.UNKNOWN;
      this.report(
        new KvsError(
          'STATUS_INVALID_TOKEN_EXPIRATION',
          `token expiration must be ≥ now + 30 s, got ${expiration === undefined ? 'none' : `${(expiration - now) / SECOND} s`}`,
        ),
        0,
        false,
      );
      return;
    }
    let expires = Math.min(expiration, now + MAX_ENFORCED_TOKEN_EXPIRATION_DURATION);
    const remaining = expires - now;
    if (remaining > 5 * MINUTE) expires -= Math.min(3 * MINUTE, Math.floor(this.random() * remaining * 0.1));
    this.token = token;
    this.tokenExpiration = expires;
    this.clearTimer('rotationTimer');
    this.rotationTimer = this.clock.setTimeout(
      () => {
        this.rotationTimer = undefined;
        this.rotate();
      },
      Math.max(0, expires - STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD - now),
    );
  }

  /**
   * Token rotation: a second connection is opened with a fresh token while the first keeps
   * sending; the next key frame starts a new MKV stream that goes to the new connection, and
   * the old one ends after the last item before it — no gap, no fragment sent twice.
   */
  private rotate(): void {
    if (this.failure || this.stopping) return;
    if (this.stateValue !== S.STREAMING) {
      // Not connected: the next connection will get a fresh token anyway.
      if (this.stateValue === S.READY || this.stateValue === S.STOPPED) this.restartFrom(R.STREAM_AUTH_IN_GRACE_PERIOD);
      return;
    }
    if (this.definition.absoluteFragmentTimes) {
      // The new MKV stream starts at the first key frame after the new connection is open.
      this.rotationPending = true;
    } else {
      // Relative cluster times: PutMedia must carry the new MKV stream's start, so the new
      // stream starts first and the connection opens once it has (a short pause, not a gap).
      this.resetOnKeyFrame = true;
      this.awaitStreamStart = true;
    }
    this.restartFrom(R.STREAM_AUTH_IN_GRACE_PERIOD);
  }

  private restartFrom(result: number): void {
    if (this.timer !== undefined) return;
    this.lastResult = result;
    this.setState(S.STOPPED);
    this.step();
  }

  /** PUT_STREAM: opens a PutMedia connection on a new upload handle. */
  private openConnection(): void {
    const h = new UploadHandle(this.nextHandle++, this.clock.now());
    h.sessionStart = this.nextSessionStart();
    this.handles.push(h);
    this.counters.totalSessions++;
    const def = this.definition;
    this.call(
      () =>
        this.service.putStream({
          streamName: def.streamName,
          containerType: 'video/x-matroska',
          streamStartTime: h.sessionStart,
          absoluteFragmentTimes: def.absoluteFragmentTimes,
          fragmentAcks: def.fragmentAcks,
          endpoint: this.endpoint ?? '',
          token: this.token,
          uploadHandle: h.handle,
        }),
      (out) => {
        if (out.result === R.OK && h.state === U.NEW) {
          h.state = this.stopping ? U.TERMINATING : U.READY;
          // A rotation switches MKV streams once the new connection can take them.
          if (this.rotationPending) {
            this.rotationPending = false;
            this.resetOnKeyFrame = true;
          }
          this.pulse(h);
          return;
        }
        // Failed, or the transport reported the connection's end before this result: the
        // PUT_STREAM rows decide with that end's result.
        // (an end reported as 200 still means the connection is gone: treat it as UNKNOWN).
        if (out.result === R.OK)
          this.lastResult = h.endResult === undefined || h.endResult === R.OK ? R.UNKNOWN : h.endResult;
        if (h.state === U.NEW) {
          h.state = U.ERROR;
          this.finishHandle(h);
          // It may have been all a stop was waiting for (a rotation's new connection whose
          // PutMedia failed after everything went out on the old one).
          this.checkStopped();
        }
      },
      true,
    );
  }

  /** The stream cannot go on: report, and either restart after a backoff or stay failed. */
  private fail(status: number, result: number, detail?: string): void {
    const error = new KvsError(status, detail ?? `${streamStateName(this.stateValue)} failed (last result ${result})`);
    if (this.definition.restartOnError && isRetriableStatus(status) && !this.stopping) {
      // PIC reports and the C producer's continuous-retry callbacks start over after a backoff.
      this.report(error, 0, false);
      this.localRetries = 0;
      this.lastResult = R.NOT_SET;
      this.setState(S.NEW);
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.step();
      }, this.backoff.next(this.clock.now()));
      return;
    }
    this.failure = error;
    this.wakePut();
    this.clearTimer('rotationTimer');
    this.clearTimer('intermittentTimer');
    this.report(error, 0, true);
    for (const w of this.stopWaiters.splice(0)) w.reject(error);
  }

  private report(error: KvsError, uploadHandle: number, fatal: boolean, fragmentTimestamp?: number): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, { uploadHandle, fragmentTimestamp, fatal });
  }

  private clearTimer(which: 'timer' | 'rotationTimer' | 'intermittentTimer' | 'metricsTimer'): void {
    const t = this[which];
    if (t !== undefined) this.clock.clearTimeout(t);
    this[which] = undefined;
  }

  private hasUnsentData(): boolean {
    const v = this.view;
    // After a drop, what the rollback will replay counts too. Closing tags waiting for a
    // connection (pendingTail) do not: without frames to carry there is no MKV stream to close.
    return v.current < v.head || (this.rollback !== undefined && v.tail < v.head);
  }

  // ---------------------------------------------------------------------------------------------
  // Upload handles: the pull API

  /** The oldest handle still sending: only it may take items (PIC's ordering of handles). */
  private sendingHandle(): UploadHandle | undefined {
    for (const h of this.handles) if (h.state & SENDING) return h;
    return undefined;
  }

  private handle(uploadHandle: number): UploadHandle | undefined {
    for (const h of this.handles) if (h.handle === uploadHandle) return h;
    return undefined;
  }

  private pulse(h: UploadHandle): void {
    // Computing the durations walks the view: skip it when nobody listens.
    if (this.listenerCount('dataAvailable') === 0) return;
    this.emit('dataAvailable', h.handle, this.view.currentViewDuration, this.view.currentViewSize);
  }

  private dataAvailable(): void {
    if (this.listenerCount('dataAvailable') === 0) return;
    const h = this.sendingHandle();
    if (h) this.pulse(h);
  }

  /**
   * PIC's getKinesisVideoStreamData: the next bytes for `uploadHandle`, at most `maxBytes`. At the
   * start of a connection the bytes begin with an MKV stream header (a fresh one after a
   * reconnect), then frames from the content view; at its end the end-of-stream tags. The result
   * object and its view are reused: consume them before calling again.
   */
  getStreamData(uploadHandle: number, maxBytes = 65536): StreamData {
    const was = this.pulling;
    this.pulling = true;
    try {
      return this.pull(uploadHandle, maxBytes);
    } finally {
      this.pulling = was;
    }
  }

  /**
   * Set while getStreamData runs: its 'droppedFrame' events come from the middle of a walk over
   * the view, which a put from a listener would change under it.
   */
  private pulling = false;

  private pull(uploadHandle: number, maxBytes: number): StreamData {
    const out = this.result;
    out.data = EMPTY;
    if (!(maxBytes > 0)) throw new KvsError('STATUS_INVALID_ARG', `maxBytes must be > 0, got ${maxBytes}`);
    const h = this.handle(uploadHandle);
    if (h === undefined) {
      out.status = this.ended.has(uploadHandle)
        ? StatusCode.STATUS_END_OF_STREAM
        : StatusCode.STATUS_UPLOAD_HANDLE_ABORTED;
      return out;
    }
    switch (h.state) {
      case U.NEW:
        out.status = StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
        return out;
      case U.AWAITING_ACK:
        if (h.lastPersistedPts < h.lastFragmentPts) {
          out.status = StatusCode.STATUS_AWAITING_PERSISTED_ACK;
          return out;
        }
        // The last fragment was PERSISTED before the session ended (PIC's lastPersistedAckTs check).
        h.state = U.TERMINATED;
        out.status = StatusCode.STATUS_END_OF_STREAM;
        this.afterSessionEnd();
        return out;
      case U.ACK_RECEIVED:
      case U.TERMINATED:
        if (h.state === U.ACK_RECEIVED) {
          h.state = U.TERMINATED;
          this.afterSessionEnd();
        }
        out.status = StatusCode.STATUS_END_OF_STREAM;
        return out;
      case U.ERROR:
        out.status = StatusCode.STATUS_UPLOAD_HANDLE_ABORTED;
        return out;
    }
    if (this.sendingHandle() !== h) {
      out.status = StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
      return out;
    }
    // Finish the item in progress first; a session that is ending takes no more items.
    if (h.piece < h.pieceCount) return this.slice(h, maxBytes);
    if (h.ending) return this.endSession(h, maxBytes);
    if (!h.started && !this.beginSession(h)) {
      if (h.mismatch || (h.state === U.TERMINATING && !this.hasUnsentData())) {
        // Stopped before it had anything to carry (or announced the wrong MKV stream): end it
        // without bytes (closing tags would close an MKV stream this connection never opened).
        if (!h.mismatch) this.pendingTail = undefined;
        else if (h.tail !== undefined && h.tail.length > 0) this.pendingTail = h.tail;
        h.state = U.TERMINATED;
        out.status = StatusCode.STATUS_END_OF_STREAM;
        this.afterSessionEnd();
        return out;
      }
      out.status = StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
      return out;
    }
    return this.nextItem(h, maxBytes);
  }

  /** First bytes of a connection: roll back after a drop, and make sure they start an MKV stream. */
  private beginSession(h: UploadHandle): boolean {
    const v = this.view;
    const replay = this.rollback !== undefined;
    if (this.rollback) {
      if (this.definition.streamingType === StreamingType.OFFLINE) v.resetCurrent();
      else
        v.rollbackCurrent(
          this.definition.replayDuration,
          true,
          this.definition.fragmentAcks && this.rollback.hostAlive,
        );
      this.rollback = undefined;
    }
    // A frame cut off by the drop that the replay does not send again never arrived whole.
    const cut = this.cutItem;
    this.cutItem = -1;
    if (cut >= v.tail && cut < v.current) this.dropItem(cut, RemoveReason.VIEW_OVERFLOW);
    // A session must start at a fragment boundary. Frames before the first one (the start of
    // their fragment was evicted) can never be sent, even once a later fragment arrives: report
    // them dropped and mark them, so that no later trim counts them as delivered.
    const i = this.skipOrphans(v.current);
    if (i >= v.head) return false;
    if (replay) {
      // What goes out again is acknowledged again (PIC clears these flags before a replay).
      for (let k = i; k < v.head; k++) v.clearFlags(k, F.BUFFERING_ACK | F.RECEIVED_ACK);
    }
    if (!(v.itemFlags(i) & F.STREAM_START) || v.streamStartHeader(i) !== undefined) {
      const header = this.mkvStreams.get(v.itemStream(i))?.header ?? this.writer.streamHeader();
      try {
        v.setStreamStartHeader(i, header);
      } catch (e) {
        // A full store has no room for the header slot. The header is an immutable array: it
        // goes out with this connection's first item instead, and nothing is evicted for it.
        if (!(isKvsError(e) && e.status === StatusCode.STATUS_STORE_OUT_OF_MEMORY)) throw e;
        h.startHeader = header;
        h.startItem = i;
      }
    }
    if (!this.definition.absoluteFragmentTimes && this.mkvStreamStartOf(i) !== h.sessionStart) {
      // PutMedia announced another MKV stream's start (the writer or a replay moved on since the
      // connection opened): relative timecodes on it would be misread. This connection ends
      // unused; the next one announces the right start.
      h.mismatch = true;
      return false;
    }
    h.started = true;
    h.stream = v.itemStream(i);
    h.state = h.state === U.READY ? U.STREAMING : h.state;
    return true;
  }

  /**
   * From `from`, marks SKIP and reports dropped every item up to the next fragment boundary (or
   * the head); moves current there and returns it.
   */
  private skipOrphans(from: number): number {
    const v = this.view;
    let i = from;
    while (i < v.head && (!(v.itemFlags(i) & (F.FRAGMENT_START | F.STREAM_START)) || v.itemFlags(i) & F.SKIP_ITEM)) {
      this.dropItem(i, RemoveReason.VIEW_OVERFLOW);
      i++;
    }
    if (i !== v.current) v.setCurrent(i);
    return i;
  }

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
  private mkvStreamStartOf(i: number): number {
    const v = this.view;
    return (
      (i < v.head ? this.mkvStreams.get(v.itemStream(i))?.startUs : undefined) ??
      this.writer.currentTimestamps().streamStartUs
    );
  }

  /**
   * The MKV stream the next connection's first item will be in: where a pending rollback or the
   * send cursor points (PutMedia announces its start before any byte goes out).
   */
  private nextSessionStart(): number {
    const v = this.view;
    // A rotation: the open connection sends up to the next MKV stream, this one from there.
    if (!this.rollback && this.sendingHandle()?.started) return this.writer.currentTimestamps().streamStartUs;
    let i = v.current;
    if (this.rollback && this.definition.streamingType !== StreamingType.OFFLINE) {
      i = v.rollbackTarget(
        this.definition.replayDuration,
        true,
        this.definition.fragmentAcks && this.rollback.hostAlive,
      );
    } else if (this.rollback) {
      i = v.tail;
    }
    return this.mkvStreamStartOf(i);
  }

  /** Marks an item SKIP (no later trim counts it as delivered) and reports it dropped, once. */
  private dropItem(i: number, reason: RemoveReason): void {
    const v = this.view;
    const flags = v.itemFlags(i);
    if (flags & (F.RECEIVED_ACK | F.PERSISTED_ACK) || !v.markDropped(i)) return;
    this.emit('droppedFrame', v.itemOwnPts(i), reason);
    if (flags & F.FRAGMENT_START) this.emit('droppedFragment', v.itemOwnPts(i), reason);
  }

  private nextItem(h: UploadHandle, maxBytes: number): StreamData {
    const out = this.result;
    const v = this.view;
    let i = v.getNext();
    if (
      i >= 0 &&
      h.item >= 0 &&
      !(v.itemFlags(i) & (F.FRAGMENT_START | F.STREAM_START | F.FRAGMENT_END)) &&
      v.itemFragment(i) !== h.fragment
    ) {
      // Eviction took the start of this item's fragment after the session sent the previous
      // one: sending it would put it under the wrong cluster. Skip to the next fragment boundary.
      // (Index order does not tell: an eviction may have moved the in-flight item into a later
      // slot, right before items of a newer fragment.)
      const next = this.skipOrphans(i);
      if (next >= v.head) {
        out.status = StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
        return out;
      }
      i = v.getNext();
    }
    if (i >= 0) {
      const flags = v.itemFlags(i);
      // A new MKV stream (token rotation, a reset) belongs to the next connection: it needs its
      // own header (and, with relative times, its own start announced). By stream number, since
      // its STREAM_START item may have been evicted.
      if (h.item !== -1 && v.itemStream(i) !== h.stream) {
        v.setCurrent(i);
        if (h.state !== U.TERMINATING) h.state = U.TERMINATING;
        return this.endSession(h, maxBytes);
      }
      h.item = i;
      h.fragment = v.itemFragment(i);
      let header = v.streamStartHeader(i);
      if (header === undefined && i === h.startItem) {
        header = h.startHeader;
        h.startHeader = undefined;
      }
      if (header) setPieces(h, header, v.itemData(i));
      else setPieces(h, v.itemData(i));
      if (flags & F.FRAGMENT_START) h.lastFragmentPts = v.itemOwnPts(i);
      h.lastWasEndOfFragment = (flags & F.FRAGMENT_END) !== 0;
      // PIC checks staleness as it hands out data; once per item is enough.
      this.checkStaleness();
      return this.slice(h, maxBytes);
    }
    if (h.state === U.TERMINATING || this.stopping) {
      h.state = U.TERMINATING;
      return this.endSession(h, maxBytes);
    }
    out.status = StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
    return out;
  }

  /** Sends the session's closing tags, then waits for the last PERSISTED ACK or ends. */
  private endSession(h: UploadHandle, maxBytes: number): StreamData {
    const out = this.result;
    h.ending = true;
    if (h.tail === undefined) {
      const tail =
        this.pendingTail ?? (h.lastWasEndOfFragment || h.item === -1 ? EMPTY : this.writer.endOfStreamTags());
      this.pendingTail = undefined;
      h.tail = tail;
    }
    if (h.tail.length > 0) {
      h.item = -1;
      setPieces(h, h.tail);
      h.tail = EMPTY;
      return this.slice(h, maxBytes);
    }
    const awaitAck =
      this.definition.fragmentAcks &&
      this.definition.retentionPeriod !== 0 &&
      h.lastFragmentPts >= 0 &&
      h.lastPersistedPts < h.lastFragmentPts;
    h.state = awaitAck ? U.AWAITING_ACK : U.TERMINATED;
    out.status = awaitAck ? StatusCode.STATUS_AWAITING_PERSISTED_ACK : StatusCode.STATUS_END_OF_STREAM;
    // The next connection may start now (the transport still reports this one's end).
    this.afterSessionEnd();
    return out;
  }

  /**
   * After a session ended cleanly: a stop may be complete; the next connection may send; and
   * if data is left and no connection would carry it (a session that ended at a new MKV stream,
   * a replay), open one (PIC: the last handle terminated with data left → reset connection).
   */
  private afterSessionEnd(): void {
    this.checkStopped();
    const next = this.sendingHandle();
    if (next) {
      this.pulse(next);
      return;
    }
    const opening = this.handles.some((x) => x.state === U.NEW);
    if (
      !opening &&
      this.hasUnsentData() &&
      !this.failure &&
      (this.stateValue === S.STREAMING || this.stateValue === S.READY)
    ) {
      this.restartFrom(R.OK);
    }
  }

  private slice(h: UploadHandle, maxBytes: number): StreamData {
    const out = this.result;
    const piece = h.piece === 0 ? h.piece0 : h.piece1;
    const end = Math.min(piece.length, h.offset + maxBytes);
    out.data = h.offset === 0 && end === piece.length ? piece : piece.subarray(h.offset, end);
    out.status = StatusCode.STATUS_SUCCESS;
    h.bytesSent += end - h.offset;
    this.counters.transferredBytes += end - h.offset;
    h.offset = end;
    if (end === piece.length) {
      h.piece++;
      h.offset = 0;
    }
    return out;
  }

  private checkStaleness(): void {
    if (this.definition.connectionStalenessDuration === 0 || !this.definition.fragmentAcks) return;
    const gap = this.view.checkConnectionStaleness();
    if (gap > 0) {
      if (!this.staleReported) {
        this.staleReported = true;
        this.counters.staleEvents++;
        this.emit('connectionStale', gap);
      }
    } else {
      this.staleReported = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ACKs and connection ends (fed by the transport)

  /**
   * An ACK from the PutMedia response of `uploadHandle` (PIC's streamFragmentAckEvent). Returns
   * STATUS_SUCCESS, or a warning status that changes nothing: STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW
   * for an ACK whose fragment is no longer buffered, STATUS_INVALID_FRAGMENT_ACK_TYPE, or
   * STATUS_UPLOAD_HANDLE_ABORTED for an unknown or finished handle.
   */
  fragmentAck(uploadHandle: number, ack: FragmentAck): number {
    const h = this.handle(uploadHandle);
    this.emit('ack', ack, uploadHandle);
    if (h === undefined || h.state === U.TERMINATED || h.state === U.ERROR)
      return StatusCode.STATUS_UPLOAD_HANDLE_ABORTED;
    const type = ack.ackType;
    if (type === FragmentAckType.IDLE) return StatusCode.STATUS_SUCCESS;
    if (
      type !== FragmentAckType.BUFFERING &&
      type !== FragmentAckType.RECEIVED &&
      type !== FragmentAckType.PERSISTED &&
      type !== FragmentAckType.ERROR
    ) {
      return StatusCode.STATUS_INVALID_FRAGMENT_ACK_TYPE;
    }
    const v = this.view;
    const validTimecode = typeof ack.timecode === 'number' && Number.isFinite(ack.timecode) && ack.timecode >= 0;
    const ts = validTimecode ? this.ackTimestamp(ack.timecode as number, h) : Number.NaN;
    let i = validTimecode ? v.findItemByTimestamp(ts, true) : -1;
    if (i < 0) {
      if (type === FragmentAckType.ERROR) {
        // PIC still reports an ERROR it cannot place and ends the connection, as the service does.
        this.counters.errorAcks++;
        this.report(
          new KvsError(
            ackErrorStatus(ack.result),
            `ERROR ACK ${ack.result} for ${validTimecode ? `${ts} µs, outside the buffer` : 'no fragment timecode'}`,
          ),
          uploadHandle,
          false,
        );
        this.streamTerminated(uploadHandle, ack.result);
        return validTimecode ? StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW : StatusCode.STATUS_SUCCESS;
      }
      if (!validTimecode) return StatusCode.STATUS_INVALID_FRAGMENT_ACK_TYPE;
      if (type === FragmentAckType.PERSISTED) {
        // Trimmed already (a replay on a newer connection was persisted first): this connection
        // still learns that its fragment is safe (PIC's lastPersistedAckTs).
        this.counters.persistedAcks++;
        this.persistedOn(h, ts);
      }
      this.report(
        new KvsError('STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW', `ACK for ${ts} µs is outside the buffer`),
        uploadHandle,
        false,
        ts,
      );
      return StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW;
    }
    // The ACK names its fragment's start; step back to it if the lookup landed inside.
    while (i > v.tail && !(v.itemFlags(i) & F.FRAGMENT_START)) i--;
    const fragmentPts = v.itemOwnPts(i);
    switch (type) {
      case FragmentAckType.BUFFERING:
        this.counters.bufferedAcks++;
        v.setFlags(i, F.BUFFERING_ACK);
        this.staleReported = false;
        // The connection works: failures from here on start the backoff over.
        this.backoff.reset();
        break;
      case FragmentAckType.RECEIVED:
        this.counters.receivedAcks++;
        v.setFlags(i, F.RECEIVED_ACK);
        // Without retention there will be no PERSISTED ACK: RECEIVED is as far as it goes.
        if (this.definition.retentionPeriod === 0 && this.trimAllowed(h)) v.trimToNextFragment(i);
        break;
      case FragmentAckType.PERSISTED:
        this.counters.persistedAcks++;
        this.backoff.reset();
        v.setFlags(i, F.PERSISTED_ACK);
        if (this.trimAllowed(h)) v.trimToNextFragment(i);
        this.persistedOn(h, fragmentPts);
        break;
      case FragmentAckType.ERROR:
        this.counters.errorAcks++;
        this.errorAck(h, i, ack);
        break;
    }
    return StatusCode.STATUS_SUCCESS;
  }

  /** An ACK's FragmentTimecode in µs, converted exactly as the writer converted it (and relative to the session with relative times). */
  private ackTimestamp(timecode: number, h: UploadHandle): number {
    const scaleNs = this.writer.timecodeScaleNs;
    const us = scaleNs % 1000 === 0 ? timecode * (scaleNs / 1000) : (timecode * scaleNs) / 1000;
    return us + (this.definition.absoluteFragmentTimes ? 0 : h.sessionStart);
  }

  /** A fragment starting at `pts` is persisted on `h`: a connection waiting only for that can end. */
  private persistedOn(h: UploadHandle, pts: number): void {
    if (pts > h.lastPersistedPts) h.lastPersistedPts = pts;
    if (h.state === U.AWAITING_ACK && h.lastPersistedPts >= h.lastFragmentPts) {
      h.state = U.ACK_RECEIVED;
      this.pulse(h);
    }
    this.checkStopped();
  }

  /** PIC trims behind a PERSISTED ACK only when every older connection is done with its items. */
  private trimAllowed(h: UploadHandle): boolean {
    for (const other of this.handles) {
      if (other === h) return true;
      if (!(other.state & READY_TO_TRIM)) return false;
    }
    return true;
  }

  private errorAck(h: UploadHandle, i: number, ack: FragmentAck): void {
    const status = ackErrorStatus(ack.result);
    const v = this.view;
    const pts = v.itemOwnPts(i);
    // Only the connection that is sending owns `current` and the in-flight item.
    const sending = this.sendingHandle() === h;
    if (!isRetriableResult(ack.result)) {
      // The service will never take this fragment: skip it, and if it is still being built,
      // drop its remaining frames until the next key frame.
      if (sending) {
        const complete = v.skipFragment(i);
        if (!complete) this.skipUntilKeyFrame = true;
      } else {
        markFragmentSkipped(v, i);
      }
    } else if (sending) {
      // PIC sets current to the failing fragment for every error, so that the replay starts
      // there even when it already has a RECEIVED ACK.
      v.setCurrent(i);
    }
    this.report(
      new KvsError(
        status,
        `ERROR ACK ${ack.result}${ack.errorCode ? ` (${ack.errorCode})` : ''} for fragment ${ack.fragmentNumber ?? '?'}`,
      ),
      h.handle,
      false,
      pts,
    );
    // The service closes the connection after an error; reconnect (and replay what is retriable).
    this.streamTerminated(h.handle, ack.result);
  }

  /**
   * The connection of `uploadHandle` ended (PIC's streamTerminatedEvent): normally after
   * END_OF_STREAM, or early with the result of the failure (a timeout, an HTTP status, an
   * ErrorId). Data buffered is kept; a new connection rolls back as PIC does.
   */
  streamTerminated(uploadHandle: number, result: number = R.OK): void {
    const h = this.handle(uploadHandle);
    if (h === undefined) return;
    const state = h.state;
    h.endResult ??= result;
    const sending = (state & SENDING) !== 0 && this.sendingHandle() === h;
    // Everything this connection carried is safe when it ended cleanly, or when it was waiting
    // only for a PERSISTED ACK that came (PIC's lastPersistedAckTs).
    const persisted = h.lastPersistedPts >= h.lastFragmentPts;
    const clean = state === U.TERMINATED || state === U.ACK_RECEIVED || (state === U.AWAITING_ACK && persisted);
    h.state = U.TERMINATED;
    this.finishHandle(h);
    if (state === U.NEW) {
      // Ended before its PutMedia result: that result counts as this failure (see openConnection).
      return;
    }
    if (clean) return this.afterSessionEnd();
    if (state === U.AWAITING_ACK) {
      // Closed before the last PERSISTED ACK: what was not persisted is sent again (PIC sets
      // IN_USE), unless another connection has taken over already.
      this.report(
        new KvsError(
          'STATUS_PUTMEDIA_LAST_PERSIST_ACK_NOT_RECEIVED',
          `connection ended (${result}) before the last PERSISTED ACK`,
        ),
        h.handle,
        false,
      );
      if (this.sendingHandle() !== undefined) return;
      this.rollback = { hostAlive: isHostAliveResult(result) };
    } else if (!sending) {
      return;
    } else if (h.started) {
      this.rollback = { hostAlive: isHostAliveResult(result) };
    }
    if (this.rollback !== undefined && h.item >= 0 && h.piece < h.pieceCount && this.view.inFlight >= 0)
      this.cutItem = this.view.inFlight;
    this.view.releaseInFlight();
    if (this.sendingHandle() !== undefined) return;
    if (this.stopping && !this.hasUnsentData()) return this.checkStopped();
    if (this.failure) return;
    if (this.stateValue === S.READY) {
      // READY waits for data; what the drop left to replay is data.
      if (this.timer === undefined && !this.awaitStreamStart && this.hasUnsentData()) this.step();
      return;
    }
    const reconnecting =
      this.stateValue & (S.DESCRIBE | S.CREATE | S.TAG_STREAM | S.GET_ENDPOINT | S.GET_TOKEN | S.PUT_STREAM);
    // Without restart-on-error, a failed connection stops the stream (fromStopped decides).
    if (!reconnecting) this.restartFrom(result);
  }

  private finishHandle(h: UploadHandle): void {
    if (h.state === U.TERMINATED || h.state === U.ERROR) {
      if (h.started && !h.finished) {
        h.finished = true;
        this.counters.sessionTime += this.clock.now() - h.createTime;
        this.counters.sessionsEnded++;
      }
      this.emit('closed', h.handle);
    }
    this.removeFinishedHandles();
  }

  private removeFinishedHandles(): void {
    // Finished handles at the front can go; later ones wait so ACK trimming keeps its order.
    while (this.handles.length > 0 && (this.handles[0].state === U.TERMINATED || this.handles[0].state === U.ERROR))
      this.handles.shift();
  }

  // ---------------------------------------------------------------------------------------------
  // Intermittent producer and metrics

  private scheduleIntermittentCheck(delay: number): void {
    this.intermittentTimer = this.clock.setTimeout(() => {
      this.intermittentTimer = undefined;
      this.intermittentCheck();
      if (!this.stopping && !this.failure) this.scheduleIntermittentCheck(INTERMITTENT_PRODUCER_PERIOD);
    }, delay);
  }

  /** PIC's checkIntermittentProducerCallback: after 20 s without frames, close the open fragment with an EoFR. */
  private intermittentCheck(): void {
    if (!this.definition.keyFrameFragmentation || this.stopping || this.failure) return;
    if (!this.writer.streamStarted || this.writer.lastWasEndOfFragment) return;
    if (this.clock.now() - this.lastPutTime <= INTERMITTENT_PRODUCER_MAX_TIMEOUT) return;
    try {
      this.order?.flush();
      this.store({
        trackId: this.definition.tracks[0].trackId,
        pts: 0,
        dts: 0,
        duration: 0,
        flags: FrameFlags.END_OF_FRAGMENT,
        data: EMPTY,
      });
    } catch (e) {
      if (isKvsError(e)) this.report(e, 0, false);
      else throw e;
    }
  }

  /** StreamMetrics (PIC's getKinesisVideoStreamMetrics), durations µs. */
  metrics(): StreamMetrics {
    const v = this.view.metrics();
    const uptime = this.clock.now() - this.createdAt;
    const seconds = Math.max(uptime / SECOND, 1e-9);
    const c = this.counters;
    return {
      ...v,
      state: streamStateName(this.stateValue),
      uptime,
      totalSessions: c.totalSessions,
      totalActiveSessions: this.handles.filter((h) => h.state & (SENDING | U.AWAITING_ACK)).length,
      transferredBytes: c.transferredBytes,
      bufferedAcks: c.bufferedAcks,
      receivedAcks: c.receivedAcks,
      persistedAcks: c.persistedAcks,
      errorAcks: c.errorAcks,
      putFrameErrors: c.putFrameErrors,
      streamApiCallRetryCount: c.retries,
      currentFrameRate: this.frameRate,
      elementaryFrameRate: this.frameRate,
      avgSessionDuration: c.sessionsEnded === 0 ? 0 : c.sessionTime / c.sessionsEnded,
      cplApiCallLatency: c.cplLatency,
      dataApiCallLatency: c.dataLatency,
      currentTransferRate: c.transferredBytes / seconds,
    };
  }

  /** The name of a status, for logs (re-exported convenience). */
  static statusName(status: number): string {
    return statusName(status);
  }
}

const EMPTY = new Uint8Array(0);
/** MKV bytes a frame may bring along in the store (block header, a cluster start, tags), for room checks. */
const MKV_FRAME_ALLOWANCE = 1024;

/** Marks the fragment starting at `i` SKIP_ITEM without moving any cursor (another connection owns them). */
function markFragmentSkipped(v: ContentView, i: number): void {
  const head = v.head;
  v.setFlags(i, F.SKIP_ITEM);
  for (let k = i + 1; k < head && !(v.itemFlags(k) & (F.FRAGMENT_START | F.STREAM_START | F.FRAGMENT_END)); k++) {
    v.setFlags(k, F.SKIP_ITEM);
  }
}

/**
 * Content view capacity in items: one item per frame of every track over the buffer duration
 * (video at the stream's frame rate, audio at ~50 frames/s: AAC at 48 kHz makes 47), whatever the
 * streaming type. PIC sizes NEAR_REALTIME views in fragments because its items are fragments
 * there; here an item is always a frame.
 */
function viewItemCount(def: ResolvedStreamDefinition): number {
  let perSecond = 0;
  for (const t of def.tracks) perSecond += t.trackType === 2 ? 50 : def.frameRate;
  return Math.max(11, Math.ceil((perSecond * def.bufferDuration) / 1_000_000));
}

/** Loads the pieces a session sends next. */
function setPieces(h: UploadHandle, first: Uint8Array, second?: Uint8Array): void {
  h.piece0 = first;
  h.piece1 = second ?? EMPTY;
  h.pieceCount = second === undefined ? 1 : 2;
  h.piece = 0;
  h.offset = 0;
}

/** A rejected service call's result: its `result` property, a KvsError's mapped status, or UNKNOWN. */
function resultOf(e: unknown): number {
  if (e !== null && typeof e === 'object' && typeof (e as { result?: unknown }).result === 'number')
    return (e as { result: number }).result;
  return R.UNKNOWN;
}

export type { StatusName };
