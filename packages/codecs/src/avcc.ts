// AVCC framing: every NAL unit preceded by its size as a big-endian integer of 1, 2 or 4 bytes
// (the lengthSizeMinusOne + 1 of the avcC/hvcC record; KVS and PIC always use 4).

import { KvsError, type StatusName } from '@kvs-ts/core';

/** Status thrown for malformed AVCC frame data. */
export const AVCC_FRAME_STATUS: StatusName = 'STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA';

/** Valid NAL length-field sizes. */
export type NaluLengthSize = 1 | 2 | 4;

function checkLengthSize(lengthSize: number): void {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) {
    throw new KvsError('STATUS_INVALID_ARG', `NAL length size must be 1, 2 or 4, not ${lengthSize}`);
  }
}

function readLength(src: Uint8Array, p: number, lengthSize: number): number {
  if (lengthSize === 4) return src[p] * 0x1000000 + ((src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]);
  if (lengthSize === 2) return (src[p] << 8) | src[p + 1];
  return src[p];
}

/**
 * Calls `onNalu(start, end, index)` for each NAL unit of an AVCC buffer (offsets of the NAL unit
 * itself, length field excluded), without allocating. Throws
 * STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA on an empty buffer, a zero length, or a length
 * running past the end — possibly after some NAL units were visited; call {@link validateAvcc}
 * first when that matters. Returning `false` stops the walk. Returns the number visited.
 */
export function forEachAvccNalu(
  src: Uint8Array,
  onNalu: (start: number, end: number, index: number) => unknown,
  lengthSize: NaluLengthSize = 4,
  status: StatusName = AVCC_FRAME_STATUS,
): number {
  checkLengthSize(lengthSize);
  const n = src.length;
  if (n === 0) throw new KvsError(status, 'empty AVCC buffer');
  let p = 0;
  let count = 0;
  while (p < n) {
    if (p + lengthSize > n) throw new KvsError(status, 'truncated NAL length field', { offset: p });
    const len = readLength(src, p, lengthSize);
    if (len === 0) throw new KvsError(status, 'zero-length NAL unit', { offset: p });
    const s = p + lengthSize;
    if (len > n - s) throw new KvsError(status, `NAL length ${len} runs past the end`, { offset: p });
    p = s + len;
    if (onNalu(s, p, count++) === false) break;
  }
  return count;
}

/** Checks AVCC framing; returns the NAL unit count or throws STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA. */
export function validateAvcc(
  src: Uint8Array,
  lengthSize: NaluLengthSize = 4,
  status: StatusName = AVCC_FRAME_STATUS,
): number {
  return forEachAvccNalu(src, () => true, lengthSize, status);
}

/** Whether `src` is well-formed AVCC (never throws for bad data). */
export function isValidAvcc(src: Uint8Array, lengthSize: NaluLengthSize = 4): boolean {
  checkLengthSize(lengthSize);
  const n = src.length;
  if (n === 0) return false;
  let p = 0;
  while (p < n) {
    if (p + lengthSize > n) return false;
    const len = readLength(src, p, lengthSize);
    if (len === 0 || len > n - p - lengthSize) return false;
    p += lengthSize + len;
  }
  return true;
}

/** The NAL units of an AVCC buffer as views (allocates one view per NAL unit). */
export function splitAvcc(src: Uint8Array, lengthSize: NaluLengthSize = 4): Uint8Array[] {
  const out: Uint8Array[] = [];
  forEachAvccNalu(src, (s, e) => void out.push(src.subarray(s, e)), lengthSize);
  return out;
}

/**
 * AVCC (4-byte lengths) → Annex-B in place: each length field becomes `00 00 00 01`. The whole
 * buffer is validated first, so on error it is left untouched.
 */
export function avccToAnnexBInPlace(buf: Uint8Array): void {
  validateAvcc(buf, 4);
  const n = buf.length;
  let p = 0;
  while (p < n) {
    const len = readLength(buf, p, 4);
    buf[p] = 0;
    buf[p + 1] = 0;
    buf[p + 2] = 0;
    buf[p + 3] = 1;
    p += 4 + len;
  }
}

/** AVCC → Annex-B (4-byte start codes) into a new buffer; `src` is not modified. */
export function avccToAnnexB(src: Uint8Array, lengthSize: NaluLengthSize = 4): Uint8Array {
  const count = validateAvcc(src, lengthSize);
  const out = new Uint8Array(src.length + count * (4 - lengthSize));
  if (lengthSize === 4) {
    out.set(src);
    avccToAnnexBInPlace(out);
    return out;
  }
  let t = 0;
  forEachAvccNalu(
    src,
    (s, e) => {
      out[t + 3] = 1;
      out.set(src.subarray(s, e), t + 4);
      t += 4 + e - s;
    },
    lengthSize,
  );
  return out;
}

/** Joins NAL units into an AVCC buffer with `lengthSize`-byte lengths. */
export function joinAvcc(nalus: readonly Uint8Array[], lengthSize: NaluLengthSize = 4): Uint8Array {
  checkLengthSize(lengthSize);
  let size = 0;
  const max = lengthSize === 4 ? 0xffffffff : lengthSize === 2 ? 0xffff : 0xff;
  for (const n of nalus) {
    if (n.length === 0 || n.length > max) {
      throw new KvsError(
        AVCC_FRAME_STATUS,
        `NAL unit of ${n.length} bytes cannot be framed with ${lengthSize}-byte lengths`,
      );
    }
    size += lengthSize + n.length;
  }
  const out = new Uint8Array(size);
  let p = 0;
  for (const n of nalus) {
    const len = n.length;
    for (let b = lengthSize - 1; b >= 0; b--) out[p + lengthSize - 1 - b] = Math.floor(len / 2 ** (8 * b)) & 0xff;
    out.set(n, p + lengthSize);
    p += lengthSize + len;
  }
  return out;
}
