// Names and values follow PIC (client/Include.h, view/Include.h) so that logs and metrics read
// like AWS's SDKs; times are microseconds instead of PIC's 100 ns units.

/** Bytes in a mebibyte. */
export const MIB = 1024 * 1024;
/** Bytes in a gibibyte. */
export const GIB = 1024 * MIB;

/** Smallest accepted `storageSize`: 10 MiB (producer SDK quota). */
export const MIN_STORAGE_SIZE = 10 * MIB;
/** Largest accepted `storageSize`: 10 GiB (producer SDK quota, PIC `MAX_STORAGE_ALLOCATION_SIZE`). */
export const MAX_STORAGE_SIZE = 10 * GIB;
/** Default store size where memory is plentiful (Node, Deno, Bun): producer-c's `DEFAULT_DEVICE_STORAGE_SIZE`. */
export const DEFAULT_STORAGE_SIZE = 128 * MIB;
/** Default store size in browsers and unknown hosts: 2 minutes of a 2 Mbit/s stream. */
export const DEFAULT_BROWSER_STORAGE_SIZE = 32 * MIB;

/** Most streams one store (one producer client) serves: the producer SDK quota. */
export const MAX_STREAM_COUNT = 128;

/** A content view must hold more than this many items (PIC `MIN_CONTENT_VIEW_ITEMS`, checked with `>`). */
export const MIN_CONTENT_VIEW_ITEMS = 10;
/** Upper bound on a view's item count, so a wild frame rate cannot reserve gigabytes of ring. */
export const MAX_CONTENT_VIEW_ITEMS = 1 << 24;
/** PIC `MIN_VIEW_BUFFER_DURATION`: what a stream uses when its buffer duration is 0, µs (20 s). */
export const MIN_VIEW_BUFFER_DURATION = 20_000_000;
/** PIC `DEFAULT_FRAME_RATE`, used when a stream declares frame rate 0. */
export const DEFAULT_FRAME_RATE = 24;

/** Remaining storage at or below this percentage raises {@link PressureSignal.STORAGE}. */
export const STORAGE_PRESSURE_NOTIFICATION_THRESHOLD = 5;
/** Remaining buffer duration at or below this percentage raises {@link PressureSignal.BUFFER_DURATION}. */
export const BUFFER_DURATION_PRESSURE_NOTIFICATION_THRESHOLD = 5;

/** View item flags, bit for bit PIC's `ITEM_FLAG_*`. */
export const ViewItemFlags = {
  NONE: 0,
  /** The item begins an MKV stream (EBML + Segment header): a new PutMedia session starts here. */
  STREAM_START: 0x1,
  /** The item begins a fragment (cluster). */
  FRAGMENT_START: 0x2,
  /** A BUFFERING ACK matched this item. */
  BUFFERING_ACK: 0x4,
  /** A RECEIVED ACK matched this item. */
  RECEIVED_ACK: 0x8,
  /** The item is an end-of-fragment (EoFR) marker. */
  FRAGMENT_END: 0x10,
  /** A PERSISTED ACK matched this item. */
  PERSISTED_ACK: 0x20,
  /** The item belongs to a fragment the service rejected for good; it is never sent again. */
  SKIP_ITEM: 0x40,
  /** Debug marker PIC sets next to STREAM_START; kept for log compatibility. */
  STREAM_START_DEBUG: 0x8000,
} as const;
export type ViewItemFlags = number;

/** PIC `CONTENT_VIEW_OVERFLOW_POLICY`: what to evict when a view is full. */
export const ContentViewOverflowPolicy = {
  /** Evict the oldest item (PIC's default). */
  DROP_TAIL_VIEW_ITEM: 0,
  /** Evict whole fragments: up to the next fragment start (producer SDKs' default). */
  DROP_UNTIL_FRAGMENT_START: 1,
} as const;
export type ContentViewOverflowPolicy = (typeof ContentViewOverflowPolicy)[keyof typeof ContentViewOverflowPolicy];

/** PIC `CONTENT_STORE_PRESSURE_POLICY`: what to do when the store has no room for a frame. */
export const ContentStorePressurePolicy = {
  /** Fail the put with `STATUS_STORE_OUT_OF_MEMORY` (PIC's default). */
  OOM: 0,
  /** Evict the stream's oldest items (by its overflow policy) until the frame fits (producer SDKs' default). */
  DROP_TAIL_ITEM: 1,
} as const;
export type ContentStorePressurePolicy = (typeof ContentStorePressurePolicy)[keyof typeof ContentStorePressurePolicy];

/** PIC `STREAMING_TYPE`. */
export const StreamingType = {
  REALTIME: 0,
  NEAR_REALTIME: 1,
  /** Never evicts: a full view or store makes the put fail so the caller can wait for ACKs. */
  OFFLINE: 2,
} as const;
export type StreamingType = (typeof StreamingType)[keyof typeof StreamingType];

/** Bits returned by a put: the pressure notifications PIC raises from `putFrame`. */
export const PressureSignal = {
  NONE: 0,
  /** Store free space ≤ 5 % (PIC `storageOverflowPressureFn`). Not raised for OFFLINE streams. */
  STORAGE: 0x1,
  /** View window within 5 % of the buffer duration (PIC `bufferDurationOverflowPressureFn`); only with retention. */
  BUFFER_DURATION: 0x2,
  /** current→head duration above `maxLatency` (PIC `streamLatencyPressureFn`). */
  LATENCY: 0x4,
} as const;
export type PressureSignal = number;

/** Why an item left its view (see {@link RemovedItem}). */
export const RemoveReason = {
  /** Trimmed after its fragment was acknowledged (PERSISTED, or RECEIVED without retention). */
  ACKED: 1,
  /** Evicted because the view was full by item count or by duration. */
  VIEW_OVERFLOW: 2,
  /** Evicted to make room in the store (pressure policy DROP_TAIL_ITEM). */
  STORAGE_PRESSURE: 3,
  /** Removed by `removeAll` or `free` (stream reset or teardown). */
  REMOVED: 4,
} as const;
export type RemoveReason = (typeof RemoveReason)[keyof typeof RemoveReason];
