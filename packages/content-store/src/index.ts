/**
 * @module @kvs-ts/content-store
 * PIC's content store and content views for kvs-ts: one preallocated byte budget per producer
 * client, shared by up to 128 streams, each with a rolling view of its packaged MKV frames
 * (tail ≤ current ≤ head). Frames are copied into store memory exactly once ({@link
 * ContentView.put} or {@link ContentView.reserve}/{@link ContentView.commit}) and read back as
 * views ({@link ContentView.itemData}); item fields live in typed arrays, so steady-state
 * streaming allocates nothing per frame. Pure, synchronous and clock-free: timestamps (µs) come
 * from the caller, pressure signals are returned from puts, removed items are reported to a
 * callback with whether they were sent. Design notes: docs/decisions/content-store.md.
 *
 * Reading order: store.ts (the budget: one TLSF heap per arena in heap.ts, sizes in sizing.ts)
 * hands out views. view.ts is a view's public face over its item ring and cursors (ring.ts), with
 * one module per job below it: admission.ts (a new item's way in; bytes.ts copies it), walks.ts
 * (eviction, PERSISTED trims, skipping and dropping items), lookup.ts (timestamp search, rollback,
 * staleness), pressure.ts (window, fullness, signals, metrics), consistency.ts (self-check),
 * options.ts and errors.ts. constants.ts and types.ts are the vocabulary.
 */

export {
  BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD,
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  DEFAULT_BROWSER_STORAGE_SIZE,
  DEFAULT_FRAME_RATE,
  DEFAULT_STORAGE_SIZE,
  ItemBoundary,
  MAX_CONTENT_VIEW_ITEMS,
  MAX_STORAGE_SIZE,
  MAX_STREAM_COUNT,
  MIN_CONTENT_VIEW_ITEMS,
  MIN_STORAGE_SIZE,
  MIN_VIEW_BUFFER_DURATION,
  PressureSignal,
  RemoveReason,
  STORAGE_PRESSURE_NOTIFICATION_THRESHOLD,
  StreamingType,
  ViewItemFlags,
} from './constants';
export { BLOCK_HEADER, blockSizeFor } from './heap';
export type { RuntimeKind, ViewItemCountInput } from './sizing';
export { calculateViewItemCount, defaultStorageSize, detectRuntime, validateStorageSize } from './sizing';
export type { ContentStoreOptions } from './store';
export { ContentStore, defaultArenaSize } from './store';
export type {
  ContentStoreMetrics,
  ContentViewMetrics,
  ContentViewOptions,
  DroppedItemReport,
  RemovedItem,
  ViewItem,
} from './types';
export { ContentView } from './view';
