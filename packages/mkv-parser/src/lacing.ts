// Lace sizes of a laced (Simple)Block (Matroska, "Block Lacing"): Xiph (1), fixed-size (2) and
// EBML (3). The parser (parser.ts, laced) then hands out each frame as a view of the block.

import { KvsError } from '@kvs-ts/core';
import { vintLength } from '@kvs-ts/ebml';

/** Index in the sizes array where {@link readLaceSizes} puts the offset of the first frame. */
export const LACE_DATA_START = 256;

/**
 * Reads the frame count and sizes of a laced block whose lace header starts at `start` in `data`
 * (the block payload) into `sizes[0 … count)`, and the offset of the first frame into
 * `sizes[LACE_DATA_START]`. Returns the count. Throws STATUS_FORMAT_ERROR (at `offset + start`)
 * for sizes that do not add up.
 */
export function readLaceSizes(
  data: Uint8Array,
  offset: number,
  start: number,
  lacing: number,
  sizes: number[],
): number {
  const len = data.length;
  const bad = (why: string): never => {
    throw new KvsError('STATUS_FORMAT_ERROR', `bad lacing: ${why}`, { offset: offset + start });
  };
  if (start >= len) bad('no frame count');
  const count = data[start] + 1;
  let pos = start + 1;
  if (lacing === 2) {
    const total = len - pos;
    if (total % count !== 0) bad(`${total} bytes do not split into ${count} equal frames`);
    sizes.fill(total / count, 0, count);
  } else if (lacing === 1) {
    let sum = 0;
    for (let i = 0; i < count - 1; i++) {
      let size = 0;
      let b: number;
      do {
        if (pos >= len) bad('Xiph sizes run past the block');
        b = data[pos++];
        size += b;
      } while (b === 255);
      sizes[i] = size;
      sum += size;
    }
    sizes[count - 1] = len - pos - sum;
  } else {
    let sum = 0;
    let prev = 0;
    for (let i = 0; i < count - 1; i++) {
      if (pos >= len) bad('EBML sizes run past the block');
      const vl = vintLength(data[pos]);
      if (vl === 0 || pos + vl > len) bad('invalid EBML lace size');
      let v = data[pos] & (0xff >> vl);
      for (let k = 1; k < vl; k++) v = v * 256 + data[pos + k];
      pos += vl;
      // The first size is unsigned; the rest are signed differences (bias 2^(7·len−1) − 1).
      const size = i === 0 ? v : prev + (v - (2 ** (7 * vl - 1) - 1));
      if (size < 0) bad('negative EBML lace size');
      sizes[i] = size;
      prev = size;
      sum += size;
    }
    sizes[count - 1] = len - pos - sum;
  }
  if (sizes[count - 1] < 0) bad('lace sizes exceed the block');
  sizes[LACE_DATA_START] = pos;
  return count;
}
