import { isKvsError } from '@kvs-ts/core';
import {
  EbmlBuilder,
  idLength,
  readBigUint,
  readFloat,
  readId,
  readInt,
  readString,
  readUint,
  readUtf8,
  readVint,
  sizeLength,
  UNKNOWN_SIZE,
  uintByteLength,
  vintLength,
  writeId,
  writeSize,
} from '@kvs-ts/ebml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('size vints', () => {
  it('round-trips every value at every length that fits it', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 8 }), (value, extra) => {
        const min = sizeLength(value);
        const len = Math.min(8, Math.max(min, extra));
        const buf = new Uint8Array(8);
        expect(writeSize(buf, 0, value, len)).toBe(len);
        expect(vintLength(buf[0])).toBe(len);
        expect(readVint(buf, 0)).toEqual({ value, length: len });
      }),
    );
  });

  it('picks the minimal length and never the reserved all-ones form', () => {
    expect(sizeLength(0)).toBe(1);
    expect(sizeLength(126)).toBe(1);
    expect(sizeLength(127)).toBe(2); // 0xFF is "unknown"
    expect(sizeLength(16382)).toBe(2);
    expect(sizeLength(16383)).toBe(3);
    expect(sizeLength(2 ** 49 - 2)).toBe(7);
    expect(sizeLength(2 ** 49 - 1)).toBe(8);
  });

  it('reads the unknown size of every length', () => {
    for (let len = 1; len <= 8; len++) {
      const buf = new Uint8Array(8);
      writeSize(buf, 0, UNKNOWN_SIZE, len);
      expect(readVint(buf, 0)).toEqual({ value: UNKNOWN_SIZE, length: len });
    }
    expect(readVint(Uint8Array.of(0xff), 0)?.value).toBe(UNKNOWN_SIZE);
    expect(readVint(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0)?.value).toBe(UNKNOWN_SIZE);
  });

  it('reads 8-byte sizes of 64 KiB and more exactly (the bug that rules out the ebml package)', () => {
    const buf = Uint8Array.of(0x01, 0, 0, 0, 0, 0x01, 0x00, 0x00);
    expect(readVint(buf, 0)).toEqual({ value: 65536, length: 8 });
  });

  it('returns undefined when the buffer ends inside the vint, and rejects 0x00', () => {
    expect(readVint(Uint8Array.of(0x40), 0)).toBeUndefined();
    expect(readVint(new Uint8Array(0), 0)).toBeUndefined();
    expect(() => readVint(Uint8Array.of(0x00, 1), 0)).toThrow(/first byte 0x00/);
  });

  it('refuses values that do not fit', () => {
    const buf = new Uint8Array(8);
    expect(() => writeSize(buf, 0, 127, 1)).toThrow(/does not fit/);
    expect(() => writeSize(buf, 0, -5)).toThrow();
    expect(() => writeSize(buf, 0, 1.5)).toThrow();
    try {
      sizeLength(2 ** 60);
    } catch (e) {
      expect(isKvsError(e, 'STATUS_MKV_NUMBER_TOO_BIG')).toBe(true);
    }
  });
});

describe('element IDs', () => {
  it('round-trip for every class', () => {
    for (const id of [0xa3, 0x4286, 0x2ad7b1, 0x1a45dfa3, 0x18538067]) {
      const buf = new Uint8Array(4);
      expect(writeId(buf, 0, id)).toBe(idLength(id));
      expect(readId(buf, 0)).toEqual({ value: id, length: idLength(id) });
    }
  });

  it('rejects IDs longer than 4 bytes', () => {
    expect(() => readId(Uint8Array.of(0x08, 0, 0, 0, 0), 0)).toThrow(/invalid EBML element ID/);
  });
});

describe('leaf values', () => {
  it('decode what the builder encodes', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeInteger(), fc.double({ noNaN: true }), fc.string(), (u, i, f, s) => {
        const b = new EbmlBuilder(4);
        b.uint(0x81, u).int(0x82, i).float(0x83, f).string(0x84, s);
        const bytes = b.toBytes();
        let pos = 0;
        const out: Uint8Array[] = [];
        while (pos < bytes.length) {
          const id = readId(bytes, pos)!;
          const size = readVint(bytes, pos + id.length)!;
          const start = pos + id.length + size.length;
          out.push(bytes.subarray(start, start + size.value));
          pos = start + size.value;
        }
        expect(readUint(out[0])).toBe(u);
        expect(out[0].length).toBe(uintByteLength(u));
        expect(readInt(out[1])).toBe(i);
        expect(Object.is(readFloat(out[2]), f) || readFloat(out[2]) === f).toBe(true);
        expect(readUtf8(out[3])).toBe(s);
      }),
    );
  });

  it('handles the edge forms', () => {
    expect(readUint(new Uint8Array(0))).toBe(0);
    expect(readInt(Uint8Array.of(0xff, 0xfe))).toBe(-2);
    expect(readFloat(Uint8Array.of(0x3f, 0x80, 0, 0))).toBe(1);
    expect(readString(Uint8Array.of(0x41, 0x42, 0, 0))).toBe('AB');
    expect(readBigUint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(2n ** 64n - 1n);
    expect(() => readUint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toThrow();
    expect(() => readFloat(Uint8Array.of(1, 2, 3))).toThrow(/float element of 3 bytes/);
  });
});
