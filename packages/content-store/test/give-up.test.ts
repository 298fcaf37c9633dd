// Giving items up: dropItem, dropUntilFragmentStart, markFragmentSkipped (and skipFragment, built on
// the same walk), the ItemBoundary masks they stop at, and the one counting rule: items of a
// fragment the service refused count as skipped, items that can never be sent whole as dropped,
// each once (src/walks.ts).
import { describe, expect, it } from 'vitest';
import { type ContentView, ContentViewOverflowPolicy, ItemBoundary, StreamingType, ViewItemFlags } from '../src/index';
import { FRAME, frameBytes, putFrames, setup } from './helpers';

const { FRAGMENT_START, FRAGMENT_END, STREAM_START, RECEIVED_ACK, PERSISTED_ACK, SKIP_ITEM } = ViewItemFlags;

/** A report that records its calls. */
function recorder(): { calls: [number, boolean][]; report: (pts: number, fragmentStart: boolean) => void } {
  const calls: [number, boolean][] = [];
  return { calls, report: (pts, fragmentStart) => calls.push([pts, fragmentStart]) };
}

function skipped(view: ContentView): number[] {
  const out: number[] = [];
  for (let i = view.tail; i < view.head; i++) if (view.itemFlags(i) & SKIP_ITEM) out.push(i);
  return out;
}

describe('ItemBoundary', () => {
  it('names the three flag combinations a walk stops at', () => {
    expect(ItemBoundary.SESSION_START).toBe(FRAGMENT_START | STREAM_START);
    expect(ItemBoundary.FRAGMENT_LIMIT).toBe(FRAGMENT_START | STREAM_START | FRAGMENT_END);
    expect(ItemBoundary.FRAGMENT_EDGE).toBe(FRAGMENT_START | FRAGMENT_END);
  });
});

describe('ContentView.dropItem', () => {
  it('marks the item SKIP_ITEM, counts it dropped once and reports its own PTS', () => {
    const { view, removed } = setup({ itemCount: 20 });
    putFrames(view, 0, 8, 100, 5);
    const { calls, report } = recorder();
    expect(view.dropItem(5, report)).toBe(true);
    expect(view.dropItem(6, report)).toBe(true);
    expect(view.dropItem(5, report)).toBe(false);
    expect(calls).toEqual([
      [5 * FRAME, true],
      [6 * FRAME, false],
    ]);
    expect(skipped(view)).toEqual([5, 6]);
    expect(view.metrics()).toMatchObject({ droppedFrames: 2, droppedFragments: 0, skippedFrames: 0 });
    // Their removal counts nothing more; the others count as unsent removals always did.
    view.removeAll();
    expect(view.metrics().droppedFrames).toBe(8);
    expect(removed.filter((r) => r.flags & SKIP_ITEM).map((r) => r.index)).toEqual([5, 6]);
  });

  it('leaves items the service acknowledged alone', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 4);
    view.setFlags(1, RECEIVED_ACK);
    view.setFlags(2, PERSISTED_ACK);
    const { calls, report } = recorder();
    expect(view.dropItem(1, report)).toBe(false);
    expect(view.dropItem(2, report)).toBe(false);
    expect(calls).toEqual([]);
    expect(skipped(view)).toEqual([]);
    expect(view.metrics().droppedFrames).toBe(0);
  });

  it('counts dropped fragments on NEAR_REALTIME, and works without a report', () => {
    const { view } = setup({ itemCount: 20, streamingType: StreamingType.NEAR_REALTIME });
    putFrames(view, 0, 3);
    expect(view.dropItem(1)).toBe(true);
    expect(view.metrics()).toMatchObject({ droppedFrames: 0, droppedFragments: 1 });
  });

  it('reports the PTS the item was put with, not the slot it was moved into', () => {
    const { view } = setup({ itemCount: 11, overflowPolicy: ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM });
    putFrames(view, 0, 11);
    view.getNext();
    putFrames(view, 11, 1); // item 0, in flight, moves into slot 1 with slot 1's times
    expect([view.itemPts(1), view.itemOwnPts(1)]).toEqual([FRAME, 0]);
    const { calls, report } = recorder();
    view.dropItem(1, report);
    expect(calls).toEqual([[0, true]]);
  });

  it('rejects indices outside [tail, head) with STATUS_CONTENT_VIEW_INVALID_INDEX and a bad report with STATUS_INVALID_ARG', () => {
    const { view } = setup();
    putFrames(view, 0, 2);
    expect(() => view.dropItem(2)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    expect(() => view.dropItem(-1)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    expect(() => view.dropItem(0, 5 as never)).toThrow(/STATUS_INVALID_ARG/);
    expect(skipped(view)).toEqual([]);
  });

  it('locks the view during the report; a throwing report still completes the drop', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 3);
    let inner: unknown;
    const threw = () => {
      try {
        view.put(10 * FRAME, 10 * FRAME, FRAME, 0, frameBytes(10, 10));
      } catch (e) {
        inner = e;
      }
      throw new Error('listener failed');
    };
    expect(() => view.dropItem(1, threw)).toThrow(/STATUS_INTERNAL_ERROR/);
    expect(String(inner)).toMatch(/STATUS_INVALID_OPERATION/);
    expect(view.head).toBe(3);
    expect(skipped(view)).toEqual([1]);
    expect(view.metrics().droppedFrames).toBe(1);
    // The error was delivered once; the view works on.
    expect(view.dropItem(2)).toBe(true);
  });
});

