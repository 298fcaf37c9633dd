// ticksToUs / usToTicks against exact BigInt arithmetic, at the scales KVS streams use, with
// epoch-based times (KVS timestamps are µs since 1970: ~1.7e15).

import { ticksToUs, usPerTick, usToTicks } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const MS = 1_000_000;
const US = 1_000;
const HUNDRED_NS = 100;

/** 2017-07-14 and later, in µs. */
const EPOCH_FROM = 1_500_000_000_000_000;
/**
 * At 100 ns an epoch time needs more than 2^53 ticks (the MKV writer rejects those with
 * STATUS_MKV_MAX_FRAME_TIMECODE); the conversions stay exact while us × 10 < 2^54 (early 2027).
 */
const HUNDRED_NS_EXACT_UNTIL = Math.floor(2 ** 54 / 10);

const exactTicks = (us: number, scaleNs: number) => Number((BigInt(us) * 1000n) / BigInt(scaleNs));
const exactUs = (ticks: number, scaleNs: number) => Number((BigInt(ticks) * BigInt(scaleNs)) / 1000n);

describe('ticksToUs / usToTicks', () => {
  for (const [name, scaleNs, to] of [
    ['1 ms', MS, Number.MAX_SAFE_INTEGER],
    ['1 µs', US, Number.MAX_SAFE_INTEGER],
    ['100 ns', HUNDRED_NS, HUNDRED_NS_EXACT_UNTIL],
  ] as const) {
    it(`are exact for epoch times at ${name}`, () => {
      fc.assert(
        fc.property(fc.integer({ min: EPOCH_FROM, max: to }), (us) => {
          const ticks = usToTicks(us, scaleNs);
          expect(ticks).toBe(exactTicks(us, scaleNs));
          expect(ticksToUs(ticks, scaleNs)).toBe(exactUs(ticks, scaleNs));
        }),
        { numRuns: 2000 },
      );
    });

    it(`round-trip epoch times at ${name}: µs → ticks floors to the tick, ticks → µs → ticks is the identity`, () => {
      const tickUs = scaleNs / 1000;
      fc.assert(
        fc.property(fc.integer({ min: EPOCH_FROM, max: to }), (us) => {
          const ticks = usToTicks(us, scaleNs);
          const back = ticksToUs(ticks, scaleNs);
          expect(back).toBeLessThanOrEqual(us);
          expect(us - back).toBeLessThan(tickUs);
          expect(usToTicks(back, scaleNs)).toBe(ticks);
          // A time on the tick grid comes back unchanged.
          expect(ticksToUs(usToTicks(back, scaleNs), scaleNs)).toBe(back);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('are exact at any integer scale while the reduced product stays below 2^53', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1_000_000_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (s, f) => {
        const { num, den } = usPerTick(s);
        const us = Math.floor(f * Math.floor(Number.MAX_SAFE_INTEGER / den));
        const ticks = usToTicks(us, s);
        expect(ticks).toBe(exactTicks(us, s));
        // µs of a whole number of ticks: exact whenever the product is.
        const whole = ticks - (ticks % den);
        if (whole * num <= Number.MAX_SAFE_INTEGER) expect(ticksToUs(whole, s)).toBe(exactUs(whole, s));
      }),
      { numRuns: 2000 },
    );
  });

  it('reduce the scale first: the unreduced products lose the last tick of epoch times', () => {
    // What (ticks × scaleNs) / 1000 and floor(us × 1000 / scaleNs) give: their products pass 2^53.
    const us = 1_700_000_000_042_000;
    expect(Math.floor((us * 1000) / MS)).toBe(1_700_000_000_041);
    expect(usToTicks(us, MS)).toBe(1_700_000_000_042);
    expect(Math.floor((1_700_000_000_000_049 * 1000) / HUNDRED_NS)).not.toBe(17_000_000_000_000_490);
    expect(usToTicks(1_700_000_000_000_049, HUNDRED_NS)).toBe(17_000_000_000_000_490);
    expect((1_700_000_000_002 * MS) / 1000).not.toBe(1_700_000_000_002_000);
    expect(ticksToUs(1_700_000_000_002, MS)).toBe(1_700_000_000_002_000);
  });

  it('usPerTick is the scale in µs per tick, in lowest terms', () => {
    expect(usPerTick(MS)).toEqual({ num: 1000, den: 1 });
    expect(usPerTick(US)).toEqual({ num: 1, den: 1 });
    expect(usPerTick(HUNDRED_NS)).toEqual({ num: 1, den: 10 });
    expect(usPerTick(1500)).toEqual({ num: 3, den: 2 });
    expect(usPerTick(333)).toEqual({ num: 333, den: 1000 });
    expect(ticksToUs(3, 1500)).toBe(4.5);
    expect(usToTicks(4, 1500)).toBe(2);
  });
});
