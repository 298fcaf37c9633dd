import { hasEmulationPrevention, insertEmulationPrevention, removeEmulationPrevention } from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex, toHex } from './helpers';

// Bytes biased towards 0–3, where emulation prevention happens.
const escapeProneArb = fc.uint8Array({ maxLength: 200 }).map((a) => a.map((b) => (b < 160 ? b & 3 : b)));

describe('emulation prevention', () => {
  it('removes 00 00 03 → 00 00', () => {
    expect(toHex(removeEmulationPrevention(hex('00 00 03 01 00 00 03 00 00 03 03 ff')))).toBe('0000010000000003ff');
    expect(toHex(removeEmulationPrevention(hex('67 00 00 03')))).toBe('670000');
    expect(toHex(removeEmulationPrevention(hex('00 03 00 00')))).toBe('00030000');
    expect(toHex(removeEmulationPrevention(hex('aa 00 00 03 00 bb'), 1, 5))).toBe('000000');
  });

  it('inserts before 00 00 0x (x ≤ 3) and after a final 00 00', () => {
    expect(toHex(insertEmulationPrevention(hex('00 00 00 00 01 00 00 04')))).toBe('00000300000301000004');
    expect(toHex(insertEmulationPrevention(hex('11 00 00')))).toBe('11000003');
    expect(toHex(insertEmulationPrevention(hex('11 00')))).toBe('1100');
  });

  it('round-trips: remove(insert(x)) = x', () => {
    fc.assert(
      fc.property(escapeProneArb, (x) => {
        expect(removeEmulationPrevention(insertEmulationPrevention(x))).toEqual(x);
      }),
    );
  });

  it('insert leaves no start-code emulation: no 00 00 0x (x ≤ 2) and no 00 00 at the end', () => {
    fc.assert(
      fc.property(escapeProneArb, (x) => {
        const y = insertEmulationPrevention(x);
        for (let i = 0; i + 2 < y.length; i++) expect(y[i] === 0 && y[i + 1] === 0 && y[i + 2] <= 2).toBe(false);
        if (y.length >= 2) expect(y[y.length - 1] === 0 && y[y.length - 2] === 0).toBe(false);
        expect(hasEmulationPrevention(y)).toBe(y.length !== x.length);
      }),
    );
  });
});
