// Decoders for the payload of leaf elements (RFC 8794 §7). They read views handed out by
// the reader; none of them keeps a reference.

import { KvsError } from '@kvs-ts/core';

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** An unsigned integer of 0–8 bytes. Values above 2^53 − 1 throw: use {@link readBigUint}. */
export function readUint(data: Uint8Array): number {
  const n = data.length;
  if (n > 8) throw new KvsError('STATUS_FORMAT_ERROR', `unsigned integer element of ${n} bytes`);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + data[i];
  if (v > Number.MAX_SAFE_INTEGER) throw new KvsError('STATUS_MKV_NUMBER_TOO_BIG', 'unsigned integer beyond 2^53 - 1');
  return v;
}

/** An unsigned integer of 0–8 bytes, exact. */
export function readBigUint(data: Uint8Array): bigint {
  const n = data.length;
  if (n > 8) throw new KvsError('STATUS_FORMAT_ERROR', `unsigned integer element of ${n} bytes`);
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(data[i]);
  return v;
}

/** A two's-complement signed integer of 0–8 bytes (beyond ±2^53 precision is lost). */
export function readInt(data: Uint8Array): number {
  const n = data.length;
  if (n > 8) throw new KvsError('STATUS_FORMAT_ERROR', `signed integer element of ${n} bytes`);
  if (n === 0) return 0;
  let v = data[0] & 0x80 ? data[0] - 256 : data[0];
  for (let i = 1; i < n; i++) v = v * 256 + data[i];
  return v;
}

/** An IEEE 754 float of 0, 4 or 8 bytes. */
export function readFloat(data: Uint8Array): number {
  const n = data.length;
  if (n === 0) return 0;
  const view = new DataView(data.buffer, data.byteOffset, n);
  if (n === 4) return view.getFloat32(0);
  if (n === 8) return view.getFloat64(0);
  throw new KvsError('STATUS_FORMAT_ERROR', `float element of ${n} bytes (must be 0, 4 or 8)`);
}

/** An ASCII string; trailing NUL padding is dropped, as RFC 8794 §7.4 allows. */
export function readString(data: Uint8Array): string {
  return latin1.decode(data.subarray(0, contentLength(data)));
}

/** A UTF-8 string; trailing NUL padding is dropped. */
export function readUtf8(data: Uint8Array): string {
  return utf8.decode(data.subarray(0, contentLength(data)));
}

/** Matroska's epoch for Date elements: 2001-01-01T00:00:00Z, in ms since the Unix epoch. */
export const MATROSKA_EPOCH_MS = 978_307_200_000;

/** A Date element: nanoseconds since 2001-01-01, returned as a JS Date (ms precision). */
export function readDate(data: Uint8Array): Date {
  if (data.length !== 0 && data.length !== 8) {
    throw new KvsError('STATUS_FORMAT_ERROR', `date element of ${data.length} bytes (must be 0 or 8)`);
  }
  if (data.length === 0) return new Date(MATROSKA_EPOCH_MS);
  const ns = new DataView(data.buffer, data.byteOffset, 8).getBigInt64(0);
  return new Date(MATROSKA_EPOCH_MS + Number(ns / 1_000_000n));
}

function contentLength(data: Uint8Array): number {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return end;
}
