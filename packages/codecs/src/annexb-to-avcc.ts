// Annex-B → AVCC (4-byte big-endian NAL lengths), the MKV writer's per-frame hot path.
//
// The scan is the expensive part, so a converter splits the work: prepare(src) scans and
// validates once, remembering the NAL bounds; write(dst, offset) then produces the output
// straight into the caller's memory. The MKV writer needs the size before it can lay out the
// SimpleBlock, and this way it pays for one scan, not two.

import { KvsError, type StatusName } from '@kvs-ts/core';
import { ANNEXB_FRAME_STATUS, AnnexBReader } from './annexb';

const EMPTY = new Uint8Array(0);

function writeLength(dst: Uint8Array, at: number, len: number): void {
  dst[at] = len >>> 24;
  dst[at + 1] = (len >>> 16) & 0xff;
  dst[at + 2] = (len >>> 8) & 0xff;
  dst[at + 3] = len & 0xff;
}

/**
 * Reusable Annex-B → AVCC converter. Steady state allocates nothing: its bounds table grows to
 * the largest NAL count seen and stays.
 *
 * ```ts
 * const size = conv.prepare(frame);   // validates; throws KvsError on bad Annex-B
 * conv.write(block, headerSize);       // writes exactly `size` bytes
 * ```
 */
export class AnnexBToAvccConverter {
  private bounds = new Int32Array(64);
  private count = 0;
  private size = 0;
  private src: Uint8Array = EMPTY;
  private readonly reader = new AnnexBReader();

  /**
   * Scans and validates `src`, and returns the size of its AVCC form. `src` must not change
   * before {@link write}. Throws STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA (or `status`).
   */
  prepare(src: Uint8Array, status: StatusName = ANNEXB_FRAME_STATUS): number {
    this.src = EMPTY;
    const r = this.reader.reset(src, status);
    let bounds = this.bounds;
    let count = 0;
    let size = 0;
    try {
      while (r.next()) {
        if (2 * count + 2 > bounds.length) {
          const grown = new Int32Array(bounds.length * 2);
          grown.set(bounds);
          this.bounds = bounds = grown;
        }
        bounds[2 * count] = r.start;
        bounds[2 * count + 1] = r.end;
        size += 4 + r.end - r.start;
        count++;
      }
    } finally {
      r.data = EMPTY;
    }
    this.count = count;
    this.size = size;
    this.src = src;
    return size;
  }

  /** Forgets the prepared frame (so that the converter no longer holds on to it). */
  release(): void {
    this.src = EMPTY;
  }

  /** AVCC size of the prepared frame (0 before {@link prepare}). */
  get outputSize(): number {
    return this.src === EMPTY ? 0 : this.size;
  }

  /** Number of NAL units in the prepared frame. */
  get naluCount(): number {
    return this.src === EMPTY ? 0 : this.count;
  }

  /**
   * Writes the prepared frame as AVCC at `dst[offset…]`: exactly {@link outputSize} bytes, nothing
   * outside them. Returns the byte count. The source and `dst` must not overlap. Throws
   * STATUS_INVALID_OPERATION without a prepared frame, STATUS_BUFFER_TOO_SMALL when it does not fit.
   *
   * One bulk copy of the source, then NAL units are shifted in place with `copyWithin` where the
   * start codes were not 4 bytes long. Only zero runs longer than 4 bytes between NAL units
   * (rare) cost one view per NAL unit.
   */
  write(dst: Uint8Array, offset = 0): number {
    const src = this.src;
    if (src === EMPTY) throw new KvsError('STATUS_INVALID_OPERATION', 'write() without a prepared frame');
    const out = this.size;
    if (!(offset >= 0) || offset + out > dst.length) {
      throw new KvsError(
        'STATUS_BUFFER_TOO_SMALL',
        `AVCC output needs ${out} bytes at offset ${offset} of ${dst.length}`,
      );
    }
    this.src = EMPTY;
    const bounds = this.bounds;
    const count = this.count;
    const s0 = bounds[0];
    const eLast = bounds[2 * count - 1];
    // After the bulk copy src[x] sits at dst[x + shift]; NAL unit 0 is then already in place.
    const shift = offset + 4 - s0;
    if (s0 <= 4 && src.length - s0 + 4 <= out) {
      dst.set(src, shift);
    } else if (eLast - s0 + 4 <= out) {
      dst.set(src.subarray(s0, eLast), offset + 4);
    } else {
      let t = offset;
      for (let k = 0; k < count; k++) {
        const s = bounds[2 * k];
        const len = bounds[2 * k + 1] - s;
        writeLength(dst, t, len);
        dst.set(src.subarray(s, s + len), t + 4);
        t += 4 + len;
      }
      return out;
    }
    // NAL units whose target lies left of their copy move first, front to back; then those
    // moving right, back to front. Targets and copies are both in order, so neither sweep
    // overwrites a NAL unit that has yet to move.
    let t = offset;
    for (let k = 0; k < count; k++) {
      const s = bounds[2 * k];
      const len = bounds[2 * k + 1] - s;
      const target = t + 4;
      const from = s + shift;
      if (target < from) dst.copyWithin(target, from, from + len);
      t = target + len;
    }
    t = offset + out;
    for (let k = count - 1; k >= 0; k--) {
      const s = bounds[2 * k];
      const len = bounds[2 * k + 1] - s;
      const target = t - len;
      const from = s + shift;
      if (target > from) dst.copyWithin(target, from, from + len);
      // A length field lies between two targets and after every copy still to move right.
      writeLength(dst, target - 4, len);
      t = target - 4;
    }
    return out;
  }
}

const shared = new AnnexBToAvccConverter();

const sizingReader = new AnnexBReader();

/**
 * Size of the AVCC form of an Annex-B buffer (a validating scan). To size and then convert the
 * same frame, use an {@link AnnexBToAvccConverter} to scan only once.
 */
export function annexBToAvccSize(src: Uint8Array, status: StatusName = ANNEXB_FRAME_STATUS): number {
  const r = sizingReader.reset(src, status);
  let size = 0;
  try {
    while (r.next()) size += 4 + r.end - r.start;
  } finally {
    r.data = EMPTY;
  }
  return size;
}

/**
 * Annex-B → AVCC into caller memory: validates `src`, writes exactly `annexBToAvccSize(src)`
 * bytes at `dst[offset…]` (nothing elsewhere; nothing at all on error) and returns that count.
 */
export function annexBToAvcc(
  src: Uint8Array,
  dst: Uint8Array,
  offset = 0,
  status: StatusName = ANNEXB_FRAME_STATUS,
): number {
  shared.prepare(src, status);
  try {
    return shared.write(dst, offset);
  } finally {
    shared.release();
  }
}

/** Annex-B → AVCC into a new buffer. */
export function annexBToAvccCopy(src: Uint8Array, status: StatusName = ANNEXB_FRAME_STATUS): Uint8Array {
  const dst = new Uint8Array(shared.prepare(src, status));
  shared.write(dst, 0);
  return dst;
}
