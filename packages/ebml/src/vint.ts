// EBML variable-size integers (RFC 8794 §4). IDs keep their length-marker bits, as the
// Matroska spec writes them (0x1A45DFA3); sizes are plain numbers, with -1 for "unknown".

import { KvsError } from '@kvs-ts/core';

/** The data size of an element whose size is unknown (all value bits set). */
export const UNKNOWN_SIZE = -1;

/** Largest size or value that a vint can carry without losing precision in a JS number. */
export const MAX_VINT_VALUE = Number.MAX_SAFE_INTEGER;

/**
 * Length in bytes (1–8) of the vint that starts with `firstByte`, or 0 when the byte is 0x00,
 * which starts no valid vint of at most 8 bytes.
 */
export function vintLength(firstByte: number): number {
  // Math.clz32 counts zeros in 32 bits; the byte sits in the low 8.
  return firstByte === 0 ? 0 : Math.clz32(firstByte) - 23;
}

/** Result of {@link readVint}: the value and how many bytes it took. */
export interface VintResult {
  value: number;
  length: number;
}

/**
 * Reads a size vint at `pos`. Returns `{ value: UNKNOWN_SIZE }` for the reserved all-ones form
 * of any length (e.g. `0xFF`, `0x01FFFFFFFFFFFFFF`), and `undefined` when `buf` ends before
 * the vint does. Throws a KvsError on a 0x00 first byte or a value beyond 2^53 − 1.
 */
export function readVint(
  buf: Uint8Array,
  pos: number,
  out: VintResult = { value: 0, length: 0 },
): VintResult | undefined {
  if (pos >= buf.length) return undefined;
  const first = buf[pos];
  const len = vintLength(first);
  if (len === 0)
    throw new KvsError('STATUS_FORMAT_ERROR', 'invalid EBML variable-size integer (first byte 0x00)', { offset: pos });
  if (pos + len > buf.length) return undefined;
  let value = first & (0xff >> len);
  let allOnes = value === 0xff >> len;
  for (let i = 1; i < len; i++) {
    const b = buf[pos + i];
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  if (allOnes) value = UNKNOWN_SIZE;
  else if (value > MAX_VINT_VALUE) {
    throw new KvsError('STATUS_FORMAT_ERROR', `EBML size ${value} exceeds 2^53 - 1`, { offset: pos });
  }
  out.value = value;
  out.length = len;
  return out;
}

/**
 * Reads an element ID at `pos` (1–4 bytes, marker bits kept). Returns `undefined` when `buf`
 * ends first; throws a KvsError for IDs longer than 4 bytes or the reserved all-ones IDs.
 */
export function readId(
  buf: Uint8Array,
  pos: number,
  out: VintResult = { value: 0, length: 0 },
): VintResult | undefined {
  if (pos >= buf.length) return undefined;
  const first = buf[pos];
  const len = vintLength(first);
  if (len === 0 || len > 4) {
    throw new KvsError('STATUS_FORMAT_ERROR', `invalid EBML element ID (first byte 0x${hex2(first)})`, { offset: pos });
  }
  if (pos + len > buf.length) return undefined;
  let id = first;
  for (let i = 1; i < len; i++) id = id * 256 + buf[pos + i];
  out.value = id;
  out.length = len;
  return out;
}

/** Bytes needed to write `id` (its marker bits tell). */
export function idLength(id: number): number {
  if (id < 0x100) return 1;
  if (id < 0x10000) return 2;
  if (id < 0x1000000) return 3;
  return 4;
}

/** Smallest vint length (1–8) that can carry `value` (all-ones forms are reserved for unknown). */
export function sizeLength(value: number): number {
  if (value < 0 || !Number.isInteger(value) || value > MAX_VINT_VALUE) {
    throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `cannot encode ${value} as an EBML size`);
  }
  let len = 1;
  // 2^(7·len) − 1 is the reserved all-ones value of that length.
  while (len < 8 && value >= 2 ** (7 * len) - 1) len++;
  return len;
}

/** Writes `id` at `pos`; returns the position after it. */
export function writeId(dst: Uint8Array, pos: number, id: number): number {
  const len = idLength(id);
  for (let i = len - 1; i >= 0; i--) {
    dst[pos + i] = id & 0xff;
    id = Math.floor(id / 256);
  }
  return pos + len;
}

/**
 * Writes a size vint of exactly `length` bytes (default: the smallest that fits); returns the
 * position after it. Fixed lengths let a writer patch a size later or match PIC's layout
 * (8-byte SimpleBlock sizes). Writing {@link UNKNOWN_SIZE} writes the all-ones form.
 */
export function writeSize(
  dst: Uint8Array,
  pos: number,
  value: number,
  length = value === UNKNOWN_SIZE ? 1 : sizeLength(value),
): number {
  if (length < 1 || length > 8) throw new KvsError('STATUS_INVALID_ARG', `EBML size length ${length} not in 1..8`);
  if (value === UNKNOWN_SIZE) {
    dst[pos] = 0xff >> (length - 1);
    for (let i = 1; i < length; i++) dst[pos + i] = 0xff;
    return pos + length;
  }
  if (value < 0 || !Number.isInteger(value) || value >= 2 ** (7 * length) - 1) {
    throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', `size ${value} does not fit a ${length}-byte EBML vint`);
  }
  let v = value;
  for (let i = length - 1; i > 0; i--) {
    dst[pos + i] = v % 256;
    v = Math.floor(v / 256);
  }
  dst[pos] = (0x80 >> (length - 1)) | v;
  return pos + length;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
