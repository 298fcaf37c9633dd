// The O(1) staleness check against PIC's walk (checkForConnectionStaleness), under random puts,
// sends, BUFFERING ACKs, trims and rollbacks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ContentView, ContentViewOverflowPolicy, ViewItemFlags } from '../src/index';
import { FRAME, frameBytes, setup } from './helpers';

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
  | { op: 'put'; n: number; gap: number }
  | { op: 'send'; n: number }
  | { op: 'ack'; back: number }
  | { op: 'trim'; n: number }
  | { op: 'rollback'; us: number };

describe('checkConnectionStaleness', () => {
  it('answers as PIC walks', () => {
    const limit = 10 * FRAME;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('put' as const),
              n: fc.integer({ min: 1, max: 20 }),
              gap: fc.integer({ min: 0, max: 3 }),
            }),
            fc.record({ op: fc.constant('send' as const), n: fc.integer({ min: 1, max: 20 }) }),
            fc.record({ op: fc.constant('ack' as const), back: fc.nat(30) }),
            fc.record({ op: fc.constant('trim' as const), n: fc.nat(10) }),
            fc.record({ op: fc.constant('rollback' as const), us: fc.integer({ min: 0, max: 40 * FRAME }) }),
          ),
          { maxLength: 80 },
        ),
        (ops: Op[]) => {
          const { view } = setup({
            itemCount: 64,
            connectionStalenessDuration: limit,
            overflowPolicy: ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM,
          });
          let t = 0;
          let n = 0;
          for (const o of ops) {
            if (o.op === 'put') {
              for (let k = 0; k < o.n; k++) {
                t += FRAME * (1 + o.gap * (k === 0 ? 1 : 0));
                view.put(t, t, FRAME, n % 5 === 0 ? ViewItemFlags.FRAGMENT_START : 0, frameBytes(n++, 16));
              }
            } else if (o.op === 'send') {
              for (let k = 0; k < o.n; k++) if (view.getNext() < 0) break;
            } else if (o.op === 'ack') {
              const i = view.current - 1 - o.back;
              if (i >= view.tail && i < view.head) view.setFlags(i, ViewItemFlags.BUFFERING_ACK);
            } else if (o.op === 'trim') {
              view.trimTail(Math.min(view.tail + o.n, view.current));
            } else {
              view.rollbackCurrent(o.us, true, false);
            }
            expect(view.checkConnectionStaleness()).toBe(reference(view, limit));
          }
        },
      ),
      { numRuns: 300 },
    );
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
