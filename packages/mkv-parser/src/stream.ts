// The async form: iterate over MKV events from a ReadableStream (fetch bodies, GetMedia) or
// any (async) iterable of chunks. Events are plain objects the caller may keep.

import { type ByteSource, chunksOf } from '@kvs-ts/core';
import { MkvParser, type MkvParserOptions } from './parser';
import type { ClusterStart, EbmlHeader, MkvFrame, MkvTag, MkvTrack, SegmentInfo } from './types';

/** One parse event, as yielded by {@link parseMkv}. */
export type MkvEvent =
  | { type: 'ebmlHeader'; header: EbmlHeader }
  | { type: 'segmentStart'; offset: number; unknownSize: boolean }
  | { type: 'segmentEnd'; offset: number }
  | { type: 'info'; info: SegmentInfo }
  | { type: 'tracks'; tracks: MkvTrack[]; endOffset: number }
  | { type: 'clusterStart'; cluster: ClusterStart }
  | { type: 'clusterEnd'; offset: number }
  | { type: 'frame'; frame: MkvFrame }
  | { type: 'tags'; tags: MkvTag[] /** Just past the Tags element. */; offset: number };

/** A source of MKV bytes. */
export type MkvSource = ByteSource;

/**
 * Parses an MKV byte stream and yields its events in order. Frames are copies of the frame
 * record (their `data` is still a view of the input, not a copy of the bytes). Throws a
 * KvsError on malformed or truncated input.
 */
export async function* parseMkv(source: MkvSource, options: MkvParserOptions = {}): AsyncGenerator<MkvEvent> {
  const queue: MkvEvent[] = [];
  const parser = new MkvParser(
    {
      ebmlHeader: (header) => queue.push({ type: 'ebmlHeader', header }),
      segmentStart: (offset, unknownSize) => queue.push({ type: 'segmentStart', offset, unknownSize }),
      segmentEnd: (offset) => queue.push({ type: 'segmentEnd', offset }),
      info: (info) => queue.push({ type: 'info', info }),
      tracks: (tracks, endOffset) => queue.push({ type: 'tracks', tracks, endOffset }),
      clusterStart: (cluster) => queue.push({ type: 'clusterStart', cluster }),
      clusterEnd: (offset) => queue.push({ type: 'clusterEnd', offset }),
      frame: (frame) => queue.push({ type: 'frame', frame: { ...frame } }),
      tags: (tags, offset) => queue.push({ type: 'tags', tags, offset }),
    },
    options,
  );
  // What a chunk produced is yielded before reading more, and before any error it raised, so
  // the events a consumer sees never depend on how the input was chunked.
  let failure: unknown;
  for await (const chunk of chunksOf(source)) {
    try {
      parser.push(chunk);
    } catch (e) {
      failure = e;
    }
    for (let i = 0; i < queue.length; i++) yield queue[i];
    queue.length = 0;
    if (failure !== undefined) throw failure;
  }
  try {
    parser.end();
  } catch (e) {
    failure = e;
  }
  yield* queue;
  if (failure !== undefined) throw failure;
}
