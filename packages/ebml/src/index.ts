/**
 * @module @kvs-ts/ebml
 * EBML (RFC 8794) for Matroska as KVS uses it: variable-size integers of every length and
 * unknown-size form, the Matroska element table with parent rules, a streaming push
 * tokenizer that hands out payloads as views, leaf value decoders, and writer primitives.
 */

export type { ElementInfo, ElementType } from './elements';
export { elementInfo, elementName, Id, mayContain } from './elements';
export type { EbmlHandler, EbmlReaderOptions } from './reader';
export { EbmlReader } from './reader';
export { MATROSKA_EPOCH_MS, readBigUint, readDate, readFloat, readInt, readString, readUint, readUtf8 } from './values';
export type { VintResult } from './vint';
export {
  idLength,
  MAX_VINT_VALUE,
  readId,
  readVint,
  sizeLength,
  UNKNOWN_SIZE,
  vintLength,
  writeId,
  writeSize,
} from './vint';
export {
  EbmlBuilder,
  elementHeaderLength,
  uintByteLength,
  writeElementHeader,
  writeUintBytes,
  writeUintElement,
} from './writer';
