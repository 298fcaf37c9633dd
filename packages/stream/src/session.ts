// One PutMedia connection's life, as PIC's UploadHandleInfo and the upload-handle half of
// `Stream.c getStreamData`: the bytes it hands out (an MKV stream header, the view's items in
// order, the closing tags), where it stands in the content view, and the ACK bookkeeping of its
// fragments and of its end. An UploadSession changes only its own state and the view's send
// cursor; it returns what happened (a {@link Pull}, a {@link SessionEnd}) and the stream reacts.
// The transport talks to it through an {@link UploadConnection}.

import { type ContentView, type DroppedItemReport, ItemBoundary, ViewItemFlags } from '@kvs-ts/content-store';
import { type FragmentAck, StatusCode } from '@kvs-ts/core';
import type { StreamData } from './types';

/** Upload handle states, bit for bit PIC's `UPLOAD_HANDLE_STATE_*`. */
export const UploadHandleState = {
  NEW: 0x01,
  READY: 0x02,
  STREAMING: 0x04,
  /** Sending the end-of-stream tags. */
  TERMINATING: 0x08,
  /** Everything sent; waiting for the PERSISTED ACK of the last fragment. */
  AWAITING_ACK: 0x10,
  ACK_RECEIVED: 0x20,
  TERMINATED: 0x40,
  ERROR: 0x80,
} as const;
export type UploadHandleState = (typeof UploadHandleState)[keyof typeof UploadHandleState];

const U = UploadHandleState;
/** Sessions that may be trimmed behind (PIC's READY_TO_TRIM). */
const READY_TO_TRIM = U.ACK_RECEIVED | U.TERMINATED | U.ERROR;
/** Sessions still sending. */
const SENDING = U.READY | U.STREAMING | U.TERMINATING;
/** Sessions that are over. */
const OVER = U.TERMINATED | U.ERROR;

/** The name of a handle state, for logs. */
export function uploadHandleStateName(state: number): string {
  for (const [name, value] of Object.entries(UploadHandleState)) if (value === state) return name;
  return `0x${state.toString(16)}`;
}

/**
 * What a transport holds for one PutMedia connection (given to it in
 * {@link PutStreamRequest.connection}): pull the body's bytes, hand back ACKs, report the end.
 * The same calls as the stream's getStreamData / fragmentAck / streamTerminated with this
 * connection's upload handle.
 */
export interface UploadConnection {
  readonly uploadHandle: number;
  /** The next bytes to send (see {@link KinesisVideoStream.getStreamData}). */
  pull(maxBytes?: number): StreamData;
  /** An ACK from this connection's response. */
  ack(ack: FragmentAck): number;
  /** The connection ended, with the result of the failure if it failed. */
  end(result?: number): void;
}

/** The stream calls an {@link UploadConnection} stands for. */
export interface ConnectionTarget {
  getStreamData(uploadHandle: number, maxBytes?: number): StreamData;
  fragmentAck(uploadHandle: number, ack: FragmentAck): number;
  streamTerminated(uploadHandle: number, result?: number): void;
}

/** What {@link UploadSession.pull} did; the stream turns it into a status. */
export const Pull = {
  /** Bytes in the result's `data`. */
  DATA: 0,
  /** Nothing to send yet. */
  NOTHING: 1,
  /** Everything sent, waiting for the last PERSISTED ACK. */
  AWAITING_ACK: 2,
  /** The session is over. */
  DONE: 3,
  /** The session ended in this call (it is TERMINATED now): the stream reacts. */
  ENDED: 4,
  /** The session ended in this call and waits for its last PERSISTED ACK: the stream reacts. */
  ENDED_AWAITING_ACK: 5,
  /** The session failed to open, or the handle is unknown. */
  ABORTED: 6,
} as const;
export type Pull = (typeof Pull)[keyof typeof Pull];

/** The getStreamData status of each {@link Pull}. */
export const PULL_STATUS: Readonly<Record<Pull, number>> = {
  [Pull.DATA]: StatusCode.STATUS_SUCCESS,
  [Pull.NOTHING]: StatusCode.STATUS_NO_MORE_DATA_AVAILABLE,
  [Pull.AWAITING_ACK]: StatusCode.STATUS_AWAITING_PERSISTED_ACK,
  [Pull.DONE]: StatusCode.STATUS_END_OF_STREAM,
  [Pull.ENDED]: StatusCode.STATUS_END_OF_STREAM,
  [Pull.ENDED_AWAITING_ACK]: StatusCode.STATUS_AWAITING_PERSISTED_ACK,
  [Pull.ABORTED]: StatusCode.STATUS_UPLOAD_HANDLE_ABORTED,
};

