// The O(1) staleness check against PIC's walk (checkForConnectionStaleness), under random puts,
// sends, BUFFERING ACKs (set, given at put, cleared for a replay), trims, rollbacks and evictions
// that re-home the in-flight item (docs/reviews/content-store-staleness.md).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ContentView, ContentViewOverflowPolicy, ViewItemFlags } from '../src/index';
import { FRAME, frameBytes, putFrames, setup } from './helpers';

/** PIC's walk back from the last item handed out, on public accessors. */
function reference(v: ContentView, limit: number): number {
  if (v.current === v.tail) return 0;
  const last = v.current - 1;
  const lastDts = v.itemDts(last);
  for (let i = last; i >= v.tail; i--) {
    if (v.itemFlags(i) & ViewItemFlags.BUFFERING_ACK) return 0;
    const gap = lastDts - v.itemDts(i);
    if (gap > limit) return gap;
  }
  return 0;
}

type Op =
  | { op: 'put'; n: number; gap: number; acked: boolean }
  | { op: 'send'; n: number }
  | { op: 'ack'; back: number }
  | { op: 'clear'; back: number }
  | { op: 'trim'; n: number }
  | { op: 'rollback'; us: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('put' as const),
    n: fc.integer({ min: 1, max: 20 }),
    gap: fc.integer({ min: 0, max: 3 }),
    acked: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
  }),
  fc.record({ op: fc.constant('send' as const), n: fc.integer({ min: 1, max: 20 }) }),
  // Mostly the item in flight or just before it, as ACKs arrive while the next frames go out.
  fc.record({ op: fc.constant('ack' as const), back: fc.oneof(fc.constant(0), fc.nat(3), fc.nat(30)) }),
  fc.record({ op: fc.constant('clear' as const), back: fc.nat(30) }),
  fc.record({ op: fc.constant('trim' as const), n: fc.nat(10) }),
  fc.record({ op: fc.constant('rollback' as const), us: fc.integer({ min: 0, max: 40 * FRAME }) }),
);

