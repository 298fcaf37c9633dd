// Writer primitives for the muxer. Hot-path writes go straight into caller memory at a
// position (no intermediate arrays); EbmlBuilder is the convenient growable form for
// headers that are built once per stream.

import { KvsError } from '@kvs-ts/core';
import { idLength, sizeLength, UNKNOWN_SIZE, writeId, writeSize } from './vint';

const encoder = new TextEncoder();

/** Bytes needed for an unsigned integer payload (at least 1). */
export function uintByteLength(value: number): number {
  checkUint(value);
  let len = 1;
  while (len < 8 && value >= 2 ** (8 * len)) len++;
  return len;
}

/** Writes `value` big-endian in exactly `length` bytes at `pos`; returns the position after. */
export function writeUintBytes(dst: Uint8Array, pos: number, value: number, length: number): number {
  checkUint(value);
  if (length < 8 && value >= 2 ** (8 * length)) {
    throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `${value} does not fit in ${length} bytes`);
  }
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    dst[pos + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return pos + length;
}

/** Writes an element header (ID + size vint of `sizeLen` bytes, default minimal); returns the position after. */
export function writeElementHeader(dst: Uint8Array, pos: number, id: number, size: number, sizeLen?: number): number {
  pos = writeId(dst, pos, id);
  return writeSize(dst, pos, size, sizeLen);
}

/** Length of an element header for `id` and `size` with a minimal (or given) size vint. */
export function elementHeaderLength(id: number, size: number, sizeLen?: number): number {
  return idLength(id) + (sizeLen ?? (size === UNKNOWN_SIZE ? 1 : sizeLength(size)));
}

/** Writes a complete unsigned-integer element; `length` fixes the payload width (PIC writes 8-byte timecodes). */
export function writeUintElement(
  dst: Uint8Array,
  pos: number,
  id: number,
  value: number,
  length = uintByteLength(value),
): number {
  pos = writeElementHeader(dst, pos, id, length);
  return writeUintBytes(dst, pos, value, length);
}

function checkUint(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `${value} is not an unsigned integer below 2^53`);
  }
}

/**
 * A growable byte buffer with EBML element helpers, for headers and tags (built once per
 * stream or per fragment, not per frame). Masters are written with a size patched in when
 * they close, or with an unknown size.
 */
export class EbmlBuilder {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;
  private readonly open: Array<{ sizePos: number; sizeLen: number }> = [];

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Raw bytes. */
  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** An element ID alone. */
  id(id: number): this {
    this.ensure(4);
    this.length = writeId(this.buf, this.length, id);
    return this;
  }

  /** A size vint alone (`length` bytes, default minimal). */
  size(value: number, length?: number): this {
    this.ensure(8);
    this.length = writeSize(this.buf, this.length, value, length);
    return this;
  }

  /** An unsigned-integer element, minimal width unless `length` is given. */
  uint(id: number, value: number, length?: number): this {
    this.ensure(16);
    this.length = writeUintElement(this.buf, this.length, id, value, length);
    return this;
  }

  /** An unsigned-integer element from a bigint (for 64-bit UIDs), in `length` bytes (default 8). */
  bigUint(id: number, value: bigint, length = 8): this {
    if (value < 0n || value >= 1n << BigInt(8 * length)) {
      throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `${value} does not fit in ${length} bytes`);
    }
    this.ensure(12 + length);
    this.length = writeElementHeader(this.buf, this.length, id, length);
    for (let i = length - 1; i >= 0; i--) {
      this.buf[this.length + i] = Number(value & 0xffn);
      value >>= 8n;
    }
    this.length += length;
    return this;
  }

  /** A signed-integer element in the fewest bytes. */
  int(id: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `${value} is not a safe integer`);
    let len = 1;
    while (len < 8 && (value < -(2 ** (8 * len - 1)) || value >= 2 ** (8 * len - 1))) len++;
    this.ensure(12 + len);
    this.length = writeElementHeader(this.buf, this.length, id, len);
    // Byte by byte, so that negative values never pass through 2^(8·len) + value, which
    // would lose precision beyond 2^53.
    let v = value;
    for (let i = len - 1; i >= 0; i--) {
      const byte = ((v % 256) + 256) % 256;
      this.buf[this.length + i] = byte;
      v = (v - byte) / 256;
    }
    this.length += len;
    return this;
  }

  /** A float element, 8 bytes (or 4 with `length` 4). */
  float(id: number, value: number, length: 4 | 8 = 8): this {
    this.ensure(12 + length);
    this.length = writeElementHeader(this.buf, this.length, id, length);
    if (length === 4) this.view.setFloat32(this.length, value);
    else this.view.setFloat64(this.length, value);
    this.length += length;
    return this;
  }

  /** A string or UTF-8 element. */
  string(id: number, value: string, sizeLen?: number): this {
    return this.binary(id, encoder.encode(value), sizeLen);
  }

  /** A binary element. */
  binary(id: number, data: Uint8Array, sizeLen?: number): this {
    this.ensure(12 + data.length);
    this.length = writeElementHeader(this.buf, this.length, id, data.length, sizeLen);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /**
   * Opens a master. With `sizeLen` the size is patched in when {@link end} is called (fixed
   * width); with `unknown: true` an unknown size is written and {@link end} is not needed.
   */
  start(id: number, opts: { sizeLen?: number; unknown?: boolean } = {}): this {
    this.ensure(12);
    this.length = writeId(this.buf, this.length, id);
    if (opts.unknown) {
      this.length = writeSize(this.buf, this.length, UNKNOWN_SIZE, opts.sizeLen ?? 1);
      return this;
    }
    const sizeLen = opts.sizeLen ?? 8;
    this.open.push({ sizePos: this.length, sizeLen });
    this.length += sizeLen;
    return this;
  }

  /** Closes the innermost master opened with a size, writing its size. */
  end(): this {
    const m = this.open.pop();
    if (m === undefined) throw new KvsError('STATUS_INVALID_OPERATION', 'EbmlBuilder.end() without an open master');
    writeSize(this.buf, m.sizePos, this.length - m.sizePos - m.sizeLen, m.sizeLen);
    return this;
  }

  /** A copy of the bytes written, trimmed to length. */
  toBytes(): Uint8Array {
    if (this.open.length > 0) throw new KvsError('STATUS_INVALID_OPERATION', 'EbmlBuilder has unclosed masters');
    return this.buf.slice(0, this.length);
  }

  /** Forgets what was written, keeping the memory. */
  reset(): this {
    this.length = 0;
    this.open.length = 0;
    return this;
  }
}