/** How a session's connection ended ({@link UploadSession.terminate}); the stream reacts. */
export const SessionEnd = {
  /** Before its PutMedia result came. */
  BEFORE_OPEN: 0,
  /** After everything it carried was sent (and persisted, when it waited for that). */
  CLEAN: 1,
  /** Everything was sent, but the last PERSISTED ACK never came. */
  PERSISTED_ACK_MISSING: 2,
  /** While it was sending (or had not started). */
  CUT: 3,
} as const;
export type SessionEnd = (typeof SessionEnd)[keyof typeof SessionEnd];

/** What a session needs from its stream. */
export interface SessionHost {
  readonly view: ContentView;
  /** The stream's reused result object: `data` is set here. */
  readonly out: StreamData;
  /** The stream stopped taking frames: a session with nothing left to send ends. */
  readonly stopping: boolean;
  /**
   * Closing tags for a session that ends: tags the stream holds back for the next session that
   * ends, else end-of-stream tags when `needed` (the last item sent did not close its fragment).
   */
  closingTags(needed: boolean): Uint8Array;
  /** An item was handed out (PIC checks staleness as it hands out data). */
  itemHandedOut(): void;
  /** Items given up because they would go out under another fragment's cluster. */
  readonly dropped: DroppedItemReport;
  /** Whether a session that sent everything waits for its last fragment's PERSISTED ACK. */
  readonly awaitsPersisted: boolean;
}

const EMPTY = new Uint8Array(0);
// Module-level copies of imported constants read per item: a bundler or tsx may turn each read of
// an imported binding into a property lookup on the module (see docs/benchmarks.md, stream).
const { FRAGMENT_START, FRAGMENT_END } = ViewItemFlags;
const FRAGMENT_LIMIT = ItemBoundary.FRAGMENT_LIMIT;

/** One PutMedia connection: PIC's upload handle. */
export class UploadSession {
  private stateValue: UploadHandleState = U.NEW;
  /** Whether any byte went out on this connection. */
  private startedValue = false;
  /** Item being sent (-1: none). */
  private item = -1;
  /** The view's fragment number of that item (ContentView.itemFragment). */
  private fragment = -1;
  /** The view's MKV stream number of the session (ContentView.itemStream). */
  private stream = -1;
  /**
   * What is left to send of it: up to two pieces (the stream-header slot, then the item bytes;
   * or the closing tags), in fixed fields rather than an array so that a frame costs no array
   * bookkeeping. `piece` is the index of the piece in progress, `offset` the position in it.
   */
  private piece0: Uint8Array = EMPTY;
  private piece1: Uint8Array = EMPTY;
  private pieceCount = 0;
  private piece = 0;
  private offset = 0;
  /** PTS of the last fragment start sent (µs), -1 before the first. */
  private lastFragmentPts = -1;
  /** PTS of the newest fragment PERSISTED on this connection (µs), -1 before the first (PIC's lastPersistedAckTs). */
  private lastPersistedPts = -1;
  /** How the connection ended, once the transport or the stream said so. */
  private endResultValue: number | undefined;
  /** Whether the last item sent was an EoFR (then no end-of-stream tags are needed). */
  private lastWasEndOfFragment = false;
  /** Counted in the session metrics already. */
  private counted = false;
  /** The session is ending: only its closing tags are left to send. */
  private ending = false;
  /** Closing tags to send when the session ends; undefined until decided. */
  private tail: Uint8Array | undefined;
  /** The MKV header to send before item `startItem` when the store had no room for the view's header slot. */
  private startHeader: Uint8Array | undefined;
  private startItem = -1;
  /** The session would start in another MKV stream than PutMedia announced (relative times): end unused. */
  private mismatchValue = false;

  /** What the transport of this session's connection holds. */
  readonly connection: UploadConnection;

  constructor(
    readonly handle: number,
    readonly createTime: number,
    /** The MKV stream start PutMedia announces (µs): relative cluster timecodes count from it. */
    readonly sessionStart: number,
    private readonly host: SessionHost,
    stream: ConnectionTarget,
  ) {
    this.connection = {
      uploadHandle: handle,
      pull: (maxBytes) => stream.getStreamData(handle, maxBytes),
      ack: (ack) => stream.fragmentAck(handle, ack),
      end: (result) => stream.streamTerminated(handle, result),
    };
  }

  get state(): UploadHandleState {
    return this.stateValue;
  }

  /** Whether any byte went out. */
  get started(): boolean {
    return this.startedValue;
  }

  /** Still sending (READY, STREAMING or TERMINATING). */
  get sending(): boolean {
    return (this.stateValue & SENDING) !== 0;
  }

  /** Sending, or waiting for its last PERSISTED ACK (PIC's active sessions). */
  get active(): boolean {
    return (this.stateValue & (SENDING | U.AWAITING_ACK)) !== 0;
  }

