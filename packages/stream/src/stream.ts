// KinesisVideoStream: what PIC's Stream.c does between putFrame and the network, in one pure,
// synchronous, clock-injected object. It holds the producer API and the reactions; the work is
// split by who calls in, as PIC splits it (docs/decisions/stream-split.md):
//   intake.ts    frames from the producer (ordering, waiting for room, packaging into the view)
//   states.ts    the state machine (from* rules and execute* actions, service calls)
//   session.ts   one PutMedia connection's life (the pull, its fragments' ACK bookkeeping, its end)
//   sessions.ts  the connections in order, and the replay between them after a drop
//   acks.ts      ACKs from the transport: what they change in the view and the session
//   metrics.ts   counters for StreamMetrics; timing.ts PIC's timing constants
// Lower files return what happened (or tell their host); only this file reacts.

import {
  type ContentStore,
  type ContentView,
  PressureSignal,
  type RemovedItem,
  RemoveReason,
  ViewItemFlags,
} from '@kvs-ts/content-store';
import {
  type FragmentAck,
  type Frame,
  isKvsError,
  KvsError,
  ServiceCallResult,
  StatusCode,
  statusName,
} from '@kvs-ts/core';
import type { MkvWriter, StreamEventMetadata } from '@kvs-ts/mkv-writer';
import { EventEmitter } from 'eventemitter3';
import { AckHandler } from './acks';
import { contentViewOptions, type ResolvedStreamDefinition, resolveStreamDefinition } from './definition';
import { Intake } from './intake';
import { reportPressure, StreamCounters } from './metrics';
import type { Clock, StreamService } from './service';
import { PULL_STATUS, Pull, SessionEnd, type UploadHandleState, type UploadSession } from './session';
import { UploadSessions } from './sessions';
import { StreamState, StreamStateMachine, streamStateName } from './states';
import { StopWaiters } from './stop-waiters';
import {
  DEFAULT_SERVICE_CALL_TIMEOUT,
  INTERMITTENT_PRODUCER_MAX_TIMEOUT,
  INTERMITTENT_PRODUCER_PERIOD,
  INTERMITTENT_PRODUCER_START_DELAY,
  MAX_BLOCKING_PUT_WAIT,
  STREAM_CLOSED_TIMEOUT,
} from './timing';
import type { KinesisVideoStreamOptions, StreamData, StreamEvents, StreamMetrics } from './types';

const S = StreamState;
const R = ServiceCallResult;
const F = ViewItemFlags;
const EMPTY = new Uint8Array(0);
// Module-level copies of imported constants read per frame (see session.ts).
const PULL_DATA = Pull.DATA;
const PULL_ENDED = Pull.ENDED;
const PULL_ENDED_AWAITING_ACK = Pull.ENDED_AWAITING_ACK;
const STATUS_OF_PULL = PULL_STATUS;
const NO_SIGNAL = PressureSignal.NONE;

/**
 * One KVS stream of a producer. Create it, `start()` it, `putFrame()` into it; a transport
 * serves each connection the state machine opens (see {@link StreamService.putStream}).
 */
export class KinesisVideoStream<T = unknown> extends EventEmitter<StreamEvents> {
  readonly definition: ResolvedStreamDefinition;
  readonly view: ContentView;
  private readonly contentStore: ContentStore;
  private readonly clock: Clock;
  private readonly createdAt: number;
  private readonly counters: StreamCounters;
  private readonly intake: Intake;
  private readonly machine: StreamStateMachine<T>;
  private readonly sessions: UploadSessions;
  private readonly acks: AckHandler;
  private readonly result: StreamData = { status: StatusCode.STATUS_NO_MORE_DATA_AVAILABLE, data: EMPTY };

  // The stream's phases (each set and cleared only here).
  private started = false;
  private isReady = false;
  private failure: KvsError | undefined;
  private stopping = false;
  /** Set while getStreamData runs: a put from one of its listeners would change the view under the walk. */
  private pulling = false;
  /** A token rotation waits for the new connection before the writer starts a new MKV stream. */
  private rotationPending = false;
  /** Relative fragment times: the rotated connection opens once its MKV stream has started. */
  private awaitStreamStart = false;
  private staleReported = false;
  private intermittentTimer: unknown;
  private metricsTimer: unknown;
  private readonly stopWaiters = new StopWaiters();

