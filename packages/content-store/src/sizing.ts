import { KvsError } from '@kvs-ts/core';
import {
  DEFAULT_BROWSER_STORAGE_SIZE,
  DEFAULT_FRAME_RATE,
  DEFAULT_STORAGE_SIZE,
  MAX_STORAGE_SIZE,
  MIN_STORAGE_SIZE,
  StreamingType,
} from './constants';

/** Where the code runs, as far as memory defaults are concerned. */
export type RuntimeKind = 'node' | 'deno' | 'bun' | 'browser' | 'unknown';

/**
 * Guesses the host from globals (no `node:` import, so it works everywhere): Deno and Bun
 * announce themselves, Node has `process.versions.node`, a page or worker has `self`/`window`.
 */
export function detectRuntime(): RuntimeKind {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === 'object' && g.Deno !== null) return 'deno';
  if (typeof g.Bun === 'object' && g.Bun !== null) return 'bun';
  const proc = g.process as { versions?: { node?: unknown } } | undefined;
  if (typeof proc?.versions?.node === 'string') return 'node';
  if (typeof g.window === 'object' || typeof g.self === 'object') return 'browser';
  return 'unknown';
}

/**
 * The default `storageSize` for a host: producer-c's 128 MiB on servers (Node, Deno, Bun),
 * 32 MiB in browsers and unknown hosts, where a tab's memory is shared with everything else.
 */
export function defaultStorageSize(runtime: RuntimeKind = detectRuntime()): number {
  return runtime === 'node' || runtime === 'deno' || runtime === 'bun'
    ? DEFAULT_STORAGE_SIZE
    : DEFAULT_BROWSER_STORAGE_SIZE;
}

/** Throws `STATUS_INVALID_STORAGE_SIZE` unless 10 MiB ≤ `size` ≤ 10 GiB (an integer). */
export function validateStorageSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < MIN_STORAGE_SIZE || size > MAX_STORAGE_SIZE) {
    throw new KvsError(
      'STATUS_INVALID_STORAGE_SIZE',
      `storageSize must be an integer from ${MIN_STORAGE_SIZE} (10 MiB) to ${MAX_STORAGE_SIZE} (10 GiB) bytes, got ${size}`,
    );
  }
}

/** Inputs of {@link calculateViewItemCount}; times in µs. */
export interface ViewItemCountInput {
  streamingType?: StreamingType;
  /** Expected frames per second; 0 or absent → PIC's default 24. */
  frameRate?: number;
  /** Buffer duration, µs. */
  bufferDuration: number;
  /** Fragment duration, µs; needed for NEAR_REALTIME only. */
  fragmentDuration?: number;
}

/**
 * PIC's `calculateViewItemCount`: REALTIME and OFFLINE views hold frames, `frameRate ×
 * whole seconds of bufferDuration`; NEAR_REALTIME views count fragments,
 * `bufferDuration / fragmentDuration`. The result still has to pass the content view's
 * minimum (more than 10 items).
 */
export function calculateViewItemCount(input: ViewItemCountInput): number {
  const { streamingType = StreamingType.REALTIME, bufferDuration } = input;
  if (!Number.isFinite(bufferDuration) || bufferDuration < 0) {
    throw new KvsError('STATUS_INVALID_CONTENT_VIEW_DURATION', `bufferDuration must be ≥ 0 µs, got ${bufferDuration}`);
  }
  if (streamingType === StreamingType.NEAR_REALTIME) {
    const fragmentDuration = input.fragmentDuration ?? 0;
    if (!Number.isFinite(fragmentDuration) || fragmentDuration <= 0) {
      throw new KvsError(
        'STATUS_INVALID_ARG',
        `NEAR_REALTIME needs a fragmentDuration > 0 µs, got ${fragmentDuration}`,
      );
    }
    return Math.floor(bufferDuration / fragmentDuration);
  }
  const frameRate = input.frameRate || DEFAULT_FRAME_RATE;
  if (!Number.isFinite(frameRate) || frameRate < 0) {
    throw new KvsError('STATUS_INVALID_ARG', `frameRate must be ≥ 0, got ${input.frameRate}`);
  }
  // PIC truncates the buffer to whole seconds before multiplying (UINT32 arithmetic).
  return Math.floor(frameRate) * Math.floor(bufferDuration / 1_000_000);
}
