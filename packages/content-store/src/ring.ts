// The core of a content view (PIC's RollingContentView, `ContentView.c`): the item ring, a struct of
// typed arrays with slot = index % capacity, and the cursors tail ≤ current ≤ head. It also keeps
// what every change to the ring touches: the in-flight pin, the byte counters, the stream-start
// header slot, the admitted item, the metric counters and the removal report. ContentView
// (view.ts) owns one ring and is its public face; admission.ts, walks.ts, lookup.ts and
// pressure.ts are functions over it.
import { KvsError } from '@kvs-ts/core';
import { writeBytes } from './bytes';
import { RemoveReason, StreamingType, ViewItemFlags } from './constants';
import { internalError, invalidIndex, invalidOperation, outOfMemory } from './errors';
import { BLOCK_HEADER, blockSizeFor, type Heap } from './heap';
import type { RemovedItem } from './types';

const { STREAM_START, STREAM_START_DEBUG, FRAGMENT_START, BUFFERING_ACK, SKIP_ITEM } = ViewItemFlags;

/**
 * Flag bits beside PIC's. Modules destructure these tables (and constants.ts's) once at load: a
 * CommonJS transpile (tsx, which runs the benchmarks) reads every imported binding through a
 * getter, a call per read on the per-frame paths.
 */
export const RingFlags = {
  /** Internal flag (above PIC's 16 bits): handed out by getNext since the last rollback. */
  HANDED_OUT: 0x10000,
  /** The flag bits callers see and set: PIC's 16. */
  PUBLIC_FLAGS: 0xffff,
} as const;

/** {@link ItemRing.state}. */
export const RingState = {
  /** Changes allowed. */
  ACTIVE: 0,
  /** A caller's callback runs; the view must not change under it. */
  IN_CALLBACK: 1,
  /** The view was freed. */
  FREED: 2,
} as const;

const { HANDED_OUT, PUBLIC_FLAGS } = RingFlags;
const { ACTIVE, IN_CALLBACK, FREED } = RingState;
const { ACKED } = RemoveReason;
const { NEAR_REALTIME } = StreamingType;

/** Bytes of ring per item: four Float64Array, five 32-bit arrays, one Uint8Array. */
export const RING_BYTES_PER_ITEM = 8 * 4 + 4 * 5 + 1;

/**
 * One view's items and cursors. Plain fields, read and written by the view's modules (the ring is
 * never handed out of the package); the methods are the moves every module shares.
 */
export class ItemRing {
  readonly dtsOf: Float64Array;
  readonly ptsOf: Float64Array;
  /**
   * The PTS the item was put with. Differs from `ptsOf` only for an in-flight item re-inserted
   * by an eviction, which takes the evicted slot's times (so that the window shrinks) but is
   * still reported under its own PTS when it leaves.
   */
  readonly ownPtsOf: Float64Array;
  readonly durationOf: Float64Array;
  readonly lengthOf: Uint32Array;
  /**
   * Which fragment the item was put in: a counter of FRAGMENT_START items put (mod 2^32). A sender
   * compares it to know whether an item still belongs to the cluster it has open; index order
   * alone does not say so once an eviction moved the in-flight item into a later slot.
   */
  readonly fragmentOf: Uint32Array;
  fragmentSeq = 0;
  /** The same for STREAM_START items put: which MKV stream an item belongs to. */
  readonly streamOf: Uint32Array;
  streamSeq = 0;
  readonly blockOf: Int32Array;
  readonly arenaOf: Uint8Array;
  readonly flagsOf: Uint32Array;