describe('checkConnectionStaleness', () => {
  it('answers as PIC walks', () => {
    const limit = 10 * FRAME;
    const config = fc.record({
      itemCount: fc.constantFrom(11, 16, 64),
      bufferDuration: fc.constantFrom(12 * FRAME, 30 * FRAME, 120_000_000),
      overflowPolicy: fc.constantFrom(
        ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM,
        ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
      ),
    });
    fc.assert(
      fc.property(config, fc.array(opArb, { maxLength: 80, size: 'max' }), (cfg, ops) => {
        const { view } = setup({ ...cfg, connectionStalenessDuration: limit });
        let t = 0;
        let n = 0;
        for (const o of ops) {
          if (o.op === 'put') {
            for (let k = 0; k < o.n; k++) {
              t += FRAME * (1 + o.gap * (k === 0 ? 1 : 0));
              let flags = n % 5 === 0 ? ViewItemFlags.FRAGMENT_START : 0;
              if (o.acked && k === 0) flags |= ViewItemFlags.BUFFERING_ACK;
              view.put(t, t, FRAME, flags, frameBytes(n++, 16));
            }
          } else if (o.op === 'send') {
            for (let k = 0; k < o.n; k++) if (view.getNext() < 0) break;
          } else if (o.op === 'ack') {
            const i = view.current - 1 - o.back;
            if (i >= view.tail && i < view.head) view.setFlags(i, ViewItemFlags.BUFFERING_ACK);
          } else if (o.op === 'clear') {
            // A replay: what goes out again is acknowledged again (packages/stream sessions.ts).
            for (let i = Math.max(view.tail, view.current - o.back); i < view.head; i++) {
              view.clearFlags(i, ViewItemFlags.BUFFERING_ACK);
            }
          } else if (o.op === 'trim') {
            view.trimTail(Math.min(view.tail + o.n, view.current));
          } else {
            view.rollbackCurrent(o.us, true, false);
          }
          expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
          view.checkConsistency();
        }
      }),
      { numRuns: 300 },
    );
  });

  // docs/reviews/content-store-staleness.md: the model test's shrunk counterexample (seed
  // 682654469), with 1-byte frames (the evictions come from the 360 ms window, not the store).
  // PIC `contentViewTrimTailItems` copies the in-flight item's flags into the last evicted
  // item's slot, so its BUFFERING_ACK moves with it, and `checkForConnectionStaleness` (Stream.c)
  // stops at that slot: no stale connection. The view had lost track of the moved flag.
  it('keeps a BUFFERING ACK that moves with the in-flight item when an eviction re-homes it', () => {
    const limit = 5 * FRAME;
    const { view, removed } = setup({
      itemCount: 11,
      bufferDuration: 9 * FRAME,
      overflowPolicy: ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM,
      connectionStalenessDuration: limit,
    });
    const { STREAM_START, FRAGMENT_START, BUFFERING_ACK } = ViewItemFlags;
    const key = (dts: number, duration = FRAME) => view.put(dts, dts, duration, FRAGMENT_START, frameBytes(dts, 1));
    view.put(1 * FRAME, 1 * FRAME, 2 * FRAME, STREAM_START | FRAGMENT_START, frameBytes(0, 1));
    key(4 * FRAME);
    view.setCurrent(1); // a retriable ERROR ACK for the fragment at #1
    key(5 * FRAME);
    key(8 * FRAME);
    view.setFlags(view.findItemByTimestamp(4 * FRAME, false), BUFFERING_ACK); // #0 +1500‰ of its 80 ms
    expect(view.itemFlags(1) & BUFFERING_ACK).toBe(BUFFERING_ACK);
    expect(view.getNext(true)).toBe(1);
    key(11 * FRAME);
    key(12 * FRAME); // full by duration: #0 goes
    key(13 * FRAME); // full again: the in-flight #1 is the tail, so #2 goes and #1 takes its slot
    expect(removed.map((x) => x.index)).toEqual([0, 2]);
    expect([view.tail, view.inFlight]).toEqual([2, 2]);
    expect(view.item(2)).toMatchObject({ dts: 5 * FRAME, flags: FRAGMENT_START | BUFFERING_ACK });
    expect(view.getNext(true)).toBe(3);
    expect(view.getNext(true)).toBe(4);
    // Walking back from #4 (DTS 11 frames) reaches the acknowledged #2 before any gap exceeds 5
    // frames (#3 is 3 frames back), so PIC says 0; the view said 6 frames (240 ms).
    expect(view.checkConnectionStaleness()).toBe(0);
    expect(reference(view, limit)).toBe(0);
    expect(view.metrics().staleEvents).toBe(0);
  });

  it('keeps a BUFFERING ACK the in-flight item carries into the tail slot (DROP_UNTIL_FRAGMENT_START)', () => {
    const limit = 4 * FRAME;
    const { view } = setup({
      itemCount: 11,
      overflowPolicy: ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
      connectionStalenessDuration: limit,
    });
    putFrames(view, 0, 11, 16, 5); // fragments start at #0, #5, #10
    expect(view.getNext()).toBe(0);
    view.setFlags(0, ViewItemFlags.BUFFERING_ACK);
    putFrames(view, 11, 1, 16, 5); // full by count: #0…#4 go, the in-flight #0 takes #4's slot
    expect([view.tail, view.inFlight]).toEqual([4, 4]);
    expect(view.item(4)).toMatchObject({
      dts: 4 * FRAME,
      flags: ViewItemFlags.FRAGMENT_START | ViewItemFlags.BUFFERING_ACK,
    });
    for (let i = 5; i <= 9; i++) expect(view.getNext()).toBe(i);
    // From #9 back, no gap exceeds 4 frames before the walk reaches the acknowledged #4 (5 back).
    expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
    expect(view.checkConnectionStaleness()).toBe(0);
    for (let i = 10; i <= 11; i++) expect(view.getNext()).toBe(i);
    // From #11, #6 is 5 frames back, before the walk reaches #4.
    expect(view.checkConnectionStaleness()).toBe(5 * FRAME);
    view.setFlags(9, ViewItemFlags.BUFFERING_ACK);
    expect(view.checkConnectionStaleness()).toBe(0);
  });

  it('falls back to an older BUFFERING ACK when the newest one is cleared (a replay)', () => {
    const limit = 10 * FRAME;
    const { view } = setup({ itemCount: 128, connectionStalenessDuration: limit });
    putFrames(view, 0, 40, 16, 5);
    while (view.getNext() >= 0);
    view.setFlags(30, ViewItemFlags.BUFFERING_ACK);
    view.setFlags(35, ViewItemFlags.BUFFERING_ACK);
    expect(view.checkConnectionStaleness()).toBe(0);
    // What goes out again is acknowledged again: the stream clears the flags from the replay start.
    for (let i = 33; i < view.head; i++) view.clearFlags(i, ViewItemFlags.BUFFERING_ACK);
    // #39 is 9 frames after #30, the newest acknowledged item left: not stale.
    expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
    expect(view.checkConnectionStaleness()).toBe(0);
    putFrames(view, 40, 5, 16, 5);
    while (view.getNext() >= 0);
    // #44 is 14 frames after #30; #33 (11 frames back) is the first item past the limit.
    expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
    expect(view.checkConnectionStaleness()).toBe(11 * FRAME);
  });

  it('counts a BUFFERING_ACK flag given with the item at put', () => {
    const limit = 10 * FRAME;
    const { view } = setup({ itemCount: 128, connectionStalenessDuration: limit });
    putFrames(view, 0, 20, 16, 5);
    view.put(20 * FRAME, 20 * FRAME, FRAME, ViewItemFlags.BUFFERING_ACK, frameBytes(20, 16));
    putFrames(view, 21, 5, 16, 5);
    while (view.getNext() >= 0);
    expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
    expect(view.checkConnectionStaleness()).toBe(0);
  });

  it('looks behind a rollback: a BUFFERING ACK after the new current does not count', () => {
    const limit = 10 * FRAME;
    const { view } = setup({ itemCount: 128, connectionStalenessDuration: limit });
    for (let n = 0; n < 60; n++)
      view.put(n * FRAME, n * FRAME, FRAME, n % 5 === 0 ? ViewItemFlags.FRAGMENT_START : 0, frameBytes(n, 16));
    while (view.getNext() >= 0);
    view.setFlags(55, ViewItemFlags.BUFFERING_ACK);
    expect(view.checkConnectionStaleness()).toBe(0);
    view.rollbackCurrent(20 * FRAME, true, false);
    expect(view.current).toBe(40);
    expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
    expect(view.checkConnectionStaleness()).toBeGreaterThan(limit);
  });
});
