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

/**
 * The three meanings of "boundary" in a view, one mask each. An item is at a boundary when its flags
 * have a bit of the mask; for SESSION_START and FRAGMENT_EDGE it must also not be SKIP_ITEM (nothing
 * sends a skipped item, so nothing can start or resume there), for FRAGMENT_LIMIT it may be.
 */
export const ItemBoundary = {
  /**
   * A connection may start sending here: the item opens a cluster (FRAGMENT_START) or an MKV stream
   * (STREAM_START), so what follows it decodes without anything before it. Items in front of the
   * first such item lost their cluster start and can never be sent whole
   * ({@link ContentView.dropUntilFragmentStart} gives them up).
   */
  SESSION_START: ViewItemFlags.FRAGMENT_START | ViewItemFlags.STREAM_START,
  /**
   * The items of a fragment end before here: the next cluster, a new MKV stream, or an EoFR marker
   * (FRAGMENT_END, which closes the open cluster). Whether that item is skipped does not matter: it
   * still ends the fragment before it. The walks that give up one fragment after an ERROR ACK stop
   * here ({@link ContentView.skipFragment}, {@link ContentView.markFragmentSkipped}), and a sender
   * checks it before sending an item that may belong to another cluster.
   */
  FRAGMENT_LIMIT: ViewItemFlags.FRAGMENT_START | ViewItemFlags.STREAM_START | ViewItemFlags.FRAGMENT_END,
  /**
   * A fragment as the service counts it starts (FRAGMENT_START) or ends (an EoFR item, FRAGMENT_END)
   * here: PIC's "fragment boundary". A PERSISTED ACK trims up to the next one, an EoFR going with
   * the fragment it closes (PIC `streamFragmentPersistedAck`), and {@link ContentView.getNext}`(true)`
   * resumes there (PIC `getNextBoundaryViewItem`). STREAM_START adds nothing here: an MKV stream is
   * put starting with a cluster, so its first item has FRAGMENT_START as well.
   */
  FRAGMENT_EDGE: ViewItemFlags.FRAGMENT_START | ViewItemFlags.FRAGMENT_END,
} as const;
export type ItemBoundary = (typeof ItemBoundary)[keyof typeof ItemBoundary];

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
