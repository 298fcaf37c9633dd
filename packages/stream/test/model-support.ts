// Support for model-wide.test.ts: a harness that drives one KinesisVideoStream through a list of
// operations the way a producer, a transport and the KVS service would, and checks after every
// step what must hold whatever happened. Everything is deterministic: time is a FakeClock, every
// random choice comes from the operation's own seed.
//
// The harness plays three parts:
// - the producer: frames whose timestamps follow the clock (40 ms video ticks, optional AAC audio),
//   explicit EoFRs, pauses, stop()/stopSync();
// - the transport: pulls each upload handle with random read sizes, parses every connection's
//   bytes as MKV, reports the end of a connection once its ACK stream is over, drops connections
//   with random results, resets the connection;
// - the service: one BUFFERING ACK per fragment when it starts and RECEIVED (+ PERSISTED with
//   retention) once it is complete, each exactly once, queued per connection and delivered later
//   in random interleavings across connections; ERROR ACKs (retriable or not) for a random
//   fragment of a random connection; token lifetimes short enough that rotations happen; slow or
//   failing PutMedia calls.
import {
  ContentStore,
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  StreamingType,
  ViewItemFlags,
} from '@kvs-ts/content-store';
import {
  type FragmentAck,
  FragmentAckType,
  type Frame,
  FrameFlags,
  isKvsError,
  isRetriableResult,
  KvsError,
  ServiceCallResult as R,
  StatusCode,
} from '@kvs-ts/core';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { KinesisVideoStream, type StreamDefinition } from '@kvs-ts/stream';
import fc from 'fast-check';
import { FakeClock, FakeService } from './fakes';

const SECOND = 1_000_000;
const MS = 1000;
const KiB = 1024;
const MiB = 1024 * KiB;
/** Video frame period: timestamps stay on whole milliseconds, so parsed MKV times equal the PTS put. */
const TICK = 40 * MS;
/** AAC frames sit 7 and 27 ms after each video frame: never on a video tick, so the frame-order coordinator never bumps a PTS. */
const AUDIO_OFFSETS = [7 * MS, 27 * MS];
const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
const END_OF_FRAGMENT_TAG = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';

/** The video track: opaque payloads (no NAL adaptation needed), key frames start fragments. */
export const VIDEO_TRACK = {
  trackId: 1,
  codecId: 'V_KVS_TEST',
  trackName: 'video',
  trackType: 1 as const,
};
/** The audio track: AAC-LC 48 kHz stereo (AudioSpecificConfig 0x11 0x90); every frame is a key frame. */
export const AAC_TRACK = {
  trackId: 2,
  codecId: 'A_AAC',
  trackName: 'audio',
  trackType: 2 as const,
  codecPrivateData: Uint8Array.of(0x11, 0x90),
  audio: { samplingFrequency: 48000, channels: 2 },
};

/** How the service acknowledges: retention 1 h (PERSISTED), retention 0 (RECEIVED is final), or no ACKs at all. */
export type AckMode = 'persisted' | 'received' | 'none';

/** One run's fixed settings. */
export interface WideConfig {
  av: boolean;
  /** Video frames per GOP. */
  gop: number;
  /** Video frame size, bytes (key frames are 3× bigger). */
  frameSize: number;
  intermittentProducer: boolean;
  acks: AckMode;
  bufferSeconds: number;
  replaySeconds: number;
  storeKiB: number;
  /** Lifetimes of the tokens handed out, in order (cycled), seconds. */
  tokenLifetimes: number[];
  /** Latency of the control-plane and PutMedia calls, ms (cycled). */
  callDelays: number[];
  /** Results of the first PutMedia calls; later ones succeed. */
  putResults: number[];
  /** Seed of the stream's jitter. */
  seed: number;
  /** Streaming type (default realtime; offline forces PERSISTED ACKs). */
  streamingType?: 'realtime' | 'nearRealtime' | 'offline';
  /** View overflow policy (default: drop until a fragment start). */
  overflowPolicy?: 'fragment' | 'item';
  /** Store pressure policy (default: drop tail items). */
  pressurePolicy?: 'dropTail' | 'oom';
  /** Fragment times relative to the MKV stream's start (default: absolute). */
  relativeTimes?: boolean;
  /** Fragments by duration at the next key frame, seconds; 0 or absent: every key frame starts one. */
  fragmentSeconds?: number;
}

/** Read-size distributions for getStreamData. */
export type ReadSizes = 'tiny' | 'small' | 'large' | 'mixed';

