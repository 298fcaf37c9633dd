// Per-frame bytes, written straight into caller memory: the Cluster start PIC writes at every
// fragment (unknown size, 8-byte Timecode, Position 0) and the SimpleBlock header (8-byte size,
// 1-byte track number, int16 relative timecode, flags).

import { Id, UNKNOWN_SIZE, writeElementHeader, writeUintElement } from '@kvs-ts/ebml';

/** Bytes of a Cluster start: `1F 43 B6 75 FF`, `E7 88` + 8 bytes, `A7 81 00`. */
export const CLUSTER_HEADER_SIZE = 18;
/** Bytes of a SimpleBlock header before the payload: `A3`, 8-byte size, track, timecode, flags. */
export const SIMPLE_BLOCK_HEADER_SIZE = 13;
/** Largest SimpleBlock timecode relative to its cluster (signed 16-bit). */
export const MAX_BLOCK_RELATIVE_TIMECODE = 0x7fff;

/** Writes a Cluster start with `timecode`; returns the position after it. */
export function writeClusterHeader(dst: Uint8Array, pos: number, timecode: number): number {
  pos = writeElementHeader(dst, pos, Id.Cluster, UNKNOWN_SIZE, 1);
  pos = writeUintElement(dst, pos, Id.Timestamp, timecode, 8);
  return writeUintElement(dst, pos, Id.Position, 0, 1);
}

const SIMPLE_BLOCK_ID = Id.SimpleBlock; // one byte

/**
 * Writes a SimpleBlock header for a payload of `payloadSize` bytes; returns the position after it
 * (where the payload goes). `trackNumber` < 127, `relativeTimecode` within int16.
 *
 * Sizes below 4 GiB (every frame in practice) are written here with integer operations rather
 * than by ebml's generic writeElementHeader/writeSize: this runs once per frame, and the generic
 * pair is only fast when the JIT inlines it into a caller that passes the 8-byte length as a
 * constant. After the stream's reshape (issue 7) the put path ran out of inlining budget just
 * above it, and writeSize run on its own (a pow, float divisions and modulos for a length it
 * cannot see) cost about a tenth of the 1 KB put → drain → ACK cycle. Other sizes take the
 * generic path: same bytes, same errors.
 */
export function writeSimpleBlockHeader(
  dst: Uint8Array,
  pos: number,
  trackNumber: number,
  relativeTimecode: number,
  flags: number,
  payloadSize: number,
): number {
  const size = payloadSize + 4;
  if (size >>> 0 === size) {
    // An 8-byte vint: the 0x01 length marker, then the value in 7 bytes, the top 3 zero here.
    dst[pos] = SIMPLE_BLOCK_ID;
    dst[pos + 1] = 0x01;
    dst[pos + 2] = 0;
    dst[pos + 3] = 0;
    dst[pos + 4] = 0;
    dst[pos + 5] = size >>> 24;
    dst[pos + 6] = (size >>> 16) & 0xff;
    dst[pos + 7] = (size >>> 8) & 0xff;
    dst[pos + 8] = size & 0xff;
    pos += 9;
  } else {
    pos = writeElementHeader(dst, pos, SIMPLE_BLOCK_ID, size, 8);
  }
  dst[pos] = 0x80 | trackNumber;
  dst[pos + 1] = (relativeTimecode >> 8) & 0xff;
  dst[pos + 2] = relativeTimecode & 0xff;
  dst[pos + 3] = flags;
  return pos + 4;
}
