// PIC's FrameOrderCoordinator (client/src/FrameOrderCoordinator.c): frames of several tracks are
// held per track and released in timestamp order once every track has one, so that audio and
// video never go backwards across a fragment boundary. When two tracks' frames land on the same
// timecode tick, PIC bumps one by a tick ("one ms compensation"); here the key frame goes first
// and the other frame is bumped, so the fragment starts exactly at its key frame and nothing of
// the previous fragment shares its timecode.

import {
  DEFAULT_TIMECODE_SCALE_NS,
  type Frame,
  FrameFlags,
  KvsError,
  type TrackType,
  ticksToUs,
  usToTicks,
} from '@kvs-ts/core';
import { DEFAULT_MAX_FRAME_QUEUE_SIZE_PER_TRACK } from './constants';

/** Ordering modes, as PIC's `FRAME_ORDER_MODE` (the A/V modes share one implementation here). */
export const FrameOrderMode = {
  /** Frames go straight through. */
  PASS_THROUGH: 0,
  /** Frames are merged across tracks by timestamp, with the one-tick collision compensation. */
  MULTI_TRACK_AV: 1,
} as const;
export type FrameOrderMode = (typeof FrameOrderMode)[keyof typeof FrameOrderMode];

/** Options of {@link FrameOrderCoordinator}. */
export interface FrameOrderCoordinatorOptions {
  /** The stream's tracks (IDs and types). */
  tracks: readonly { readonly trackId: number; readonly trackType: TrackType }[];
  /** Default MULTI_TRACK_AV. */
  mode?: FrameOrderMode;
  /** Timestamp to order by (default 'pts', as producer-c's A/V mode 5). */
  compare?: 'pts' | 'dts';
  /** The writer's TimecodeScale, ns: collisions are judged at this resolution (default 1 ms). */
  timecodeScaleNs?: number;
  /** Frames held per track before STATUS_MAX_FRAME_TIMESTAMP_DELTA_BETWEEN_TRACKS_EXCEEDED (default 60). */
  maxFramesPerTrack?: number;
}

/** A fixed-capacity FIFO of frames (no allocation per frame). */
class FrameRing {
  private readonly items: (Frame | undefined)[];
  private head = 0;
  count = 0;

  constructor(capacity: number) {
    this.items = new Array(capacity).fill(undefined);
  }

  push(f: Frame): void {
    this.items[(this.head + this.count) % this.items.length] = f;
    this.count++;
  }

  peek(): Frame {
    return this.items[this.head] as Frame;
  }

  replaceHead(f: Frame): void {
    this.items[this.head] = f;
  }

  shift(): Frame {
    const f = this.items[this.head] as Frame;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    return f;
  }

  at(k: number): Frame {
    return this.items[(this.head + k) % this.items.length] as Frame;
  }
}

/** What the coordinator holds (see {@link FrameOrderCoordinator.held}). */
export interface HeldFrames {
  /** Frames held, all tracks together. */
  count: number;
  /** Their data bytes. */
  bytes: number;
  /** The largest one's data bytes. */
  largest: number;
  /** The latest end (PTS + duration) among them, µs; -Infinity when none. */
  endPts: number;
}

/**
 * Orders frames of a multi-track stream before the writer. `emit` receives frames in order;
 * frames are held by reference (not copied) until emitted, so their data must stay untouched until
 * then. A frame whose timestamp is bumped is emitted as a shallow copy with the new PTS.
 */
export class FrameOrderCoordinator {
  private readonly ids: number[];
  private readonly types: TrackType[];
  private readonly queues: FrameRing[];
  private readonly mode: FrameOrderMode;
  private readonly byDts: boolean;
  private readonly scaleNs: number;
  private readonly maxPerTrack: number;
  private tracksWithFrames = 0;

  constructor(
    options: FrameOrderCoordinatorOptions,
    private readonly emit: (frame: Frame) => void,
  ) {
    const tracks = options.tracks;
    if (!Array.isArray(tracks) || tracks.length === 0) throw new KvsError('STATUS_TRACK_INFO_MISSING', 'no tracks');
    this.mode = options.mode ?? FrameOrderMode.MULTI_TRACK_AV;
    if (this.mode !== FrameOrderMode.PASS_THROUGH && this.mode !== FrameOrderMode.MULTI_TRACK_AV) {
      throw new KvsError('STATUS_INVALID_ARG', `frame order mode ${this.mode}`);
    }
    this.byDts = options.compare === 'dts';
    this.scaleNs = options.timecodeScaleNs ?? DEFAULT_TIMECODE_SCALE_NS;
    if (!Number.isInteger(this.scaleNs) || this.scaleNs <= 0) {
      throw new KvsError('STATUS_MKV_INVALID_TIMECODE_SCALE', `timecode scale ${this.scaleNs}`);
    }
    this.maxPerTrack = options.maxFramesPerTrack ?? DEFAULT_MAX_FRAME_QUEUE_SIZE_PER_TRACK;
    if (!Number.isInteger(this.maxPerTrack) || this.maxPerTrack < 1) {
      throw new KvsError('STATUS_INVALID_ARG', `max frames per track ${this.maxPerTrack}`);
    }
    this.ids = tracks.map((t) => t.trackId);
    this.types = tracks.map((t) => t.trackType);
    this.queues = tracks.map(() => new FrameRing(this.maxPerTrack + 1));
  }