describe('ContentView.dropUntilFragmentStart', () => {
  it('drops up to the next fragment start, moves current there and returns it', () => {
    const { view, store } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    const { calls, report } = recorder();
    expect(view.dropUntilFragmentStart(2, report)).toBe(5);
    expect(view.current).toBe(5);
    expect(skipped(view)).toEqual([2, 3, 4]);
    expect(calls).toEqual([2, 3, 4].map((i) => [i * FRAME, false]));
    expect(view.metrics().droppedFrames).toBe(3);
    expect(view.getNext()).toBe(5);
    store.checkConsistency();
  });

  it('drops nothing from a session start, but still moves current there', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    expect(view.dropUntilFragmentStart(5)).toBe(5);
    expect(view.current).toBe(5);
    expect(skipped(view)).toEqual([]);
    // An MKV stream start is a session start too.
    view.put(12 * FRAME, 12 * FRAME, FRAME, STREAM_START, frameBytes(12, 10));
    expect(view.dropUntilFragmentStart(11)).toBe(12);
    expect(skipped(view)).toEqual([11]);
  });

  it('passes skipped fragment starts and acknowledged items, dropping only what can be dropped', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    view.setFlags(5, SKIP_ITEM);
    view.setFlags(3, RECEIVED_ACK);
    const { calls, report } = recorder();
    expect(view.dropUntilFragmentStart(2, report)).toBe(10);
    expect(skipped(view)).toEqual([2, 4, 5, 6, 7, 8, 9]);
    expect(calls.map(([pts]) => pts / FRAME)).toEqual([2, 4, 6, 7, 8, 9]);
    expect(view.metrics().droppedFrames).toBe(6);
  });

  it('runs to the head when no session start follows', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 8, 100, 5);
    expect(view.dropUntilFragmentStart(6)).toBe(8);
    expect([view.current, view.head]).toEqual([8, 8]);
    expect(view.dropUntilFragmentStart(8)).toBe(8);
  });

  it('moves current as setCurrent does: unpinning, and items it moves back over are unsent again', () => {
    const { view, removed } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    for (let i = 0; i < 5; i++) view.getNext();
    // current (5) is there already: nothing moves, the in-flight item stays pinned.
    expect(view.dropUntilFragmentStart(5)).toBe(5);
    expect(view.inFlight).toBe(4);
    // Back to the stream's first fragment start.
    expect(view.dropUntilFragmentStart(0)).toBe(0);
    expect([view.current, view.inFlight]).toEqual([0, -1]);
    view.removeAll();
    expect(removed.filter((r) => r.sent)).toEqual([]);
    // Forward from mid-fragment: unpinned too.
    const { view: w } = setup({ itemCount: 20 });
    putFrames(w, 0, 12, 100, 5);
    for (let i = 0; i < 3; i++) w.getNext();
    expect(w.dropUntilFragmentStart(3)).toBe(5);
    expect([w.current, w.inFlight]).toEqual([5, -1]);
  });

  it('checks its start: tail ≤ from ≤ head (STATUS_CONTENT_VIEW_INVALID_INDEX)', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 8, 100, 5);
    view.trimTail(2);
    for (const bad of [1, 9, 2.5, Number.NaN]) {
      expect(() => view.dropUntilFragmentStart(bad)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
    }
    expect(view.current).toBe(2);
  });
});

