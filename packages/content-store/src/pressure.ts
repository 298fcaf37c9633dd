// How full a view is and what it signals: the PTS window (PIC `contentViewGetWindowDuration`),
// fullness (`contentViewCheckAvailability`), the putFrame pressure notifications, the room checks
// OFFLINE producers wait on (`checkForAvailability`), and the metrics snapshot.
import {
  BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD,
  PressureSignal,
  STORAGE_PRESSURE_NOTIFICATION_THRESHOLD,
  StreamingType,
} from './constants';
import { blockSizeFor } from './heap';
import type { ItemRing } from './ring';
import type { ContentViewMetrics } from './types';

// Read once: imported bindings are getters in CommonJS transpiles (see RingFlags).
const { OFFLINE } = StreamingType;
const { STORAGE, BUFFER_DURATION, LATENCY } = PressureSignal;
const STORAGE_THRESHOLD = STORAGE_PRESSURE_NOTIFICATION_THRESHOLD;
const BUFFER_THRESHOLD = BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD;

/** The settings of a view that its fullness and pressure depend on (ContentView has them all). */
export interface ViewLimits {
  readonly bufferDuration: number;
  readonly streamingType: StreamingType;
  readonly retentionPeriod: number;
  readonly maxLatency: number;
}

/**
 * Duration by PTS from item `index` to the end of the newest item, µs. Unlike PIC, a negative
 * window (B-frames: the newest item ends before `index` starts) is 0, where PIC's unsigned
 * subtraction wraps to a huge window (docs/decisions/content-store.md).
 */
export function durationFrom(r: ItemRing, index: number): number {
  const cap = r.cap;
  const newest = (r.head - 1) % cap;
  const d = r.ptsOf[newest] + r.durationOf[newest] - r.ptsOf[index % cap];
  return Math.max(d, 0);
}

/** current → head duration by PTS, µs. */
export function currentDuration(r: ItemRing): number {
  return r.current === r.head ? 0 : durationFrom(r, r.current);
}

/** tail → head duration by PTS, µs. */
export function overallDuration(r: ItemRing): number {
  return r.head === r.tail ? 0 : durationFrom(r, r.tail);
}

/** Buffer duration left, µs; 0 when the window is longer than the buffer. */
export function remainingDuration(r: ItemRing, bufferDuration: number): number {
  return Math.max(bufferDuration - overallDuration(r), 0);
}

/** contentViewCheckAvailability: full by item count, or by the PTS window reaching the buffer duration. */
export function isFull(r: ItemRing, bufferDuration: number): boolean {
  const tail = r.tail;
  const head = r.head;
  if (head === tail) return false;
  return head - tail >= r.cap || durationFrom(r, tail) >= bufferDuration;
}

/**
 * PIC's putFrame notifications, counted in the ring. Unlike PIC they are all evaluated after the
 * item is added, and a window longer than the buffer counts as no remaining duration (PIC's
 * unsigned subtraction wraps, then an out-of-range cast decides: docs/decisions/content-store.md).
 */
export function pressureSignals(r: ItemRing, limits: ViewLimits, storageSize: number): number {
  let signals = 0;
  if (limits.streamingType !== OFFLINE) {
    const remaining = storageSize - r.heap.usedBytes;
    if (Math.floor((remaining / storageSize) * 100) <= STORAGE_THRESHOLD) {
      signals |= STORAGE;
      r.storagePressures++;
    }
    if (limits.retentionPeriod !== 0) {
      const bufferDuration = limits.bufferDuration;
      const left = remainingDuration(r, bufferDuration);
      if (Math.floor((left / bufferDuration) * 100) <= BUFFER_THRESHOLD) {
        signals |= BUFFER_DURATION;
        r.bufferPressures++;
      }
    }
  }
  if (limits.maxLatency !== 0 && currentDuration(r) > limits.maxLatency) {
    signals |= LATENCY;
    r.latencyPressures++;
  }
  return signals;
}

/** Whether a put of `length` bytes would go in without evicting anything (PIC `checkForAvailability`). */
export function hasRoomFor(r: ItemRing, bufferDuration: number, length: number): boolean {
  if (isFull(r, bufferDuration) || length > r.heap.maxPayload) return false;
  return r.heap.canAlloc(blockSizeFor(length));
}

/**
 * Whether `count` puts of `bytes` in all (the largest `largest` bytes), the newest ending at
 * `endPts` µs, would all go in without evicting. Conservative: it takes every put to end at `endPts`.
 */
export function hasRoomForItems(
  r: ItemRing,
  bufferDuration: number,
  storageSize: number,
  count: number,
  bytes: number,
  largest: number,
  endPts: number,
): boolean {
  if (count <= 1) return hasRoomFor(r, bufferDuration, bytes);
  const { tail, head } = r;
  if (head - tail + count > r.cap) return false;
  if (head !== tail && endPts - r.ptsOf[tail % r.cap] >= bufferDuration) return false;
  if (largest > r.heap.maxPayload || !r.heap.canAlloc(blockSizeFor(largest))) return false;
  // And the total within the budget (each block rounds up by less than one minimum block).
  return storageSize - r.heap.usedBytes >= bytes + count * 2 * blockSizeFor(0);
}

/** The view's share of PIC's `StreamMetrics`, into `m`. */
export function fillMetrics(r: ItemRing, m: ContentViewMetrics): ContentViewMetrics {
  m.currentViewDuration = currentDuration(r);
  m.overallViewDuration = overallDuration(r);
  m.currentViewSize = r.currentBytes;
  m.overallViewSize = r.overallBytes;
  m.currentViewItemCount = r.head - r.current;
  m.overallViewItemCount = r.head - r.tail;
  m.droppedFrames = r.droppedFrames;
  m.droppedFragments = r.droppedFragments;
  m.skippedFrames = r.skippedFrames;
  m.storagePressures = r.storagePressures;
  m.bufferPressures = r.bufferPressures;
  m.latencyPressures = r.latencyPressures;
  m.staleEvents = r.staleEvents;
  return m;
}