  constructor(options: KinesisVideoStreamOptions<T>) {
    super();
    const def = resolveStreamDefinition(options.definition);
    this.definition = def;
    this.contentStore = options.store;
    this.clock = options.clock;
    const wait = options.offlineBufferAvailabilityTimeout ?? MAX_BLOCKING_PUT_WAIT;
    if (!(wait > 0 && wait < Infinity))
      throw new KvsError('STATUS_INVALID_ARG', `offlineBufferAvailabilityTimeout must be > 0 µs, got ${wait}`);
    const every = options.metricsInterval ?? 0;
    if (!(every >= 0)) throw new KvsError('STATUS_INVALID_ARG', `metricsInterval must be ≥ 0 µs, got ${every}`);
    this.createdAt = this.clock.now();
    this.view = options.store.createView({ ...contentViewOptions(def), onRemove: (item) => this.onItemRemoved(item) });
    const self = this;
    this.counters = new StreamCounters();
    // The writer checks what the definition does not (at most 3 tracks, codecs, track IDs): if it
    // refuses, give the view back, or every refused definition would keep one of the store's
    // 128 view slots (packages/kvs/test/bad-input.test.ts).
    try {
      this.intake = new Intake(
        def,
        this.view,
        this.counters,
        {
          clock: this.clock,
          get stopping() {
            return self.stopping;
          },
          get failure() {
            return self.failure;
          },
          refusal: () => this.putRefusal(),
          mkvStreamStarted: () => {
            this.awaitStreamStart = false;
          },
          stored: (signals) => this.onStored(signals),
          dropped: (pts) => this.emit('droppedFrame', pts, RemoveReason.REMOVED),
          refused: (error, pts) => this.report(error, 0, false, pts),
        },
        { clientId: options.clientId, now: () => this.clock.now() },
        wait,
      );
    } catch (e) {
      this.view.free();
      throw e;
    }
    this.machine = new StreamStateMachine<T>({
      definition: def,
      service: options.service,
      clock: this.clock,
      counters: this.counters,
      deviceName: options.deviceName ?? 'Kinesis_Video_Device',
      random: options.random ?? Math.random,
      serviceCallTimeout: options.serviceCallTimeout ?? DEFAULT_SERVICE_CALL_TIMEOUT,
      get stopping() {
        return self.stopping;
      },
      stateChanged: (next, previous) => this.emit('stateChange', next, previous),
      reachedReady: () => {
        if (this.isReady) return;
        this.isReady = true;
        this.emit('ready');
      },
      wantsConnection: () => this.hasUnsentData() && !this.awaitStreamStart,
      drained: () => this.stopping && !this.hasUnsentData(),
      openConnection: () => this.openConnection(options.service),
      rotate: () => this.rotate(),
      report: (error) => this.report(error, 0, false),
      failed: (error) => this.onFailed(error),
    });
    this.sessions = new UploadSessions({
      view: this.view,
      definition: def,
      intake: this.intake,
      out: this.result,
      itemHandedOut: () => this.checkStaleness(),
      dropped: (pts, fragmentStart) => this.reportDropped(pts, fragmentStart, RemoveReason.VIEW_OVERFLOW),
    });
    this.acks = new AckHandler(
      this.view,
      this.sessions,
      this.counters,
      { timecodeScaleNs: this.intake.writer.timecodeScaleNs, absoluteFragmentTimes: def.absoluteFragmentTimes },
      def.retentionPeriod !== 0,
    );
    if (options.intermittentProducer ?? true) this.scheduleIntermittentCheck(INTERMITTENT_PRODUCER_START_DELAY);
    if (every > 0) this.scheduleMetrics(every);
  }

  // ---------------------------------------------------------------------------------------------
  // Public state

  /** The MKV writer that packages this stream's frames. */
  get writer(): MkvWriter {
    return this.intake.writer;
  }

  /** The state machine's state. */
  get state(): StreamState {
    return this.machine.state;
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
    return this.machine.arn;
  }

  /** Upload handles that are not finished, oldest first, with their states. */
  get uploadHandles(): ReadonlyArray<{ handle: number; state: UploadHandleState }> {
    return this.sessions.snapshot();
  }