  /**
   * What a {@link put} could release at once besides the frame put: a producer that must not lose
   * frames to a full buffer (PIC's OFFLINE streams) waits until there is room for all of it.
   * Walks the held frames (at most `maxFramesPerTrack` per track); fills `out` when given.
   */
  held(out: HeldFrames = { count: 0, bytes: 0, largest: 0, endPts: Number.NEGATIVE_INFINITY }): HeldFrames {
    out.count = 0;
    out.bytes = 0;
    out.largest = 0;
    out.endPts = Number.NEGATIVE_INFINITY;
    for (const q of this.queues) {
      for (let k = 0; k < q.count; k++) {
        const f = q.at(k);
        out.count++;
        const length = f.data instanceof Uint8Array ? f.data.length : 0;
        out.bytes += length;
        if (length > out.largest) out.largest = length;
        const end = f.pts + Math.max(f.duration, 0);
        if (end > out.endPts) out.endPts = end;
      }
    }
    return out;
  }

  /** Frames held, all tracks together. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues) n += q.count;
    return n;
  }

  /**
   * Takes a frame. In MULTI_TRACK_AV mode it is held until every track has a frame, then frames
   * are emitted earliest first. An EoFR flushes everything held, then is emitted. Throws
   * STATUS_MKV_TRACK_INFO_NOT_FOUND for an unknown track and
   * STATUS_MAX_FRAME_TIMESTAMP_DELTA_BETWEEN_TRACKS_EXCEEDED when one track runs too far ahead
   * (then the frame is not taken). Errors from `emit` propagate; the frame being emitted is dropped.
   */
  put(frame: Frame): void {
    if (this.mode === FrameOrderMode.PASS_THROUGH) {
      this.emit(frame);
      return;
    }
    if ((frame.flags & FrameFlags.END_OF_FRAGMENT) !== 0) {
      this.flush();
      this.emit(frame);
      return;
    }
    const i = this.ids.indexOf(frame.trackId);
    if (i < 0) throw new KvsError('STATUS_MKV_TRACK_INFO_NOT_FOUND', `frame for unknown track ${frame.trackId}`);
    const q = this.queues[i];
    if (q.count >= this.maxPerTrack) {
      throw new KvsError(
        'STATUS_MAX_FRAME_TIMESTAMP_DELTA_BETWEEN_TRACKS_EXCEEDED',
        `${q.count} frames of track ${frame.trackId} wait for the other tracks`,
      );
    }
    q.push(frame);
    if (q.count === 1) this.tracksWithFrames++;
    while (this.tracksWithFrames === this.queues.length) this.emitEarliest();
  }

  /** Drops every held frame without emitting it (a stream reset). Returns how many were dropped. */
  clear(): number {
    let n = 0;
    for (const q of this.queues) {
      while (q.count > 0) {
        q.shift();
        n++;
      }
    }
    this.tracksWithFrames = 0;
    return n;
  }

  /** Emits every held frame in order (at the end of the stream, or before an EoFR). */
  flush(): void {
    while (this.tracksWithFrames > 0) this.emitEarliest();
  }

  private ticks(f: Frame): number {
    return usToTicks(this.byDts ? f.dts : f.pts, this.scaleNs);
  }

  private emitEarliest(): void {
    const queues = this.queues;
    let best = -1;
    let bestTicks = 0;
    for (let i = 0; i < queues.length; i++) {
      if (queues[i].count === 0) continue;
      const f = queues[i].peek();
      const t = this.ticks(f);
      if (best < 0 || t < bestTicks) {
        best = i;
        bestTicks = t;
        continue;
      }
      if (t === bestTicks && this.types[i] !== this.types[best]) {
        // Same tick on two kinds of track: the key frame leads (it may start a fragment), the
        // other frame moves one tick later so it cannot end up before or beside the fragment start.
        const current = queues[best].peek();
        const keyHere = (f.flags & FrameFlags.KEY_FRAME) !== 0;
        const keyThere = (current.flags & FrameFlags.KEY_FRAME) !== 0;
        const lead = keyHere && !keyThere ? i : best;
        const other = lead === i ? best : i;
        this.bump(queues[other]);
        best = lead;
      }
    }
    const q = queues[best];
    const frame = q.shift();
    if (q.count === 0) this.tracksWithFrames--;
    this.emit(frame);
  }

  private bump(q: FrameRing): void {
    const f = q.peek();
    // PIC moves only the PTS: DTS keeps the decode order and MKV stores PTS alone.
    q.replaceHead({ ...f, pts: f.pts + ticksToUs(1, this.scaleNs) });
  }
}