  /** TERMINATED or ERROR. */
  get over(): boolean {
    return (this.stateValue & OVER) !== 0;
  }

  /** Whether newer sessions' PERSISTED ACKs may trim behind this one (PIC's READY_TO_TRIM). */
  get readyToTrim(): boolean {
    return (this.stateValue & READY_TO_TRIM) !== 0;
  }

  /** The result the connection ended with, if it ended. */
  get endResult(): number | undefined {
    return this.endResultValue;
  }

  /** Whether the session refused to start in another MKV stream than it announced. */
  get mismatch(): boolean {
    return this.mismatchValue;
  }

  /** Whether it was cut in the middle of an item (that item never arrived whole). */
  get midItem(): boolean {
    return this.item >= 0 && this.piece < this.pieceCount;
  }

  // ---------------------------------------------------------------------------------------------
  // Opening and starting

  /** PutMedia opened: READY (TERMINATING when the stream stopped meanwhile). False if it was not NEW. */
  opened(stopping: boolean): boolean {
    if (this.stateValue !== U.NEW) return false;
    this.stateValue = stopping ? U.TERMINATING : U.READY;
    return true;
  }

  /** PutMedia failed: ERROR. False if it was not NEW (its end was reported first). */
  failedToOpen(): boolean {
    if (this.stateValue !== U.NEW) return false;
    this.stateValue = U.ERROR;
    return true;
  }

  /** The stream stopped: send what is left, then end (READY/STREAMING → TERMINATING). */
  stopAfterSending(): void {
    if (this.stateValue === U.READY || this.stateValue === U.STREAMING) this.stateValue = U.TERMINATING;
  }

  /** Closing tags to send when the session ends (the stream's end-of-stream tags after stop()). */
  closeWith(tags: Uint8Array): void {
    this.tail = tags;
  }

  /**
   * The first item of the session is `index` (at a fragment boundary) in MKV stream `stream`.
   * `header`: the MKV header to send before it when the view's header slot could not hold it.
   */
  begin(index: number, stream: number, header?: Uint8Array): void {
    if (header !== undefined) {
      this.startHeader = header;
      this.startItem = index;
    }
    this.startedValue = true;
    this.stream = stream;
    if (this.stateValue === U.READY) this.stateValue = U.STREAMING;
  }

  /** PutMedia announced another MKV stream's start than the session would begin in. */
  refuseStart(): void {
    this.mismatchValue = true;
  }

