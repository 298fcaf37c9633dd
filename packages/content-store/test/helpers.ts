import {
  ContentStore,
  type ContentStoreOptions,
  type ContentView,
  type ContentViewOptions,
  type RemovedItem,
  ViewItemFlags,
} from '../src/index';

export const MIB = 1024 * 1024;
/** 40 ms, a 25 fps frame. */
export const FRAME = 40_000;

/** A store with one view whose removals are collected. */
export function setup(
  view: Partial<ContentViewOptions> = {},
  store: ContentStoreOptions = {},
): { store: ContentStore; view: ContentView; removed: RemovedItem[] } {
  const s = new ContentStore({ storageSize: 10 * MIB, ...store });
  const removed: RemovedItem[] = [];
  const v = s.createView({
    bufferDuration: 120_000_000,
    itemCount: 11,
    onRemove: (r) => removed.push({ ...r }),
    ...view,
  });
  return { store: s, view: v, removed };
}

/** Deterministic bytes for frame `n`. */
export function frameBytes(n: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (n * 2654435761) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * Puts `count` frames of `length` bytes at 25 fps starting at frame number `first`; a fragment
 * (key frame) starts every `gop` frames.
 */
export function putFrames(view: ContentView, first: number, count: number, length = 100, gop = 5): number {
  let signals = 0;
  for (let n = first; n < first + count; n++) {
    const flags = n % gop === 0 ? ViewItemFlags.FRAGMENT_START : 0;
    signals |= view.put(n * FRAME, n * FRAME, FRAME, flags, frameBytes(n, length));
  }
  return signals;
}

export function indices(removed: RemovedItem[]): number[] {
  return removed.map((r) => r.index);
}

/** Byte equality without the matcher's per-element cost on megabyte arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
