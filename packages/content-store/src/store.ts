import { KvsError } from '@kvs-ts/core';
import { MAX_STREAM_COUNT, MIB } from './constants';
import { Heap, MAX_ARENA_SIZE, MIN_ARENA_SIZE } from './heap';
import { defaultStorageSize, validateStorageSize } from './sizing';
import type { ContentStoreMetrics, ContentViewOptions } from './types';
import { ContentView, type ViewOwner } from './view';

/** How to build a {@link ContentStore}. */
export interface ContentStoreOptions {
  /** The byte budget, 10 MiB…10 GiB (`STATUS_INVALID_STORAGE_SIZE`). Default {@link defaultStorageSize}(). */
  storageSize?: number;
  /** Most views (streams) at once, 1…128. Default 128. */
  maxStreamCount?: number;
  /**
   * Size of each memory arena (64 KiB…1 GiB). Arenas are created as needed up to `storageSize`;
   * no item can exceed one arena. Default: the whole budget up to 64 MiB, else max(64 MiB,
   * storageSize / 16).
   */
  arenaSize?: number;
}

/** The default arena size for a budget (see {@link ContentStoreOptions.arenaSize}). */
export function defaultArenaSize(storageSize: number): number {
  const size = Math.max(64 * MIB, Math.ceil(storageSize / 16 / 8) * 8);
  return Math.min(storageSize - (storageSize % 8), size, MAX_ARENA_SIZE);
}

/**
 * One producer client's content store (PIC's heap + the streams' content views): a fixed byte
 * budget of preallocated memory shared by up to 128 {@link ContentView}s. Frames are copied in
 * once and read back as views. Pure, synchronous and clock-free.
 *
 * Memory never exceeds `storageSize` plus fixed overhead (allocator tables and the views' item
 * rings): the budget is carved into a few large arenas, the first created up front and the rest
 * on first need, then kept. Allocation is exact — a frame fits whenever some free block of an
 * arena is big enough — so PIC's `maxFrameSeen × 1.8` headroom rule is not needed.
 */
export class ContentStore implements ViewOwner {
  /** The byte budget. */
  readonly storageSize: number;
  readonly maxStreamCount: number;
  /** @internal The allocator (exposed for views and diagnostics). */
  readonly heap: Heap;
  private readonly views: (ContentView | undefined)[];
  private viewTotal = 0;

  constructor(options: ContentStoreOptions = {}) {
    const storageSize = options.storageSize ?? defaultStorageSize();
    validateStorageSize(storageSize);
    const maxStreamCount = options.maxStreamCount ?? MAX_STREAM_COUNT;
    if (!Number.isInteger(maxStreamCount) || maxStreamCount < 1) {
      throw new KvsError('STATUS_MIN_STREAM_COUNT', `maxStreamCount must be at least 1, got ${maxStreamCount}`);
    }
    if (maxStreamCount > MAX_STREAM_COUNT) {
      throw new KvsError(
        'STATUS_MAX_STREAM_COUNT',
        `maxStreamCount must be at most ${MAX_STREAM_COUNT}, got ${maxStreamCount}`,
      );
    }
    const arenaSize = options.arenaSize ?? defaultArenaSize(storageSize);
    if (!Number.isInteger(arenaSize) || arenaSize < MIN_ARENA_SIZE || arenaSize > MAX_ARENA_SIZE) {
      throw new KvsError('STATUS_INVALID_ARG', `arenaSize must be an integer from 64 KiB to 1 GiB, got ${arenaSize}`);
    }
    this.storageSize = storageSize;
    this.maxStreamCount = maxStreamCount;
    this.heap = new Heap(storageSize, arenaSize);
    this.views = new Array<ContentView | undefined>(maxStreamCount).fill(undefined);
  }

  /**
   * Creates the content view of a new stream (PIC `createContentView`), with the lowest free
   * stream id. `STATUS_MAX_STREAM_COUNT` when all slots are taken; see {@link ContentViewOptions}
   * for the view's own checks.
   */
  createView(options: ContentViewOptions): ContentView {
    const id = this.views.indexOf(undefined);
    if (id === -1) {
      throw new KvsError('STATUS_MAX_STREAM_COUNT', `the store already serves ${this.maxStreamCount} streams`);
    }
    const view = new ContentView(this, id, options);
    this.views[id] = view;
    this.viewTotal++;
    return view;
  }

  /** The live view with stream id `id`, if any. */
  view(id: number): ContentView | undefined {
    return this.views[id];
  }

  /** Number of live views. */
  get viewCount(): number {
    return this.viewTotal;
  }

  /** Bytes in allocated blocks (headers and 8-byte rounding included). */
  get allocatedSize(): number {
    return this.heap.usedBytes;
  }

  /** Budget minus allocated bytes. */
  get availableSize(): number {
    return this.storageSize - this.heap.usedBytes;
  }

  /** Memory actually reserved so far (arenas created), ≤ `storageSize`. */
  get reservedSize(): number {
    return this.heap.reservedBytes;
  }

  /** Largest item payload the store accepts (one arena minus a block header). */
  get maxItemSize(): number {
    return this.heap.maxPayload;
  }

  /** The store's share of PIC's `ClientMetrics`, into `out` when given. */
  metrics(out?: ContentStoreMetrics): ContentStoreMetrics {
    const m = out ?? ({} as ContentStoreMetrics);
    let views = 0;
    for (const view of this.views) if (view !== undefined) views += view.ringSize;
    m.contentStoreSize = this.storageSize;
    m.contentStoreAllocatedSize = this.heap.usedBytes;
    m.contentStoreAvailableSize = this.storageSize - this.heap.usedBytes;
    m.totalContentViewsSize = views;
    return m;
  }

  /**
   * Checks the allocator's structures and every view, and that the views' blocks are exactly the
   * allocated blocks (none shared, none leaked). Throws `STATUS_HEAP_CORRUPTED` or
   * `STATUS_INTERNAL_ERROR`. O(items + blocks); for tests and diagnostics.
   */
  checkConsistency(): void {
    const seen = this.heap.arenas.map(() => new Set<number>());
    let bytes = 0;
    for (const view of this.views) {
      view?.checkConsistency((arena, block, size) => {
        if (seen[arena].has(block)) {
          throw new KvsError('STATUS_INTERNAL_ERROR', `block ${block} of arena ${arena} is held twice`);
        }
        seen[arena].add(block);
        bytes += size;
      });
    }
    let used = 0;
    this.heap.arenas.forEach((arena, i) => {
      arena.check();
      used += arena.usedBytes;
      if (arena.usedBlocks !== seen[i].size) {
        throw new KvsError(
          'STATUS_INTERNAL_ERROR',
          `arena ${i} has ${arena.usedBlocks} blocks, views hold ${seen[i].size}`,
        );
      }
    });
    if (used !== this.heap.usedBytes || bytes !== used) {
      throw new KvsError(
        'STATUS_INTERNAL_ERROR',
        `allocated ${this.heap.usedBytes} bytes, arenas ${used}, views ${bytes}`,
      );
    }
  }

  /** @internal Called by {@link ContentView.free}. */
  release(view: ContentView): void {
    if (this.views[view.id] === view) {
      this.views[view.id] = undefined;
      this.viewTotal--;
    }
  }
}