describe('ContentView.markFragmentSkipped', () => {
  it('marks one fragment SKIP_ITEM, counts it skipped, and moves no cursor or pin', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 12, 100, 5);
    for (let i = 0; i < 8; i++) view.getNext();
    view.setFlags(6, RECEIVED_ACK);
    view.markFragmentSkipped(5);
    expect(skipped(view)).toEqual([5, 6, 7, 8, 9]);
    expect([view.current, view.inFlight]).toEqual([8, 7]);
    expect(view.metrics()).toMatchObject({ skippedFrames: 5, droppedFrames: 0 });
  });

  it('stops at every fragment limit: a fragment or stream start, an EoFR, even when skipped', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 3, 100, 5);
    view.put(3 * FRAME, 3 * FRAME, 0, FRAGMENT_END, frameBytes(3, 20));
    putFrames(view, 5, 2, 100, 5); // 4: fragment start, 5: delta
    view.put(7 * FRAME, 7 * FRAME, FRAME, STREAM_START, frameBytes(7, 20)); // 6
    putFrames(view, 8, 1, 100, 5); // 7
    view.markFragmentSkipped(0);
    expect(skipped(view)).toEqual([0, 1, 2]);
    view.markFragmentSkipped(4);
    expect(skipped(view)).toEqual([0, 1, 2, 4, 5]);
    view.markFragmentSkipped(3); // the EoFR item alone
    expect(skipped(view)).toEqual([0, 1, 2, 3, 4, 5]);
    view.markFragmentSkipped(1); // from inside: the rest of that fragment, already skipped
    expect(view.metrics().skippedFrames).toBe(6);
    // The open fragment at the head.
    view.markFragmentSkipped(6);
    expect(skipped(view)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives up the same items as skipFragment, which also moves current past them', () => {
    const a = setup({ itemCount: 20 }).view;
    const b = setup({ itemCount: 20 }).view;
    for (const v of [a, b]) {
      putFrames(v, 0, 12, 100, 5);
      v.setFlags(10, SKIP_ITEM);
    }
    a.markFragmentSkipped(5);
    expect(b.skipFragment(5)).toBe(true);
    expect(skipped(a)).toEqual(skipped(b));
    expect([a.current, b.current]).toEqual([0, 10]);
    expect(a.metrics().skippedFrames).toBe(b.metrics().skippedFrames);
  });

  it('rejects indices outside [tail, head)', () => {
    const { view } = setup();
    putFrames(view, 0, 2);
    expect(() => view.markFragmentSkipped(2)).toThrow(/STATUS_CONTENT_VIEW_INVALID_INDEX/);
  });
});

describe('counting items given up', () => {
  it('counts an item once, by the first reason it was given up', () => {
    const { view } = setup({ itemCount: 20 });
    putFrames(view, 0, 10, 100, 5);
    view.dropItem(6);
    view.skipFragment(5); // 6 stays a dropped frame
    expect(view.dropItem(7)).toBe(false); // already skipped: nothing changes
    expect(view.metrics()).toMatchObject({ droppedFrames: 1, skippedFrames: 4 });
    view.removeAll(); // 0–4 leave unsent: dropped; 5–9 were counted already
    expect(view.metrics()).toMatchObject({ droppedFrames: 6, skippedFrames: 4 });
  });
});
