// Focused tests, one PIC rule or status code each. "§1.2" etc. refer to the project's notes on
// PIC (anchors-aws.md §1.2 content view, §1.4 upload handles, §1.5 ACKs, §1.6 recovery); the
// function names are PIC's (ContentView.c, Stream.c), which a reader can open in AWS's PIC.
import { describe, expect, it } from 'vitest';
import {
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  PressureSignal,
  RemoveReason,
  StreamingType,
  ViewItemFlags,
} from '../src/index';
import { FRAME, frameBytes, indices, MIB, putFrames, sameBytes, setup } from './helpers';

const { FRAGMENT_START, FRAGMENT_END, STREAM_START, RECEIVED_ACK, PERSISTED_ACK, SKIP_ITEM, BUFFERING_ACK } =
  ViewItemFlags;
const DROP_TAIL_VIEW_ITEM = ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM;
const DROP_UNTIL_FRAGMENT_START = ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START;

describe('ContentView: creation', () => {
  it('needs more than 10 items (§1.2 createContentView: maxItemCount > MIN_CONTENT_VIEW_ITEMS)', () => {
    expect(() => setup({ itemCount: 10 })).toThrow(/STATUS_MIN_CONTENT_VIEW_ITEMS/);
    expect(() => setup({ itemCount: 11 })).not.toThrow();
    // 1 fps × 10 s = 10 items (calculateViewItemCount, §1.2) is still too few.
    expect(() => setup({ itemCount: undefined, frameRate: 1, bufferDuration: 10_000_000 })).toThrow(
      /STATUS_MIN_CONTENT_VIEW_ITEMS/,
    );
  });

  it('needs a buffer duration above 0 (§1.2: bufferDuration > 0)', () => {
    expect(() => setup({ bufferDuration: 0 })).toThrow(/STATUS_INVALID_CONTENT_VIEW_DURATION/);
    expect(() => setup({ bufferDuration: Number.NaN })).toThrow(/STATUS_INVALID_CONTENT_VIEW_DURATION/);
  });

  it('sizes the ring from frame rate × buffer duration (§1.2 calculateViewItemCount)', () => {
    const { view } = setup({ itemCount: undefined, frameRate: 25, bufferDuration: 120_000_000 });
    expect(view.itemCount).toBe(3000);
    expect(view.ringSize).toBe(3000 * 53);
  });

  it('rejects unknown policies and negative thresholds', () => {
    expect(() => setup({ overflowPolicy: 7 as never })).toThrow(/STATUS_INVALID_ARG/);
    expect(() => setup({ pressurePolicy: -1 as never })).toThrow(/STATUS_INVALID_ARG/);
    expect(() => setup({ streamingType: 3 as never })).toThrow(/STATUS_INVALID_ARG/);
    expect(() => setup({ maxLatency: -1 })).toThrow(/STATUS_INVALID_ARG/);
  });
});

