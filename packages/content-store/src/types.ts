import type {
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  RemoveReason,
  StreamingType,
  ViewItemFlags,
} from './constants';

/** How to build a {@link ContentView}. Times are µs. */
export interface ContentViewOptions {
  /**
   * How much media the view keeps, µs (> 0, else `STATUS_INVALID_CONTENT_VIEW_DURATION`). A
   * stream that was given 0 should pass {@link MIN_VIEW_BUFFER_DURATION} (20 s), as PIC does.
   */
  bufferDuration: number;
  /**
   * Ring capacity in items (> 10, else `STATUS_MIN_CONTENT_VIEW_ITEMS`). Default:
   * {@link calculateViewItemCount} of `streamingType`, `frameRate`, `bufferDuration`, `fragmentDuration`.
   */
  itemCount?: number;
  /** Default REALTIME. OFFLINE views never evict: puts fail with `STATUS_STORE_OUT_OF_MEMORY` instead. */
  streamingType?: StreamingType;
  /** Expected frames per second, for the default item count (0 → 24). */
  frameRate?: number;
  /** Fragment duration, µs, for the NEAR_REALTIME item count. */
  fragmentDuration?: number;
  /** Default DROP_UNTIL_FRAGMENT_START (the producer SDKs' default; PIC's is DROP_TAIL_VIEW_ITEM). */
  overflowPolicy?: ContentViewOverflowPolicy;
  /** Default DROP_TAIL_ITEM (the producer SDKs' default; PIC's is OOM). */
  pressurePolicy?: ContentStorePressurePolicy;
  /** Latency pressure threshold, µs; 0 (default) disables it. */
  maxLatency?: number;
  /** Connection staleness threshold, µs; 0 (default) disables it. */
  connectionStalenessDuration?: number;
  /**
   * The stream's retention period, µs. 0 (default) means no retention, hence no PERSISTED ACKs and
   * no buffer-duration pressure signal (the tail drops all the time by design).
   */
  retentionPeriod?: number;
  /**
   * Called synchronously for every item that leaves the view, with a record that is reused for the
   * next call (copy what you keep). It must not change the view; if it throws, the operation still
   * completes and then throws `STATUS_INTERNAL_ERROR` with the callback's error as `cause`.
   */
  onRemove?: (item: Readonly<RemovedItem>) => void;
}

/** An item that left its view: what {@link ContentViewOptions.onRemove} receives. */
export interface RemovedItem {
  /** {@link ContentView.id} of the view it left. */
  stream: number;
  index: number;
  /** Decoding timestamp, µs. */
  dts: number;
  /** Presentation ("ack") timestamp, µs. */
  pts: number;
  duration: number;
  /** Payload bytes (a stream-start header slot not included). */
  length: number;
  /** {@link ViewItemFlags}. */
  flags: ViewItemFlags;
  /**
   * Whether the item was handed out by {@link ContentView.getNext} since the last rollback, i.e.
   * its bytes went to the current connection. An unsent item that leaves for any reason but
   * {@link RemoveReason.ACKED}, and is not a SKIP_ITEM, is counted as dropped.
   */
  sent: boolean;
  reason: RemoveReason;
}

/**
 * Told about each item {@link ContentView.dropItem} or {@link ContentView.dropUntilFragmentStart}
 * gives up: the PTS it was put with ({@link ContentView.itemOwnPts}) and whether it started a
 * fragment. Called synchronously with the view locked (it must not change the view); if it throws,
 * the operation still completes and then throws `STATUS_INTERNAL_ERROR` with the error as `cause`.
 */
export type DroppedItemReport = (ownPts: number, fragmentStart: boolean) => void;

/** One view item, as returned by {@link ContentView.item}. */
export interface ViewItem {
  index: number;
  dts: number;
  pts: number;
  duration: number;
  length: number;
  flags: ViewItemFlags;
}

/** The per-stream fields of PIC's `StreamMetrics` that the content view owns. Durations µs, sizes bytes. */
export interface ContentViewMetrics {
  /** current → head, by PTS (what is waiting to be sent). */
  currentViewDuration: number;
  /** tail → head, by PTS (everything kept). */
  overallViewDuration: number;
  /** Bytes from current to head (stream-start header slot included). */
  currentViewSize: number;
  /** Bytes from tail to head (stream-start header slot included). */
  overallViewSize: number;
  currentViewItemCount: number;
  overallViewItemCount: number;
  /**
   * Frames that will never reach the service (REALTIME and OFFLINE streams): unsent items that left
   * the view for any reason but an ACK, and items given up by {@link ContentView.dropItem} and
   * {@link ContentView.dropUntilFragmentStart}. Each item counts once at most.
   */
  droppedFrames: number;
  /** The same on a NEAR_REALTIME view (PIC counts those as fragments). */
  droppedFragments: number;
  /**
   * Items of fragments the service refused for good, marked SKIP_ITEM by
   * {@link ContentView.skipFragment} or {@link ContentView.markFragmentSkipped}.
   */
  skippedFrames: number;
  storagePressures: number;
  bufferPressures: number;
  latencyPressures: number;
  staleEvents: number;
}

/** The fields of PIC's `ClientMetrics` that the content store owns. Sizes in bytes. */
export interface ContentStoreMetrics {
  /** The configured budget (`storageSize`). */
  contentStoreSize: number;
  /** Budget minus allocated blocks (fragmentation may keep a frame this big from fitting). */
  contentStoreAvailableSize: number;
  /** Bytes in allocated blocks, block headers and 8-byte rounding included. */
  contentStoreAllocatedSize: number;
  /** Memory of all views' item rings: outside the budget, as in PIC. */
  totalContentViewsSize: number;
}
