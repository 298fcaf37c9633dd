// A content view's options, checked and defaulted once (PIC `createContentView` and the
// producer SDKs' defaults), so the view itself only ever sees valid settings.
import { KvsError } from '@kvs-ts/core';
import {
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  MAX_CONTENT_VIEW_ITEMS,
  MIN_CONTENT_VIEW_ITEMS,
  StreamingType,
} from './constants';
import { invalidArg } from './errors';
import { calculateViewItemCount } from './sizing';
import type { ContentViewOptions, RemovedItem } from './types';

/** {@link ContentViewOptions} with every default filled in. */
export interface ResolvedViewOptions {
  itemCount: number;
  bufferDuration: number;
  streamingType: StreamingType;
  overflowPolicy: ContentViewOverflowPolicy;
  pressurePolicy: ContentStorePressurePolicy;
  maxLatency: number;
  connectionStalenessDuration: number;
  retentionPeriod: number;
  onRemove: ((item: Readonly<RemovedItem>) => void) | undefined;
}

/**
 * Checks `options` and fills in the defaults: `STATUS_INVALID_CONTENT_VIEW_DURATION`,
 * `STATUS_MIN_CONTENT_VIEW_ITEMS` as in PIC, `STATUS_INVALID_ARG` for the rest.
 */
export function resolveViewOptions(options: ContentViewOptions): ResolvedViewOptions {
  const bufferDuration = options.bufferDuration;
  // createContentView: bufferDuration > MIN_CONTENT_VIEW_BUFFER_DURATION (0).
  if (!Number.isFinite(bufferDuration) || !(bufferDuration > 0)) {
    throw new KvsError('STATUS_INVALID_CONTENT_VIEW_DURATION', `bufferDuration must be > 0 µs, got ${bufferDuration}`);
  }
  const streamingType = options.streamingType ?? StreamingType.REALTIME;
  if (!isEnumValue(StreamingType, streamingType)) throw invalidArg(`unknown streamingType ${streamingType}`);
  const overflowPolicy = options.overflowPolicy ?? ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START;
  if (!isEnumValue(ContentViewOverflowPolicy, overflowPolicy))
    throw invalidArg(`unknown overflowPolicy ${overflowPolicy}`);
  const pressurePolicy = options.pressurePolicy ?? ContentStorePressurePolicy.DROP_TAIL_ITEM;
  if (!isEnumValue(ContentStorePressurePolicy, pressurePolicy))
    throw invalidArg(`unknown pressurePolicy ${pressurePolicy}`);
  const itemCount =
    options.itemCount ??
    calculateViewItemCount({
      streamingType,
      frameRate: options.frameRate,
      bufferDuration,
      fragmentDuration: options.fragmentDuration,
    });
  // createContentView: maxItemCount > MIN_CONTENT_VIEW_ITEMS (strictly).
  if (!Number.isInteger(itemCount) || itemCount <= MIN_CONTENT_VIEW_ITEMS) {
    throw new KvsError('STATUS_MIN_CONTENT_VIEW_ITEMS', `a content view needs more than 10 items, got ${itemCount}`);
  }
  if (itemCount > MAX_CONTENT_VIEW_ITEMS) throw invalidArg(`itemCount ${itemCount} exceeds ${MAX_CONTENT_VIEW_ITEMS}`);
  const maxLatency = nonNegative('maxLatency', options.maxLatency ?? 0);
  const connectionStalenessDuration = nonNegative(
    'connectionStalenessDuration',
    options.connectionStalenessDuration ?? 0,
  );
  const retentionPeriod = nonNegative('retentionPeriod', options.retentionPeriod ?? 0);
  if (options.onRemove !== undefined && typeof options.onRemove !== 'function')
    throw invalidArg('onRemove must be a function');
  return {
    itemCount,
    bufferDuration,
    streamingType,
    overflowPolicy,
    pressurePolicy,
    maxLatency,
    connectionStalenessDuration,
    retentionPeriod,
    onRemove: options.onRemove,
  };
}

export function isEnumValue(table: Record<string, number>, value: unknown): boolean {
  for (const key in table) if (table[key] === value) return true;
  return false;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidArg(`${name} must be ≥ 0 µs, got ${value}`);
  return value;
}