describe('ContentView: adding items (§1.2 contentViewAddItem)', () => {
  it('rejects an empty item with STATUS_INVALID_CONTENT_VIEW_LENGTH', () => {
    const { view } = setup();
    expect(() => view.put(0, 0, FRAME, 0, new Uint8Array(0))).toThrow(/STATUS_INVALID_CONTENT_VIEW_LENGTH/);
    expect(() => view.put(0, 0, FRAME, 0, [new Uint8Array(0), new Uint8Array(0)])).toThrow(
      /STATUS_INVALID_CONTENT_VIEW_LENGTH/,
    );
    expect(view.head).toBe(0);
  });

  it('rejects a DTS below the newest item with STATUS_CONTENT_VIEW_INVALID_TIMESTAMP; equal DTS is fine', () => {
    const { view, store } = setup();
    view.put(1000, 1000, 0, FRAGMENT_START, frameBytes(0, 10));
    view.put(1000, 1040, 0, 0, frameBytes(1, 10));
    expect(() => view.put(999, 2000, 0, 0, frameBytes(2, 10))).toThrow(/STATUS_CONTENT_VIEW_INVALID_TIMESTAMP/);
    expect(view.head).toBe(2);
    store.checkConsistency();
  });

  it('rejects bad timestamps, flags and data with STATUS_INVALID_ARG, leaving the view intact', () => {
    const { view, store } = setup();
    const before = store.allocatedSize;
    expect(() => view.put(-1, 0, 0, 0, frameBytes(0, 10))).toThrow(/STATUS_INVALID_ARG/);
    expect(() => view.put(0, Number.NaN, 0, 0, frameBytes(0, 10))).toThrow(/STATUS_INVALID_ARG/);
    expect(() => view.put(0, 0, Number.POSITIVE_INFINITY, 0, frameBytes(0, 10))).toThrow(/STATUS_INVALID_ARG/);
    expect(() => view.put(0, 0, 0, 0x10000, frameBytes(0, 10))).toThrow(/STATUS_INVALID_ARG/);
    expect(() => view.put(0, 0, 0, 0, 'abc' as never)).toThrow(/STATUS_INVALID_ARG/);
    expect(() => view.put(0, 0, 0, 0, [frameBytes(0, 1), [1, 2] as never])).toThrow(/STATUS_INVALID_ARG/);
    expect(view.head).toBe(0);
    expect(store.allocatedSize).toBe(before);
  });

  it('copies pieces into one contiguous item and reads it back as a view', () => {
    const { view, store } = setup();
    const header = Uint8Array.of(0xa3, 0x81, 0x00);
    const data = frameBytes(7, 500);
    view.put(0, 0, FRAME, FRAGMENT_START, [header, data.subarray(0, 200), data.subarray(200)]);
    const got = view.itemData(0);
    expect(got.length).toBe(503);
    expect([...got.subarray(0, 3)]).toEqual([0xa3, 0x81, 0x00]);
    expect(got.subarray(3)).toEqual(data);
    // A view, not a copy: it shares the store's memory.
    expect(got.buffer).toBe(view.itemData(0).buffer);
    expect(store.allocatedSize).toBe(512);
    expect(view.item(0)).toEqual({ index: 0, dts: 0, pts: 0, duration: FRAME, length: 503, flags: FRAGMENT_START });
  });

  it('reserve/commit writes straight into store memory', () => {
    const { view, store } = setup();
    const target = view.reserve(0, 0, FRAME, FRAGMENT_START, 64);
    expect(() => view.reserve(1, 1, FRAME, 0, 8)).toThrow(/STATUS_INVALID_OPERATION/);
    expect(() => view.put(1, 1, FRAME, 0, frameBytes(0, 8))).toThrow(/STATUS_INVALID_OPERATION/);
    target.set(frameBytes(1, 64));
    store.checkConsistency();
    expect(view.commit()).toBe(PressureSignal.NONE);
    expect(view.itemData(0)).toEqual(frameBytes(1, 64));
    expect(() => view.commit()).toThrow(/STATUS_INVALID_OPERATION/);
    view.reserve(FRAME, FRAME, FRAME, 0, 10);
    view.cancelReservation();
    expect(view.head).toBe(1);
    store.checkConsistency();
  });

  it('refuses items larger than an arena with STATUS_INVALID_ALLOCATION_SIZE, evicting nothing', () => {
    const { view, removed } = setup({}, { arenaSize: 1 * MIB });
    putFrames(view, 0, 3);
    expect(() => view.put(10 * FRAME, 10 * FRAME, 0, 0, new Uint8Array(MIB))).toThrow(/STATUS_INVALID_ALLOCATION_SIZE/);
    expect(removed).toEqual([]);
  });
});

