// Read-only searches over a view's items: by timestamp for ACKs (PIC
// `contentViewGetItemWithTimestamp`, `contentViewTimestampInRange`), back from current for a
// reconnect (`contentViewRollbackCurrent`), and back from the last item sent for connection
// staleness (`checkForConnectionStaleness`). Only the staleness check counts (a stale event).
import { ViewItemFlags } from './constants';
import type { ItemRing } from './ring';

const { FRAGMENT_START, BUFFERING_ACK, RECEIVED_ACK, SKIP_ITEM } = ViewItemFlags;

/** Whether `timestamp` lies between the tail item's start and the newest item's end, by PTS or DTS. */
export function timestampInRange(r: ItemRing, timestamp: number, byPts: boolean): boolean {
  if (r.head === r.tail) return false;
  const keys = byPts ? r.ptsOf : r.dtsOf;
  const cap = r.cap;
  const newest = (r.head - 1) % cap;
  return timestamp >= keys[r.tail % cap] && timestamp <= keys[newest] + r.durationOf[newest];
}

/**
 * The newest item whose [ts, ts + duration] contains `timestamp`, or -1. Binary search while the
 * keys are in order (DTS always; PTS unless B-frames reorder them in the window, then a scan from
 * the head). Unlike PIC, a miss is -1 rather than a neighbouring item.
 */
export function findItemByTimestamp(r: ItemRing, timestamp: number, byPts: boolean): number {
  if (!timestampInRange(r, timestamp, byPts)) return -1;
  const keys = byPts ? r.ptsOf : r.dtsOf;
  const durations = r.durationOf;
  const cap = r.cap;
  const tail = r.tail;
  let from = r.head - 1;
  let floor = -Infinity;
  if (!byPts || r.ptsDropAt <= tail) {
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
    floor = timestamp - r.maxDuration;
  }
  for (let i = from; i >= tail; i--) {
    const key = keys[i % cap];
    if (key <= timestamp && timestamp <= key + durations[i % cap]) return i;
    if (key < floor) break;
  }
  return -1;
}

/**
 * Where a rollback of `duration` µs would move current (see ContentView.rollbackCurrent); `duration`
 * is checked by the caller. Unlike PIC, with everything sent the reference is the end of the newest
 * item, not the stale slot at head.
 */
export function rollbackTarget(r: ItemRing, duration: number, keyFrame: boolean, lastReceivedAck: boolean): number {
  const tail = r.tail;
  const head = r.head;
  const start = r.current;
  if (start === tail || duration === 0) return start;
  const cap = r.cap;
  let reference: number;
  if (start < head) {
    reference = r.ptsOf[start % cap];
  } else {
    const s = (head - 1) % cap;
    reference = r.ptsOf[s] + r.durationOf[s];
  }
  let target = start;
  let last = start;
  for (let i = start; ; i--) {
    if (i < head) {
      const s = i % cap;
      const f = r.flagsOf[s];
      if (!keyFrame || f & FRAGMENT_START) {
        target = i;
        if (lastReceivedAck && f & RECEIVED_ACK) {
          // The whole fragment is in the service's memory: resume after it.
          target = last;
          break;
        }
        if (r.ptsOf[s] + duration <= reference) break;
        last = i;
      }
    }
    if (i === tail) break;
  }
  while (target < head && r.flagsOf[target % cap] & SKIP_ITEM) target++;
  return target;
}

/**
 * PIC `checkForConnectionStaleness` with staleness duration `limit` (> 0): the DTS gap from the last
 * item handed out back to the newest BUFFERING-acknowledged one when it exceeds `limit` (counting a
 * stale event), else 0.
 */
export function connectionStaleness(r: ItemRing, limit: number): number {
  if (r.current === r.tail) return 0;
  const cap = r.cap;
  const flags = r.flagsOf;
  const tail = r.tail;
  const last = r.current - 1;
  const lastDts = r.dtsOf[last % cap];
  // O(1) form of PIC's walk back: `newestBuffering` bounds the newest BUFFERING-acknowledged item
  // (ring.ts); no such item in [tail, last] means the walk would reach the tail.
  const tracked = r.newestBuffering;
  let b = tracked;
  if (b > last || (b >= tail && !(flags[b % cap] & BUFFERING_ACK))) {
    // Walk back to the newest flagged item at or before `last`, as PIC does: the tracked one is
    // past `last` (current was rolled back) or lost its flag (cleared for a replay, or its slot
    // was taken over by the in-flight item). Rare, and remembered below when it can be.
    for (b = Math.min(b, last); b >= tail && !(flags[b % cap] & BUFFERING_ACK); b--);
    // Nothing after `tracked` is flagged and nothing in (b, tracked] either: b is the bound now.
    if (tracked <= last) r.newestBuffering = b;
  }
  if (b >= tail) {
    // PIC's walk stops at this item unless an item after it is already more than `limit` old.
    if (b === last || lastDts - r.dtsOf[b % cap] <= limit) return 0;
    const gap = lastDts - firstDtsAfterLimit(r, b + 1, last, lastDts - limit);
    if (gap <= limit) return 0;
    r.staleEvents++;
    return gap;
  }
  if (lastDts - r.dtsOf[tail % cap] <= limit) return 0;
  const gap = lastDts - firstDtsAfterLimit(r, tail, last, lastDts - limit);
  r.staleEvents++;
  return gap;
}

/**
 * DTS of the newest item in [from, to] whose DTS is below `threshold` (DTS never decreases, so a
 * binary search finds it), or of `from` when none is.
 */
function firstDtsAfterLimit(r: ItemRing, from: number, to: number, threshold: number): number {
  const cap = r.cap;
  const dts = r.dtsOf;
  let lo = from;
  let hi = to;
  if (dts[lo % cap] >= threshold) return dts[lo % cap];
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (dts[mid % cap] < threshold) lo = mid;
    else hi = mid - 1;
  }
  return dts[lo % cap];
}
