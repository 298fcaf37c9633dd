/**
 * @module @kvs-ts/getmedia
 * The reading side of KVS's data plane: the PutMedia ACK stream parser (fragment ACKs while an
 * upload goes on), and GetMedia / GetMediaForFragmentList bodies read fragment by fragment with
 * the tags the service adds, and merged into one playable MKV (the segment merger). The resuming
 * consumer (`consumeGetMedia`) reconnects by continuation token without repeating or losing a
 * fragment.
 */

export type { AckHandler, AckParserOptions } from './ack-parser';
export { AckParser } from './ack-parser';
export type { GetMediaConsumerOptions, OpenGetMedia, StartSelector } from './consumer';
export { consumeGetMedia } from './consumer';
export type { FragmentHandler, FragmentTag, MediaFragment, MediaFrame } from './fragments';
export { FragmentAssembler, readFragments } from './fragments';
export type { MergeStats, MkvSink, SegmentMergerOptions } from './merger';
export { SegmentMerger, sameTracks, saveMkv } from './merger';
