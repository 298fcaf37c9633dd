// Test helpers: an independent bit writer (the reference the BitReader is checked against),
// NAL-unit arbitraries and hex conversion.

import { insertEmulationPrevention } from '@kvs-ts/codecs';
import { isKvsError } from '@kvs-ts/core';
import fc from 'fast-check';

/** MSB-first bit writer with exp-Golomb codes, kept deliberately naive (one bit at a time). */
export class BitWriter {
  private readonly bits: number[] = [];

  u(n: number, value: number): this {
    for (let b = n - 1; b >= 0; b--) this.bits.push(Math.floor(value / 2 ** b) % 2);
    return this;
  }

  flag(v: boolean): this {
    return this.u(1, v ? 1 : 0);
  }

  ue(value: number): this {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.u(len, 0);
    return this.u(len + 1, v);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits: a 1 then zeros to the byte boundary. */
  trailing(): this {
    this.bits.push(1);
    while (this.bits.length % 8) this.bits.push(0);
    return this;
  }

  get length(): number {
    return this.bits.length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((bit, i) => {
      if (bit) out[i >> 3] |= 0x80 >> (i & 7);
    });
    return out;
  }
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A valid NAL unit payload: escaped random RBSP whose last byte is not zero. */
export const naluArb = fc.uint8Array({ minLength: 1, maxLength: 120 }).map((rbsp) => {
  const r = rbsp.slice();
  if (r[r.length - 1] === 0) r[r.length - 1] = 0x80;
  return insertEmulationPrevention(r);
});

/** How one NAL unit is framed in Annex-B: start-code length and trailing zeros before the next. */
export const framingArb = fc.record({ fourByte: fc.boolean(), trailingZeros: fc.nat({ max: 6 }) });

/** Builds Annex-B from NAL units with the given framings (and optional leading zeros). */
export function buildAnnexB(
  nalus: Uint8Array[],
  framings: { fourByte: boolean; trailingZeros: number }[],
  leadingZeros = 0,
): Uint8Array {
  const parts: (Uint8Array | number[])[] = [new Array(leadingZeros).fill(0)];
  nalus.forEach((n, i) => {
    const f = framings[i % framings.length];
    parts.push(f.fourByte ? [0, 0, 0, 1] : [0, 0, 1], n, new Array(f.trailingZeros).fill(0));
  });
  return concat(...parts);
}

/** Runs `fn` and expects it to return or throw a KvsError, nothing else. */
export function onlyKvsErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isKvsError(e)) throw new Error(`non-KvsError thrown: ${String(e)}`, { cause: e });
  }
}

/** Status name of the KvsError `fn` throws (fails the test if it does not throw one). */
export function thrownStatus(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isKvsError(e)) return e.statusName;
    throw e;
  }
  throw new Error('expected a KvsError, nothing was thrown');
}
