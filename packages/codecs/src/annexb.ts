// Annex-B byte streams (H.264 Annex B / H.265 Annex B): NAL units separated by start codes.
//
// Accepted syntax, per the byte-stream grammar rather than PIC's stricter scanner:
// - the buffer starts with optional leading_zero_8bits, then a start code `00 00 01`
//   (a 4-byte start code is a zero_byte followed by `00 00 01`);
// - a NAL unit runs until the next start code or the end of the buffer;
// - zero bytes right before a start code or at the very end of the buffer are
//   trailing_zero_8bits: they are never part of a NAL unit (a NAL unit cannot end in 0x00,
//   §7.4.1) and are dropped. PIC rejects more than 3 zeros before a `01`; we accept them as the
//   standard allows, so `… 00 00 00 00 00 01 …` is one NAL end plus a start code.
// Rejected, with STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA (or …_IN_CPD for codec private
// data): no start code at the beginning (including empty input), an empty NAL unit (two start
// codes in a row, or a start code at the end), and the byte sequences a NAL unit may never
// contain: `00 00 00` or `00 00 02` not followed (after more zeros) by `01` or the end.

import { KvsError, type StatusName } from '@kvs-ts/core';

/** Status thrown for malformed Annex-B frame data. */
export const ANNEXB_FRAME_STATUS: StatusName = 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA';

/**
 * Index of the first `00 00 0x` (x ≤ 2) at or after `i`, or -1. Such a triple is where a NAL unit
 * can end; anywhere else a NAL unit just continues. Looks at every third byte while the bytes are
 * > 2, which compressed data nearly always is.
 */
function findZeroPair(src: Uint8Array, i: number): number {
  const last = src.length - 2;
  const unrolled = last - 9;
  for (;;) {
    // Nine bytes per step while no candidate shows up; measurably faster than one check per step.
    while (i < unrolled && src[i + 2] > 2 && src[i + 5] > 2 && src[i + 8] > 2) i += 9;
    while (i < last && src[i + 2] > 2) i += 3;
    if (i >= last) return -1;
    if (src[i + 1] !== 0) i += 2;
    else if (src[i] !== 0) i += 1;
    else return i;
  }
}

/**
 * A reusable cursor over the NAL units of an Annex-B buffer. It allocates nothing per NAL unit:
 * after each successful {@link next}, {@link start} and {@link end} delimit the NAL unit in
 * {@link data} (header byte included, start code and trailing zeros excluded).
 *
 * ```ts
 * const r = new AnnexBReader();
 * r.reset(frame);
 * while (r.next()) handle(frame, r.start, r.end);
 * ```
 */
export class AnnexBReader {
  /** The buffer being read. */
  data: Uint8Array = new Uint8Array(0);
  /** Offset of the current NAL unit's first byte. */
  start = 0;
  /** Offset one past the current NAL unit's last byte. */
  end = 0;
  /** Start of the next NAL unit; data.length + 1 once there is none. */
  private nextStart = 1;
  private status: StatusName = ANNEXB_FRAME_STATUS;

  /**
   * Starts reading `data`. Throws if it does not begin with (optional zeros and) a start code.
   * @param status status thrown for malformed input (frame data by default)
   */
  reset(data: Uint8Array, status: StatusName = ANNEXB_FRAME_STATUS): this {
    this.data = data;
    this.status = status;
    this.start = 0;
    this.end = 0;
    const n = data.length;
    let z = 0;
    while (z < n && data[z] === 0) z++;
    if (z < 2 || z === n || data[z] !== 1) {
      throw new KvsError(status, n === 0 ? 'empty Annex-B buffer' : 'Annex-B data does not start with a start code', {
        offset: z < n ? z : 0,
      });
    }
    this.nextStart = z + 1;
    return this;
  }

  /** Advances to the next NAL unit; false at the end. Throws on malformed data. */
  next(): boolean {
    const src = this.data;
    const n = src.length;
    const s = this.nextStart;
    // nextStart is n + 1 once the last NAL unit has been returned; exactly n when a start code
    // ends the buffer, announcing a NAL unit that is not there.
    if (s > n) return false;
    if (s === n) throw new KvsError(this.status, 'start code at the end of the data (empty NAL unit)', { offset: n });
    const i = findZeroPair(src, s);
    let e: number;
    if (i < 0) {
      e = n;
      while (e > s && src[e - 1] === 0) e--;
      this.nextStart = n + 1;
    } else {
      let j = i + 2;
      while (j < n && src[j] === 0) j++;
      if (j === n) {
        this.nextStart = n + 1;
      } else if (src[j] === 1) {
        this.nextStart = j + 1;
      } else {
        throw new KvsError(
          this.status,
          `forbidden byte sequence 00 00 ${j - i > 2 ? '00' : `0${src[j]}`} inside a NAL unit`,
          { offset: i },
        );
      }
      e = i;
    }
    if (e === s) throw new KvsError(this.status, 'empty NAL unit', { offset: s });
    this.start = s;
    this.end = e;
    return true;
  }
}

/**
 * Calls `onNalu(start, end, index)` for each NAL unit of an Annex-B buffer, in order, without
 * allocating per NAL unit (take `src.subarray(start, end)` only where a view is needed). Returning
 * `false` from the callback stops the walk. Returns the number of NAL units visited.
 */
export function forEachAnnexBNalu(
  src: Uint8Array,
  onNalu: (start: number, end: number, index: number) => unknown,
  status: StatusName = ANNEXB_FRAME_STATUS,
): number {
  const r = new AnnexBReader().reset(src, status);
  let count = 0;
  while (r.next()) {
    if (onNalu(r.start, r.end, count++) === false) break;
  }
  return count;
}

/** The NAL units of an Annex-B buffer as views (allocates one view per NAL unit). */
export function splitAnnexB(src: Uint8Array, status: StatusName = ANNEXB_FRAME_STATUS): Uint8Array[] {
  const out: Uint8Array[] = [];
  forEachAnnexBNalu(src, (s, e) => void out.push(src.subarray(s, e)), status);
  return out;
}

/** Whether `src` begins with a 3- or 4-byte start code (a cheap Annex-B sniff, no validation). */
export function startsWithStartCode(src: Uint8Array): boolean {
  return (
    src.length >= 3 &&
    src[0] === 0 &&
    src[1] === 0 &&
    (src[2] === 1 || (src.length >= 4 && src[2] === 0 && src[3] === 1))
  );
}

/** Joins NAL units into an Annex-B buffer with 4-byte start codes. */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nalus) size += 4 + n.length;
  const out = new Uint8Array(size);
  let p = 0;
  for (const n of nalus) {
    out[p + 3] = 1;
    out.set(n, p + 4);
    p += 4 + n.length;
  }
  return out;
}
