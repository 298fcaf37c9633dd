// What a new item goes through before it is appended: PIC `contentViewAddItem`'s checks, then
// room for its bytes (`checkForAvailability` / `handleAvailability`): an OFFLINE view refuses
// rather than evict, pressure policy OOM fails, DROP_TAIL_ITEM evicts this view's tail by its
// overflow policy until the block fits. Once its bytes are written, it is added: the view makes
// room by its overflow policy if it is full, appends it and returns the pressure signals.
import { KvsError } from '@kvs-ts/core';
import { ContentStorePressurePolicy, type ContentViewOverflowPolicy, RemoveReason, StreamingType } from './constants';
import { internalError, invalidArg, invalidOperation, outOfMemory, tooLarge } from './errors';
import { blockSizeFor } from './heap';
import { isFull, pressureSignals, type ViewLimits } from './pressure';
import { type ItemRing, RingFlags } from './ring';
import { evictStep } from './walks';

// Read once: imported bindings are getters in CommonJS transpiles (see RingFlags).
const { PUBLIC_FLAGS } = RingFlags;
const { OFFLINE } = StreamingType;
const { OOM } = ContentStorePressurePolicy;
const { VIEW_OVERFLOW, STORAGE_PRESSURE } = RemoveReason;

/** The settings a new item's way in depends on (ContentView has them all). */
export interface AdmissionRules extends ViewLimits {
  readonly overflowPolicy: ContentViewOverflowPolicy;
  readonly pressurePolicy: ContentStorePressurePolicy;
}

/**
 * Checks a new item and allocates its block, evicting under DROP_TAIL_ITEM; keeps it as the ring's
 * admitted item (`res*`) for its bytes to be written. Throws, leaving the view as it was, except
 * that a DROP_TAIL_ITEM admission that fails after evicting everything evictable has evicted it
 * (as in PIC).
 */
export function admitItem(
  r: ItemRing,
  rules: AdmissionRules,
  dts: number,
  pts: number,
  duration: number,
  flags: number,
  length: number,
): void {
  if (r.resBlock !== -1) throw invalidOperation('a reservation is pending: commit or cancel it first');
  if (!(dts >= 0 && dts < Infinity && pts >= 0 && pts < Infinity && duration >= 0 && duration < Infinity)) {
    throw invalidArg(`timestamps must be finite and ≥ 0 µs (dts ${dts}, pts ${pts}, duration ${duration})`);
  }
  if (!(flags >= 0 && flags <= PUBLIC_FLAGS) || (flags | 0) !== flags) throw invalidArg(`bad item flags ${flags}`);
  // contentViewAddItem: length 0 → STATUS_INVALID_CONTENT_VIEW_LENGTH.
  if (length === 0) throw new KvsError('STATUS_INVALID_CONTENT_VIEW_LENGTH', 'a view item needs at least one byte');
  // contentViewAddItem: ts < head.ts → STATUS_CONTENT_VIEW_INVALID_TIMESTAMP.
  if (r.head !== r.tail) {
    const newest = r.dtsOf[(r.head - 1) % r.cap];
    if (dts < newest) {
      throw new KvsError(
        'STATUS_CONTENT_VIEW_INVALID_TIMESTAMP',
        `DTS ${dts} µs is before the previous item's ${newest} µs (DTS must not decrease)`,
      );
    }
  }
  const heap = r.heap;
  if (length > heap.maxPayload) throw tooLarge(length, heap.maxPayload);
  const need = blockSizeFor(length);
  if (rules.streamingType === OFFLINE && (isFull(r, rules.bufferDuration) || !heap.canAlloc(need))) {
    throw outOfMemory(length, 'the OFFLINE view is full; wait for ACKs to trim it');
  }
  let block = heap.alloc(need);
  if (block === -1) {
    if (rules.pressurePolicy === OOM) throw outOfMemory(length);
    // handleAvailability with DROP_TAIL_ITEM: evict by the overflow policy until it fits.
    while (block === -1) {
      if (evictStep(r, rules.overflowPolicy, STORAGE_PRESSURE) === 0) {
        // The put fails anyway: an onRemove error would only hide why.
        r.hasCallbackError = false;
        r.callbackError = undefined;
        throw outOfMemory(length, 'even after evicting this stream’s evictable items');
      }
      block = heap.alloc(need);
    }
  }
  r.resBlock = block;
  r.resArena = heap.allocArena;
  r.resLength = length;
  r.resDts = dts;
  r.resPts = pts;
  r.resDuration = duration;
  r.resFlags = flags;
}

/**
 * contentViewAddItem → contentViewCheckAvailability → contentViewTrimTailItems: adds the admitted
 * item, its bytes written, evicting one step if the view is full, and returns its
 * {@link PressureSignal} bits.
 */
export function addAdmitted(r: ItemRing, rules: AdmissionRules, storageSize: number): number {
  if (isFull(r, rules.bufferDuration)) evictStep(r, rules.overflowPolicy, VIEW_OVERFLOW);
  if (r.head - r.tail >= r.cap) throw internalError('view still full after eviction');
  r.appendAdmitted();
  return pressureSignals(r, rules, storageSize);
}
