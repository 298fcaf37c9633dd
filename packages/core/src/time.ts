// kvs-ts speaks microseconds (as WebCodecs does) in every public API. The MKV timecode
// scale (nanoseconds per tick) and PIC's 100 ns units only appear at the edges.

/** Microseconds per millisecond. */
export const US_PER_MS = 1000;
/** Microseconds per second. */
export const US_PER_SECOND = 1_000_000;
/** The MKV TimecodeScale KVS uses by default: 1 ms, in nanoseconds. */
export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

/** Microseconds → MKV ticks of `timecodeScaleNs` nanoseconds (floored, as PIC does). */
export function usToTimecode(us: number, timecodeScaleNs: number): number {
  return Math.floor((us * 1000) / timecodeScaleNs);
}

/** MKV ticks of `timecodeScaleNs` nanoseconds → microseconds. */
export function timecodeToUs(ticks: number, timecodeScaleNs: number): number {
  return (ticks * timecodeScaleNs) / 1000;
}

/** Microseconds → PIC's 100 ns units. */
export function usToHundredsOfNanos(us: number): number {
  return us * 10;
}

/** PIC's 100 ns units → microseconds. */
export function hundredsOfNanosToUs(hns: number): number {
  return hns / 10;
}
