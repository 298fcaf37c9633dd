// kvs-ts speaks microseconds (as WebCodecs does) in every public API. The MKV timecode
// scale (nanoseconds per tick) and PIC's 100 ns units only appear at the edges.

/** Microseconds per millisecond. */
export const US_PER_MS = 1000;
/** Microseconds per second. */
export const US_PER_SECOND = 1_000_000;
/** The MKV TimecodeScale KVS uses by default: 1 ms, in nanoseconds. */
export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

// Ticks ↔ µs: µs = ticks × scaleNs / 1000. The one rule, used by the writer, the frame-order
// coordinator, the parser and the stream's ACKs: reduce scaleNs / 1000 to lowest terms num / den
// first, then compute ticks × num / den (one rounding, small operands). At whole-µs scales
// (1 ms, 1 µs) den is 1, and at 100 ns num is 1. Computed as (ticks × scaleNs) / 1000 instead,
// epoch-based KVS times (~1.7e15 µs) pass 2^53 in the product and come out off by a little,
// which floored ticks turn into a whole tick (test/time.test.ts).

/** A TimecodeScale's µs per tick as a fraction in lowest terms: µs = ticks × num / den. */
export interface UsPerTick {
  readonly num: number;
  readonly den: number;
}

/**
 * The µs per tick of a TimecodeScale of `timecodeScaleNs` nanoseconds (an integer ≥ 1), for
 * per-frame code that keeps it: `ticks × num / den` and `floor(us × den / num)` are exactly
 * {@link ticksToUs} and {@link usToTicks}.
 */
export function usPerTick(timecodeScaleNs: number): UsPerTick {
  let a = timecodeScaleNs;
  let b = 1000;
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return { num: timecodeScaleNs / a, den: 1000 / a };
}

/**
 * MKV ticks of `timecodeScaleNs` nanoseconds (an integer ≥ 1) → microseconds.
 *
 * Exact: ticks × scaleNs / 1000 rounded once, to the nearest double, whenever ticks × num < 2^53
 * ({@link usPerTick}). At whole-µs scales (1 ms, 1 µs) that is every result up to
 * `MAX_SAFE_INTEGER`, so epoch-based tick counts map to their exact µs.
 */
export function ticksToUs(ticks: number, timecodeScaleNs: number): number {
  if (timecodeScaleNs % 1000 === 0) return ticks * (timecodeScaleNs / 1000);
  const r = usPerTick(timecodeScaleNs);
  return (ticks * r.num) / r.den;
}

/**
 * Microseconds → MKV ticks of `timecodeScaleNs` nanoseconds (an integer ≥ 1), floored as PIC does.
 *
 * Exact for integer µs: floor(us × 1000 / scaleNs) with no rounding error whenever us × den < 2^53
 * ({@link usPerTick}): at 1 ms and 1 µs every safe µs value; at 100 ns us < 2^53 / 10, and up to
 * 2^54 / 10 ≈ 1.8e15 µs (the year 2027) as well, since us × 10 is even.
 */
export function usToTicks(us: number, timecodeScaleNs: number): number {
  if (timecodeScaleNs % 1000 === 0) return Math.floor(us / (timecodeScaleNs / 1000));
  const r = usPerTick(timecodeScaleNs);
  return Math.floor((us * r.den) / r.num);
}

/** Microseconds → PIC's 100 ns units. */
export function usToHundredsOfNanos(us: number): number {
  return us * 10;
}

/** PIC's 100 ns units → microseconds. */
export function hundredsOfNanosToUs(hns: number): number {
  return hns / 10;
}

// Decimal seconds: how KVS writes times in text (x-amzn-producer-start-timestamp, the
// AWS_KINESISVIDEO_*_TIMESTAMP tags of GetMedia). Done in integers, never through a binary
// fraction, so that 1511852109.126 s is 1 511 852 109 126 000 µs exactly.

/**
 * µs → seconds with three zero-padded decimals (milliseconds, floored), e.g. 1511852109.126.
 * (AWS's C producer forgets the padding and writes 5 ms as ".5"; the service reads both.)
 * `undefined` for a negative or non-finite time.
 */
export function usToDecimalSeconds(us: number): string | undefined {
  if (!Number.isFinite(us) || us < 0) return undefined;
  const ms = Math.floor(us / 1000);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Decimal seconds ("1511852109.126", "1796290693.96", "17") → µs, exactly; `undefined` if not such a number. */
export function decimalSecondsToUs(text: string): number | undefined {
  const m = /^\s*([0-9]+)(?:\.([0-9]*))?\s*$/.exec(text);
  if (!m) return undefined;
  const fraction = (m[2] ?? '').padEnd(6, '0');
  const us = Number(m[1]) * 1_000_000 + Number(fraction.slice(0, 6));
  return Number.isSafeInteger(us) ? us : undefined;
}