  tail = 0;
  current = 0;
  head = 0;
  /** The item handed out by getNext whose bytes may still be on the wire, or -1. Never freed. */
  pinned = -1;
  /** Newest index whose PTS is below its predecessor's (B-frames); PTS ascend from here on. */
  ptsDropAt = -1;
  /** Longest item duration seen, bounding how far back a timestamp search must look. */
  maxDuration = 0;
  /**
   * For the O(1) staleness check (lookup.ts): no item after this index carries BUFFERING_ACK (-1:
   * none ever did). Every write that can set the flag raises it — setFlags, a put with the flag,
   * and moveItem, which carries an in-flight item's flags into a later slot. It may point at an
   * item whose flag was cleared since (clearFlags, or a slot the in-flight item took over).
   */
  newestBuffering = -1;
  overallBytes = 0;
  currentBytes = 0;

  // The stream-start header slot (PIC's streamStartFixupOnReconnect, without copying the frame).
  headerIndex = -1;
  headerArena = 0;
  headerBlock = -1;
  headerLength = 0;

  // A new item admitted (its block allocated, admission.ts) but not added yet: a put in
  // progress or a reservation.
  resBlock = -1;
  resArena = 0;
  resLength = 0;
  resDts = 0;
  resPts = 0;
  resDuration = 0;
  resFlags = 0;

  // ContentViewMetrics counters.
  droppedFrames = 0;
  droppedFragments = 0;
  skippedFrames = 0;
  storagePressures = 0;
  bufferPressures = 0;
  latencyPressures = 0;
  staleEvents = 0;

  /** ACTIVE, IN_CALLBACK or FREED. */
  state: number = ACTIVE;
  /** The first error a caller's callback threw during the running operation. */
  callbackError: unknown;
  /** Which callback threw it, for the message. */
  callbackName = '';
  hasCallbackError = false;
  private readonly removed: RemovedItem;

  constructor(
    /** Stream id within the store, reported in {@link RemovedItem.stream}. */
    readonly id: number,
    /** Capacity in items. */
    readonly cap: number,
    readonly heap: Heap,
    /** Says whether an unsent item counts as a dropped frame or (NEAR_REALTIME) fragment. */
    readonly streamingType: StreamingType,
    private readonly onRemove: ((item: Readonly<RemovedItem>) => void) | undefined,
  ) {
    this.dtsOf = new Float64Array(cap);
    this.ptsOf = new Float64Array(cap);
    this.ownPtsOf = new Float64Array(cap);
    this.durationOf = new Float64Array(cap);
    this.lengthOf = new Uint32Array(cap);
    this.fragmentOf = new Uint32Array(cap);
    this.streamOf = new Uint32Array(cap);
    this.blockOf = new Int32Array(cap);
    this.arenaOf = new Uint8Array(cap);
    this.flagsOf = new Uint32Array(cap);
    this.removed = { stream: id, index: 0, dts: 0, pts: 0, duration: 0, length: 0, flags: 0, sent: false, reason: 1 };
  }

  /** Refuses a change to a freed view, or to one whose caller's callback is running. */
  enter(): void {
    const state = this.state;
    if (state !== ACTIVE) {
      throw state === FREED
        ? new KvsError('STATUS_INVALID_HANDLE_ERROR', `content view ${this.id} has been freed`)
        : invalidOperation('a content view cannot be changed from its onRemove callback or a drop report');
    }
  }

  /** Rethrows a callback's error once the operation is complete. */
  leave(): void {
    if (this.hasCallbackError) {
      const cause = this.callbackError;
      this.hasCallbackError = false;
      this.callbackError = undefined;
      throw internalError(`${this.callbackName} threw (the operation itself completed)`, cause);
    }
  }

  /** Throws `STATUS_CONTENT_VIEW_INVALID_INDEX` unless `index` is a cursor position: tail ≤ index ≤ head. */
  checkCursor(index: number, what: string): void {
    if (!Number.isInteger(index) || index < this.tail || index > this.head) {
      throw invalidIndex(`${what} must be within [${this.tail}, ${this.head}], got ${index}`);
    }
  }

  /** Throws `STATUS_CONTENT_VIEW_INVALID_INDEX` unless `index` is an item: tail ≤ index < head. */
  check(index: number): void {
    if (!(index >= this.tail && index < this.head) || !Number.isInteger(index)) {
      throw invalidIndex(`no item ${index} in view ${this.id} (items ${this.tail}…${this.head - 1})`);
    }
  }