  /** Starts the state machine (NEW → DESCRIBE → …). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.machine.step();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames and metadata (intake.ts does the work)

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
    if (this.intake.waiting > 0 && !this.stopping)
      throw new KvsError(
        'STATUS_INVALID_OPERATION',
        'putFrame while putFrameAsync calls wait for room: await them first (frames must stay in order)',
      );
    this.intake.put(frame);
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
    return this.intake.putAsync(frame);
  }

  /** Fragment metadata for the next fragment(s) (PIC's putKinesisVideoFragmentMetadata). */
  putFragmentMetadata(name: string, value: string, persistent = true): void {
    if (this.stopping) throw new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putFragmentMetadata after stop()');
    this.intake.writer.putFragmentMetadata(name, value, persistent);
  }

  /** A stream event (image generation, notification) for the current fragment (PIC's putKinesisVideoEventMetadata). */
  putEventMetadata(events: number, metadata?: StreamEventMetadata): void {
    if (this.stopping) throw new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putEventMetadata after stop()');
    this.intake.writer.putEventMetadata(events, metadata);
  }

  /** Why a put is refused now, checked in PIC's order: stopped, inside getStreamData, failed. */
  private putRefusal(): KvsError | undefined {
    if (this.stopping) return new KvsError('STATUS_STREAM_HAS_BEEN_STOPPED', 'putFrame after stop()');
    if (this.pulling)
      return new KvsError(
        'STATUS_INVALID_OPERATION',
        'putFrame from an event listener while getStreamData runs: put the frame after it returns',
      );
    if (this.failure)
      return new KvsError('STATUS_INVALID_STREAM_STATE', `the stream failed: ${this.failure.message}`, {
        cause: this.failure,
      });
    return undefined;
  }

  /** A frame is in the view: pressure events, data for the connection, and READY may connect. */
  private onStored(signals: number): void {
    if (signals !== NO_SIGNAL) reportPressure(signals, this.counters, this.view, this.contentStore, this);
    this.dataAvailable();
    if (this.machine.idleIn(S.READY) && !this.awaitStreamStart) this.machine.step();
  }

  private onItemRemoved(item: Readonly<RemovedItem>): void {
    this.intake.wake();
    if (item.reason === RemoveReason.ACKED || item.flags & F.SKIP_ITEM) return;
    // Sent on a connection that dropped, waiting for the replay, and never acknowledged: lost too.
    const replayLost = this.sessions.replayPending && !(item.flags & (F.RECEIVED_ACK | F.PERSISTED_ACK));
    if (item.sent && !replayLost) return;
    this.reportDropped(item.pts, (item.flags & F.FRAGMENT_START) !== 0, item.reason);
  }

