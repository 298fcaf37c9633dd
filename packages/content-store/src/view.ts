// ContentView, the public face of one stream's rolling content view (PIC's RollingContentView,
// `ContentView.c`): it checks arguments and applies each rule to its ItemRing (ring.ts) through
// the module that owns the job (see index.ts). Departures from PIC say "Unlike PIC";
// docs/decisions/content-store.md lists them.
import { addAdmitted, admitItem } from './admission';
import { byteLength, writeBytes } from './bytes';
import { checkRing } from './consistency';
import {
  type ContentStorePressurePolicy,
  type ContentViewOverflowPolicy,
  ItemBoundary,
  RemoveReason,
  type StreamingType,
  ViewItemFlags,
} from './constants';
import { invalidArg, invalidOperation, tooLarge } from './errors';
import { BLOCK_HEADER, type Heap } from './heap';
import { connectionStaleness, findItemByTimestamp, rollbackTarget, timestampInRange } from './lookup';
import { isEnumValue, resolveViewOptions } from './options';
import {
  currentDuration,
  fillMetrics,
  hasRoomFor,
  hasRoomForItems,
  overallDuration,
  remainingDuration,
} from './pressure';
import { ItemRing, RING_BYTES_PER_ITEM, RingFlags, RingState } from './ring';
import type { ContentViewMetrics, ContentViewOptions, DroppedItemReport, ViewItem } from './types';
import { GiveUp, giveUp, giveUpUntil, persistedEnd, skipFragment } from './walks';

