// Bytes handed to a view as one Uint8Array or as pieces (an MKV block header, then the frame):
// measured once, then copied once, back to back, into store memory.
import { invalidArg } from './errors';

/** Bytes in `data`, one view or pieces; `STATUS_INVALID_ARG` for anything else (`what` names it). */
export function byteLength(data: Uint8Array | readonly Uint8Array[], what: string): number {
  if (data instanceof Uint8Array) return data.length;
  if (!Array.isArray(data)) throw invalidArg(`${what} must be a Uint8Array or an array of Uint8Array`);
  let length = 0;
  for (let i = 0; i < data.length; i++) {
    const piece = data[i];
    if (!(piece instanceof Uint8Array)) throw invalidArg(`${what} piece ${i} is not a Uint8Array`);
    length += piece.length;
  }
  return length;
}

/** Copies `data` (checked by {@link byteLength}) into `bytes` at `at`, pieces back to back. */
export function writeBytes(bytes: Uint8Array, at: number, data: Uint8Array | readonly Uint8Array[]): void {
  if (data instanceof Uint8Array) {
    bytes.set(data, at);
    return;
  }
  for (let i = 0; i < data.length; i++) {
    bytes.set(data[i], at);
    at += data[i].length;
  }
}
