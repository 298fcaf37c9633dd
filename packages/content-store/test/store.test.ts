// "partA §4.5" = seed001-partA.md producer SDK quotas; "partB §3.2/§3.4" = StorageInfo/ClientMetrics.
import { describe, expect, it } from 'vitest';
import {
  ContentStore,
  calculateViewItemCount,
  DEFAULT_BROWSER_STORAGE_SIZE,
  DEFAULT_STORAGE_SIZE,
  defaultArenaSize,
  defaultStorageSize,
  detectRuntime,
  MAX_STORAGE_SIZE,
  MIN_STORAGE_SIZE,
  StreamingType,
  validateStorageSize,
} from '../src/index';
import { FRAME, MIB, putFrames } from './helpers';

describe('ContentStore: storage size (partA §4.5, partB §3.2)', () => {
  it('accepts 10 MiB to 10 GiB and rejects the rest with STATUS_INVALID_STORAGE_SIZE', () => {
    expect(MIN_STORAGE_SIZE).toBe(10 * 1024 * 1024);
    expect(MAX_STORAGE_SIZE).toBe(10 * 1024 * 1024 * 1024);
    for (const bad of [MIN_STORAGE_SIZE - 1, MAX_STORAGE_SIZE + 1, 12.5 * MIB + 0.5, Number.NaN, 0]) {
      expect(() => validateStorageSize(bad)).toThrow(/STATUS_INVALID_STORAGE_SIZE/);
      expect(() => new ContentStore({ storageSize: bad })).toThrow(/STATUS_INVALID_STORAGE_SIZE/);
    }
    expect(() => validateStorageSize(MAX_STORAGE_SIZE)).not.toThrow();
  });

  it('defaults to 128 MiB on servers and 32 MiB in browsers', () => {
    expect(defaultStorageSize('node')).toBe(DEFAULT_STORAGE_SIZE);
    expect(defaultStorageSize('deno')).toBe(128 * MIB);
    expect(defaultStorageSize('bun')).toBe(128 * MIB);
    expect(defaultStorageSize('browser')).toBe(DEFAULT_BROWSER_STORAGE_SIZE);
    expect(defaultStorageSize('unknown')).toBe(32 * MIB);
    const runtime = detectRuntime();
    expect(['node', 'deno', 'bun', 'browser']).toContain(runtime);
    expect(new ContentStore().storageSize).toBe(defaultStorageSize(runtime));
  });

  it('reserves memory in arenas as it is used, never beyond the budget', () => {
    const store = new ContentStore({ storageSize: 10 * MIB, arenaSize: 2 * MIB });
    expect(store.reservedSize).toBe(2 * MIB);
    expect(store.maxItemSize).toBe(2 * MIB - 8);
    const view = store.createView({ bufferDuration: 1e9, itemCount: 100 });
    putFrames(view, 0, 9, MIB);
    expect(store.reservedSize).toBe(10 * MIB);
    expect(store.reservedSize).toBeLessThanOrEqual(store.storageSize);
    // Large budgets use larger arenas (at most 16 of them).
    expect(defaultArenaSize(128 * MIB)).toBe(64 * MIB);
    expect(defaultArenaSize(10 * MIB)).toBe(10 * MIB);
    expect(defaultArenaSize(MAX_STORAGE_SIZE)).toBe(640 * MIB);
    expect(() => new ContentStore({ storageSize: 10 * MIB, arenaSize: 1000 })).toThrow(/STATUS_INVALID_ARG/);
  });
});

