// Where the view departs from AWS's C PIC on the same operations, found by a differential run of
// the two (docs/decisions/content-store.md, "Where we differ from PIC"). Each test pins this
// project's behaviour; the PIC behaviour in the comments is what that run observed.
import { describe, expect, it } from 'vitest';
import { ContentViewOverflowPolicy, PressureSignal, ViewItemFlags } from '../src/index';
import { FRAME, frameBytes, MIB, putFrames, sameBytes, setup } from './helpers';

const { FRAGMENT_START, PERSISTED_ACK } = ViewItemFlags;
const DROP_TAIL_VIEW_ITEM = ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM;

describe('PIC departures: a PERSISTED trim past current', () => {
  // PIC (ContentView.c contentViewTrimTail) leaves current one past the trimmed-to fragment start,
  // so that fragment start is never sent. Here current lands on the new tail.
  it('trimToNextFragment moves current to the new tail, which is sent next', () => {
    const { view, store } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    view.getNext();
    view.getNext();
    view.releaseInFlight();
    view.setFlags(0, PERSISTED_ACK);
    expect(view.trimToNextFragment(0)).toBe(5);
    expect([view.tail, view.current]).toEqual([5, 5]);
    expect(view.getNext()).toBe(5);
    expect(view.itemFlags(5) & FRAGMENT_START).toBeTruthy();
    store.checkConsistency();
  });

  it('trimTail does the same when nothing was sent', () => {
    const { view, store } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    expect(view.trimTail(10)).toBe(10);
    expect([view.tail, view.current]).toEqual([10, 10]);
    expect(view.currentViewSize).toBe(200);
    expect(view.getNext()).toBe(10);
    store.checkConsistency();
  });
});

describe('PIC departures: a negative PTS window', () => {
  // With B-frames the newest item can end before the tail item starts (here: tail PTS 200 ms, newest
  // ends at 80 ms). PIC's unsigned window duration wraps to a huge value: its view counts itself
  // full, evicts, and signals latency pressure. Here the window is 0.
  it('is 0: the view is not full, evicts nothing and signals nothing', () => {
    const { view, removed } = setup({
      itemCount: 20,
      bufferDuration: 10 * FRAME,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
      maxLatency: FRAME,
      retentionPeriod: 3600_000_000,
    });
    expect(view.put(0, 5 * FRAME, FRAME, FRAGMENT_START, frameBytes(0, 10))).toBe(PressureSignal.NONE);
    expect(view.put(FRAME, FRAME, FRAME, 0, frameBytes(1, 10))).toBe(PressureSignal.NONE);
    expect([view.overallViewDuration, view.currentViewDuration]).toEqual([0, 0]);
    expect(view.remainingBufferDuration).toBe(10 * FRAME);
    expect(view.hasRoomFor(10)).toBe(true);
    expect(view.put(2 * FRAME, 0, FRAME, 0, frameBytes(2, 10))).toBe(PressureSignal.NONE);
    expect(removed).toEqual([]);
    expect(view.metrics()).toMatchObject({ latencyPressures: 0, bufferPressures: 0, droppedFrames: 0 });
  });
});

describe('PIC departures: DROP_TAIL_VIEW_ITEM with only the in-flight item left', () => {
  // PIC reports its unused slot as removed and overwrites the in-flight item without a report.
  // Here the in-flight item is never evicted: the eviction step removes nothing, the new item is
  // added beside it (the view is below its item count), and the window stays over the buffer
  // duration until the pin is released.
  it('evicts nothing, keeps the in-flight bytes, and adds the new item', () => {
    const { view, removed, store } = setup({
      itemCount: 11,
      bufferDuration: FRAME,
      overflowPolicy: DROP_TAIL_VIEW_ITEM,
    });
    view.put(0, 0, FRAME, FRAGMENT_START, frameBytes(0, 100));
    expect(view.getNext()).toBe(0);
    view.put(FRAME, FRAME, FRAME, 0, frameBytes(1, 100));
    expect(removed).toEqual([]);
    expect([view.tail, view.current, view.head, view.inFlight]).toEqual([0, 1, 2, 0]);
    expect(view.itemData(0)).toEqual(frameBytes(0, 100));
    expect(view.overallViewDuration).toBe(2 * FRAME);
    // Released, it goes like any other tail item.
    view.releaseInFlight();
    view.put(2 * FRAME, 2 * FRAME, FRAME, 0, frameBytes(2, 100));
    expect(removed.map((r) => [r.index, r.sent])).toEqual([[0, true]]);
    store.checkConsistency();
  });

  it('under storage pressure the put fails with STATUS_STORE_OUT_OF_MEMORY, evicting nothing', () => {
    const { view, removed, store } = setup({ itemCount: 100, overflowPolicy: DROP_TAIL_VIEW_ITEM });
    putFrames(view, 0, 1, 6 * MIB);
    view.getNext();
    expect(() => putFrames(view, 1, 1, 6 * MIB)).toThrow(/STATUS_STORE_OUT_OF_MEMORY/);
    expect(removed).toEqual([]);
    expect(sameBytes(view.itemData(0), frameBytes(0, 6 * MIB))).toBe(true);
    store.checkConsistency();
  });
});

describe('PIC departures: a window longer than the buffer', () => {
  // PIC's remaining duration wraps, then goes through an out-of-range double → UINT32 cast
  // (undefined behaviour; with gcc on x86-64 the notification fires for small buffers). Here the
  // remaining duration is 0, and the BUFFER_DURATION signal fires.
  it('leaves no remaining duration and raises BUFFER_DURATION', () => {
    const { view } = setup({ itemCount: 20, bufferDuration: FRAME, retentionPeriod: 3600_000_000 });
    expect(view.put(0, 0, 3 * FRAME, FRAGMENT_START, frameBytes(0, 10))).toBe(PressureSignal.BUFFER_DURATION);
    expect(view.overallViewDuration).toBe(3 * FRAME);
    expect(view.remainingBufferDuration).toBe(0);
    expect(view.metrics().bufferPressures).toBe(1);
  });
});
