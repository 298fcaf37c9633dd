/**
 * @module @kvs-ts/getmedia
 * The reading side of KVS's data plane: the PutMedia ACK stream parser (fragment ACKs while an
 * upload goes on), and GetMedia / GetMediaForFragmentList bodies read fragment by fragment with
 * the tags the service adds. The segment merger and the resuming consumer come with the rest of
 * issue 8.
 */

export type { AckHandler, AckParserOptions } from './ack-parser';
export { AckParser } from './ack-parser';
export type { FragmentHandler, FragmentTag, MediaFragment, MediaFrame } from './fragments';
export { decimalSecondsToUs, FragmentAssembler, readFragments } from './fragments';