  private reportDropped(pts: number, fragmentStart: boolean, reason: RemoveReason): void {
    this.emit('droppedFrame', pts, reason);
    if (fragmentStart) this.emit('droppedFragment', pts, reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Stop and reset

  /**
   * Stops taking frames; what is buffered is still sent, then each connection ends with the
   * end-of-stream tags. Returns at once.
   */
  stop(): void {
    if (this.stopping) return;
    this.intake.flush();
    this.stopping = true;
    this.intake.wake();
    this.sessions.stop(this.intake.writer.finish());
    this.clearTimer('intermittentTimer');
    this.machine.clearRotation();
    // A rotation with relative times waits for the next MKV stream before it connects; no frame
    // will start one now: what is buffered goes out on a connection for the current stream.
    const waited = this.awaitStreamStart;
    this.awaitStreamStart = false;
    this.intake.keepMkvStream();
    this.dataAvailable();
    if (waited && this.machine.idleIn(S.READY) && this.sessions.sending() === undefined && this.hasUnsentData())
      this.machine.step();
    this.checkStopped();
  }

  /**
   * {@link stop}, then waits until everything buffered was sent and (with fragment ACKs and
   * retention) the last fragment is PERSISTED. Rejects if the stream fails first.
   */
  stopSync(timeout = STREAM_CLOSED_TIMEOUT): Promise<void> {
    this.stop();
    if (this.failure) return Promise.reject(this.failure);
    const done = this.stopWaiters.wait(this.clock, timeout);
    this.checkStopped();
    return done;
  }

  /** Ends the current connection and opens a new one, keeping the buffered data (PIC's kinesisVideoStreamResetConnection). */
  resetConnection(): void {
    const s = this.sessions.sending();
    if (s) this.streamTerminated(s.handle, R.OK);
    else if (this.state === S.STREAMING || this.state === S.READY) this.machine.restart(R.OK);
  }

  /** Drops everything buffered and restarts the state machine from NEW (PIC's kinesisVideoStreamResetStream). */
  resetStream(): void {
    this.intake.interrupt();
    this.machine.stopTimers(false);
    this.intake.dropHeld();
    this.dropSessions();
    this.stopWaiters.rejectAll(
      new KvsError('STATUS_STREAM_BEING_SHUTDOWN', 'resetStream() dropped what stopSync() waited for'),
    );
    this.stopping = false;
    this.rotationPending = false;
    this.awaitStreamStart = false;
    this.view.removeAll();
    this.view.clearStreamStartHeader();
    this.intake.reset();
    this.sessions.reset();
    this.failure = undefined;
    this.isReady = false;
    this.machine.reset();
    if (this.started) this.machine.step();
  }

  /** Stops timers and gives the stream's buffer back to the store. Open connections read END_OF_STREAM. */
  free(): void {
    this.intake.interrupt();
    this.machine.stopTimers();
    this.clearTimer('intermittentTimer');
    this.clearTimer('metricsTimer');
    this.dropSessions();
    this.stopWaiters.rejectAll(new KvsError('STATUS_STREAM_BEING_SHUTDOWN', 'the stream was freed'));
    this.view.free();
    this.removeAllListeners();
  }

  /**
   * Ends every connection: each transport is told (a `closed` event, then END_OF_STREAM from
   * getStreamData, as PIC pulses every handle on streamTerminatedEvent(INVALID_UPLOAD_HANDLE)).
   */
  private dropSessions(): void {
    for (const s of this.sessions.dropAll()) this.emit('closed', s.handle);
  }

  private checkStopped(): void {
    if (!this.stopping || this.stopWaiters.empty) return;
    if (this.failure) return this.stopWaiters.rejectAll(this.failure);
    if (!this.sessions.busy && !this.hasUnsentData()) this.stopWaiters.resolveAll();
  }

  // ---------------------------------------------------------------------------------------------
  // Reactions to the state machine (states.ts)

  /** The stream gives up for good (the machine halted). */
  private onFailed(error: KvsError): void {
    this.failure = error;
    this.intake.wake();
    this.clearTimer('intermittentTimer');
    this.report(error, 0, true);
    this.stopWaiters.rejectAll(error);
  }

  /**
   * Token rotation: a second connection is opened with a fresh token while the first keeps
   * sending; the next key frame starts a new MKV stream that goes to the new connection, and
   * the old one ends after the last item before it — no gap, no fragment sent twice.
   */
  private rotate(): void {
    if (this.failure || this.stopping) return;
    const state = this.state;
    if (state !== S.STREAMING) {
      // Not connected: the next connection will get a fresh token anyway.
      if (state === S.READY || state === S.STOPPED) this.machine.restart(R.STREAM_AUTH_IN_GRACE_PERIOD);
      return;
    }
    if (this.definition.absoluteFragmentTimes) {
      // The new MKV stream starts at the first key frame after the new connection is open.
      this.rotationPending = true;
    } else {
      // Relative cluster times: PutMedia must carry the new MKV stream's start, so the new
      // stream starts first and the connection opens once it has (a short pause, not a gap).
      this.intake.newMkvStreamAtKeyFrame();
      this.awaitStreamStart = true;
    }
    this.machine.restart(R.STREAM_AUTH_IN_GRACE_PERIOD);
  }

  /** PUT_STREAM: opens a PutMedia connection on a new session. */
  private openConnection(service: StreamService<T>): void {
    const s = this.sessions.open(this.clock.now(), this);
    this.counters.totalSessions++;
    const def = this.definition;
    this.machine.call(
      () =>
        service.putStream({
          streamName: def.streamName,
          containerType: 'video/x-matroska',
          streamStartTime: s.sessionStart,
          absoluteFragmentTimes: def.absoluteFragmentTimes,
          fragmentAcks: def.fragmentAcks,
          endpoint: this.machine.endpoint ?? '',
          token: this.machine.token,
          uploadHandle: s.handle,
          connection: s.connection,
        }),
      (out) => {
        if (out.result === R.OK && s.opened(this.stopping)) {
          // A rotation switches MKV streams once the new connection can take them.
          if (this.rotationPending) {
            this.rotationPending = false;
            this.intake.newMkvStreamAtKeyFrame();
          }
          this.pulse(s);
          return;
        }
        if (s.failedToOpen()) {
          this.finishSession(s);
          // It may have been all a stop was waiting for (a rotation's new connection whose
          // PutMedia failed after everything went out on the old one; model-wide.test.ts B17).
          this.checkStopped();
        }
        // The transport reported the connection's end before this result: the PUT_STREAM rows
        // decide with that end's result (an end reported as 200 still means it is gone: UNKNOWN).
        if (out.result === R.OK) return s.endResult === undefined || s.endResult === R.OK ? R.UNKNOWN : s.endResult;
      },
      true,
    );
  }

  private report(error: KvsError, uploadHandle: number, fatal: boolean, fragmentTimestamp?: number): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, { uploadHandle, fragmentTimestamp, fatal });
  }

