// The walks that give items up. Eviction removes items when the view or the store is full (PIC
// `contentViewTrimTailItems`); the PERSISTED walk finds where an acknowledged fragment ends
// (`streamFragmentPersistedAck`); the fragment walk marks items SKIP_ITEM that stay in the view but
// will never be sent (an ERROR ACK's fragment, frames whose cluster start is gone).
//
// One counting rule for items that will not reach the service, each counted once: those of a
// fragment the service refused for good (a non-retriable ERROR ACK) are skipped (skippedFrames);
// those that can never be sent whole are dropped (droppedFrames, droppedFragments on
// NEAR_REALTIME) — an unsent item leaving the view for any reason but an ACK (ring.ts), or an item
// given up by dropItem / dropUntilFragmentStart. SKIP_ITEM says an item was counted when it was
// given up, so its removal counts nothing more.
import { ContentViewOverflowPolicy, ItemBoundary, type RemoveReason, ViewItemFlags } from './constants';
import { type ItemRing, RingState } from './ring';
import type { DroppedItemReport } from './types';

const { FRAGMENT_START, FRAGMENT_END, RECEIVED_ACK, PERSISTED_ACK, SKIP_ITEM } = ViewItemFlags;
const { SESSION_START, FRAGMENT_LIMIT, FRAGMENT_EDGE } = ItemBoundary;
const { IN_CALLBACK } = RingState;
const { DROP_TAIL_VIEW_ITEM } = ContentViewOverflowPolicy;

/** How the fragment walk counts an item it gives up (see the rule above). */
export const GiveUp = {
  /** The service refused its fragment for good (a non-retriable ERROR ACK). */
  SKIPPED: 0,
  /** It can never be sent whole; a RECEIVED or PERSISTED item reached the service and is left alone. */
  DROPPED: 1,
} as const;
export type GiveUp = (typeof GiveUp)[keyof typeof GiveUp];

/**
 * contentViewTrimTailItems: one eviction step by the overflow policy. The in-flight item is never
 * removed: as in PIC it moves into the slot of the last evicted item and becomes the tail. Unlike
 * PIC, with DROP_TAIL_VIEW_ITEM and only the in-flight item left nothing is removed (PIC reports the
 * unused slot and overwrites the in-flight item). Returns the number of items removed.
 */
export function evictStep(r: ItemRing, policy: ContentViewOverflowPolicy, reason: RemoveReason): number {
  if (r.head === r.tail) return 0;
  const pin = r.pinned;
  if (policy === DROP_TAIL_VIEW_ITEM) {
    if (r.tail !== pin) {
      r.removeTail(reason);
      if (r.current < r.tail) r.current = r.tail;
      return 1;
    }
    if (pin + 1 === r.head) return 0;
    // The item after the in-flight one goes; the in-flight one takes its slot.
    const victim = pin + 1;
    r.removeAt(victim, reason);
    r.moveItem(pin, victim);
    r.tail = victim;
    r.current = victim + 1;
    r.pinned = victim;
    return 1;
  }
  const cap = r.cap;
  let dropped = 0;
  do {
    if (r.tail !== pin) {
      r.removeTail(reason);
      dropped++;
    } else {
      r.tail++;
    }
  } while (r.tail !== r.head && (dropped === 0 || !(r.flagsOf[r.tail % cap] & FRAGMENT_START)));
  if (r.current <= r.tail) {
    r.current = r.tail;
    if (pin !== -1 && pin < r.tail) {
      r.tail--;
      if (r.tail !== pin) r.moveItem(pin, r.tail);
      r.current = r.tail + 1;
      r.pinned = r.tail;
    }
  }
  return dropped;
}

/**
 * Where a PERSISTED ACK for the fragment starting at `index` trims to: the next FRAGMENT_EDGE item,
 * passing SKIP items and fragments already PERSISTED, and past it when it is an EoFR (it closes the
 * acknowledged fragment). -1 while the next fragment has not started.
 */
