// PIC's RollingContentView over the shared heap: a ring of item descriptors (struct of typed
// arrays, slot = index % capacity) with the cursors tail ≤ current ≤ head. Every rule cites
// anchors-aws.md §1.2 (ContentView.c) unless noted; deviations from PIC are marked "Unlike PIC".
import { KvsError } from '@kvs-ts/core';
import {
  BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD,
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  MAX_CONTENT_VIEW_ITEMS,
  MIN_CONTENT_VIEW_ITEMS,
  PressureSignal,
  RemoveReason,
  STORAGE_PRESSURE_NOTIFICATION_THRESHOLD,
  StreamingType,
  ViewItemFlags,
} from './constants';
import { BLOCK_HEADER, blockSizeFor, type Heap } from './heap';
import { calculateViewItemCount } from './sizing';
import type { ContentViewMetrics, ContentViewOptions, RemovedItem, ViewItem } from './types';

const { STREAM_START, FRAGMENT_START, FRAGMENT_END, BUFFERING_ACK, RECEIVED_ACK, PERSISTED_ACK, SKIP_ITEM } =
  ViewItemFlags;
const STREAM_START_DEBUG = ViewItemFlags.STREAM_START_DEBUG;
/** Internal flag (above PIC's 16 bits): handed out by getNext since the last rollback. */
const HANDED_OUT = 0x10000;
const PUBLIC_FLAGS = 0xffff;
const BOUNDARY = FRAGMENT_START | FRAGMENT_END;

const ACTIVE = 0;
const IN_CALLBACK = 1;
const FREED = 2;

/** What a view needs from its store. @internal */
export interface ViewOwner {
  readonly heap: Heap;
  readonly storageSize: number;
  release(view: ContentView): void;
}

/**
 * One stream's rolling content view: a fixed ring of frame descriptors over bytes held in the
 * shared {@link ContentStore}. `tail` is the oldest kept item, `current` the next to send, `head`
 * one past the newest; indices grow forever (safe to 2^53). Synchronous and clock-free: every
 * timestamp comes from the caller, in µs.
 *
 * Sending: {@link getNext} hands out the next item and pins it as "in flight" until the next
 * `getNext`, {@link releaseInFlight} or a cursor move. Evictions never free the pinned item: as
 * in PIC it is re-inserted as the new tail (taking the time slot of the last evicted item so the
 * window still shrinks), so bytes already on the wire stay valid.
 */
export class ContentView {
  /** Stream id within the store (0…127), reported in {@link RemovedItem.stream}. */
  readonly id: number;
  /** Ring capacity in items. */
  readonly itemCount: number;
  /** Buffer duration, µs. */
  readonly bufferDuration: number;
  readonly streamingType: StreamingType;
  readonly overflowPolicy: ContentViewOverflowPolicy;
  readonly pressurePolicy: ContentStorePressurePolicy;
  readonly maxLatency: number;
  readonly connectionStalenessDuration: number;
  readonly retentionPeriod: number;

  private readonly owner: ViewOwner;
  private readonly heap: Heap;
  private readonly dtsOf: Float64Array;
  private readonly ptsOf: Float64Array;
  /**
   * The PTS the item was put with. Differs from `ptsOf` only for an in-flight item re-inserted
   * by an eviction, which takes the evicted slot's times (so that the window shrinks) but is
   * still reported under its own PTS when it leaves.
   */
  private readonly ownPtsOf: Float64Array;
  private readonly durationOf: Float64Array;
  private readonly lengthOf: Uint32Array;
  /**
   * Which fragment the item was put in: a counter of FRAGMENT_START items put (mod 2^32). A sender
   * compares it to know whether an item still belongs to the cluster it has open; index order
   * alone does not say so once an eviction moved the in-flight item into a later slot.
   */
  private readonly fragmentOf: Uint32Array;
  private fragmentSeq = 0;
  /** The same for STREAM_START items put: which MKV stream an item belongs to. */
  private readonly streamOf: Uint32Array;
  private streamSeq = 0;
  private readonly blockOf: Int32Array;
  private readonly arenaOf: Uint8Array;
  private readonly flagsOf: Uint32Array;

  private tailIndex = 0;
  private currentIndex = 0;
  /** Newest index whose PTS is below its predecessor's (B-frames); PTS ascend from here on. */
  private ptsDropAt = -1;
  /** Longest item duration seen, bounding how far back a timestamp search must look. */
  private maxDuration = 0;
  private headIndex = 0;
  private pinned = -1;
  private overallBytes = 0;
  private currentBytes = 0;

  // The stream-start header slot (PIC's streamStartFixupOnReconnect, without copying the frame).
  private headerIndex = -1;
  private headerArena = 0;
  private headerBlock = -1;
  private headerLength = 0;

  // A reserved, not yet committed item.
  private resBlock = -1;
  private resArena = 0;
  private resLength = 0;
  private resDts = 0;
  private resPts = 0;
  private resDuration = 0;
  private resFlags = 0;

  private state = ACTIVE;
  private readonly onRemove: ((item: Readonly<RemovedItem>) => void) | undefined;
  private readonly removed: RemovedItem;
  private callbackError: unknown;
  private hasCallbackError = false;

  private droppedFrames = 0;
  private droppedFragments = 0;
  private skippedFrames = 0;
  private storagePressures = 0;
  private bufferPressures = 0;
  private latencyPressures = 0;
  private staleEvents = 0;
  /** Newest index ever flagged BUFFERING_ACK (-1: none), for the O(1) staleness check. */
  private newestBuffering = -1;