  /**
   * Ends a session that never sent a byte; returns the closing tags it held (they belong to the
   * next session), if any.
   */
  endUnused(): Uint8Array | undefined {
    this.stateValue = U.TERMINATED;
    const tail = this.tail;
    this.tail = undefined;
    return tail !== undefined && tail.length > 0 ? tail : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // The pull

  /**
   * Where a session that is not sending stands: the outcome for a finished or waiting session
   * (settling AWAITING_ACK and ACK_RECEIVED into TERMINATED), or undefined while it sends.
   */
  settle(): Pull | undefined {
    switch (this.stateValue) {
      case U.NEW:
        return Pull.NOTHING;
      case U.AWAITING_ACK:
        if (this.lastPersistedPts < this.lastFragmentPts) return Pull.AWAITING_ACK;
        // The last fragment was PERSISTED before the session ended (PIC's lastPersistedAckTs check).
        this.stateValue = U.TERMINATED;
        return Pull.ENDED;
      case U.ACK_RECEIVED:
        this.stateValue = U.TERMINATED;
        return Pull.ENDED;
      case U.TERMINATED:
        return Pull.DONE;
      case U.ERROR:
        return Pull.ABORTED;
    }
    return undefined;
  }

  /**
   * The next bytes of a started session that is the stream's sending one, at most `maxBytes`:
   * the rest of the item in progress, else the next item of the view, else the closing tags.
   */
  pull(maxBytes: number): Pull {
    if (this.piece < this.pieceCount) return this.slice(maxBytes);
    if (this.ending) return this.end(maxBytes);
    return this.nextItem(maxBytes);
  }

  private nextItem(maxBytes: number): Pull {
    const v = this.host.view;
    let i = v.getNext();
    if (i >= 0 && this.item >= 0 && !(v.itemFlags(i) & FRAGMENT_LIMIT) && v.itemFragment(i) !== this.fragment) {
      // Eviction took the start of this item's fragment after the session sent the previous
      // one: sending it would put it under the wrong cluster. Skip to the next fragment boundary.
      // (Index order does not tell: an eviction may have moved the in-flight item into a later
      // slot, right before items of a newer fragment; model-wide.test.ts B10.)
      if (v.dropUntilFragmentStart(i, this.host.dropped) >= v.head) return Pull.NOTHING;
      i = v.getNext();
    }
    if (i >= 0) {
      // A new MKV stream (token rotation, a reset) belongs to the next connection: it needs its
      // own header (and, with relative times, its own start announced). By stream number, since
      // its STREAM_START item may have been evicted (B14).
      if (this.item !== -1 && v.itemStream(i) !== this.stream) {
        v.setCurrent(i);
        this.stateValue = U.TERMINATING;
        return this.end(maxBytes);
      }
      const flags = v.itemFlags(i);
      this.item = i;
      this.fragment = v.itemFragment(i);
      let header = v.streamStartHeader(i);
      if (header === undefined && i === this.startItem) {
        header = this.startHeader;
        this.startHeader = undefined;
      }
      if (header) this.load(header, v.itemData(i));
      else this.load(v.itemData(i));
      if (flags & FRAGMENT_START) this.lastFragmentPts = v.itemOwnPts(i);
      this.lastWasEndOfFragment = (flags & FRAGMENT_END) !== 0;
      this.host.itemHandedOut();
      return this.slice(maxBytes);
    }
    if (this.stateValue === U.TERMINATING || this.host.stopping) {
      this.stateValue = U.TERMINATING;
      return this.end(maxBytes);
    }
    return Pull.NOTHING;
  }

  /** Sends the session's closing tags, then waits for the last PERSISTED ACK or ends. */
  private end(maxBytes: number): Pull {
    this.ending = true;
    if (this.tail === undefined) this.tail = this.host.closingTags(!(this.lastWasEndOfFragment || this.item === -1));
    if (this.tail.length > 0) {
      this.item = -1;
      this.load(this.tail);
      this.tail = EMPTY;
      return this.slice(maxBytes);
    }
    const awaitAck =
      this.host.awaitsPersisted && this.lastFragmentPts >= 0 && this.lastPersistedPts < this.lastFragmentPts;
    this.stateValue = awaitAck ? U.AWAITING_ACK : U.TERMINATED;
    return awaitAck ? Pull.ENDED_AWAITING_ACK : Pull.ENDED;
  }

  /** Loads the pieces to send next. */
  private load(first: Uint8Array, second?: Uint8Array): void {
    this.piece0 = first;
    this.piece1 = second ?? EMPTY;
    this.pieceCount = second === undefined ? 1 : 2;
    this.piece = 0;
    this.offset = 0;
  }

  private slice(maxBytes: number): Pull {
    const out = this.host.out;
    const piece = this.piece === 0 ? this.piece0 : this.piece1;
    const end = Math.min(piece.length, this.offset + maxBytes);
    out.data = this.offset === 0 && end === piece.length ? piece : piece.subarray(this.offset, end);
    this.offset = end;
    if (end === piece.length) {
      this.piece++;
      this.offset = 0;
    }
    return Pull.DATA;
  }

  // ---------------------------------------------------------------------------------------------
  // ACKs and the end

  /**
   * A fragment starting at `pts` was PERSISTED on this connection. Returns true when that was
   * all the session waited for (it is ACK_RECEIVED now).
   */
  persisted(pts: number): boolean {
    if (pts > this.lastPersistedPts) this.lastPersistedPts = pts;
    if (this.stateValue === U.AWAITING_ACK && this.lastPersistedPts >= this.lastFragmentPts) {
      this.stateValue = U.ACK_RECEIVED;
      return true;
    }
    return false;
  }

  /** The connection ended with `result` (PIC's streamTerminatedEvent for this handle): TERMINATED. */
  terminate(result: number): SessionEnd {
    const state = this.stateValue;
    this.endResultValue ??= result;
    this.stateValue = U.TERMINATED;
    if (state === U.NEW) return SessionEnd.BEFORE_OPEN;
    // Everything it carried is safe when it ended cleanly, or when it waited only for a
    // PERSISTED ACK that came (PIC's lastPersistedAckTs).
    const persisted = this.lastPersistedPts >= this.lastFragmentPts;
    if (state === U.TERMINATED || state === U.ACK_RECEIVED || (state === U.AWAITING_ACK && persisted))
      return SessionEnd.CLEAN;
    return state === U.AWAITING_ACK ? SessionEnd.PERSISTED_ACK_MISSING : SessionEnd.CUT;
  }

  /** A reset or free dropped the session: TERMINATED. Returns whether it was still open. */
  abandon(): boolean {
    const open = !this.over;
    this.stateValue = U.TERMINATED;
    return open;
  }

  /** True once, for a finished session that carried data (it counts in the session metrics). */
  countFinished(): boolean {
    if (!this.over || !this.startedValue || this.counted) return false;
    this.counted = true;
    return true;
  }
}
