import { KvsError, type StatusName } from '@kvs-ts/core';

/**
 * MSB-first bit reader over a byte range, with the exp-Golomb codes of H.264/H.265 (§9.1).
 * Reading past the end throws a {@link KvsError} carrying `status` (by default
 * STATUS_BIT_READER_OUT_OF_RANGE), so each parser can report its own PIC status.
 */
export class BitReader {
  private readonly data: Uint8Array;
  private readonly endBit: number;
  private bit: number;
  private readonly status: StatusName;

  /**
   * @param data bytes to read (an RBSP: emulation prevention already removed)
   * @param status status of the errors this reader throws
   * @param byteOffset first byte to read
   * @param byteEnd one past the last byte to read
   */
  constructor(
    data: Uint8Array,
    status: StatusName = 'STATUS_BIT_READER_OUT_OF_RANGE',
    byteOffset = 0,
    byteEnd = data.length,
  ) {
    if (byteOffset < 0 || byteEnd > data.length || byteOffset > byteEnd) {
      throw new KvsError('STATUS_BIT_READER_INVALID_SIZE', `byte range ${byteOffset}..${byteEnd} outside the data`);
    }
    this.data = data;
    this.bit = byteOffset * 8;
    this.endBit = byteEnd * 8;
    this.status = status;
  }

  /** Position in bits from the start of `data`. */
  get position(): number {
    return this.bit;
  }

  /** Bits left before the end. */
  get bitsLeft(): number {
    return this.endBit - this.bit;
  }

  /** Whether the position is on a byte boundary. */
  get byteAligned(): boolean {
    return (this.bit & 7) === 0;
  }

  private fail(what: string): never {
    throw new KvsError(this.status, `${what} at bit ${this.bit} runs past the end`, { offset: this.bit >>> 3 });
  }

  /** One bit as 0/1 (`u(1)`). */
  u1(): number {
    if (this.bit >= this.endBit) this.fail('u(1)');
    const v = (this.data[this.bit >>> 3] >>> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return v;
  }

  /** One bit as a boolean. */
  flag(): boolean {
    return this.u1() === 1;
  }

  /** `n` bits (0 ≤ n ≤ 32) as an unsigned number (`u(n)`). */
  u(n: number): number {
    if (n < 0 || n > 32) throw new KvsError('STATUS_INVALID_ARG', `cannot read ${n} bits at once`);
    if (this.bit + n > this.endBit) this.fail(`u(${n})`);
    let v = 0;
    let bit = this.bit;
    let left = n;
    while (left > 0) {
      const byte = this.data[bit >>> 3];
      const inByte = 8 - (bit & 7);
      const take = Math.min(left, inByte);
      // Multiplication instead of << keeps values ≥ 2^31 positive.
      v = v * (1 << take) + ((byte >>> (inByte - take)) & ((1 << take) - 1));
      bit += take;
      left -= take;
    }
    this.bit = bit;
    return v;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    if (n < 0 || this.bit + n > this.endBit) this.fail(`skip(${n})`);
    this.bit += n;
  }

  /** Unsigned exp-Golomb (`ue(v)`), 0 … 2^32 − 2. */
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) {
      // 32 leading zeros would encode ≥ 2^32 − 1, which no syntax element allows.
      if (++zeros > 31) {
        throw new KvsError(this.status, 'exp-Golomb code longer than 32 bits', { offset: this.bit >>> 3 });
      }
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.u(zeros);
  }

  /** Signed exp-Golomb (`se(v)`). */
  se(): number {
    const k = this.ue();
    if (k & 1) return (k + 1) / 2;
    return k === 0 ? 0 : -k / 2; // not -0
  }

  /**
   * Whether RBSP data remains before the rbsp_trailing_bits (H.264 §7.2 `more_rbsp_data()`):
   * false when only the stop bit and zero padding are left.
   */
  moreRbspData(): boolean {
    if (this.bit >= this.endBit) return false;
    let last = (this.endBit >>> 3) - 1;
    while (last >= this.bit >>> 3 && this.data[last] === 0) last--;
    if (last < this.bit >>> 3) return false;
    const byte = this.data[last];
    let stop = 7;
    while (((byte >>> (7 - stop)) & 1) === 0) stop--;
    const stopBit = last * 8 + stop;
    return this.bit < stopBit;
  }
}