  /** @internal Use {@link ContentStore.createView}. */
  constructor(owner: ViewOwner, id: number, options: ContentViewOptions) {
    const bufferDuration = options.bufferDuration;
    // createContentView: bufferDuration > MIN_CONTENT_VIEW_BUFFER_DURATION (0).
    if (!Number.isFinite(bufferDuration) || !(bufferDuration > 0)) {
      throw new KvsError(
        'STATUS_INVALID_CONTENT_VIEW_DURATION',
        `bufferDuration must be > 0 µs, got ${bufferDuration}`,
      );
    }
    const streamingType = options.streamingType ?? StreamingType.REALTIME;
    if (!isEnumValue(StreamingType, streamingType)) throw invalidArg(`unknown streamingType ${streamingType}`);
    const overflowPolicy = options.overflowPolicy ?? ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START;
    if (!isEnumValue(ContentViewOverflowPolicy, overflowPolicy))
      throw invalidArg(`unknown overflowPolicy ${overflowPolicy}`);
    const pressurePolicy = options.pressurePolicy ?? ContentStorePressurePolicy.DROP_TAIL_ITEM;
    if (!isEnumValue(ContentStorePressurePolicy, pressurePolicy))
      throw invalidArg(`unknown pressurePolicy ${pressurePolicy}`);
    const itemCount =
      options.itemCount ??
      calculateViewItemCount({
        streamingType,
        frameRate: options.frameRate,
        bufferDuration,
        fragmentDuration: options.fragmentDuration,
      });
    // createContentView: maxItemCount > MIN_CONTENT_VIEW_ITEMS (strictly).
    if (!Number.isInteger(itemCount) || itemCount <= MIN_CONTENT_VIEW_ITEMS) {
      throw new KvsError('STATUS_MIN_CONTENT_VIEW_ITEMS', `a content view needs more than 10 items, got ${itemCount}`);
    }
    if (itemCount > MAX_CONTENT_VIEW_ITEMS)
      throw invalidArg(`itemCount ${itemCount} exceeds ${MAX_CONTENT_VIEW_ITEMS}`);
    this.maxLatency = nonNegative('maxLatency', options.maxLatency ?? 0);
    this.connectionStalenessDuration = nonNegative(
      'connectionStalenessDuration',
      options.connectionStalenessDuration ?? 0,
    );
    this.retentionPeriod = nonNegative('retentionPeriod', options.retentionPeriod ?? 0);
    if (options.onRemove !== undefined && typeof options.onRemove !== 'function')
      throw invalidArg('onRemove must be a function');

    this.owner = owner;
    this.heap = owner.heap;
    this.id = id;
    this.itemCount = itemCount;
    this.bufferDuration = bufferDuration;
    this.streamingType = streamingType;
    this.overflowPolicy = overflowPolicy;
    this.pressurePolicy = pressurePolicy;
    this.onRemove = options.onRemove;
    this.dtsOf = new Float64Array(itemCount);
    this.ptsOf = new Float64Array(itemCount);
    this.ownPtsOf = new Float64Array(itemCount);
    this.durationOf = new Float64Array(itemCount);
    this.lengthOf = new Uint32Array(itemCount);
    this.fragmentOf = new Uint32Array(itemCount);
    this.streamOf = new Uint32Array(itemCount);
    this.blockOf = new Int32Array(itemCount);
    this.arenaOf = new Uint8Array(itemCount);
    this.flagsOf = new Uint32Array(itemCount);
    this.removed = { stream: id, index: 0, dts: 0, pts: 0, duration: 0, length: 0, flags: 0, sent: false, reason: 1 };
  }

  /** Oldest kept item. */
  get tail(): number {
    return this.tailIndex;
  }

  /** Next item to send. */
  get current(): number {
    return this.currentIndex;
  }

  /** One past the newest item. */
  get head(): number {
    return this.headIndex;
  }

  /** The item pinned by {@link getNext} (its bytes may be on the wire), or -1. */
  get inFlight(): number {
    return this.pinned;
  }

  /** Bytes of this view's item ring (PIC's view allocation size; outside the store budget). */
  get ringSize(): number {
    return this.itemCount * (8 * 4 + 4 * 5 + 1);
  }