describe('ContentView: overflow (§1.2 contentViewCheckAvailability / contentViewTrimTailItems)', () => {
  it('is full by item count: DROP_TAIL_VIEW_ITEM evicts one tail item per put', () => {
    const { view, removed } = setup({ itemCount: 11, overflowPolicy: DROP_TAIL_VIEW_ITEM });
    putFrames(view, 0, 11);
    expect(removed).toEqual([]);
    putFrames(view, 11, 2);
    expect(indices(removed)).toEqual([0, 1]);
    expect(removed[0]).toMatchObject({ reason: RemoveReason.VIEW_OVERFLOW, sent: false, flags: FRAGMENT_START });
    expect([view.tail, view.current, view.head]).toEqual([2, 2, 13]);
    expect(view.metrics().droppedFrames).toBe(2);
  });

  it('is full by the PTS window: head.pts + duration − tail.pts ≥ bufferDuration', () => {
    const { view, removed } = setup({
      itemCount: 100,
      bufferDuration: 10 * FRAME,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
    });
    putFrames(view, 0, 10);
    expect(view.overallViewDuration).toBe(10 * FRAME);
    expect(removed).toEqual([]);
    putFrames(view, 10, 1);
    expect(indices(removed)).toEqual([0]);
  });

  it('DROP_UNTIL_FRAGMENT_START evicts up to the next fragment start', () => {
    const { view, removed } = setup({ itemCount: 12, overflowPolicy: DROP_UNTIL_FRAGMENT_START });
    putFrames(view, 0, 12, 100, 5);
    putFrames(view, 12, 1, 100, 5);
    expect(indices(removed)).toEqual([0, 1, 2, 3, 4]);
    expect(view.tail).toBe(5);
    expect(view.itemFlags(5) & FRAGMENT_START).toBeTruthy();
  });

  it('DROP_UNTIL_FRAGMENT_START empties a view too small for one fragment', () => {
    const { view, removed } = setup({ itemCount: 11, overflowPolicy: DROP_UNTIL_FRAGMENT_START });
    putFrames(view, 0, 11, 100, 1000);
    putFrames(view, 11, 1, 100, 1000);
    expect(removed.length).toBe(11);
    expect([view.tail, view.head]).toEqual([11, 12]);
  });

  it('DROP_TAIL_VIEW_ITEM never evicts the in-flight item: the next item goes, it becomes the tail', () => {
    const { view, removed, store } = setup({ itemCount: 11, overflowPolicy: DROP_TAIL_VIEW_ITEM });
    putFrames(view, 0, 11);
    expect(view.getNext()).toBe(0);
    const inFlight = view.itemData(0).slice();
    putFrames(view, 11, 1);
    // Item 1 (never sent) is dropped; item 0's bytes move into slot 1 with slot 1's times.
    expect(removed).toMatchObject([{ index: 1, sent: false, reason: RemoveReason.VIEW_OVERFLOW }]);
    expect([view.tail, view.current, view.head, view.inFlight]).toEqual([1, 2, 12, 1]);
    expect(view.itemData(1)).toEqual(inFlight);
    expect(view.itemPts(1)).toBe(FRAME);
    expect(view.itemFlags(1) & FRAGMENT_START).toBeTruthy();
    store.checkConsistency();
  });

  it('DROP_UNTIL_FRAGMENT_START re-inserts the in-flight item as the new tail', () => {
    const { view, removed, store } = setup({ itemCount: 12, overflowPolicy: DROP_UNTIL_FRAGMENT_START });
    putFrames(view, 0, 12, 100, 5);
    view.getNext();
    view.getNext();
    expect(view.inFlight).toBe(1);
    const inFlight = view.itemData(1).slice();
    putFrames(view, 12, 1, 100, 5);
    expect(removed.map((r) => [r.index, r.sent])).toEqual([
      [0, true],
      [2, false],
      [3, false],
      [4, false],
    ]);
    expect([view.tail, view.current, view.inFlight]).toEqual([4, 5, 4]);
    expect(view.itemData(4)).toEqual(inFlight);
    expect(view.metrics().droppedFrames).toBe(3);
    store.checkConsistency();
  });

  it('OFFLINE views never evict: a full view fails the put so the caller can wait', () => {
    const { view, removed } = setup({ itemCount: 11, streamingType: StreamingType.OFFLINE });
    putFrames(view, 0, 11);
    expect(view.hasRoomFor(100)).toBe(false);
    expect(() => putFrames(view, 11, 1)).toThrow(/STATUS_STORE_OUT_OF_MEMORY/);
    expect(removed).toEqual([]);
    view.getNext();
    view.setFlags(0, PERSISTED_ACK);
    view.releaseInFlight();
    view.trimToNextFragment(0);
    expect(view.hasRoomFor(100)).toBe(true);
    putFrames(view, 11, 1);
  });

  it('dropItem (was markDropped): SKIP_ITEM once, counted as dropped, never reported again on removal', () => {
    const { view, removed } = setup({ itemCount: 11 });
    putFrames(view, 0, 6);
    expect(view.dropItem(2)).toBe(true);
    expect(view.dropItem(2)).toBe(false);
    expect(view.itemFlags(2) & SKIP_ITEM).toBe(SKIP_ITEM);
    expect(view.metrics().droppedFrames).toBe(1);
    view.trimTail(4, RemoveReason.VIEW_OVERFLOW);
    expect(view.metrics().droppedFrames).toBe(4); // items 0, 1 and 3; item 2 counted once already
    expect(removed.map((r) => r.flags & SKIP_ITEM)).toEqual([0, 0, SKIP_ITEM, 0]);
  });

  it('hasRoomForItems: free slots, the window before the last put, and bytes for all of them', () => {
    // 11 slots, a 1 s buffer, 40 ms frames.
    const { view } = setup({ itemCount: 11, bufferDuration: 1_000_000, streamingType: StreamingType.OFFLINE });
    putFrames(view, 0, 8);
    const end = (n: number) => n * FRAME;
    expect(view.hasRoomForItems(3, 300, 100, end(11))).toBe(true);
    expect(view.hasRoomForItems(4, 400, 100, end(12))).toBe(false); // 12 items > 11 slots
    expect(view.hasRoomForItems(1, 100, 100, end(9))).toBe(view.hasRoomFor(100));
    // The window: the last of them would go in when 25 frames span 1 s.
    const { view: w } = setup({ itemCount: 100, bufferDuration: 1_000_000, streamingType: StreamingType.OFFLINE });
    putFrames(w, 0, 20);
    expect(w.hasRoomForItems(2, 200, 100, end(24))).toBe(true);
    expect(w.hasRoomForItems(2, 200, 100, end(25))).toBe(false);
    // Bytes: more than the store has left, or one item larger than the largest block.
    expect(w.hasRoomForItems(2, 11 * MIB, 100, end(21))).toBe(false);
    expect(w.hasRoomForItems(2, 200, 1 << 30, end(21))).toBe(false);
  });
});

