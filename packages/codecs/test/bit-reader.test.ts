import { BitReader } from '@kvs-ts/codecs';
import { isKvsError } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, hex, thrownStatus } from './helpers';

type Op = { kind: 'u'; n: number; v: number } | { kind: 'ue'; v: number } | { kind: 'se'; v: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .integer({ min: 0, max: 32 })
    .chain((n) =>
      fc.record({ kind: fc.constant('u' as const), n: fc.constant(n), v: fc.integer({ min: 0, max: 2 ** n - 1 }) }),
    ),
  fc.record({
    kind: fc.constant('ue' as const),
    v: fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 2 })),
  }),
  fc.record({ kind: fc.constant('se' as const), v: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }) }),
);

describe('BitReader', () => {
  it('reads back what the reference writer wrote (u(n), ue, se)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const w = new BitWriter();
        for (const op of ops) {
          if (op.kind === 'u') w.u(op.n, op.v);
          else if (op.kind === 'ue') w.ue(op.v);
          else w.se(op.v);
        }
        const total = w.length;
        const r = new BitReader(w.bytes());
        for (const op of ops) {
          const got = op.kind === 'u' ? r.u(op.n) : op.kind === 'ue' ? r.ue() : r.se();
          expect(got).toBe(op.v);
        }
        expect(r.position).toBe(total);
      }),
    );
  });

  it('decodes the exp-Golomb table of H.264 §9.1', () => {
    // 1 | 010 | 011 | 00100 | 00101 | 00110 | 00111 | 0001000 → 0..7
    const w = new BitWriter();
    for (const bits of ['1', '010', '011', '00100', '00101', '00110', '00111', '0001000']) {
      for (const c of bits) w.u(1, c === '1' ? 1 : 0);
    }
    const r = new BitReader(w.bytes());
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(() => r.ue())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const s = new BitReader(new BitWriter().ue(1).ue(2).ue(3).ue(4).bytes());
    expect([s.se(), s.se(), s.se(), s.se()]).toEqual([1, -1, 2, -2]);
  });

  it('throws its status past the end, and for over-long exp-Golomb codes', () => {
    const r = new BitReader(hex('ff'), 'STATUS_MKV_INVALID_H264_H265_SPS_NALU');
    r.u(7);
    expect(thrownStatus(() => r.u(2))).toBe('STATUS_MKV_INVALID_H264_H265_SPS_NALU');
    expect(r.u1()).toBe(1);
    expect(thrownStatus(() => r.u1())).toBe('STATUS_MKV_INVALID_H264_H265_SPS_NALU');
    expect(thrownStatus(() => new BitReader(new Uint8Array(8)).ue())).toBe('STATUS_BIT_READER_OUT_OF_RANGE');
    expect(thrownStatus(() => new BitReader(new Uint8Array(2)).ue())).toBe('STATUS_BIT_READER_OUT_OF_RANGE');
    expect(thrownStatus(() => new BitReader(new Uint8Array(2), undefined, 3))).toBe('STATUS_BIT_READER_INVALID_SIZE');
  });

  it('honours a byte range', () => {
    const r = new BitReader(hex('00 a5 ff'), undefined, 1, 2);
    expect(r.u(8)).toBe(0xa5);
    expect(r.bitsLeft).toBe(0);
    expect(isKvsError(captured(() => r.u1()))).toBe(true);
  });

  it('finds the rbsp stop bit (more_rbsp_data)', () => {
    const r = new BitReader(hex('a0 80 00'));
    r.u(3); // 101, then 00000 of data before the stop bit in 0x80
    expect(r.moreRbspData()).toBe(true);
    const r1 = new BitReader(hex('a0 00'));
    r1.u(2); // 10, then the stop bit
    expect(r1.moreRbspData()).toBe(false);
    const r2 = new BitReader(hex('b0'));
    r2.u(2);
    expect(r2.moreRbspData()).toBe(true);
    r2.u(1);
    expect(r2.moreRbspData()).toBe(false);
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