/** What the harness can do next (see {@link WideHarness.run}). */
export type Op =
  /** `n` video ticks (plus audio), 40 ms of clock each. */
  | { op: 'put'; n: number }
  /** An explicit end-of-fragment frame. */
  | { op: 'eofr' }
  | { op: 'advance'; us: number }
  /** A pause of 20 s or more: the intermittent producer closes the open fragment. */
  | { op: 'pause'; us: number }
  /** Pull from one handle (`pick`) or all (`pick` < 0), at most `budget` bytes (0: until dry). */
  | { op: 'pump'; pick: number; budget: number; sizes: ReadSizes; seed: number }
  /** Deliver up to `n` queued ACKs, choosing the connection at random each time. */
  | { op: 'acks'; n: number; seed: number }
  | { op: 'errorAck'; pick: number; fragment: number; result: number; immediate: boolean }
  | { op: 'drop'; pick: number; result: number }
  | { op: 'reset' }
  | { op: 'stop'; sync: boolean };

const RETRIABLE_ACK_ERRORS = [
  R.ACK_STREAM_READ_ERROR,
  R.ACK_CONNECTION_DURATION_REACHED,
  R.ACK_INTERNAL_ERROR,
  R.ACK_FRAGMENT_ARCHIVAL_ERROR,
  R.UNKNOWN_ACK_ERROR,
];
const NON_RETRIABLE_ACK_ERRORS = [
  R.ACK_INVALID_MKV_DATA,
  R.ACK_FRAGMENT_TIMECODE_NOT_MONOTONIC,
  R.ACK_INVALID_PRODUCER_TIMESTAMP,
  R.ACK_FRAGMENT_SIZE_REACHED,
  R.ACK_FRAMES_MISSING_FOR_TRACK,
];
const DROP_RESULTS = [
  R.OK,
  R.REQUEST_TIMEOUT,
  R.GATEWAY_TIMEOUT,
  R.NETWORK_READ_TIMEOUT,
  R.NETWORK_CONNECTION_TIMEOUT,
  R.NOT_AUTHORIZED,
  R.FORBIDDEN,
  R.INTERNAL_ERROR,
  R.RESOURCE_IN_USE,
  R.RESOURCE_NOT_FOUND,
  R.CLIENT_LIMIT,
  R.ACK_STREAM_READ_ERROR,
  R.ACK_INTERNAL_ERROR,
  R.UNKNOWN,
];
const PUT_RESULTS = [
  R.OK,
  R.INTERNAL_ERROR,
  R.SERVICE_UNAVAILABLE,
  R.FORBIDDEN,
  R.NOT_AUTHORIZED,
  R.REQUEST_TIMEOUT,
  R.NETWORK_CONNECTION_TIMEOUT,
  R.RESOURCE_NOT_FOUND,
];

/** A run's settings: mostly the defaults' neighbourhood, with short tokens so that rotations happen. */
export const arbConfig: fc.Arbitrary<WideConfig> = fc.record({
  av: fc.boolean(),
  gop: fc.integer({ min: 1, max: 30 }),
  // Large frames fill the 10 MiB store within the buffer duration: store-pressure evictions.
  frameSize: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 20, max: 3000 }) },
    fc.integer({ min: 20_000, max: 40_000 }),
  ),
  intermittentProducer: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.boolean() }),
  acks: fc.oneof(
    { weight: 4, arbitrary: fc.constant<AckMode>('persisted') },
    { weight: 1, arbitrary: fc.constantFrom<AckMode>('received', 'none') },
  ),
  bufferSeconds: fc.integer({ min: 20, max: 60 }),
  replaySeconds: fc.integer({ min: 1, max: 40 }),
  storeKiB: fc.constantFrom(10 * KiB, 32 * KiB),
  tokenLifetimes: fc.array(fc.constantFrom(31, 33, 40, 60, 3600), { minLength: 1, maxLength: 4 }),
  callDelays: fc.array(fc.constantFrom(0, 0, 5, 300, 1500), { minLength: 1, maxLength: 5 }),
  putResults: fc.array(fc.constantFrom(...PUT_RESULTS), { maxLength: 3 }),
  seed: fc.integer(),
  streamingType: fc.constantFrom('realtime', 'realtime', 'realtime', 'nearRealtime', 'offline'),
  overflowPolicy: fc.constantFrom('fragment', 'fragment', 'item'),
  pressurePolicy: fc.constantFrom('dropTail', 'dropTail', 'oom'),
  relativeTimes: fc.boolean(),
  fragmentSeconds: fc.constantFrom(0, 0, 1, 2),
});

/** One operation; puts and pumps dominate so that runs carry real traffic between the faults. */
export const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('put' as const), n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'eofr' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance' as const), us: fc.integer({ min: 0, max: 5 * SECOND }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('pause' as const), us: fc.integer({ min: 20 * SECOND, max: 45 * SECOND }) }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      op: fc.constant('pump' as const),
      pick: fc.integer({ min: -3, max: 3 }),
      budget: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200_000 })),
      sizes: fc.constantFrom<ReadSizes>('tiny', 'small', 'large', 'mixed'),
      seed: fc.integer(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('acks' as const), n: fc.integer({ min: 1, max: 30 }), seed: fc.integer() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('errorAck' as const),
      pick: fc.nat(7),
      fragment: fc.nat(31),
      result: fc.constantFrom(...RETRIABLE_ACK_ERRORS, ...NON_RETRIABLE_ACK_ERRORS),
      immediate: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      pick: fc.nat(7),
      result: fc.constantFrom(...DROP_RESULTS),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stop' as const), sync: fc.boolean() }) },
);