describe('ContentView: storage pressure (§1.2 checkForAvailability / handleAvailability)', () => {
  const big = 1_000_000;

  it('OOM policy fails with STATUS_STORE_OUT_OF_MEMORY and changes nothing', () => {
    const { view, removed, store } = setup({ itemCount: 100, pressurePolicy: ContentStorePressurePolicy.OOM });
    putFrames(view, 0, 10, big);
    const allocated = store.allocatedSize;
    expect(() => putFrames(view, 10, 1, big)).toThrow(/STATUS_STORE_OUT_OF_MEMORY/);
    expect(removed).toEqual([]);
    expect(store.allocatedSize).toBe(allocated);
    expect(view.head).toBe(10);
  });

  it('DROP_TAIL_ITEM evicts this stream’s tail (by its overflow policy) until the frame fits', () => {
    const { view, removed, store } = setup({
      itemCount: 100,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
      pressurePolicy: ContentStorePressurePolicy.DROP_TAIL_ITEM,
    });
    putFrames(view, 0, 10, big);
    putFrames(view, 10, 1, 2 * big);
    expect(removed.map((r) => r.reason)).toEqual([RemoveReason.STORAGE_PRESSURE, RemoveReason.STORAGE_PRESSURE]);
    expect(indices(removed)).toEqual([0, 1]);
    store.checkConsistency();
  });

  it('takes memory only from the stream that puts', () => {
    const { store, view, removed } = setup({ itemCount: 100, overflowPolicy: DROP_TAIL_VIEW_ITEM });
    const other = store.createView({ bufferDuration: 120_000_000, itemCount: 100 });
    putFrames(other, 0, 6, big);
    putFrames(view, 0, 4, big);
    putFrames(view, 4, 1, big);
    expect(indices(removed)).toEqual([0]);
    expect(other.head - other.tail).toBe(6);
    // A stream with nothing left to evict gets STATUS_STORE_OUT_OF_MEMORY.
    const third = store.createView({ bufferDuration: 120_000_000, itemCount: 100 });
    expect(() => putFrames(third, 0, 1, big)).toThrow(/STATUS_STORE_OUT_OF_MEMORY/);
    store.checkConsistency();
  });

  it('DROP_TAIL_ITEM fails when only the in-flight item is left', () => {
    const { view, removed, store } = setup({ itemCount: 100, overflowPolicy: DROP_UNTIL_FRAGMENT_START });
    putFrames(view, 0, 1, 6 * MIB);
    view.getNext();
    expect(() => putFrames(view, 1, 1, 6 * MIB)).toThrow(/STATUS_STORE_OUT_OF_MEMORY/);
    expect(removed).toEqual([]);
    expect(sameBytes(view.itemData(0), frameBytes(0, 6 * MIB))).toBe(true);
    store.checkConsistency();
  });
});

