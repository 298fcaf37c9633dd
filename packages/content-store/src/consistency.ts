// A view's self-check for tests and diagnostics (ContentView.checkConsistency): O(items).
import { KvsError } from '@kvs-ts/core';
import { ViewItemFlags } from './constants';
import { blockSizeFor } from './heap';
import { type ItemRing, RingFlags } from './ring';

const { HANDED_OUT } = RingFlags;
const { BUFFERING_ACK } = ViewItemFlags;

/**
 * Verifies cursor order, DTS order, the pin, the byte counters and block sizes against item
 * lengths; calls `onBlock` for every block the view holds (items, header slot, admitted item).
 * Throws `STATUS_INTERNAL_ERROR` on a mismatch.
 */
export function checkRing(r: ItemRing, onBlock?: (arena: number, block: number, size: number) => void): void {
  const { tail, current, head, cap } = r;
  const fail = (what: string): never => {
    throw new KvsError('STATUS_INTERNAL_ERROR', `content view ${r.id}: ${what}`);
  };
  const visit = (arena: number, block: number, length: number, what: string): void => {
    const size = r.heap.arenas[arena].blockSize(block);
    const need = blockSizeFor(length);
    // The allocator hands out the whole block when the rest would be smaller than a block.
    if (size !== need && size !== need + 8) fail(`${what}: block of ${size} bytes for ${length} bytes`);
    onBlock?.(arena, block, size);
  };
  if (!(tail <= current && current <= head && head - tail <= cap)) fail(`cursors ${tail}/${current}/${head}`);
  if (r.pinned !== -1 && r.pinned !== current - 1) fail(`pin ${r.pinned} is not current - 1`);
  if (r.headerIndex !== -1 && (r.headerIndex < tail || r.headerIndex >= head)) fail('orphan header slot');
  let overall = 0;
  let pending = 0;
  for (let i = tail; i < head; i++) {
    const s = i % cap;
    const bytes = r.bytesAt(i);
    overall += bytes;
    if (i >= current) pending += bytes;
    if (r.lengthOf[s] === 0) fail(`item ${i} is empty`);
    if (i > tail && r.dtsOf[s] < r.dtsOf[(i - 1) % cap]) fail(`DTS goes back at ${i}`);
    if (i >= current && r.flagsOf[s] & HANDED_OUT) fail(`unsent item ${i} marked handed out`);
    // The staleness check's bound (ring.ts newestBuffering) must not miss a flagged item.
    if (i > r.newestBuffering && r.flagsOf[s] & BUFFERING_ACK) fail(`BUFFERING_ACK item ${i} after the tracked newest`);
    visit(r.arenaOf[s], r.blockOf[s], r.lengthOf[s], `item ${i}`);
  }
  if (overall !== r.overallBytes) fail(`overall bytes ${r.overallBytes} ≠ ${overall}`);
  if (pending !== r.currentBytes) fail(`current bytes ${r.currentBytes} ≠ ${pending}`);
  if (r.headerIndex !== -1) visit(r.headerArena, r.headerBlock, r.headerLength, 'header slot');
  if (r.resBlock !== -1) visit(r.resArena, r.resBlock, r.resLength, 'reservation');
}