// Read once: imported bindings are getters in CommonJS transpiles (see RingFlags).
const { STREAM_START, BUFFERING_ACK, SKIP_ITEM } = ViewItemFlags;
const { SESSION_START, FRAGMENT_LIMIT, FRAGMENT_EDGE } = ItemBoundary;
const { HANDED_OUT, PUBLIC_FLAGS } = RingFlags;
const { FREED } = RingState;
const { ACKED, REMOVED } = RemoveReason;
/** An item's bytes start after its block header. */
const DATA_OFFSET = BLOCK_HEADER;

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
  private readonly ring: ItemRing;

  /** @internal Use {@link ContentStore.createView}. */
  constructor(owner: ViewOwner, id: number, options: ContentViewOptions) {
    const o = resolveViewOptions(options);
    this.owner = owner;
    this.heap = owner.heap;
    this.id = id;
    this.itemCount = o.itemCount;
    this.bufferDuration = o.bufferDuration;
    this.streamingType = o.streamingType;
    this.overflowPolicy = o.overflowPolicy;
    this.pressurePolicy = o.pressurePolicy;
    this.maxLatency = o.maxLatency;
    this.connectionStalenessDuration = o.connectionStalenessDuration;
    this.retentionPeriod = o.retentionPeriod;
    this.ring = new ItemRing(id, o.itemCount, owner.heap, o.streamingType, o.onRemove);
  }

  /** Oldest kept item. */
  get tail(): number {
    return this.ring.tail;
  }

  /** Next item to send. */
  get current(): number {
    return this.ring.current;
  }

  /** One past the newest item. */
  get head(): number {
    return this.ring.head;
  }

  /** The item pinned by {@link getNext} (its bytes may be on the wire), or -1. */
  get inFlight(): number {
    return this.ring.pinned;
  }

  /** Bytes of this view's item ring (PIC's view allocation size; outside the store budget). */
  get ringSize(): number {
    return this.itemCount * RING_BYTES_PER_ITEM;
  }

  // ---- adding items ----------------------------------------------------------------------

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
    const r = this.ring;
    r.enter();
    // One view is the common case: measured and copied inline.
    const single = data instanceof Uint8Array;
    admitItem(r, this, dts, pts, duration, flags, single ? data.length : byteLength(data, 'data'));
    const bytes = this.heap.arenas[r.resArena].bytes;
    if (single) bytes.set(data, r.resBlock + DATA_OFFSET);
    else writeBytes(bytes, r.resBlock + DATA_OFFSET, data);
    return this.addAdmitted();
  }

  /**
   * First half of a zero-copy put: validates like {@link put}, makes room, and returns a writable
   * view of `length` bytes in store memory to fill before {@link commit}. One reservation at a time;
   * {@link cancelReservation} gives it back.
   */
  reserve(dts: number, pts: number, duration: number, flags: ViewItemFlags, length: number): Uint8Array {
    const r = this.ring;
    r.enter();
    if (!Number.isInteger(length) || length < 0)
      throw invalidArg(`length must be a non-negative integer, got ${length}`);
    admitItem(r, this, dts, pts, duration, flags, length);
    const start = r.resBlock + DATA_OFFSET;
    return this.heap.arenas[r.resArena].bytes.subarray(start, start + length);
  }

  /** Appends the reserved item; returns {@link PressureSignal} bits, like {@link put}. */
  commit(): number {
    this.ring.enter();
    if (this.ring.resBlock === -1) throw invalidOperation('nothing reserved');
    return this.addAdmitted();
  }

  /** Frees a reservation made by {@link reserve} (no-op without one). */
  cancelReservation(): void {
    const r = this.ring;
    r.enter();
    r.dropAdmitted();
    r.leave();
  }

  // ---- sending and cursors ---------------------------------------------------------------

  /**
   * PIC `contentViewGetNext` as the stream's sender uses it (`getNextViewItem`): skips SKIP_ITEM
   * items, returns the index of the next item to send and advances `current` past it, or returns
   * -1 when nothing is left. The returned item is pinned in flight; the previous pin is released.
   * With `toBoundary`, also skips to the next {@link ItemBoundary.FRAGMENT_EDGE} (PIC
   * `getNextBoundaryViewItem`, used when a session starts); the items passed over count as unsent.
   */
  getNext(toBoundary = false): number {
    const r = this.ring;
    r.enter();
    const flags = r.flagsOf;
    const cap = r.cap;
    const head = r.head;
    let i = r.current;
    while (i < head) {
      const f = flags[i % cap];
      if (!(f & SKIP_ITEM) && (!toBoundary || f & FRAGMENT_EDGE)) break;
      i++;
    }
    r.pinned = -1;
    if (i === head) {
      r.advanceCurrent(head);
      return -1;
    }
    r.advanceCurrent(i + 1);
    flags[i % cap] |= HANDED_OUT;
    r.pinned = i;
    return i;
  }

  /** Unpins the in-flight item (its bytes have left), so eviction may take it like any other. */
  releaseInFlight(): void {
    this.ring.enter();
    this.ring.pinned = -1;
  }

  /** PIC `contentViewSetCurrentIndex`: tail ≤ `index` ≤ head, else `STATUS_CONTENT_VIEW_INVALID_INDEX`. Unpins. */
  setCurrent(index: number): void {
    const r = this.ring;
    r.enter();
    r.checkCursor(index, 'current');
    r.moveCurrent(index);
  }

  /** PIC `contentViewResetCurrent`: current = tail (OFFLINE reconnects resend everything). Unpins. */
  resetCurrent(): void {
    const r = this.ring;
    r.enter();
    r.moveCurrent(r.tail);
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
    const r = this.ring;
    r.enter();
    const target = this.rollbackTarget(duration, keyFrame, lastReceivedAck);
    r.pinned = -1;
    if (target !== r.current) r.moveCurrent(target);
    return target;
  }

  /** Where {@link rollbackCurrent} would move current, without moving it. */
  rollbackTarget(duration: number, keyFrame = true, lastReceivedAck = false): number {
    if (!Number.isFinite(duration) || duration < 0) throw invalidArg(`duration must be ≥ 0 µs, got ${duration}`);
    return rollbackTarget(this.ring, duration, keyFrame, lastReceivedAck);
  }

  // ---- trimming and giving up ------------------------------------------------------------

  /**
   * PIC `contentViewTrimTail`: removes items from the tail up to (not including) `index`
   * (tail ≤ index ≤ head), reporting them with `reason` (default ACKED). Unlike PIC the trim stops
   * at the in-flight item, and current, if it was below `index`, lands on the new tail (PIC leaves
   * it one past). Returns the number of items removed.
   */
  trimTail(index: number, reason: RemoveReason = RemoveReason.ACKED): number {
    const r = this.ring;
    r.enter();
    r.checkCursor(index, 'trim index');
    if (!isEnumValue(RemoveReason, reason)) throw invalidArg(`unknown reason ${reason}`);
    const removed = r.trimTo(index, reason);
    r.leave();
    return removed;
  }

  /**
   * The view half of PIC's PERSISTED ACK handling (`streamFragmentPersistedAck`): from the item at
   * `index` (the acknowledged fragment's start) finds the next {@link ItemBoundary.FRAGMENT_EDGE},
   * skipping SKIP_ITEM items and fragments already flagged PERSISTED_ACK, and trims the tail up to
   * it (an EoFR boundary item goes too). Nothing is trimmed while the next fragment has not
   * started. Flag the item first ({@link setFlags}); returns the number of items removed. As
   * {@link trimTail}, current below the trim lands on the new tail.
   */
  trimToNextFragment(index: number): number {
    const r = this.ring;
    r.enter();
    r.check(index);
    const end = persistedEnd(r, index);
    if (end === -1) return 0;
    const removed = r.trimTo(end, ACKED);
    r.leave();
    return removed;
  }

  /**
   * Gives up an item that was not delivered and never will be whole (the start of its fragment was
   * evicted, or a dropped connection cut it off and the replay does not reach it): marks it
   * SKIP_ITEM, counts it dropped in the metrics, as an eviction would, and calls `report` with
   * its own PTS and whether it starts a fragment. Returns false, changing nothing, when it has a
   * RECEIVED or PERSISTED ACK (the service has it) or is SKIP_ITEM already.
   */
  dropItem(index: number, report?: DroppedItemReport): boolean {
    const r = this.ring;
    r.enter();
    r.check(index);
    checkReport(report);
    const dropped = giveUp(r, index, GiveUp.DROPPED, report);
    r.leave();
    return dropped;
  }

  /**
   * Gives up ({@link dropItem}) every item from `from` (tail ≤ from ≤ head) up to the next
   * {@link ItemBoundary.SESSION_START} item that is not SKIP_ITEM, or the head: a connection can
   * only start at such an item, and the items in front of it lost their cluster start. Then moves
   * current there as {@link setCurrent} does, unless it is there already. Returns that index.
   */
  dropUntilFragmentStart(from: number, report?: DroppedItemReport): number {
    const r = this.ring;
    r.enter();
    r.checkCursor(from, 'from');
    checkReport(report);
    const index = giveUpUntil(r, from, SESSION_START, GiveUp.DROPPED, report);
    if (index !== r.current) r.moveCurrent(index);
    r.leave();
    return index;
  }

  /**
   * The view half of PIC's non-retriable ERROR ACK (`streamFragmentErrorAck`): marks the fragment
   * starting at `index` SKIP_ITEM up to the next {@link ItemBoundary.FRAGMENT_LIMIT}, and moves
   * current there. With `startPts` (the fragment's start when the ACK names a later item) items
   * before `index` down to that PTS are marked too. Counted in `skippedFrames`. Returns false when
   * the fragment runs to the head (still being assembled: the stream should drop frames until its
   * next key frame).
   */
  skipFragment(index: number, startPts?: number): boolean {
    const r = this.ring;
    r.enter();
    r.check(index);
    return skipFragment(r, index, startPts);
  }

  /**
   * {@link skipFragment} for an ERROR ACK on a connection that is not the one sending: marks the
   * fragment starting at `index` SKIP_ITEM up to the next {@link ItemBoundary.FRAGMENT_LIMIT} (or
   * the head) and counts it in `skippedFrames`, but moves no cursor and keeps the pin, which
   * belong to the sending connection.
   */
  markFragmentSkipped(index: number): void {
    const r = this.ring;
    r.enter();
    r.check(index);
    giveUpUntil(r, index, FRAGMENT_LIMIT, GiveUp.SKIPPED);
  }

  /** PIC `contentViewRemoveAll`: removes every item (reason REMOVED), the header slot and any reservation. */
  removeAll(): number {
    const r = this.ring;
    r.enter();
    r.dropAdmitted();
    r.pinned = -1;
    const removed = r.trimTo(r.head, REMOVED);
    r.leave();
    return removed;
  }

  /** Removes everything and gives the stream slot back to the store. Further calls throw. */
  free(): void {
    const r = this.ring;
    if (r.state === FREED) return;
    r.enter();
    r.dropAdmitted();
    r.pinned = -1;
    r.trimTo(r.head, REMOVED);
    r.state = FREED;
    this.owner.release(this);
    r.leave();
  }

  // ---- the stream-start header slot ------------------------------------------------------

  /**
   * Stores an MKV stream header (EBML + Segment + Info + Tracks) for the item at `index`, which
   * then starts a new session (STREAM_START): PIC's `streamStartFixupOnReconnect`, but the frame is
   * not copied — send {@link streamStartHeader} before {@link itemData}. One header slot per view; a
   * previous one is cleared. Returns false (and does nothing) when the item already starts a stream
   * in its own bytes. `STATUS_STORE_OUT_OF_MEMORY` if the store has no room (nothing is evicted).
   */
  setStreamStartHeader(index: number, header: Uint8Array | readonly Uint8Array[]): boolean {
    const r = this.ring;
    r.enter();
    r.check(index);
    if (r.flagsOf[index % r.cap] & STREAM_START && r.headerIndex !== index) return false;
    const length = byteLength(header, 'header');
    if (length === 0) throw invalidArg('the stream-start header is empty');
    if (length > this.heap.maxPayload) throw tooLarge(length, this.heap.maxPayload);
    r.setHeader(index, header, length);
    return true;
  }

  /** Frees the header slot and clears that item's STREAM_START (PIC `resetCurrentViewItemStreamStart`). */
  clearStreamStartHeader(): void {
    this.ring.enter();
    this.ring.clearHeader();
  }

  /** The header slot's bytes if `index` carries it, else undefined. A view, not a copy. */
  streamStartHeader(index: number): Uint8Array | undefined {
    const r = this.ring;
    if (index !== r.headerIndex || index === -1) return undefined;
    const start = r.headerBlock + DATA_OFFSET;
    return this.heap.arenas[r.headerArena].bytes.subarray(start, start + r.headerLength);
  }

  // ---- items -----------------------------------------------------------------------------

  /** The item's bytes: a view into store memory (no copy), valid until the item leaves the view. */
  itemData(index: number): Uint8Array {
    const r = this.ring;
    r.check(index);
    const s = index % r.cap;
    const start = r.blockOf[s] + DATA_OFFSET;
    return this.heap.arenas[r.arenaOf[s]].bytes.subarray(start, start + r.lengthOf[s]);
  }

  /** Decoding timestamp of an item, µs. */
  itemDts(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.dtsOf[index % r.cap];
  }

  /** Presentation ("ack") timestamp of an item, µs. */
  itemPts(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.ptsOf[index % r.cap];
  }

  /**
   * The PTS the item was put with, µs. It differs from {@link itemPts} only for an in-flight item
   * that an eviction moved into a later slot (PIC keeps the slot's timestamps for ACK matching);
   * report frames by this one.
   */
  itemOwnPts(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.ownPtsOf[index % r.cap];
  }

  /**
   * The fragment the item was put in: equal for two items exactly when no FRAGMENT_START item was
   * put between them (or at the later one). A counter that wraps at 2^32; compare for equality.
   */
  itemFragment(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.fragmentOf[index % r.cap];
  }

  /**
   * The MKV stream the item was put in: a counter of STREAM_START items put (mod 2^32; a stream
   * start header added later by {@link setStreamStartHeader} does not count). Compare for equality.
   */
  itemStream(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.streamOf[index % r.cap];
  }

  /** Duration of an item, µs. */
  itemDuration(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.durationOf[index % r.cap];
  }

  /** Payload length of an item, bytes. */
  itemLength(index: number): number {
    const r = this.ring;
    r.check(index);
    return r.lengthOf[index % r.cap];
  }

  /** {@link ViewItemFlags} of an item. */
  itemFlags(index: number): ViewItemFlags {
    const r = this.ring;
    r.check(index);
    return r.flagsOf[index % r.cap] & PUBLIC_FLAGS;
  }

  /** All fields of an item, into `out` when given (no allocation). */
  item(index: number, out?: ViewItem): ViewItem {
    const r = this.ring;
    r.check(index);
    const s = index % r.cap;
    const o = out ?? { index: 0, dts: 0, pts: 0, duration: 0, length: 0, flags: 0 };
    o.index = index;
    o.dts = r.dtsOf[s];
    o.pts = r.ptsOf[s];
    o.duration = r.durationOf[s];
    o.length = r.lengthOf[s];
    o.flags = r.flagsOf[s] & PUBLIC_FLAGS;
    return o;
  }

  /** Sets flag bits on an item (e.g. BUFFERING_ACK/RECEIVED_ACK/PERSISTED_ACK from an ACK). */
  setFlags(index: number, bits: ViewItemFlags): void {
    const r = this.ring;
    r.check(index);
    r.flagsOf[index % r.cap] |= bits & PUBLIC_FLAGS;
    if (bits & BUFFERING_ACK && index > r.newestBuffering) r.newestBuffering = index;
  }

  /** Clears flag bits on an item (PIC clears BUFFERING/RECEIVED before a replay). */
  clearFlags(index: number, bits: ViewItemFlags): void {
    const r = this.ring;
    r.check(index);
    r.flagsOf[index % r.cap] &= ~(bits & PUBLIC_FLAGS);
  }

  // ---- lookups ---------------------------------------------------------------------------

  /**
   * PIC `contentViewTimestampInRange`: whether `timestamp` lies between the tail item's start and
   * the newest item's end, by PTS (`byPts`, ACK matching) or by DTS.
   */
  timestampInRange(timestamp: number, byPts = true): boolean {
    return timestampInRange(this.ring, timestamp, byPts);
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
    return findItemByTimestamp(this.ring, timestamp, byPts);
  }

  /**
   * PIC `checkForConnectionStaleness`: walks back from the last item handed out to the newest one
   * flagged BUFFERING_ACK; returns the DTS gap (µs, > 0) when it exceeds
   * `connectionStalenessDuration` (and counts a stale event), else 0. Disabled when the duration is 0.
   */
  checkConnectionStaleness(): number {
    const limit = this.connectionStalenessDuration;
    return limit === 0 ? 0 : connectionStaleness(this.ring, limit);
  }

  // ---- window, room and metrics ----------------------------------------------------------

  /** current → head duration by PTS, µs (PIC `contentViewGetWindowDuration`, current part). */
  get currentViewDuration(): number {
    return currentDuration(this.ring);
  }

  /** tail → head duration by PTS, µs. */
  get overallViewDuration(): number {
    return overallDuration(this.ring);
  }

  /** Bytes from current to head (header slot included). */
  get currentViewSize(): number {
    return this.ring.currentBytes;
  }

  /** Bytes from tail to head (header slot included). */
  get overallViewSize(): number {
    return this.ring.overallBytes;
  }

  /** Remaining buffer duration, µs (what PIC passes to `bufferDurationOverflowPressureFn`). */
  get remainingBufferDuration(): number {
    return remainingDuration(this.ring, this.bufferDuration);
  }

  /**
   * Whether a put of `length` bytes would succeed without evicting anything (PIC
   * `checkForAvailability`): the view has a free slot within its duration and the store has a
   * block that big. OFFLINE streams wait on this.
   */
  hasRoomFor(length: number): boolean {
    return hasRoomFor(this.ring, this.bufferDuration, length);
  }

  /**
   * Whether `count` puts of `bytes` in all, the newest ending at `endPts` µs, would all succeed
   * without evicting: `count` free slots, the window before the last of them still under the
   * buffer duration, and the store able to hold the largest of them (`largest` bytes) plus the
   * rest. Conservative (it takes every put to end at `endPts`); OFFLINE producers that put
   * several frames at once wait on it.
   */
  hasRoomForItems(count: number, bytes: number, largest: number, endPts: number): boolean {
    return hasRoomForItems(this.ring, this.bufferDuration, this.owner.storageSize, count, bytes, largest, endPts);
  }

  /** The view's share of PIC's `StreamMetrics`, into `out` when given. */
  metrics(out?: ContentViewMetrics): ContentViewMetrics {
    return fillMetrics(this.ring, out ?? ({} as ContentViewMetrics));
  }

  /**
   * Verifies the view: cursor order, DTS order, pin, byte counters, block sizes against item
   * lengths. Calls `onBlock` for every block the view holds (items, header slot, reservation) so
   * the store can check that no block is shared or leaked. Throws `STATUS_INTERNAL_ERROR` on a
   * mismatch. O(items); for tests and diagnostics.
   */
  checkConsistency(onBlock?: (arena: number, block: number, size: number) => void): void {
    checkRing(this.ring, onBlock);
  }

  // ---- internals -------------------------------------------------------------------------

  /** Adds the admitted item (admission.ts), then rethrows a callback's error. */
  private addAdmitted(): number {
    const signals = addAdmitted(this.ring, this, this.owner.storageSize);
    this.ring.leave();
    return signals;
  }
}

function checkReport(report: DroppedItemReport | undefined): void {
  if (report !== undefined && typeof report !== 'function') throw invalidArg('report must be a function');
}