  /**
   * Appends a frame: copies `data` (one view, or pieces such as an MKV block header followed by
   * frame data) into store memory exactly once and returns {@link PressureSignal} bits. May evict
   * tail items first (reported through `onRemove`).
   *
   * Throws, leaving the view as it was: `STATUS_INVALID_CONTENT_VIEW_LENGTH` (no bytes),
   * `STATUS_CONTENT_VIEW_INVALID_TIMESTAMP` (DTS below the newest item's), `STATUS_INVALID_ARG`,
   * `STATUS_INVALID_ALLOCATION_SIZE` (larger than an arena), `STATUS_STORE_OUT_OF_MEMORY` (no room
   * under pressure policy OOM, or a full OFFLINE view/store). Under DROP_TAIL_ITEM,
   * `STATUS_STORE_OUT_OF_MEMORY` means even evicting the whole view did not make room.
   */
  put(
    dts: number,
    pts: number,
    duration: number,
    flags: ViewItemFlags,
    data: Uint8Array | readonly Uint8Array[],
  ): number {
    this.enter();
    let length = 0;
    const single = data instanceof Uint8Array;
    if (single) {
      length = data.length;
    } else if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++) {
        const piece = data[i];
        if (!(piece instanceof Uint8Array)) throw invalidArg(`data piece ${i} is not a Uint8Array`);
        length += piece.length;
      }
    } else {
      throw invalidArg('data must be a Uint8Array or an array of Uint8Array');
    }
    this.prepare(dts, pts, duration, flags, length);
    const bytes = this.heap.arenas[this.resArena].bytes;
    let at = this.resBlock + BLOCK_HEADER;
    if (single) {
      bytes.set(data, at);
    } else {
      const pieces = data as readonly Uint8Array[];
      for (let i = 0; i < pieces.length; i++) {
        bytes.set(pieces[i], at);
        at += pieces[i].length;
      }
    }
    return this.commitPrepared();
  }

  /**
   * First half of a zero-copy put: validates like {@link put}, makes room, and returns a writable
   * view of `length` bytes in store memory to fill before {@link commit}. One reservation at a time;
   * {@link cancelReservation} gives it back.
   */
  reserve(dts: number, pts: number, duration: number, flags: ViewItemFlags, length: number): Uint8Array {
    this.enter();
    if (!Number.isInteger(length) || length < 0)
      throw invalidArg(`length must be a non-negative integer, got ${length}`);
    this.prepare(dts, pts, duration, flags, length);
    const start = this.resBlock + BLOCK_HEADER;
    return this.heap.arenas[this.resArena].bytes.subarray(start, start + length);
  }

  /** Appends the reserved item; returns {@link PressureSignal} bits, like {@link put}. */
  commit(): number {
    this.enter();
    if (this.resBlock === -1) throw invalidOperation('nothing reserved');
    return this.commitPrepared();
  }

  /** Frees a reservation made by {@link reserve} (no-op without one). */
  cancelReservation(): void {
    this.enter();
    this.dropReservation();
    this.leave();
  }

  /**
   * PIC `contentViewGetNext` as the stream's sender uses it (`getNextViewItem`): skips SKIP_ITEM
   * items, returns the index of the next item to send and advances `current` past it, or returns
   * -1 when nothing is left. The returned item is pinned in flight; the previous pin is released.
   * With `toBoundary`, also skips to the next fragment start or end (PIC `getNextBoundaryViewItem`,
   * used when a session starts); the items passed over count as unsent.
   */
  getNext(toBoundary = false): number {
    this.enter();
    const head = this.headIndex;
    let i = this.currentIndex;
    while (i < head) {
      const f = this.flagsOf[i % this.itemCount];
      if (!(f & SKIP_ITEM) && (!toBoundary || f & BOUNDARY)) break;
      i++;
    }
    this.pinned = -1;
    if (i === head) {
      this.advanceCurrent(head);
      return -1;
    }
    this.advanceCurrent(i + 1);
    this.flagsOf[i % this.itemCount] |= HANDED_OUT;
    this.pinned = i;
    return i;
  }

  /** Unpins the in-flight item (its bytes have left), so eviction may take it like any other. */
  releaseInFlight(): void {
    this.enter();
    this.pinned = -1;
  }

  /** PIC `contentViewSetCurrentIndex`: tail ≤ `index` ≤ head, else `STATUS_CONTENT_VIEW_INVALID_INDEX`. Unpins. */
  setCurrent(index: number): void {
    this.enter();
    if (!Number.isInteger(index) || index < this.tailIndex || index > this.headIndex) {
      throw new KvsError(
        'STATUS_CONTENT_VIEW_INVALID_INDEX',
        `current must be within [${this.tailIndex}, ${this.headIndex}], got ${index}`,
      );
    }
    this.moveCurrent(index);
  }

  /** PIC `contentViewResetCurrent`: current = tail (OFFLINE reconnects resend everything). Unpins. */
  resetCurrent(): void {
    this.enter();
    this.moveCurrent(this.tailIndex);
  }

  /**
   * PIC `contentViewRollbackCurrent`, run on reconnect: walks back from current to the oldest
   * fragment start (any item without `keyFrame`) whose PTS is at least `duration` µs before
   * current's, stopping at the tail; with `lastReceivedAck` (ACKs on and the host still alive) it
   * stops instead right after the newest fragment that has a RECEIVED ACK. Then rolls forward over
   * SKIP_ITEM items. Returns the new current; unpins. Unlike PIC, when everything was sent
   * (current = head) the reference time is the end of the newest item, not a stale slot.
   */
  rollbackCurrent(duration: number, keyFrame = true, lastReceivedAck = false): number {
    this.enter();
    const target = this.rollbackTarget(duration, keyFrame, lastReceivedAck);
    this.pinned = -1;
    if (target !== this.currentIndex) this.moveCurrent(target);
    return target;
  }

  /** Where {@link rollbackCurrent} would move current, without moving it. */
  rollbackTarget(duration: number, keyFrame = true, lastReceivedAck = false): number {
    if (!Number.isFinite(duration) || duration < 0) throw invalidArg(`duration must be ≥ 0 µs, got ${duration}`);
    const tail = this.tailIndex;
    const head = this.headIndex;
    const start = this.currentIndex;
    if (start === tail || duration === 0) return start;
    const cap = this.itemCount;
    let reference: number;
    if (start < head) {
      reference = this.ptsOf[start % cap];
    } else {
      const s = (head - 1) % cap;
      reference = this.ptsOf[s] + this.durationOf[s];
    }
    let target = start;
    let last = start;
    for (let i = start; ; i--) {
      if (i < head) {
        const s = i % cap;
        const f = this.flagsOf[s];
        if (!keyFrame || f & FRAGMENT_START) {
          target = i;
          if (lastReceivedAck && f & RECEIVED_ACK) {
            // The whole fragment is in the service's memory: resume after it.
            target = last;
            break;
          }
          if (this.ptsOf[s] + duration <= reference) break;
          last = i;
        }
      }
      if (i === tail) break;
    }
    while (target < head && this.flagsOf[target % cap] & SKIP_ITEM) target++;
    return target;
  }

  /**
   * PIC `contentViewTrimTail`: removes items from the tail up to (not including) `index`
   * (tail ≤ index ≤ head), reporting them with `reason` (default ACKED). Unlike PIC the trim stops
   * at the in-flight item. Returns the number of items removed.
   */
  trimTail(index: number, reason: RemoveReason = RemoveReason.ACKED): number {
    this.enter();
    if (!Number.isInteger(index) || index < this.tailIndex || index > this.headIndex) {
      throw new KvsError(
        'STATUS_CONTENT_VIEW_INVALID_INDEX',
        `trim index must be within [${this.tailIndex}, ${this.headIndex}], got ${index}`,
      );
    }
    if (!isEnumValue(RemoveReason, reason)) throw invalidArg(`unknown reason ${reason}`);
    const removed = this.trimTo(index, reason);
    this.leave();
    return removed;
  }

  /**
   * The view half of PIC's PERSISTED ACK handling (`streamFragmentPersistedAck`): from the item at
   * `index` (the acknowledged fragment's start) finds the next fragment boundary, skipping
   * SKIP_ITEM items and fragments already flagged PERSISTED_ACK, and trims the tail up to it (an
   * EoFR boundary item goes too). Nothing is trimmed while the next fragment has not started.
   * Flag the item first ({@link setFlags}); returns the number of items removed.
   */
  trimToNextFragment(index: number): number {
    this.enter();
    this.checkIndex(index);
    const head = this.headIndex;
    const cap = this.itemCount;
    let k = index + 1;
    for (;;) {
      while (k < head) {
        const f = this.flagsOf[k % cap];
        if (!(f & SKIP_ITEM) && f & BOUNDARY) break;
        k++;
      }
      if (k === head) return 0;
      const f = this.flagsOf[k % cap];
      if (f & FRAGMENT_START && f & PERSISTED_ACK) {
        k++;
        continue;
      }
      if (f & FRAGMENT_END) k++;
      break;
    }
    const removed = this.trimTo(k, RemoveReason.ACKED);
    this.leave();
    return removed;
  }

  /**
   * Gives up on an item that was not delivered and never will be (its fragment start was evicted,
   * or a dropped connection cut it off and the replay does not reach it): marks it SKIP_ITEM and
   * counts it dropped in the metrics, as an eviction would. Returns false (changing nothing) when
   * it is SKIP_ITEM already.
   */
  markDropped(index: number): boolean {
    this.checkIndex(index);
    const s = index % this.itemCount;
    if (this.flagsOf[s] & SKIP_ITEM) return false;
    this.flagsOf[s] |= SKIP_ITEM;
    if (this.streamingType === StreamingType.NEAR_REALTIME) this.droppedFragments++;
    else this.droppedFrames++;
    return true;
  }

  /**
   * The view half of PIC's non-retriable ERROR ACK (`streamFragmentErrorAck`): marks the fragment
   * starting at `index` SKIP_ITEM up to the next fragment/stream start or fragment end, and moves
   * current there. With `startPts` (the fragment's start when the ACK names a later item) items
   * before `index` down to that PTS are marked too. Returns false when the fragment runs to the head
   * (still being assembled: the stream should drop frames until its next key frame).
   */
  skipFragment(index: number, startPts?: number): boolean {
    this.enter();
    this.checkIndex(index);
    const cap = this.itemCount;
    this.moveCurrent(index);
    if (startPts !== undefined && startPts !== this.ptsOf[index % cap]) {
      for (let j = index - 1; j >= this.tailIndex && this.ptsOf[j % cap] >= startPts; j--) this.markSkip(j);
    }
    const head = this.headIndex;
    for (let k = index; ; ) {
      this.markSkip(k);
      k++;
      if (k === head) {
        this.advanceCurrent(head);
        return false;
      }
      if (this.flagsOf[k % cap] & (FRAGMENT_START | STREAM_START | FRAGMENT_END)) {
        this.advanceCurrent(k);
        return true;
      }
    }
  }

  /** PIC `contentViewRemoveAll`: removes every item (reason REMOVED), the header slot and any reservation. */
  removeAll(): number {
    this.enter();
    this.dropReservation();
    this.pinned = -1;
    const removed = this.trimTo(this.headIndex, RemoveReason.REMOVED);
    this.leave();
    return removed;
  }

  /** Removes everything and gives the stream slot back to the store. Further calls throw. */
  free(): void {
    if (this.state === FREED) return;
    this.enter();
    this.dropReservation();
    this.pinned = -1;
    this.trimTo(this.headIndex, RemoveReason.REMOVED);
    this.state = FREED;
    this.owner.release(this);
    this.leave();
  }

  /**
   * Stores an MKV stream header (EBML + Segment + Info + Tracks) for the item at `index`, which
   * then starts a new session (STREAM_START): PIC's `streamStartFixupOnReconnect`, but the frame is
   * not copied — send {@link streamStartHeader} before {@link itemData}. One header slot per view; a
   * previous one is cleared. Returns false (and does nothing) when the item already starts a stream
   * in its own bytes. `STATUS_STORE_OUT_OF_MEMORY` if the store has no room (nothing is evicted).
   */
  setStreamStartHeader(index: number, header: Uint8Array | readonly Uint8Array[]): boolean {
    this.enter();
    this.checkIndex(index);
    const cap = this.itemCount;
    if (this.flagsOf[index % cap] & STREAM_START && this.headerIndex !== index) return false;
    const pieces: readonly Uint8Array[] = header instanceof Uint8Array ? [header] : header;
    let length = 0;
    if (!Array.isArray(pieces)) throw invalidArg('header must be a Uint8Array or an array of Uint8Array');
    for (const piece of pieces) {
      if (!(piece instanceof Uint8Array)) throw invalidArg('header pieces must be Uint8Array');
      length += piece.length;
    }
    if (length === 0) throw invalidArg('the stream-start header is empty');
    if (length > this.heap.maxPayload) throw tooLarge(length, this.heap.maxPayload);
    this.clearHeader();
    const block = this.heap.alloc(blockSizeFor(length));
    if (block === -1) throw outOfMemory(length);
    const bytes = this.heap.arenas[this.heap.allocArena].bytes;
    let at = block + BLOCK_HEADER;
    for (const piece of pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
    this.headerIndex = index;
    this.headerArena = this.heap.allocArena;
    this.headerBlock = block;
    this.headerLength = length;
    this.flagsOf[index % cap] |= STREAM_START | STREAM_START_DEBUG;
    this.overallBytes += length;
    if (index >= this.currentIndex) this.currentBytes += length;
    return true;
  }

  /** Frees the header slot and clears that item's STREAM_START (PIC `resetCurrentViewItemStreamStart`). */
  clearStreamStartHeader(): void {
    this.enter();
    this.clearHeader();
  }

  /** The header slot's bytes if `index` carries it, else undefined. A view, not a copy. */
  streamStartHeader(index: number): Uint8Array | undefined {
    if (index !== this.headerIndex || index === -1) return undefined;
    const start = this.headerBlock + BLOCK_HEADER;
    return this.heap.arenas[this.headerArena].bytes.subarray(start, start + this.headerLength);
  }

  /** The item's bytes: a view into store memory (no copy), valid until the item leaves the view. */
  itemData(index: number): Uint8Array {
    this.checkIndex(index);
    const s = index % this.itemCount;
    const start = this.blockOf[s] + BLOCK_HEADER;
    return this.heap.arenas[this.arenaOf[s]].bytes.subarray(start, start + this.lengthOf[s]);
  }

  /** Decoding timestamp of an item, µs. */
  itemDts(index: number): number {
    this.checkIndex(index);
    return this.dtsOf[index % this.itemCount];
  }

  /** Presentation ("ack") timestamp of an item, µs. */
  itemPts(index: number): number {
    this.checkIndex(index);
    return this.ptsOf[index % this.itemCount];
  }

  /**
   * The PTS the item was put with, µs. It differs from {@link itemPts} only for an in-flight item
   * that an eviction moved into a later slot (PIC keeps the slot's timestamps for ACK matching);
   * report frames by this one.
   */
  itemOwnPts(index: number): number {
    this.checkIndex(index);
    return this.ownPtsOf[index % this.itemCount];
  }

  /**
   * The fragment the item was put in: equal for two items exactly when no FRAGMENT_START item was
   * put between them (or at the later one). A counter that wraps at 2^32; compare for equality.
   */
  itemFragment(index: number): number {
    this.checkIndex(index);
    return this.fragmentOf[index % this.itemCount];
  }

  /**
   * The MKV stream the item was put in: a counter of STREAM_START items put (mod 2^32; a stream
   * start header added later by {@link setStreamStartHeader} does not count). Compare for equality.
   */
  itemStream(index: number): number {
    this.checkIndex(index);
    return this.streamOf[index % this.itemCount];
  }

  /** Duration of an item, µs. */
  itemDuration(index: number): number {
    this.checkIndex(index);
    return this.durationOf[index % this.itemCount];
  }

  /** Payload length of an item, bytes. */
  itemLength(index: number): number {
    this.checkIndex(index);
    return this.lengthOf[index % this.itemCount];
  }

  /** {@link ViewItemFlags} of an item. */
  itemFlags(index: number): ViewItemFlags {
    this.checkIndex(index);
    return this.flagsOf[index % this.itemCount] & PUBLIC_FLAGS;
  }

  /** All fields of an item, into `out` when given (no allocation). */
  item(index: number, out?: ViewItem): ViewItem {
    this.checkIndex(index);
    const s = index % this.itemCount;
    const o = out ?? { index: 0, dts: 0, pts: 0, duration: 0, length: 0, flags: 0 };
    o.index = index;
    o.dts = this.dtsOf[s];
    o.pts = this.ptsOf[s];
    o.duration = this.durationOf[s];
    o.length = this.lengthOf[s];
    o.flags = this.flagsOf[s] & PUBLIC_FLAGS;
    return o;
  }

  /** Sets flag bits on an item (e.g. BUFFERING_ACK/RECEIVED_ACK/PERSISTED_ACK from an ACK). */
  setFlags(index: number, bits: ViewItemFlags): void {
    this.checkIndex(index);
    this.flagsOf[index % this.itemCount] |= bits & PUBLIC_FLAGS;
    if (bits & BUFFERING_ACK && index > this.newestBuffering) this.newestBuffering = index;
  }

  /** Clears flag bits on an item (PIC clears BUFFERING/RECEIVED before a replay). */
  clearFlags(index: number, bits: ViewItemFlags): void {
    this.checkIndex(index);
    this.flagsOf[index % this.itemCount] &= ~(bits & PUBLIC_FLAGS);
  }

  /**
   * PIC `contentViewTimestampInRange`: whether `timestamp` lies between the tail item's start and
   * the newest item's end, by PTS (`byPts`, ACK matching) or by DTS.
   */
  timestampInRange(timestamp: number, byPts = true): boolean {
    if (this.headIndex === this.tailIndex) return false;
    const keys = byPts ? this.ptsOf : this.dtsOf;
    const cap = this.itemCount;
    const newest = (this.headIndex - 1) % cap;
    return timestamp >= keys[this.tailIndex % cap] && timestamp <= keys[newest] + this.durationOf[newest];
  }

  /**
   * PIC `contentViewGetItemWithTimestamp`: the item whose [ts, ts + duration] contains `timestamp`
   * (by PTS with `byPts`, as for ACKs; else by DTS), or -1 — first requiring
   * {@link timestampInRange}, as PIC does. When several items contain it the newest wins, so a
   * timestamp on a boundary maps to the item it starts. Binary search while the keys are in order
   * (DTS always; PTS unless B-frames reorder them in the window, then a scan from the head).
   * Unlike PIC, a miss returns -1 rather than a neighbouring item.
   */
  findItemByTimestamp(timestamp: number, byPts = true): number {
    if (!this.timestampInRange(timestamp, byPts)) return -1;
    const keys = byPts ? this.ptsOf : this.dtsOf;
    const durations = this.durationOf;
    const cap = this.itemCount;
    const tail = this.tailIndex;
    let from = this.headIndex - 1;
    let floor = -Infinity;
    if (!byPts || this.ptsDropAt <= tail) {
      // Keys ascend: start at the last item not after `timestamp`; nothing older than
      // `timestamp - maxDuration` can reach it.
      let lo = tail;
      let hi = from;
      from = -1;
      while (lo <= hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (keys[mid % cap] <= timestamp) {
          from = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      floor = timestamp - this.maxDuration;
    }
    for (let i = from; i >= tail; i--) {
      const key = keys[i % cap];
      if (key <= timestamp && timestamp <= key + durations[i % cap]) return i;
      if (key < floor) break;
    }
    return -1;
  }

  /**
   * PIC `checkForConnectionStaleness`: walks back from the last item handed out to the newest one
   * flagged BUFFERING_ACK; returns the DTS gap (µs, > 0) when it exceeds
   * `connectionStalenessDuration` (and counts a stale event), else 0. Disabled when the duration is 0.
   */
  checkConnectionStaleness(): number {
    const limit = this.connectionStalenessDuration;
    if (limit === 0 || this.currentIndex === this.tailIndex) return 0;
    const cap = this.itemCount;
    const last = this.currentIndex - 1;
    const lastDts = this.dtsOf[last % cap];
    // O(1) form of PIC's walk back: the newest BUFFERING-acknowledged item is tracked as flags are
    // set; no such item in [tail, last] means the walk would reach the tail.
    let b = this.newestBuffering;
    if (b > last) {
      // The newest BUFFERING ACK is past `last` (current was rolled back): walk back to the
      // newest one at or before it, as PIC does. Rare: only after rollbacks.
      for (b = last; b >= this.tailIndex && !(this.flagsOf[b % cap] & BUFFERING_ACK); b--);
    }
    if (b >= this.tailIndex && this.flagsOf[b % cap] & BUFFERING_ACK) {
      // PIC's walk stops at this item unless an item after it is already more than `limit` old.
      if (b === last || lastDts - this.dtsOf[b % cap] <= limit) return 0;
      const gap = lastDts - this.firstDtsAfterLimit(b + 1, last, lastDts - limit);
      if (gap <= limit) return 0;
      this.staleEvents++;
      return gap;
    }
    if (lastDts - this.dtsOf[this.tailIndex % cap] <= limit) return 0;
    const gap = lastDts - this.firstDtsAfterLimit(this.tailIndex, last, lastDts - limit);
    this.staleEvents++;
    return gap;
  }

  /**
   * DTS of the newest item in [from, to] whose DTS is below `threshold` (DTS never decreases, so a
   * binary search finds it), or of `from` when none is.
   */
  private firstDtsAfterLimit(from: number, to: number, threshold: number): number {
    const cap = this.itemCount;
    let lo = from;
    let hi = to;
    if (this.dtsOf[lo % cap] >= threshold) return this.dtsOf[lo % cap];
    while (lo < hi) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (this.dtsOf[mid % cap] < threshold) lo = mid;
      else hi = mid - 1;
    }
    return this.dtsOf[lo % cap];
  }

  /** current → head duration by PTS, µs (PIC `contentViewGetWindowDuration`, current part). */
  get currentViewDuration(): number {
    return this.currentIndex === this.headIndex ? 0 : this.durationFrom(this.currentIndex);
  }

  /** tail → head duration by PTS, µs. */
  get overallViewDuration(): number {
    return this.headIndex === this.tailIndex ? 0 : this.durationFrom(this.tailIndex);
  }

  /** Bytes from current to head (header slot included). */
  get currentViewSize(): number {
    return this.currentBytes;
  }

  /** Bytes from tail to head (header slot included). */
  get overallViewSize(): number {
    return this.overallBytes;
  }

  /** Remaining buffer duration, µs (what PIC passes to `bufferDurationOverflowPressureFn`). */
  get remainingBufferDuration(): number {
    const remaining = this.bufferDuration - this.overallViewDuration;
    return Math.max(remaining, 0);
  }

  /**
   * Whether a put of `length` bytes would succeed without evicting anything (PIC
   * `checkForAvailability`): the view has a free slot within its duration and the store has a
   * block that big. OFFLINE streams wait on this.
   */
  hasRoomFor(length: number): boolean {
    if (this.isFull() || length > this.heap.maxPayload) return false;
    return this.heap.canAlloc(blockSizeFor(length));
  }

  /**
   * Whether `count` puts of `bytes` in all, the newest ending at `endPts` µs, would all succeed
   * without evicting: `count` free slots, the window before the last of them still under the
   * buffer duration, and the store able to hold the largest of them (`largest` bytes) plus the
   * rest. Conservative (it takes every put to end at `endPts`); OFFLINE producers that put
   * several frames at once wait on it.
   */
  hasRoomForItems(count: number, bytes: number, largest: number, endPts: number): boolean {
    if (count <= 1) return this.hasRoomFor(bytes);
    const { tailIndex: tail, headIndex: head } = this;
    if (head - tail + count > this.itemCount) return false;
    if (head !== tail && endPts - this.ptsOf[tail % this.itemCount] >= this.bufferDuration) return false;
    if (largest > this.heap.maxPayload || !this.heap.canAlloc(blockSizeFor(largest))) return false;
    // And the total within the budget (each block rounds up by less than one minimum block).
    return this.owner.storageSize - this.heap.usedBytes >= bytes + count * 2 * blockSizeFor(0);
  }

  /** The view's share of PIC's `StreamMetrics`, into `out` when given. */
  metrics(out?: ContentViewMetrics): ContentViewMetrics {
    const m = out ?? ({} as ContentViewMetrics);
    m.currentViewDuration = this.currentViewDuration;
    m.overallViewDuration = this.overallViewDuration;
    m.currentViewSize = this.currentBytes;
    m.overallViewSize = this.overallBytes;
    m.currentViewItemCount = this.headIndex - this.currentIndex;
    m.overallViewItemCount = this.headIndex - this.tailIndex;
    m.droppedFrames = this.droppedFrames;
    m.droppedFragments = this.droppedFragments;
    m.skippedFrames = this.skippedFrames;
    m.storagePressures = this.storagePressures;
    m.bufferPressures = this.bufferPressures;
    m.latencyPressures = this.latencyPressures;
    m.staleEvents = this.staleEvents;
    return m;
  }

  /**
   * Verifies the view: cursor order, DTS order, pin, byte counters, block sizes against item
   * lengths. Calls `onBlock` for every block the view holds (items, header slot, reservation) so
   * the store can check that no block is shared or leaked. Throws `STATUS_INTERNAL_ERROR` on a
   * mismatch. O(items); for tests and diagnostics.
   */
  checkConsistency(onBlock?: (arena: number, block: number, size: number) => void): void {
    const { tailIndex: tail, currentIndex: current, headIndex: head } = this;
    const cap = this.itemCount;
    const fail = (what: string): never => {
      throw new KvsError('STATUS_INTERNAL_ERROR', `content view ${this.id}: ${what}`);
    };
    const visit = (arena: number, block: number, length: number, what: string): void => {
      const size = this.heap.arenas[arena].blockSize(block);
      const need = blockSizeFor(length);
      // The allocator hands out the whole block when the rest would be smaller than a block.
      if (size !== need && size !== need + 8) fail(`${what}: block of ${size} bytes for ${length} bytes`);
      onBlock?.(arena, block, size);
    };
    if (!(tail <= current && current <= head && head - tail <= cap)) fail(`cursors ${tail}/${current}/${head}`);
    if (this.pinned !== -1 && this.pinned !== current - 1) fail(`pin ${this.pinned} is not current - 1`);
    if (this.headerIndex !== -1 && (this.headerIndex < tail || this.headerIndex >= head)) fail('orphan header slot');
    let overall = 0;
    let pending = 0;
    for (let i = tail; i < head; i++) {
      const s = i % cap;
      const bytes = this.bytesAt(i);
      overall += bytes;
      if (i >= current) pending += bytes;
      if (this.lengthOf[s] === 0) fail(`item ${i} is empty`);
      if (i > tail && this.dtsOf[s] < this.dtsOf[(i - 1) % cap]) fail(`DTS goes back at ${i}`);
      if (i >= current && this.flagsOf[s] & HANDED_OUT) fail(`unsent item ${i} marked handed out`);
      visit(this.arenaOf[s], this.blockOf[s], this.lengthOf[s], `item ${i}`);
    }
    if (overall !== this.overallBytes) fail(`overall bytes ${this.overallBytes} ≠ ${overall}`);
    if (pending !== this.currentBytes) fail(`current bytes ${this.currentBytes} ≠ ${pending}`);
    if (this.headerIndex !== -1) visit(this.headerArena, this.headerBlock, this.headerLength, 'header slot');
    if (this.resBlock !== -1) visit(this.resArena, this.resBlock, this.resLength, 'reservation');
  }

  // ---- internals -------------------------------------------------------------------------

  private enter(): void {
    if (this.state !== ACTIVE) {
      throw this.state === FREED
        ? new KvsError('STATUS_INVALID_HANDLE_ERROR', `content view ${this.id} has been freed`)
        : invalidOperation('a content view cannot be changed from its onRemove callback');
    }
  }

  /** Rethrows an onRemove error once the operation is complete. */
  private leave(): void {
    if (this.hasCallbackError) {
      const cause = this.callbackError;
      this.hasCallbackError = false;
      this.callbackError = undefined;
      throw new KvsError('STATUS_INTERNAL_ERROR', 'onRemove threw (the operation itself completed)', { cause });
    }
  }

  private checkIndex(index: number): void {
    if (!(index >= this.tailIndex && index < this.headIndex) || !Number.isInteger(index)) {
      throw new KvsError(
        'STATUS_CONTENT_VIEW_INVALID_INDEX',
        `no item ${index} in view ${this.id} (items ${this.tailIndex}…${this.headIndex - 1})`,
      );
    }
  }

  /** Validates a new item and allocates its block (pressure eviction included); sets res*. */
  private prepare(dts: number, pts: number, duration: number, flags: number, length: number): void {
    if (this.resBlock !== -1) throw invalidOperation('a reservation is pending: commit or cancel it first');
    if (!(dts >= 0 && dts < Infinity && pts >= 0 && pts < Infinity && duration >= 0 && duration < Infinity)) {
      throw invalidArg(`timestamps must be finite and ≥ 0 µs (dts ${dts}, pts ${pts}, duration ${duration})`);
    }
    if (!(flags >= 0 && flags <= PUBLIC_FLAGS) || (flags | 0) !== flags) throw invalidArg(`bad item flags ${flags}`);
    // contentViewAddItem: length 0 → STATUS_INVALID_CONTENT_VIEW_LENGTH.
    if (length === 0) throw new KvsError('STATUS_INVALID_CONTENT_VIEW_LENGTH', 'a view item needs at least one byte');
    // contentViewAddItem: ts < head.ts → STATUS_CONTENT_VIEW_INVALID_TIMESTAMP.
    if (this.headIndex !== this.tailIndex) {
      const newest = this.dtsOf[(this.headIndex - 1) % this.itemCount];
      if (dts < newest) {
        throw new KvsError(
          'STATUS_CONTENT_VIEW_INVALID_TIMESTAMP',
          `DTS ${dts} µs is before the previous item's ${newest} µs (DTS must not decrease)`,
        );
      }
    }
    const heap = this.heap;
    if (length > heap.maxPayload) throw tooLarge(length, heap.maxPayload);
    const need = blockSizeFor(length);
    if (this.streamingType === StreamingType.OFFLINE && (this.isFull() || !heap.canAlloc(need))) {
      throw outOfMemory(length, 'the OFFLINE view is full; wait for ACKs to trim it');
    }
    let block = heap.alloc(need);
    if (block === -1) {
      if (this.pressurePolicy === ContentStorePressurePolicy.OOM) throw outOfMemory(length);
      // handleAvailability with DROP_TAIL_ITEM: evict by the overflow policy until it fits.
      while (block === -1) {
        if (this.trimTailItems(RemoveReason.STORAGE_PRESSURE) === 0) {
          this.hasCallbackError = false;
          throw outOfMemory(length, 'even after evicting this stream’s evictable items');
        }
        block = heap.alloc(need);
      }
    }
    this.resBlock = block;
    this.resArena = heap.allocArena;
    this.resLength = length;
    this.resDts = dts;
    this.resPts = pts;
    this.resDuration = duration;
    this.resFlags = flags;
  }

  private commitPrepared(): number {
    // contentViewAddItem → contentViewCheckAvailability → contentViewTrimTailItems.
    if (this.isFull()) this.trimTailItems(RemoveReason.VIEW_OVERFLOW);
    if (this.headIndex - this.tailIndex >= this.itemCount) {
      throw new KvsError('STATUS_INTERNAL_ERROR', 'view still full after eviction');
    }
    const s = this.headIndex % this.itemCount;
    if (this.headIndex > this.tailIndex && this.resPts < this.ptsOf[(this.headIndex - 1) % this.itemCount]) {
      this.ptsDropAt = this.headIndex;
    }
    if (this.resDuration > this.maxDuration) this.maxDuration = this.resDuration;
    this.dtsOf[s] = this.resDts;
    this.ptsOf[s] = this.resPts;
    this.ownPtsOf[s] = this.resPts;
    if (this.resFlags & FRAGMENT_START) this.fragmentSeq = (this.fragmentSeq + 1) >>> 0;
    this.fragmentOf[s] = this.fragmentSeq;
    if (this.resFlags & STREAM_START) this.streamSeq = (this.streamSeq + 1) >>> 0;
    this.streamOf[s] = this.streamSeq;
    this.durationOf[s] = this.resDuration;
    this.lengthOf[s] = this.resLength;
    this.blockOf[s] = this.resBlock;
    this.arenaOf[s] = this.resArena;
    this.flagsOf[s] = this.resFlags;
    this.headIndex++;
    this.overallBytes += this.resLength;
    this.currentBytes += this.resLength;
    this.resBlock = -1;
    const signals = this.pressureSignals();
    this.leave();
    return signals;
  }

  /**
   * PIC's putFrame notifications. Unlike PIC they are all evaluated after the item is added, and a
   * window longer than the buffer counts as no remaining duration (PIC's unsigned subtraction wraps).
   */
  private pressureSignals(): number {
    let signals = 0;
    if (this.streamingType !== StreamingType.OFFLINE) {
      const limit = this.owner.storageSize;
      const remaining = limit - this.heap.usedBytes;
      if (Math.floor((remaining / limit) * 100) <= STORAGE_PRESSURE_NOTIFICATION_THRESHOLD) {
        signals |= PressureSignal.STORAGE;
        this.storagePressures++;
      }
      if (this.retentionPeriod !== 0) {
        const left = this.remainingBufferDuration;
        if (Math.floor((left / this.bufferDuration) * 100) <= BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD) {
          signals |= PressureSignal.BUFFER_DURATION;
          this.bufferPressures++;
        }
      }
    }
    if (this.maxLatency !== 0 && this.currentViewDuration > this.maxLatency) {
      signals |= PressureSignal.LATENCY;
      this.latencyPressures++;
    }
    return signals;
  }

  /** contentViewCheckAvailability: full by item count, or by the PTS window reaching the buffer duration. */
  private isFull(): boolean {
    const { tailIndex: tail, headIndex: head } = this;
    if (head === tail) return false;
    return head - tail >= this.itemCount || this.durationFrom(tail) >= this.bufferDuration;
  }

  private durationFrom(index: number): number {
    const cap = this.itemCount;
    const newest = (this.headIndex - 1) % cap;
    const d = this.ptsOf[newest] + this.durationOf[newest] - this.ptsOf[index % cap];
    return Math.max(d, 0);
  }

  /**
   * contentViewTrimTailItems: one eviction step by the overflow policy. The in-flight item is never
   * removed: as in PIC it moves into the slot of the last evicted item and becomes the tail.
   * Returns the number of items removed.
   */
  private trimTailItems(reason: RemoveReason): number {
    if (this.headIndex === this.tailIndex) return 0;
    const pin = this.pinned;
    const cap = this.itemCount;
    if (this.overflowPolicy === ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM) {
      if (this.tailIndex !== pin) {
        this.removeTail(reason);
        if (this.currentIndex < this.tailIndex) this.currentIndex = this.tailIndex;
        return 1;
      }
      if (pin + 1 === this.headIndex) return 0;
      // The item after the in-flight one goes; the in-flight one takes its slot.
      const victim = pin + 1;
      this.removeAt(victim, reason);
      this.moveItem(pin, victim);
      this.tailIndex = victim;
      this.currentIndex = victim + 1;
      this.pinned = victim;
      return 1;
    }
    let dropped = 0;
    do {
      if (this.tailIndex !== pin) {
        this.removeTail(reason);
        dropped++;
      } else {
        this.tailIndex++;
      }
    } while (
      this.tailIndex !== this.headIndex &&
      (dropped === 0 || !(this.flagsOf[this.tailIndex % cap] & FRAGMENT_START))
    );
    if (this.currentIndex <= this.tailIndex) {
      this.currentIndex = this.tailIndex;
      if (pin !== -1 && pin < this.tailIndex) {
        this.tailIndex--;
        if (this.tailIndex !== pin) this.moveItem(pin, this.tailIndex);
        this.currentIndex = this.tailIndex + 1;
        this.pinned = this.tailIndex;
      }
    }
    return dropped;
  }

  /** Removes from the tail up to `index` (stopping at the pin); moves current up if passed. */
  private trimTo(index: number, reason: RemoveReason): number {
    const stop = this.pinned !== -1 && this.pinned < index ? this.pinned : index;
    let removed = 0;
    while (this.tailIndex < stop) {
      this.removeTail(reason);
      removed++;
    }
    if (this.currentIndex < this.tailIndex) this.currentIndex = this.tailIndex;
    return removed;
  }

  private removeTail(reason: RemoveReason): void {
    const index = this.tailIndex;
    this.tailIndex = index + 1;
    this.removeAt(index, reason);
  }

  /** Frees one item's memory, updates counters and reports it. Cursors are the caller's job. */
  private removeAt(index: number, reason: RemoveReason): void {
    const s = index % this.itemCount;
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
    if (index >= this.currentIndex) this.currentBytes -= bytes;
    this.heap.free(this.arenaOf[s], this.blockOf[s]);
    if (!sent && !(flags & SKIP_ITEM) && reason !== RemoveReason.ACKED) {
      if (this.streamingType === StreamingType.NEAR_REALTIME) this.droppedFragments++;
      else this.droppedFrames++;
    }
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
      if (!this.hasCallbackError) {
        this.hasCallbackError = true;
        this.callbackError = error;
      }
    } finally {
      this.state = ACTIVE;
    }
  }

  /** Re-homes an item's bytes and flags into another slot, keeping that slot's timestamps (PIC). */
  private moveItem(from: number, to: number): void {
    const cap = this.itemCount;
    const f = from % cap;
    const t = to % cap;
    this.blockOf[t] = this.blockOf[f];
    this.arenaOf[t] = this.arenaOf[f];
    this.lengthOf[t] = this.lengthOf[f];
    this.flagsOf[t] = this.flagsOf[f];
    this.ownPtsOf[t] = this.ownPtsOf[f];
    this.fragmentOf[t] = this.fragmentOf[f];
    this.streamOf[t] = this.streamOf[f];
    if (this.headerIndex === from) this.headerIndex = to;
  }

  /** Moves current forward to `index`, keeping the pending byte count. */
  private advanceCurrent(index: number): void {
    let bytes = 0;
    for (let i = this.currentIndex; i < index; i++) bytes += this.bytesAt(i);
    this.currentBytes -= bytes;
    this.currentIndex = index;
  }

  /** Moves current anywhere in [tail, head], unpinning; items it moves back over become unsent. */
  private moveCurrent(index: number): void {
    this.pinned = -1;
    if (index >= this.currentIndex) {
      this.advanceCurrent(index);
      return;
    }
    const cap = this.itemCount;
    let bytes = 0;
    for (let i = index; i < this.currentIndex; i++) {
      bytes += this.bytesAt(i);
      this.flagsOf[i % cap] &= ~HANDED_OUT;
    }
    this.currentBytes += bytes;
    this.currentIndex = index;
  }

  private bytesAt(index: number): number {
    const length = this.lengthOf[index % this.itemCount];
    return index === this.headerIndex ? length + this.headerLength : length;
  }

  private markSkip(index: number): void {
    const s = index % this.itemCount;
    if (!(this.flagsOf[s] & SKIP_ITEM)) {
      this.flagsOf[s] |= SKIP_ITEM;
      this.skippedFrames++;
    }
  }

  private clearHeader(): void {
    const index = this.headerIndex;
    if (index === -1) return;
    this.heap.free(this.headerArena, this.headerBlock);
    this.overallBytes -= this.headerLength;
    if (index >= this.currentIndex) this.currentBytes -= this.headerLength;
    this.flagsOf[index % this.itemCount] &= ~STREAM_START;
    this.headerIndex = -1;
    this.headerBlock = -1;
    this.headerLength = 0;
  }

  private dropReservation(): void {
    if (this.resBlock === -1) return;
    this.heap.free(this.resArena, this.resBlock);
    this.resBlock = -1;
  }
}

function isEnumValue(table: Record<string, number>, value: unknown): boolean {
  for (const key in table) if (table[key] === value) return true;
  return false;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidArg(`${name} must be ≥ 0 µs, got ${value}`);
  return value;
}

function invalidArg(message: string): KvsError {
  return new KvsError('STATUS_INVALID_ARG', message);
}

function invalidOperation(message: string): KvsError {
  return new KvsError('STATUS_INVALID_OPERATION', message);
}

function outOfMemory(length: number, why = 'no block that big is free'): KvsError {
  return new KvsError('STATUS_STORE_OUT_OF_MEMORY', `no room for ${length} bytes in the content store: ${why}`);
}

function tooLarge(length: number, max: number): KvsError {
  return new KvsError(
    'STATUS_INVALID_ALLOCATION_SIZE',
    `${length} bytes exceed the largest item the store can hold (${max})`,
  );
}