describe('ContentStore: streams (partA §4.5: 128 streams per client)', () => {
  it('serves up to maxStreamCount views, then STATUS_MAX_STREAM_COUNT; freed ids are reused', () => {
    const store = new ContentStore({ storageSize: 10 * MIB });
    const views = Array.from({ length: 128 }, () => store.createView({ bufferDuration: 1e6, itemCount: 11 }));
    expect(views.map((v) => v.id)).toEqual([...Array(128).keys()]);
    expect(() => store.createView({ bufferDuration: 1e6, itemCount: 11 })).toThrow(/STATUS_MAX_STREAM_COUNT/);
    views[7].free();
    expect(store.view(7)).toBeUndefined();
    expect(store.createView({ bufferDuration: 1e6, itemCount: 11 }).id).toBe(7);
    expect(store.viewCount).toBe(128);
  });

  it('validates maxStreamCount', () => {
    expect(() => new ContentStore({ storageSize: 10 * MIB, maxStreamCount: 129 })).toThrow(/STATUS_MAX_STREAM_COUNT/);
    expect(() => new ContentStore({ storageSize: 10 * MIB, maxStreamCount: 0 })).toThrow(/STATUS_MIN_STREAM_COUNT/);
    const store = new ContentStore({ storageSize: 10 * MIB, maxStreamCount: 1 });
    store.createView({ bufferDuration: 1e6, itemCount: 11 });
    expect(() => store.createView({ bufferDuration: 1e6, itemCount: 11 })).toThrow(/STATUS_MAX_STREAM_COUNT/);
  });
});

describe('ContentStore: metrics (partB §3.4 ClientMetrics, §3.5 StreamMetrics)', () => {
  it('reports size, allocated and available bytes and the views’ ring memory', () => {
    const store = new ContentStore({ storageSize: 10 * MIB });
    const a = store.createView({ bufferDuration: 1e8, itemCount: 100 });
    const b = store.createView({ bufferDuration: 1e8, itemCount: 11 });
    putFrames(a, 0, 10, 1000);
    putFrames(b, 0, 3, 20);
    const m = store.metrics();
    expect(m).toEqual({
      contentStoreSize: 10 * MIB,
      contentStoreAllocatedSize: 10 * 1008 + 3 * 32,
      contentStoreAvailableSize: 10 * MIB - (10 * 1008 + 3 * 32),
      totalContentViewsSize: (100 + 11) * 53,
    });
    const out = {
      contentStoreSize: 0,
      contentStoreAllocatedSize: 0,
      contentStoreAvailableSize: 0,
      totalContentViewsSize: 0,
    };
    expect(store.metrics(out)).toBe(out);
  });

  it('reports view durations, sizes and counts', () => {
    const store = new ContentStore({ storageSize: 10 * MIB });
    const view = store.createView({ bufferDuration: 1e8, itemCount: 100 });
    putFrames(view, 0, 10, 1000);
    view.getNext();
    view.getNext();
    expect(view.metrics()).toMatchObject({
      currentViewDuration: 8 * FRAME,
      overallViewDuration: 10 * FRAME,
      currentViewSize: 8000,
      overallViewSize: 10_000,
      currentViewItemCount: 8,
      overallViewItemCount: 10,
    });
  });
});

describe('calculateViewItemCount (§1.2)', () => {
  it('counts frames for REALTIME/OFFLINE and fragments for NEAR_REALTIME', () => {
    expect(calculateViewItemCount({ frameRate: 25, bufferDuration: 120_000_000 })).toBe(3000);
    // Whole seconds only, as PIC's integer arithmetic.
    expect(calculateViewItemCount({ frameRate: 30, bufferDuration: 2_900_000 })).toBe(60);
    expect(calculateViewItemCount({ frameRate: 0, bufferDuration: 20_000_000 })).toBe(480);
    expect(calculateViewItemCount({ streamingType: StreamingType.OFFLINE, frameRate: 10, bufferDuration: 5e6 })).toBe(
      50,
    );
    expect(
      calculateViewItemCount({
        streamingType: StreamingType.NEAR_REALTIME,
        bufferDuration: 120_000_000,
        fragmentDuration: 2_000_000,
      }),
    ).toBe(60);
    expect(() => calculateViewItemCount({ streamingType: StreamingType.NEAR_REALTIME, bufferDuration: 1e8 })).toThrow(
      /STATUS_INVALID_ARG/,
    );
    expect(() => calculateViewItemCount({ bufferDuration: -1 })).toThrow(/STATUS_INVALID_CONTENT_VIEW_DURATION/);
  });
});