/** Counts of what happened in a run, all zero (the harness's stats; the test's coverage adds up runs). */
export function emptyStats() {
  return {
    rotationOverlapDrops: 0,
    drops: 0,
    retriableErrorAcks: 0,
    nonRetriableErrorAcks: 0,
    eofrs: 0,
    midRunStops: 0,
    resets: 0,
    multiHandleAcks: 0,
    /** putFrameAsync calls (OFFLINE) that settled only after time moved: they waited for room. */
    offlineWaits: 0,
  };
}

/** How a promise settled, as it settles. */
interface Settled {
  settled: boolean;
  error?: unknown;
}

function track(p: Promise<unknown>): Settled {
  const rec: Settled = { settled: false };
  p.then(
    () => {
      rec.settled = true;
    },
    (e: unknown) => {
      rec.settled = true;
      rec.error = e;
    },
  );
  return rec;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the frame's identity into its payload: tick `k`, and 0 (video) or 1/2 (first/second audio frame). */
function stamp(data: Uint8Array, k: number, kind: number): Uint8Array {
  data[0] = 0x5a;
  data[1] = k & 0xff;
  data[2] = (k >> 8) & 0xff;
  data[3] = (k >> 16) & 0xff;
  data[4] = (k >>> 24) & 0xff;
  data[5] = kind;
  return data;
}

function readSize(sizes: ReadSizes, rnd: () => number): number {
  const pick = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  switch (sizes) {
    case 'tiny':
      return pick(1, 16);
    case 'small':
      return pick(1, 600);
    case 'large':
      return pick(16 * KiB, 64 * KiB);
    case 'mixed': {
      const k = Math.floor(rnd() * 4);
      return k === 0 ? pick(1, 8) : k === 1 ? pick(9, 512) : k === 2 ? pick(513, 8 * KiB) : pick(8 * KiB + 1, 64 * KiB);
    }
  }
}

interface QueuedAck {
  ackType: number;
  cluster: number;
  result: number;
}

/** What the transport and the service know about one connection. */
export interface WireSession {
  handle: number;
  bytes: number;
  /** The connection's first bytes (up to 4). */
  head: number[];
  /** Absolute offsets of the EBML headers on this connection. */
  headers: number[];
  /** Cluster timecodes (ticks = ms) in order. */
  clusters: number[];
  /** Which MKV stream (EBML header, counted from 0) each cluster is in. */
  clusterStream: number[];
  /**
   * With relative fragment times, the producer time of each MKV stream's timecode 0, µs, learnt
   * from its first frame (whose payload says the PTS it was put with); 0 with absolute times.
   */
  origins: Array<number | undefined>;
  /** Whether a cluster's RECEIVED/PERSISTED was queued. */
  complete: boolean[];
  /** Index of the newest cluster whose final ACK (PERSISTED, or RECEIVED without retention) was delivered. */
  lastFinal: number;
  /** Clusters that got an ERROR ACK on this connection. */
  errored: Set<number>;
  /** Frames parsed: track, timestamp on the wire, cluster index, and the PTS its payload was put with. */
  frames: Array<{ track: number; ts: number; cluster: number; putTs: number }>;
  /** Per-track timestamp order violations. */
  violations: string[];
  parseError?: unknown;
  /** END_OF_STREAM was read: the request body is done. */
  bodyDone: boolean;
  /** The transport reported the end (or the connection was dropped / errored). */
  terminated: boolean;
  /** The service sends no more ACKs on this connection. */
  silent: boolean;
  /** The transport gave up on it (dropped, aborted): no more pulls. */
  dead: boolean;
  queue: QueuedAck[];
}

/** Everything a run drives and records. */
export class WideHarness {
  readonly clock = new FakeClock();
  readonly service: FakeService;
  readonly stream: KinesisVideoStream<string>;
  readonly sessions = new Map<number, WireSession>();
  /** Frames put and accepted (putFrame returned): PTS → track. */
  readonly accepted = new Map<number, number>();
  /** PTS of the items that start fragments (as the writer decided), increasing. */
  readonly fragmentStarts: number[] = [];
  private seenHead = 0;
  readonly dropped = new Set<number>();
  /** Fragment starts (µs) that got a non-retriable ERROR ACK the stream applied. */
  readonly skippedFragments: number[] = [];
  readonly stopPromises: Settled[] = [];
  /** Non-KvsError problems found (thrown from a public call, a timer, or an event with a wrong type). */
  readonly problems: string[] = [];
  readonly log: string[] = [];
  kvsErrors = 0;
  /** What happened in the run (for coverage checks). */
  readonly stats = emptyStats();
  draining = false;
  /** The ACK mode in effect (OFFLINE forces PERSISTED). */
  private acksMode: AckMode = 'persisted';
  private readonly parsers = new Map<number, MkvParser>();
  private readonly start: number;
  private tick = 0;
  private videoCount = 0;
  private lastVideoPts = 0;
  private calls = 0;

  constructor(readonly cfg: WideConfig) {
    const clock = this.clock;
    this.start = clock.now();
    const service = new FakeService(clock);
    this.service = service;
    // A call's answer is made when it arrives (a token's lifetime counts from then).
    const delayed = <X>(answer: () => X): Promise<X> | X => {
      const ms = cfg.callDelays[this.calls++ % cfg.callDelays.length];
      if (ms === 0) return answer();
      return new Promise((resolve) => clock.setTimeout(() => resolve(answer()), ms * MS));
    };
    service.endpoint = () =>
      delayed(() => ({ result: R.OK, endpoint: 'https://s-1234.kinesisvideo.us-west-2.amazonaws.com' }));
    service.token = (_arg, n) =>
      delayed(() => ({
        result: R.OK,
        token: `token-${n}`,
        expiration: clock.now() + cfg.tokenLifetimes[(n - 1) % cfg.tokenLifetimes.length] * SECOND,
      }));
    service.put = (_req, n) => {
      const result = n <= cfg.putResults.length && !this.draining ? cfg.putResults[n - 1] : R.OK;
      return delayed(() => ({ result }));
    };
    // OFFLINE streams need retention and ACKs (STATUS_OFFLINE_MODE_WITH_ZERO_RETENTION).
    const acks: AckMode = cfg.streamingType === 'offline' ? 'persisted' : cfg.acks;
    this.acksMode = acks;
    const fragmentSeconds = cfg.fragmentSeconds ?? 0;
    const definition: StreamDefinition = {
      streamName: 'model-wide',
      tracks: cfg.av ? [VIDEO_TRACK, AAC_TRACK] : [VIDEO_TRACK],
      nalAdaptationFlags: 0,
      bufferDuration: cfg.bufferSeconds * SECOND,
      replayDuration: cfg.replaySeconds * SECOND,
      retentionPeriod: acks === 'received' ? 0 : 3600 * SECOND,
      fragmentAcks: acks !== 'none',
      streamingType:
        cfg.streamingType === 'offline'
          ? StreamingType.OFFLINE
          : cfg.streamingType === 'nearRealtime'
            ? StreamingType.NEAR_REALTIME
            : StreamingType.REALTIME,
      viewOverflowPolicy:
        cfg.overflowPolicy === 'item'
          ? ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM
          : ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
      storePressurePolicy:
        cfg.pressurePolicy === 'oom' ? ContentStorePressurePolicy.OOM : ContentStorePressurePolicy.DROP_TAIL_ITEM,
      absoluteFragmentTimes: !cfg.relativeTimes,
      keyFrameFragmentation: fragmentSeconds === 0,
      ...(fragmentSeconds > 0 ? { fragmentDuration: fragmentSeconds * SECOND } : {}),
    };
    this.stream = new KinesisVideoStream({
      definition,
      store: new ContentStore({ storageSize: cfg.storeKiB * KiB }),
      service,
      clock,
      random: prng(cfg.seed),
      intermittentProducer: cfg.intermittentProducer,
    });
    this.stream.on('droppedFrame', (pts) => this.dropped.add(pts));
    this.stream.on('error', (e, details) => {
      if (!(e instanceof KvsError)) this.problems.push(`'error' event with a non-KvsError: ${String(e)}`);
      if (details.fatal) this.log.push(`fatal: ${e.statusName} ${e.message}`);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Calling the stream

  /** A public call: a KvsError is an allowed outcome; anything else is a finding. */
  private call<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      // What a transport calls on network events reports through its result and events: a throw
      // there (with valid arguments) is a finding, KvsError or not.
      if (what === 'fragmentAck' || what === 'streamTerminated') {
        this.problems.push(`${what} threw: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      }
      if (!isKvsError(e)) {
        this.problems.push(`${what} threw a non-KvsError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return undefined;
      }
      this.kvsErrors++;
      return undefined;
    }
  }

  /**
   * Moves time on. Timers run the stream's rotation, intermittent-producer, backoff and
   * service-call code: nothing at all may escape them (in an application it would be an
   * uncaught exception in a timer callback, not an error the caller could handle).
   */
  async advance(us: number): Promise<void> {
    try {
      await this.clock.advance(us);
    } catch (e) {
      this.problems.push(
        `a timer callback threw (${isKvsError(e) ? 'KvsError' : 'non-KvsError'}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    }
  }

  async begin(): Promise<void> {
    this.call('start', () => this.stream.start());
    await this.advance(0);
  }

  // ---------------------------------------------------------------------------------------------
  // Producer

  /**
   * Puts a frame; a frame of `track` that goes in counts as accepted. OFFLINE streams use
   * putFrameAsync, as a producer that must not lose frames would: the frame counts as accepted
   * at once (it may reach the wire before its promise settles) and stops counting if the put
   * rejects (then it was never stored).
   */
  private putFrame(frame: Frame, track?: number): boolean {
    if (this.cfg.streamingType === 'offline') {
      if (track !== undefined) this.accepted.set(frame.pts, track);
      const reject = (e: unknown) => {
        if (track !== undefined) this.accepted.delete(frame.pts);
        if (isKvsError(e)) this.kvsErrors++;
        else this.problems.push(`putFrameAsync rejected with a non-KvsError: ${String(e)}`);
      };
      let p: Promise<void> | undefined;
      try {
        p = this.stream.putFrameAsync(frame);
      } catch (e) {
        this.problems.push(`putFrameAsync threw instead of rejecting: ${String(e)}`);
        reject(e);
        return false;
      }
      this.asyncPuts++;
      const at = this.clock.now();
      p.then(() => this.scanFragmentStarts(), reject).finally(() => {
        this.asyncPuts--;
        if (this.clock.now() > at) this.stats.offlineWaits++;
      });
      this.scanFragmentStarts();
      return true;
    }
    let ok = false;
    this.call('putFrame', () => {
      this.stream.putFrame(frame);
      ok = true;
    });
    if (ok && track !== undefined) this.accepted.set(frame.pts, track);
    this.scanFragmentStarts();
    return ok;
  }

  /** putFrameAsync calls not settled yet. */
  asyncPuts = 0;

  /** Notes which new items start fragments (the frame-order coordinator may have stored other frames). */
  private scanFragmentStarts(): void {
    const v = this.stream.view;
    for (let i = Math.max(this.seenHead, v.tail); i < v.head; i++) {
      if (v.itemFlags(i) & ViewItemFlags.FRAGMENT_START) this.fragmentStarts.push(v.itemOwnPts(i));
    }
    this.seenHead = v.head;
  }

  private async putTick(): Promise<void> {
    const k = Math.max(this.tick, Math.ceil((this.clock.now() - this.start) / TICK));
    this.tick = k + 1;
    const pts = this.start + k * TICK;
    const key = this.videoCount++ % this.cfg.gop === 0;
    const size = key ? this.cfg.frameSize * 3 : this.cfg.frameSize;
    const data = new Uint8Array(size);
    stamp(data, k, 0);
    const video: Frame = { trackId: 1, pts, dts: pts, duration: TICK, flags: key ? FrameFlags.KEY_FRAME : 0, data };
    if (this.putFrame(video, 1)) this.lastVideoPts = pts;
    if (this.cfg.av) {
      for (const offset of AUDIO_OFFSETS) {
        const a = pts + offset;
        const audio: Frame = {
          trackId: 2,
          pts: a,
          dts: a,
          duration: 20 * MS,
          flags: FrameFlags.KEY_FRAME,
          data: stamp(new Uint8Array(8), k, offset === AUDIO_OFFSETS[0] ? 1 : 2),
        };
        this.putFrame(audio, 2);
      }
    }
    await this.advance(TICK);
  }

  // ---------------------------------------------------------------------------------------------
  // Transport and service

  private session(handle: number): WireSession {
    let s = this.sessions.get(handle);
    if (s) return s;
    const session: WireSession = {
      handle,
      bytes: 0,
      head: [],
      headers: [],
      clusters: [],
      complete: [],
      lastFinal: -1,
      clusterStream: [],
      origins: [],
      errored: new Set(),
      frames: [],
      violations: [],
      bodyDone: false,
      terminated: false,
      silent: false,
      dead: false,
      queue: [],
    };
    s = session;
    this.sessions.set(handle, session);
    const lastTs = new Map<number, number>();
    this.parsers.set(
      handle,
      new MkvParser({
        ebmlHeader: (h) => {
          session.headers.push(h.offset);
          session.origins.push(this.cfg.relativeTimes ? undefined : 0);
          lastTs.clear();
        },
        clusterStart: (c) => {
          const i = session.clusters.push(c.timecode) - 1;
          session.clusterStream.push(session.headers.length - 1);
          session.complete.push(false);
          if (i > 0) this.fragmentComplete(session, i - 1);
          if (!session.silent && this.acksMode !== 'none')
            session.queue.push({ ackType: FragmentAckType.BUFFERING, cluster: i, result: R.OK });
        },
        frame: (f) => {
          const putTs = this.stampedPts(f.data);
          // With relative fragment times, the MKV stream's first frame fixes its origin; every
          // later one must agree with it.
          const k = session.headers.length - 1;
          let origin = session.origins[k];
          if (origin === undefined) {
            origin = putTs - f.timestampUs;
            session.origins[k] = origin;
          }
          const ts = f.timestampUs + (origin ?? 0);
          const prev = lastTs.get(f.trackNumber);
          if (prev !== undefined && ts <= prev) {
            session.violations.push(`track ${f.trackNumber} goes back: ${this.rel(ts)} after ${this.rel(prev)}`);
          }
          lastTs.set(f.trackNumber, ts);
          // Whole-millisecond PTS (never bumped by the coordinator): every frame on the wire
          // carries exactly the PTS it was put with (its payload says which).
          if (ts !== putTs || this.accepted.get(putTs) !== f.trackNumber) {
            session.violations.push(
              `the frame put at ${this.rel(putTs)} went out as ${this.rel(ts)} (track ${f.trackNumber})`,
            );
          }
          session.frames.push({ track: f.trackNumber, ts, cluster: session.clusters.length - 1, putTs });
        },
        tags: (tags) => {
          // The EoFR / end-of-stream tags close the fragment: the service can ACK it now.
          const eofr = tags.some((t) => t.simpleTags.some((st) => st.name === END_OF_FRAGMENT_TAG));
          if (eofr && session.clusters.length > 0) this.fragmentComplete(session, session.clusters.length - 1);
        },
      }),
    );
    return session;
  }

  /** The service has a whole fragment: its RECEIVED (and PERSISTED) ACKs go into the connection's queue. */
  private fragmentComplete(s: WireSession, i: number): void {
    if (s.complete[i]) return;
    s.complete[i] = true;
    if (s.silent || this.acksMode === 'none') return;
    s.queue.push({ ackType: FragmentAckType.RECEIVED, cluster: i, result: R.OK });
    if (this.acksMode === 'persisted') s.queue.push({ ackType: FragmentAckType.PERSISTED, cluster: i, result: R.OK });
  }

  private pull(s: WireSession, sizes: ReadSizes, rnd: () => number, budget: number): number {
    const parser = this.parsers.get(s.handle) as MkvParser;
    let pulled = 0;
    // Nothing is put while pulling, so a connection has at most the store's bytes (plus headers
    // and tags) to give: beyond twice that, it never runs dry.
    const limit = 2 * this.cfg.storeKiB * KiB + MiB;
    while (pulled <= limit) {
      if (budget > 0 && pulled >= budget) return pulled;
      // Tiny reads over megabytes only cost time: after the first 256 KiB they get mixed sizes.
      const size = readSize(sizes === 'tiny' && pulled > 256 * KiB ? 'mixed' : sizes, rnd);
      let r: ReturnType<typeof this.stream.getStreamData> | undefined;
      try {
        r = this.stream.getStreamData(s.handle, size);
      } catch (e) {
        // A transport pulls in a loop; with valid arguments there is nothing it could do about a
        // throw (the stream's own condition, e.g. a full store, must not surface here).
        this.problems.push(`getStreamData threw: ${e instanceof Error ? e.message : String(e)}`);
        return pulled;
      }
      if (r.status === StatusCode.STATUS_SUCCESS) {
        const chunk = r.data.slice();
        for (let b = 0; b < chunk.length && s.head.length < 4; b++) s.head.push(chunk[b]);
        s.bytes += chunk.length;
        pulled += chunk.length;
        if (s.parseError === undefined) {
          try {
            parser.push(chunk);
          } catch (e) {
            s.parseError = e;
          }
        }
        continue;
      }
      if (r.status === StatusCode.STATUS_END_OF_STREAM) s.bodyDone = true;
      else if (r.status === StatusCode.STATUS_AWAITING_PERSISTED_ACK) {
        if (s.clusters.length > 0) this.fragmentComplete(s, s.clusters.length - 1);
      } else if (r.status === StatusCode.STATUS_UPLOAD_HANDLE_ABORTED) {
        s.dead = true;
        s.silent = true;
        s.queue = [];
      }
      return pulled;
    }
    this.problems.push(`handle ${s.handle} never runs dry`);
    return pulled;
  }

  /** The transport reports a connection's end once its body is done and its ACK stream is over. */
  private finishSessions(): void {
    for (const s of this.sessions.values()) {
      if (s.bodyDone && !s.terminated && s.queue.length === 0) {
        s.terminated = true;
        s.dead = true;
        this.call('streamTerminated', () => this.stream.streamTerminated(s.handle, R.OK));
      }
    }
  }

  pump(pick: number, budget: number, sizes: ReadSizes, seed: number): void {
    const rnd = prng(seed);
    let handles = this.stream.uploadHandles.map((h) => h.handle);
    if (pick >= 0 && handles.length > 0) handles = [handles[pick % handles.length]];
    else handles.sort(() => rnd() - 0.5);
    for (const handle of handles) {
      const s = this.session(handle);
      if (s.dead) continue;
      this.pull(s, sizes, rnd, budget);
    }
    this.finishSessions();
  }

  private deliver(s: WireSession, a: QueuedAck): void {
    const ack: FragmentAck = {
      ackType: a.ackType as FragmentAck['ackType'],
      timecode: s.clusters[a.cluster],
      fragmentNumber: `${s.handle}-${a.cluster}`,
      result: a.result,
    };
    const status = this.call('fragmentAck', () => this.stream.fragmentAck(s.handle, ack));
    if (a.ackType === FragmentAckType.ERROR) {
      if (isRetriableResult(a.result)) this.stats.retriableErrorAcks++;
      else this.stats.nonRetriableErrorAcks++;
      s.errored.add(a.cluster);
      // The service ends the connection after an ERROR: nothing more comes on it.
      s.queue = [];
      s.silent = true;
      s.dead = true;
      s.terminated = true;
      if (!isRetriableResult(a.result) && status === StatusCode.STATUS_SUCCESS)
        this.skippedFragments.push(this.clusterStart(s, a.cluster));
      return;
    }
    const final = this.acksMode === 'persisted' ? FragmentAckType.PERSISTED : FragmentAckType.RECEIVED;
    if (a.ackType === final && a.cluster > s.lastFinal) s.lastFinal = a.cluster;
  }

  /** A cluster's start in producer time, µs (NaN while its MKV stream's origin is unknown). */
  private clusterStart(s: WireSession, c: number): number {
    const origin = s.origins[s.clusterStream[c]];
    return origin === undefined ? Number.NaN : s.clusters[c] * MS + origin;
  }

  /** Delivers up to `n` queued ACKs (all with n = Infinity), a random connection each time, in order within one. */
  acks(n: number, seed: number): void {
    const rnd = prng(seed);
    for (let k = 0; k < n; k++) {
      const waiting = [...this.sessions.values()].filter((s) => s.queue.length > 0);
      if (waiting.length === 0) break;
      const s = waiting[Math.floor(rnd() * waiting.length)];
      if (waiting.length > 1) this.stats.multiHandleAcks++;
      this.deliver(s, s.queue.shift() as QueuedAck);
    }
    this.finishSessions();
  }

  /**
   * The service fails a fragment that it has not yet persisted on a live connection: the ACKs
   * it would have sent for that fragment and what follows are replaced by the ERROR, which
   * comes after the ACKs still queued for earlier fragments (or now, with `immediate`).
   */
  errorAck(pick: number, fragment: number, result: number, immediate: boolean): void {
    if (this.acksMode === 'none') return;
    const live = new Set(this.stream.uploadHandles.map((h) => h.handle));
    const candidates = [...this.sessions.values()].filter(
      (s) => live.has(s.handle) && !s.silent && s.clusters.length - 1 > s.lastFinal,
    );
    if (candidates.length === 0) return;
    const s = candidates[pick % candidates.length];
    const first = s.lastFinal + 1;
    const c = first + (fragment % (s.clusters.length - first));
    // With relative times, a fragment whose MKV stream has shown no frame yet cannot be placed.
    if (Number.isNaN(this.clusterStart(s, c))) return;
    s.queue = s.queue.filter((a) => a.cluster < c || (a.cluster === c && a.ackType === FragmentAckType.BUFFERING));
    s.queue.push({ ackType: FragmentAckType.ERROR, cluster: c, result });
    s.silent = true;
    this.log.push(`ERROR ${result} queued for handle ${s.handle} cluster ${c} (${s.clusters[c]})`);
    if (immediate) {
      while (s.queue.length > 0) this.deliver(s, s.queue.shift() as QueuedAck);
    }
    this.finishSessions();
  }

  drop(pick: number, result: number): void {
    const handles = this.stream.uploadHandles;
    if (handles.length === 0) return;
    const h = handles[pick % handles.length].handle;
    const s = this.sessions.get(h);
    if (s) {
      s.dead = true;
      s.silent = true;
      s.terminated = true;
      s.queue = [];
    }
    this.log.push(`drop handle ${h} (${result})`);
    this.stats.drops++;
    if (handles.length > 1) this.stats.rotationOverlapDrops++;
    this.call('streamTerminated', () => this.stream.streamTerminated(h, result));
  }

  stop(sync: boolean): void {
    this.stats.midRunStops++;
    if (!sync) {
      this.call('stop', () => this.stream.stop());
      this.scanFragmentStarts(); // stop() flushes frames the coordinator held
      return;
    }
    const p = this.call('stopSync', () => this.stream.stopSync());
    this.scanFragmentStarts();
    if (p) this.stopPromises.push(track(p));
  }

  async run(o: Op): Promise<void> {
    switch (o.op) {
      case 'put':
        for (let i = 0; i < o.n; i++) await this.putTick();
        return;
      case 'eofr':
        this.stats.eofrs++;
        this.putFrame({
          trackId: 1,
          pts: this.lastVideoPts,
          dts: this.lastVideoPts,
          duration: 0,
          flags: FrameFlags.END_OF_FRAGMENT,
          data: new Uint8Array(0),
        });
        return;
      case 'advance':
      case 'pause':
        return this.advance(o.us);
      case 'pump':
        return this.pump(o.pick, o.budget, o.sizes, o.seed);
      case 'acks':
        return this.acks(o.n, o.seed);
      case 'errorAck':
        return this.errorAck(o.pick, o.fragment, o.result, o.immediate);
      case 'drop':
        return this.drop(o.pick, o.result);
      case 'reset':
        this.stats.resets++;
        this.call('resetConnection', () => this.stream.resetConnection());
        return;
      case 'stop':
        return this.stop(o.sync);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Invariants

  /** What must hold after every operation; returns the violations. */
  check(): string[] {
    const out = [...this.problems];
    for (const s of this.sessions.values()) {
      if (s.parseError !== undefined)
        out.push(`handle ${s.handle}: bytes do not parse as MKV: ${String(s.parseError)}`);
      if (s.bytes > 0 && s.head.length === 4 && s.head.some((b, i) => b !== EBML_MAGIC[i]))
        out.push(`handle ${s.handle}: starts with ${s.head.map((b) => b.toString(16)).join(' ')}, not an EBML header`);
      if (s.headers.length > 0 && s.headers[0] !== 0)
        out.push(`handle ${s.handle}: the first EBML header is not at offset 0`);
      if (s.frames.length > 0 && s.headers.length === 0) out.push(`handle ${s.handle}: frames without an EBML header`);
      for (const v of s.violations) out.push(`handle ${s.handle}: ${v}`);
    }
    const v = this.stream.view;
    if (!(v.tail <= v.current && v.current <= v.head))
      out.push(`view cursors out of order: tail ${v.tail}, current ${v.current}, head ${v.head}`);
    return out;
  }

  /**
   * The end: the service answers everything (queued ACKs now, every later fragment ACKed at
   * once), stopSync, and the transport pumps while time moves on, in a bounded loop. Returns how
   * stopSync settled.
   */
  async drain(): Promise<{ settled: boolean; error?: unknown; threw?: unknown; rounds: number }> {
    this.draining = true;
    this.acks(Number.POSITIVE_INFINITY, 1);
    let rec: Settled;
    try {
      rec = track(this.stream.stopSync());
    } catch (e) {
      // A promise-returning call should reject, not throw; a KvsError is still not a crash.
      if (!isKvsError(e)) this.problems.push(`stopSync threw a non-KvsError: ${String(e)}`);
      return { settled: false, threw: e, rounds: 0 };
    }
    let round = 0;
    // stopSync gives up after 120 s (PIC's stream-closed timeout): 200 s of pumping is plenty.
    for (; round < 400 && !rec.settled; round++) {
      for (let k = 0; k < 3; k++) {
        this.pump(-1, 0, 'mixed', round * 7 + k);
        this.acks(Number.POSITIVE_INFINITY, round * 13 + k);
      }
      await this.advance(SECOND / 2);
    }
    return { ...rec, rounds: round };
  }

  /** Frames accepted but neither delivered, reported dropped, nor in a fragment the service refused for good. */
  lostFrames(): Array<{ pts: number; track: number }> {
    const delivered = new Set<number>();
    for (const s of this.sessions.values()) for (const f of s.frames) delivered.add(f.ts);
    const lost: Array<{ pts: number; track: number }> = [];
    for (const [pts, track] of this.accepted) {
      if (delivered.has(pts) || this.dropped.has(pts) || this.inSkippedFragment(pts)) continue;
      lost.push({ pts, track });
    }
    return lost;
  }

  /** A fragment runs from its key frame to the next video key frame put. */
  private inSkippedFragment(pts: number): boolean {
    for (const start of this.skippedFragments) {
      if (pts < start) continue;
      const next = this.fragmentStarts.find((k) => k > start) ?? Number.POSITIVE_INFINITY;
      if (pts < next) return true;
    }
    return false;
  }

  /** The PTS a payload made by {@link stamp} was put with. */
  private stampedPts(data: Uint8Array): number {
    if (data.length < 6) return Number.NaN;
    const k = data[1] | (data[2] << 8) | (data[3] << 16) | (data[4] << 24);
    const kind = data[5];
    return this.start + k * TICK + (kind === 0 ? 0 : AUDIO_OFFSETS[kind - 1]);
  }

  /** A time as seconds since the run began, for messages. */
  rel(us: number): string {
    return `${((us - this.start) / SECOND).toFixed(3)}s`;
  }
}