export function persistedEnd(r: ItemRing, index: number): number {
  const head = r.head;
  const cap = r.cap;
  const flags = r.flagsOf;
  let k = index + 1;
  for (;;) {
    while (k < head) {
      const f = flags[k % cap];
      if (!(f & SKIP_ITEM) && f & FRAGMENT_EDGE) break;
      k++;
    }
    if (k === head) return -1;
    const f = flags[k % cap];
    if (f & FRAGMENT_START && f & PERSISTED_ACK) {
      k++;
      continue;
    }
    return f & FRAGMENT_END ? k + 1 : k;
  }
}

/**
 * Gives up one item: marks it SKIP_ITEM, so nothing sends it and no removal counts it again, and
 * counts it `how`; a dropped one is reported. Returns false, changing nothing, when it was given up
 * already or (DROPPED) reached the service.
 */
export function giveUp(r: ItemRing, index: number, how: GiveUp, report: DroppedItemReport | undefined): boolean {
  const s = index % r.cap;
  const f = r.flagsOf[s];
  if (f & SKIP_ITEM) return false;
  if (how === GiveUp.SKIPPED) {
    r.flagsOf[s] = f | SKIP_ITEM;
    r.skippedFrames++;
    return true;
  }
  if (f & (RECEIVED_ACK | PERSISTED_ACK)) return false;
  r.flagsOf[s] = f | SKIP_ITEM;
  r.countDropped();
  if (report !== undefined) callReport(r, report, r.ownPtsOf[s], (f & FRAGMENT_START) !== 0);
  return true;
}

/**
 * The fragment walk: gives up items from `from` (tail ≤ from ≤ head) until the next item at
 * boundary `until`, or the head, and returns where it stopped.
 * - FRAGMENT_LIMIT gives up one fragment: `from` is its first item, so `from` itself never stops
 *   the walk, and a SKIP item at the limit still ends it.
 * - SESSION_START gives up the items in front of the next place a connection can start: `from`
 *   itself may be one (nothing is given up), a SKIP item never is.
 */
export function giveUpUntil(
  r: ItemRing,
  from: number,
  until: typeof FRAGMENT_LIMIT | typeof SESSION_START,
  how: GiveUp,
  report?: DroppedItemReport,
): number {
  const head = r.head;
  const cap = r.cap;
  const flags = r.flagsOf;
  const passSkipped = until === SESSION_START ? SKIP_ITEM : 0;
  let k = from;
  if (until === FRAGMENT_LIMIT && k < head) giveUp(r, k++, how, report);
  while (k < head) {
    const f = flags[k % cap];
    if (f & until && !(f & passSkipped)) break;
    giveUp(r, k++, how, report);
  }
  return k;
}

/**
 * The view half of a non-retriable ERROR ACK for the fragment starting at `index` (see
 * ContentView.skipFragment). Returns false when the fragment runs to the head.
 */
export function skipFragment(r: ItemRing, index: number, startPts: number | undefined): boolean {
  const cap = r.cap;
  r.moveCurrent(index);
  if (startPts !== undefined && startPts !== r.ptsOf[index % cap]) {
    // The ACK named a later item of the fragment: its earlier items go too.
    for (let j = index - 1; j >= r.tail && r.ptsOf[j % cap] >= startPts; j--) giveUp(r, j, GiveUp.SKIPPED, undefined);
  }
  const end = giveUpUntil(r, index, FRAGMENT_LIMIT, GiveUp.SKIPPED);
  r.advanceCurrent(end);
  return end !== r.head;
}

/** Calls a caller's report with the view locked (IN_CALLBACK); an error waits for the operation's end. */
function callReport(r: ItemRing, report: DroppedItemReport, pts: number, fragmentStart: boolean): void {
  const state = r.state;
  r.state = IN_CALLBACK;
  try {
    report(pts, fragmentStart);
  } catch (error) {
    r.keepCallbackError(error, 'the dropped-item report');
  } finally {
    r.state = state;
  }
}