  private clearTimer(which: 'intermittentTimer' | 'metricsTimer'): void {
    const t = this[which];
    if (t !== undefined) this.clock.clearTimeout(t);
    this[which] = undefined;
  }

  private hasUnsentData(): boolean {
    return this.sessions.hasUnsentData;
  }

  // ---------------------------------------------------------------------------------------------
  // The pull API (session.ts does the per-connection work)

  private pulse(s: UploadSession): void {
    // Computing the durations walks the view: skip it when nobody listens.
    if (this.listenerCount('dataAvailable') === 0) return;
    this.emit('dataAvailable', s.handle, this.view.currentViewDuration, this.view.currentViewSize);
  }

  private dataAvailable(): void {
    if (this.listenerCount('dataAvailable') === 0) return;
    const s = this.sessions.sending();
    if (s) this.pulse(s);
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

  private pull(uploadHandle: number, maxBytes: number): StreamData {
    const out = this.result;
    out.data = EMPTY;
    if (!(maxBytes > 0)) throw new KvsError('STATUS_INVALID_ARG', `maxBytes must be > 0, got ${maxBytes}`);
    const step = this.sessions.pull(uploadHandle, maxBytes);
    out.status = STATUS_OF_PULL[step];
    if (step === PULL_DATA) this.counters.transferredBytes += out.data.length;
    // The next connection may start now (the transport still reports this one's end).
    else if (step === PULL_ENDED || step === PULL_ENDED_AWAITING_ACK) this.afterSessionEnd();
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

  /**
   * After a session ended cleanly: a stop may be complete; the next connection may send; and
   * if data is left and no connection would carry it (a session that ended at a new MKV stream,
   * a replay), open one (PIC: the last handle terminated with data left → reset connection).
   */
  private afterSessionEnd(): void {
    this.checkStopped();
    const next = this.sessions.sending();
    if (next) return this.pulse(next);
    const state = this.state;
    if (
      !this.sessions.opening &&
      this.hasUnsentData() &&
      !this.failure &&
      (state === S.STREAMING || state === S.READY)
    ) {
      this.machine.restart(R.OK);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ACKs and connection ends (fed by the transport; acks.ts does the view's part)

  /**
   * An ACK from the PutMedia response of `uploadHandle` (PIC's streamFragmentAckEvent). Returns
   * STATUS_SUCCESS, or a warning status that changes nothing: STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW
   * for an ACK whose fragment is no longer buffered, STATUS_INVALID_FRAGMENT_ACK_TYPE, or
   * STATUS_UPLOAD_HANDLE_ABORTED for an unknown or finished handle.
   */
  fragmentAck(uploadHandle: number, ack: FragmentAck): number {
    const s = this.sessions.get(uploadHandle);
    this.emit('ack', ack, uploadHandle);
    if (s === undefined || s.over) return StatusCode.STATUS_UPLOAD_HANDLE_ABORTED;
    const o = this.acks.apply(s, ack);
    if (o.works) this.machine.connectionWorks();
    if (o.buffering) this.staleReported = false;
    if (o.skipToKeyFrame) this.intake.skipToKeyFrame();
    if (o.sessionDone) this.pulse(s);
    if (o.persisted) this.checkStopped();
    if (o.error) this.report(o.error, uploadHandle, false, o.errorTimestamp);
    // The service closes the connection after an error; reconnect (and replay what is retriable).
    if (o.terminate) this.streamTerminated(uploadHandle, ack.result);
    return o.status;
  }

  /**
   * The connection of `uploadHandle` ended (PIC's streamTerminatedEvent): normally after
   * END_OF_STREAM, or early with the result of the failure (a timeout, an HTTP status, an
   * ErrorId). Data buffered is kept; a new connection rolls back as PIC does.
   */
  streamTerminated(uploadHandle: number, result: number = R.OK): void {
    const s = this.sessions.get(uploadHandle);
    if (s === undefined) return;
    const wasSending = s.sending && this.sessions.sending() === s;
    const end = s.terminate(result);
    this.finishSession(s);
    // Ended before its PutMedia result: that result counts as this failure (see openConnection).
    if (end === SessionEnd.BEFORE_OPEN) return;
    if (end === SessionEnd.CLEAN) return this.afterSessionEnd();
    if (end === SessionEnd.PERSISTED_ACK_MISSING)
      this.report(
        new KvsError(
          'STATUS_PUTMEDIA_LAST_PERSIST_ACK_NOT_RECEIVED',
          `connection ended (${result}) before the last PERSISTED ACK`,
        ),
        s.handle,
        false,
      );
    if (!this.sessions.lost(s, end, result, wasSending)) return;
    if (this.sessions.sending() !== undefined) return;
    if (this.stopping && !this.hasUnsentData()) return this.checkStopped();
    if (this.failure) return;
    if (this.state === S.READY) {
      // READY waits for data; what the drop left to replay is data.
      if (!this.machine.waiting && !this.awaitStreamStart && this.hasUnsentData()) this.machine.step();
      return;
    }
    const reconnecting =
      this.state & (S.DESCRIBE | S.CREATE | S.TAG_STREAM | S.GET_ENDPOINT | S.GET_TOKEN | S.PUT_STREAM);
    // Without restart-on-error, a failed connection stops the stream (fromStopped decides).
    if (!reconnecting) this.machine.restart(result);
  }

  private finishSession(s: UploadSession): void {
    if (s.over) this.reportClosed(s);
    // An older session that ended by its pull (END_OF_STREAM) may leave with this one before its
    // transport reported the end; that report would then find no session: tell `closed` now
    // (packages/kvs/test/reliability-hour.node.test.ts lost it at a token rotation).
    for (const gone of this.sessions.removeFinished())
      if (gone !== s && gone.endResult === undefined) this.reportClosed(gone);
  }

  private reportClosed(s: UploadSession): void {
    if (s.countFinished()) this.counters.sessionEnded(this.clock.now() - s.createTime);
    this.emit('closed', s.handle);
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
    if (this.stopping || this.failure) return;
    try {
      this.intake.closeIdleFragment(this.clock.now() - INTERMITTENT_PRODUCER_MAX_TIMEOUT);
    } catch (e) {
      if (isKvsError(e)) this.report(e, 0, false);
      else throw e;
    }
  }

  private scheduleMetrics(every: number): void {
    this.metricsTimer = this.clock.setTimeout(() => {
      this.metricsTimer = undefined;
      if (this.failure) return;
      this.emit('metrics', this.metrics());
      this.scheduleMetrics(every);
    }, every);
  }

  /** StreamMetrics (PIC's getKinesisVideoStreamMetrics), durations µs. */
  metrics(): StreamMetrics {
    return this.counters.snapshot(
      this.view.metrics(),
      streamStateName(this.state),
      this.clock.now() - this.createdAt,
      this.sessions.activeCount,
    );
  }

  /** The name of a status, for logs (re-exported convenience). */
  static statusName(status: number): string {
    return statusName(status);
  }
}
