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

/**
 * Writes a SimpleBlock header for a payload of `payloadSize` bytes; returns the position after it
 * (where the payload goes). `trackNumber` < 127, `relativeTimecode` within int16.
 */
export function writeSimpleBlockHeader(
  dst: Uint8Array,
  pos: number,
  trackNumber: number,
  relativeTimecode: number,
  flags: number,
  payloadSize: number,
): number {
  pos = writeElementHeader(dst, pos, Id.SimpleBlock, payloadSize + 4, 8);
  dst[pos] = 0x80 | trackNumber;
  dst[pos + 1] = (relativeTimecode >> 8) & 0xff;
  dst[pos + 2] = relativeTimecode & 0xff;
  dst[pos + 3] = flags;
  return pos + 4;
}