describe('ContentView: sending', () => {
  it('getNext hands out items in order, skips SKIP_ITEM items, returns -1 at the head', () => {
    const { view } = setup();
    putFrames(view, 0, 3);
    view.setFlags(1, SKIP_ITEM);
    expect(view.getNext()).toBe(0);
    expect(view.getNext()).toBe(2);
    expect(view.getNext()).toBe(-1);
    expect(view.inFlight).toBe(-1);
    expect(view.current).toBe(3);
  });

  it('getNext(true) goes to the next fragment boundary (§1.4 getNextBoundaryViewItem)', () => {
    const { view, removed } = setup({ itemCount: 20 });
    putFrames(view, 1, 7, 100, 5);
    expect(view.getNext(true)).toBe(4);
    view.removeAll();
    // Items 0–3 were passed over, never sent: they count as dropped.
    expect(removed.filter((r) => !r.sent).map((r) => r.index)).toEqual([0, 1, 2, 3, 5, 6]);
  });

  it('setCurrent checks its range (STATUS_CONTENT_VIEW_INVALID_INDEX)', () => {
    const { view } = setup();
    putFrames(view, 0, 3);
    expect(() => view.setCurrent(4)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    expect(() => view.setCurrent(-1)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    expect(() => view.setCurrent(1.5)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    view.setCurrent(3);
    expect(view.currentViewSize).toBe(0);
    view.resetCurrent();
    expect(view.current).toBe(0);
    expect(view.currentViewSize).toBe(300);
  });

  it('item accessors reject indices outside [tail, head)', () => {
    const { view } = setup();
    putFrames(view, 0, 2);
    for (const f of [
      () => view.itemData(2),
      () => view.itemDts(-1),
      () => view.itemFlags(Number.NaN),
      () => view.setFlags(5, 1),
    ]) {
      expect(f).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    }
  });
});

describe('ContentView: ACKs', () => {
  it('finds items by timestamp: ts ∈ [itemTs, itemTs + duration], newest wins (§1.2 GetItemWithTimestamp)', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 10);
    expect(view.findItemByTimestamp(3 * FRAME)).toBe(3);
    expect(view.findItemByTimestamp(3 * FRAME + 1)).toBe(3);
    expect(view.findItemByTimestamp(10 * FRAME)).toBe(9);
    expect(view.findItemByTimestamp(10 * FRAME + 1)).toBe(-1);
    expect(view.findItemByTimestamp(5 * FRAME, false)).toBe(5);
    expect(view.timestampInRange(0)).toBe(true);
    expect(view.timestampInRange(-1)).toBe(false);
  });

  it('finds items by PTS when B-frames reorder them, and misses gaps', () => {
    const { view } = setup({ itemCount: 20 });
    // Decode order I P B B with PTS 0, 120, 40, 80 (ms·1000), durations 40 ms.
    const pts = [0, 120_000, 40_000, 80_000, 160_000];
    pts.forEach((p, i) => {
      view.put(i * FRAME, p, FRAME, i % 4 === 0 ? FRAGMENT_START : 0, frameBytes(i, 10));
    });
    expect(view.findItemByTimestamp(50_000)).toBe(2);
    // Items 3 (80–120 ms) and 1 (120–160 ms) both contain 120 ms: the newest index wins. An ACK
    // timestamp is a fragment start, which comes after the previous fragment's items.
    expect(view.findItemByTimestamp(120_000)).toBe(3);
    expect(view.findItemByTimestamp(130_000)).toBe(1);
    expect(view.findItemByTimestamp(160_000)).toBe(4);
    const { view: gaps } = setup();
    gaps.put(0, 0, 0, FRAGMENT_START, frameBytes(0, 10));
    gaps.put(FRAME, FRAME, 0, 0, frameBytes(1, 10));
    expect(gaps.findItemByTimestamp(FRAME / 2)).toBe(-1);
  });

  it('PERSISTED trims up to the next fragment start, skipping persisted fragments (§1.5)', () => {
    const { view, removed } = setup({ itemCount: 30 });
    putFrames(view, 0, 20, 100, 5);
    for (let i = 0; i < 20; i++) view.getNext();
    view.releaseInFlight();
    view.setFlags(10, PERSISTED_ACK);
    expect(view.trimToNextFragment(5)).toBe(15);
    expect(view.tail).toBe(15);
    expect(removed.every((r) => r.reason === RemoveReason.ACKED && r.sent)).toBe(true);
  });

  it('PERSISTED trims an EoFR boundary item too, and nothing while the next fragment is open', () => {
    const { view } = setup({ itemCount: 30 });
    putFrames(view, 0, 3, 100, 5);
    view.put(3 * FRAME, 3 * FRAME, 0, FRAGMENT_END, frameBytes(3, 20));
    putFrames(view, 5, 2, 100, 5);
    expect(view.trimToNextFragment(0)).toBe(4);
    expect(view.tail).toBe(4);
    expect(view.trimToNextFragment(4)).toBe(0);
    expect(view.metrics().droppedFrames).toBe(0);
  });

  it('trims stop at the in-flight item', () => {
    const { view } = setup({ itemCount: 30 });
    putFrames(view, 0, 12, 100, 5);
    for (let i = 0; i < 3; i++) view.getNext();
    expect(view.trimTail(10)).toBe(2);
    expect(view.tail).toBe(2);
    expect(() => view.trimTail(13)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
  });

  it('a non-retriable ERROR ACK marks the fragment SKIP_ITEM and moves current past it (§1.5)', () => {
    const { view, removed } = setup({ itemCount: 30 });
    putFrames(view, 0, 12, 100, 5);
    for (let i = 0; i < 8; i++) view.getNext();
    expect(view.skipFragment(5)).toBe(true);
    expect(view.current).toBe(10);
    for (let i = 5; i < 10; i++) expect(view.itemFlags(i) & SKIP_ITEM).toBeTruthy();
    expect(view.metrics().skippedFrames).toBe(5);
    // The open fragment at the head: false, current at the head.
    expect(view.skipFragment(10)).toBe(false);
    expect(view.current).toBe(12);
    view.removeAll();
    // Skipped items are not dropped frames.
    expect(view.metrics().droppedFrames).toBe(0);
    expect(removed.filter((r) => r.flags & SKIP_ITEM).length).toBe(7);
  });

  it('skipFragment with a start PTS also marks earlier items of the fragment', () => {
    const { view } = setup({ itemCount: 30 });
    putFrames(view, 0, 10, 100, 5);
    view.skipFragment(7, 5 * FRAME);
    expect([5, 6, 7, 8, 9].every((i) => view.itemFlags(i) & SKIP_ITEM)).toBe(true);
    expect(view.itemFlags(4) & SKIP_ITEM).toBe(0);
  });

  it('reports a stale connection when no BUFFERING ACK arrived for longer than the staleness duration (§1.2)', () => {
    const { view, store } = setup({ itemCount: 100, connectionStalenessDuration: 10 * FRAME });
    putFrames(view, 0, 30, 100, 5);
    for (let i = 0; i < 12; i++) view.getNext();
    expect(view.checkConnectionStaleness()).toBe(11 * FRAME);
    view.setFlags(5, BUFFERING_ACK);
    expect(view.checkConnectionStaleness()).toBe(0);
    for (let i = 0; i < 15; i++) view.getNext();
    // As PIC, the gap reported is the first one over the limit on the walk back.
    expect(view.checkConnectionStaleness()).toBe(11 * FRAME);
    expect(view.metrics().staleEvents).toBe(2);
    const { view: off } = setup({ itemCount: 100 });
    putFrames(off, 0, 30, 100, 5);
    for (let i = 0; i < 30; i++) off.getNext();
    expect(off.checkConnectionStaleness()).toBe(0);
    store.checkConsistency();
  });
});

describe('ContentView: rollback on reconnect (§1.2 contentViewRollbackCurrent, §1.6)', () => {
  function sentView() {
    const s = setup({ itemCount: 50 });
    putFrames(s.view, 0, 30, 100, 5);
    for (let i = 0; i < 22; i++) s.view.getNext();
    return s;
  }

  it('rolls back by the replay duration to a fragment start', () => {
    const { view } = sentView();
    // current = 22 (PTS 22·F); the first fragment start at least 6 frames earlier is 15.
    expect(view.rollbackCurrent(6 * FRAME)).toBe(15);
    expect(view.inFlight).toBe(-1);
    expect(view.currentViewSize).toBe(15 * 100);
  });

  it('stops at the tail when the replay reaches beyond it', () => {
    const { view } = sentView();
    view.trimTail(10);
    expect(view.rollbackCurrent(60 * FRAME)).toBe(10);
  });

  it('with a live host, resumes after the newest fragment that has a RECEIVED ACK', () => {
    const { view } = sentView();
    view.setFlags(10, RECEIVED_ACK);
    expect(view.rollbackCurrent(60 * FRAME, true, true)).toBe(15);
    view.setCurrent(22);
    view.setFlags(20, RECEIVED_ACK);
    expect(view.rollbackCurrent(60 * FRAME, true, true)).toBe(22);
    view.setCurrent(22);
    expect(view.rollbackCurrent(60 * FRAME, true, false)).toBe(0);
  });

  it('rolls forward over SKIP_ITEM items', () => {
    const { view } = sentView();
    for (let i = 15; i < 20; i++) view.setFlags(i, SKIP_ITEM);
    expect(view.rollbackCurrent(6 * FRAME)).toBe(20);
  });

  it('does nothing with duration 0 or current at the tail', () => {
    const { view } = sentView();
    expect(view.rollbackCurrent(0)).toBe(22);
    view.resetCurrent();
    expect(view.rollbackCurrent(10 * FRAME)).toBe(0);
  });

  it('uses the end of the newest item when everything was sent', () => {
    const { view } = sentView();
    view.setCurrent(30);
    expect(view.rollbackCurrent(6 * FRAME)).toBe(20);
  });

  it('marks items sent again only when handed out again', () => {
    const { view, removed } = sentView();
    view.rollbackCurrent(6 * FRAME);
    view.getNext();
    view.releaseInFlight();
    view.removeAll();
    expect(removed.filter((r) => r.sent).map((r) => r.index)).toEqual([...Array(16).keys()]);
  });
});

describe('ContentView: stream-start header slot (§1.6 streamStartFixupOnReconnect)', () => {
  it('stores the header beside the item, flags STREAM_START, counts and frees it with the item', () => {
    const { view, store } = setup({ itemCount: 20 });
    putFrames(view, 0, 10, 100, 5);
    const header = frameBytes(99, 300);
    expect(view.setStreamStartHeader(5, [header.subarray(0, 100), header.subarray(100)])).toBe(true);
    expect(view.streamStartHeader(5)).toEqual(header);
    expect(view.streamStartHeader(4)).toBeUndefined();
    expect(view.itemData(5)).toEqual(frameBytes(5, 100));
    expect(view.itemFlags(5) & STREAM_START).toBeTruthy();
    expect(view.overallViewSize).toBe(1300);
    expect(view.currentViewSize).toBe(1300);
    store.checkConsistency();
    view.clearStreamStartHeader();
    expect(view.itemFlags(5) & STREAM_START).toBe(0);
    expect(view.overallViewSize).toBe(1000);
    view.setStreamStartHeader(5, header);
    view.trimTail(6);
    expect(view.streamStartHeader(5)).toBeUndefined();
    expect(view.overallViewSize).toBe(400);
    store.checkConsistency();
  });

  it('leaves items that start a stream in their own bytes alone', () => {
    const { view } = setup();
    view.put(0, 0, FRAME, STREAM_START | FRAGMENT_START, frameBytes(0, 10));
    expect(view.setStreamStartHeader(0, frameBytes(1, 10))).toBe(false);
    expect(view.streamStartHeader(0)).toBeUndefined();
  });

  it('moves with a re-inserted in-flight item', () => {
    const { view, store } = setup({ itemCount: 11, overflowPolicy: DROP_TAIL_VIEW_ITEM });
    putFrames(view, 0, 11);
    view.setStreamStartHeader(0, frameBytes(50, 40));
    view.getNext();
    putFrames(view, 11, 1);
    expect(view.tail).toBe(1);
    expect(view.streamStartHeader(1)).toEqual(frameBytes(50, 40));
    store.checkConsistency();
  });
});

describe('ContentView: pressure signals (§1.2 Pressure notifications)', () => {
  it('STORAGE when ≤ 5 % of the store is free, not for OFFLINE', () => {
    const { view } = setup({ itemCount: 100 });
    // 10 MiB store: 9.5 MB used leaves 9.4 %, 10 MB leaves 4.6 %.
    expect(putFrames(view, 0, 9, 1_000_000)).toBe(PressureSignal.NONE);
    expect(putFrames(view, 9, 1, 500_000)).toBe(PressureSignal.NONE);
    expect(putFrames(view, 10, 1, 500_000)).toBe(PressureSignal.STORAGE);
    expect(view.metrics().storagePressures).toBe(1);
    expect(putFrames(view, 11, 1, 100)).toBe(PressureSignal.STORAGE);
    expect(view.metrics().storagePressures).toBe(2);
    const { view: offline } = setup({ itemCount: 100, streamingType: StreamingType.OFFLINE });
    expect(putFrames(offline, 0, 10, 1_000_000)).toBe(PressureSignal.NONE);
  });

  it('BUFFER_DURATION when ≤ 5 % of the buffer duration is left, only with retention', () => {
    const { view } = setup({ itemCount: 100, bufferDuration: 100 * FRAME, retentionPeriod: 3600_000_000 });
    expect(putFrames(view, 0, 94)).toBe(PressureSignal.NONE);
    expect(putFrames(view, 94, 1)).toBe(PressureSignal.BUFFER_DURATION);
    expect(view.remainingBufferDuration).toBe(5 * FRAME);
    const { view: noRetention } = setup({ itemCount: 100, bufferDuration: 100 * FRAME });
    expect(putFrames(noRetention, 0, 99)).toBe(PressureSignal.NONE);
  });

  it('LATENCY when current → head exceeds maxLatency', () => {
    const { view } = setup({ itemCount: 100, maxLatency: 5 * FRAME });
    expect(putFrames(view, 0, 5)).toBe(PressureSignal.NONE);
    expect(putFrames(view, 5, 1)).toBe(PressureSignal.LATENCY);
    for (let i = 0; i < 3; i++) view.getNext();
    expect(putFrames(view, 6, 1)).toBe(PressureSignal.NONE);
    expect(view.metrics().latencyPressures).toBe(1);
  });
});

describe('ContentView: removal reports and lifecycle', () => {
  it('counts unsent NEAR_REALTIME removals as dropped fragments', () => {
    const { view } = setup({
      itemCount: 11,
      streamingType: StreamingType.NEAR_REALTIME,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
    });
    putFrames(view, 0, 12);
    expect(view.metrics()).toMatchObject({ droppedFrames: 0, droppedFragments: 1 });
  });

  it('cannot be changed from its own onRemove callback', () => {
    const store = setup().store;
    let error: unknown;
    const view = store.createView({
      bufferDuration: 1e8,
      itemCount: 11,
      onRemove: () => {
        try {
          view.getNext();
        } catch (e) {
          error = e;
        }
      },
    });
    putFrames(view, 0, 1);
    view.removeAll();
    expect(String(error)).toMatch(/STATUS_INVALID_OPERATION/);
  });

  it('completes the operation when onRemove throws, then reports STATUS_INTERNAL_ERROR', () => {
    const store = setup().store;
    const view = store.createView({
      bufferDuration: 1e8,
      itemCount: 11,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
      onRemove: () => {
        throw new Error('boom');
      },
    });
    putFrames(view, 0, 11);
    expect(() => putFrames(view, 11, 1)).toThrow(/STATUS_INTERNAL_ERROR/);
    expect(view.head).toBe(12);
    expect(view.tail).toBe(1);
    store.checkConsistency();
  });

  it('free() reports everything, gives the slot back, and later calls fail', () => {
    const { store, view, removed } = setup();
    putFrames(view, 0, 5);
    view.free();
    expect(removed.map((r) => r.reason)).toEqual(Array(5).fill(RemoveReason.REMOVED));
    expect(store.viewCount).toBe(0);
    expect(store.allocatedSize).toBe(0);
    expect(() => view.getNext()).toThrow(/STATUS_INVALID_HANDLE_ERROR/);
    view.free();
  });
});