  /** Appends the admitted item, its bytes written (contentViewAddItem). */
  appendAdmitted(): void {
    const head = this.head;
    const s = head % this.cap;
    const pts = this.resPts;
    const duration = this.resDuration;
    const flags = this.resFlags;
    const length = this.resLength;
    if (head > this.tail && pts < this.ptsOf[(head - 1) % this.cap]) this.ptsDropAt = head;
    if (duration > this.maxDuration) this.maxDuration = duration;
    this.dtsOf[s] = this.resDts;
    this.ptsOf[s] = pts;
    this.ownPtsOf[s] = pts;
    if (flags & FRAGMENT_START) this.fragmentSeq = (this.fragmentSeq + 1) >>> 0;
    this.fragmentOf[s] = this.fragmentSeq;
    if (flags & STREAM_START) this.streamSeq = (this.streamSeq + 1) >>> 0;
    this.streamOf[s] = this.streamSeq;
    this.durationOf[s] = duration;
    this.lengthOf[s] = length;
    this.blockOf[s] = this.resBlock;
    this.arenaOf[s] = this.resArena;
    this.flagsOf[s] = flags;
    if (flags & BUFFERING_ACK) this.newestBuffering = head;
    this.head = head + 1;
    this.overallBytes += length;
    this.currentBytes += length;
    this.resBlock = -1;
  }

  /** Frees the admitted item's block, if any (a cancelled reservation). */
  dropAdmitted(): void {
    if (this.resBlock === -1) return;
    this.heap.free(this.resArena, this.resBlock);
    this.resBlock = -1;
  }

  /** Removes from the tail up to `index` (stopping at the pin); moves current up if passed. */
  trimTo(index: number, reason: RemoveReason): number {
    const stop = this.pinned !== -1 && this.pinned < index ? this.pinned : index;
    let removed = 0;
    while (this.tail < stop) {
      this.removeTail(reason);
      removed++;
    }
    // Unlike PIC, current lands on the new tail, not one past it: see docs/decisions/content-store.md.
    if (this.current < this.tail) this.current = this.tail;
    return removed;
  }

  removeTail(reason: RemoveReason): void {
    const index = this.tail;
    this.tail = index + 1;
    this.removeAt(index, reason);
  }

  /** Frees one item's memory, updates counters and reports it. Cursors are the caller's job. */
  removeAt(index: number, reason: RemoveReason): void {
    const s = index % this.cap;
    const length = this.lengthOf[s];
    const flags = this.flagsOf[s];
    const sent = (flags & HANDED_OUT) !== 0;
    let bytes = length;
    if (index === this.headerIndex) {
      bytes += this.headerLength;
      this.heap.free(this.headerArena, this.headerBlock);
      this.headerIndex = -1;
      this.headerBlock = -1;
    }
    this.overallBytes -= bytes;
    if (index >= this.current) this.currentBytes -= bytes;
    this.heap.free(this.arenaOf[s], this.blockOf[s]);
    // A SKIP item was counted when it was given up (walks.ts).
    if (!sent && !(flags & SKIP_ITEM) && reason !== ACKED) this.countDropped();
    const callback = this.onRemove;
    if (callback === undefined) return;
    const r = this.removed;
    r.index = index;
    r.dts = this.dtsOf[s];
    r.pts = this.ownPtsOf[s];
    r.duration = this.durationOf[s];
    r.length = length;
    r.flags = flags & PUBLIC_FLAGS;
    r.sent = sent;
    r.reason = reason;
    this.state = IN_CALLBACK;
    try {
      callback(r);
    } catch (error) {
      this.keepCallbackError(error, 'onRemove');
    } finally {
      this.state = ACTIVE;
    }
  }

  /** One more item that will never reach the service unsent: a frame, or on NEAR_REALTIME a fragment (PIC). */
  countDropped(): void {
    if (this.streamingType === NEAR_REALTIME) this.droppedFragments++;
    else this.droppedFrames++;
  }

