/**
 * @module @kvs-ts/frame-reader
 * Timed frames out of byte streams, for a producer that reads a file or a pipe instead of an
 * encoder API (what `kvs put` uses):
 * - {@link openFrameSource} (source.ts): sniffs MKV or Annex-B and returns the tracks, the KVS
 *   content type, the writer's NAL adaptation and an async iterable of frames;
 * - {@link AccessUnitSplitter} (access-units.ts): H.264/H.265 Annex-B elementary streams cut into
 *   access units, chunk by chunk;
 * - {@link MkvFrameReader} (mkv-frames.ts): MKV blocks as frames, decoding times rebuilt from
 *   the presentation times.
 * Web APIs only: runs in Node, Deno and browsers.
 */

export type { AccessUnit } from './access-units';
export { AccessUnitSplitter } from './access-units';
export { contentTypeOf, MkvFrameReader, REORDER_WINDOW, tracksOfMkv } from './mkv-frames';
export type { FrameFormat, FrameSource, FrameSourceOptions } from './source';
export { openFrameSource, sniffFormat } from './source';