  /** Remembers the first error a callback threw; the operation completes, then rethrows it. */
  keepCallbackError(error: unknown, name: string): void {
    if (this.hasCallbackError) return;
    this.hasCallbackError = true;
    this.callbackError = error;
    this.callbackName = name;
  }

  /** Re-homes an item's bytes and flags into another slot, keeping that slot's timestamps (PIC). */
  moveItem(from: number, to: number): void {
    const cap = this.cap;
    const f = from % cap;
    const t = to % cap;
    this.blockOf[t] = this.blockOf[f];
    this.arenaOf[t] = this.arenaOf[f];
    this.lengthOf[t] = this.lengthOf[f];
    const flags = this.flagsOf[f];
    this.flagsOf[t] = flags;
    // PIC's contentViewTrimTailItems copies the flags too, so a BUFFERING_ACK moves with the item
    // and checkForConnectionStaleness stops at the new slot (test/staleness.test.ts, "keeps a
    // BUFFERING ACK that moves with the in-flight item…"; docs/reviews/content-store-staleness.md).
    if (flags & BUFFERING_ACK && to > this.newestBuffering) this.newestBuffering = to;
    this.ownPtsOf[t] = this.ownPtsOf[f];
    this.fragmentOf[t] = this.fragmentOf[f];
    this.streamOf[t] = this.streamOf[f];
    if (this.headerIndex === from) this.headerIndex = to;
  }

  /** Moves current forward to `index`, keeping the pending byte count. */
  advanceCurrent(index: number): void {
    let bytes = 0;
    for (let i = this.current; i < index; i++) bytes += this.bytesAt(i);
    this.currentBytes -= bytes;
    this.current = index;
  }

  /** Moves current anywhere in [tail, head], unpinning; items it moves back over become unsent. */
  moveCurrent(index: number): void {
    this.pinned = -1;
    if (index >= this.current) {
      this.advanceCurrent(index);
      return;
    }
    const cap = this.cap;
    let bytes = 0;
    for (let i = index; i < this.current; i++) {
      bytes += this.bytesAt(i);
      this.flagsOf[i % cap] &= ~HANDED_OUT;
    }
    this.currentBytes += bytes;
    this.current = index;
  }

  /** The item's bytes in the view: its payload, plus the header slot if it carries it. */
  bytesAt(index: number): number {
    const length = this.lengthOf[index % this.cap];
    return index === this.headerIndex ? length + this.headerLength : length;
  }

  /**
   * Copies `header` (`length` bytes in all) into a new header slot for item `index`, flagged
   * STREAM_START, freeing the previous slot. `STATUS_STORE_OUT_OF_MEMORY` if no block is free.
   */
  setHeader(index: number, header: Uint8Array | readonly Uint8Array[], length: number): void {
    const heap = this.heap;
    this.clearHeader();
    const block = heap.alloc(blockSizeFor(length));
    if (block === -1) throw outOfMemory(length);
    writeBytes(heap.arenas[heap.allocArena].bytes, block + BLOCK_HEADER, header);
    this.headerIndex = index;
    this.headerArena = heap.allocArena;
    this.headerBlock = block;
    this.headerLength = length;
    this.flagsOf[index % this.cap] |= STREAM_START | STREAM_START_DEBUG;
    this.overallBytes += length;
    if (index >= this.current) this.currentBytes += length;
  }

  /** Frees the header slot and clears that item's STREAM_START (PIC `resetCurrentViewItemStreamStart`). */
  clearHeader(): void {
    const index = this.headerIndex;
    if (index === -1) return;
    this.heap.free(this.headerArena, this.headerBlock);
    this.overallBytes -= this.headerLength;
    if (index >= this.current) this.currentBytes -= this.headerLength;
    this.flagsOf[index % this.cap] &= ~STREAM_START;
    this.headerIndex = -1;
    this.headerBlock = -1;
    this.headerLength = 0;
  }
}
