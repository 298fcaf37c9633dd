import { isKvsError, KvsError } from '@kvs-ts/core';
import { EbmlBuilder, EbmlReader, Id } from '@kvs-ts/ebml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbStream, chunked, recorder, serialise } from './tree';

function readAll(chunks: Uint8Array[], skip?: number[]) {
  const r = recorder();
  const reader = new EbmlReader(r.handler, { skip });
  for (const c of chunks) reader.push(c);
  reader.end();
  return r.events;
}

describe('EbmlReader', () => {
  it('reports exactly the serialised tree, unknown sizes included', () => {
    fc.assert(
      fc.property(arbStream, (nodes) => {
        const { bytes, events } = serialise(nodes);
        expect(readAll([bytes])).toEqual(events);
      }),
      { numRuns: 200 },
    );
  });

  it('gives identical events for any chunking, down to one byte', () => {
    fc.assert(
      fc.property(arbStream, fc.array(fc.nat(), { maxLength: 40 }), (nodes, cuts) => {
        const { bytes, events } = serialise(nodes);
        expect(readAll(chunked(bytes, cuts))).toEqual(events);
      }),
      { numRuns: 150 },
    );
    const { bytes, events } = serialise(fc.sample(arbStream, { seed: 7, numRuns: 1 })[0]);
    expect(readAll(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(events);
  });

  it('skips listed elements and their children without events', () => {
    const skip = [Id.Tags, Id.Void, Id.Tracks];
    fc.assert(
      fc.property(arbStream, fc.array(fc.nat(), { maxLength: 10 }), (nodes, cuts) => {
        const { bytes, events } = serialise(nodes, new Set(skip));
        expect(readAll(chunked(bytes, cuts), skip)).toEqual(events);
      }),
      { numRuns: 100 },
    );
  });

  it('peeks: listed leaves come as their first bytes and size, under any chunking', () => {
    const peek: number[] = [Id.SimpleBlock, Id.Block];
    // The expected events: those of a full read, with each peeked leaf cut to its head.
    const asHeads = (events: string[], bytes: number) =>
      events.map((e) => {
        const m = /^leaf (\w+) @(\d+) (\w*)$/.exec(e);
        if (!m || !peek.includes(Number.parseInt(m[1], 16))) return e;
        return `head ${m[1]} @${m[2]} ${m[3].slice(0, 2 * bytes)} size ${m[3].length / 2}`;
      });
    fc.assert(
      fc.property(
        arbStream,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 20 }),
        (nodes, cuts, peekBytes) => {
          const { bytes, events } = serialise(nodes);
          const r = recorder();
          const handler = {
            ...r.handler,
            onLeafHead(id: number, b: Uint8Array, start: number, length: number, size: number, at: number) {
              const hex = Array.from(b.subarray(start, start + length), (x) => x.toString(16).padStart(2, '0'));
              r.events.push(`head ${id.toString(16)} @${at} ${hex.join('')} size ${size}`);
            },
          };
          const reader = new EbmlReader(handler, { peek, peekBytes });
          for (const c of chunked(bytes, cuts)) reader.push(c);
          reader.end();
          expect(r.events).toEqual(asHeads(events, peekBytes));
        },
      ),
      { numRuns: 200 },
    );
    expect(() => new EbmlReader(recorder().handler, { peek })).toThrow(/onLeafHead/);
  });

  it('hands out views of the pushed chunk when a payload fits in it', () => {
    const bytes = new EbmlBuilder()
      .start(Id.Cluster, { unknown: true })
      .binary(Id.SimpleBlock, new Uint8Array(100).fill(7))
      .toBytes();
    let seen: Uint8Array | undefined;
    const reader = new EbmlReader({
      onMasterStart: () => true,
      onMasterEnd: () => {},
      onLeaf: (_id, data) => {
        seen = data;
      },
    });
    reader.push(bytes);
    expect(seen?.buffer).toBe(bytes.buffer);
    expect(seen?.length).toBe(100);
  });

  it('ends an unknown-size Segment at the next EBML header (GetMedia)', () => {
    const one = new EbmlBuilder()
      .start(Id.EBML, { sizeLen: 1 })
      .string(Id.DocType, 'matroska')
      .end()
      .start(Id.Segment, { unknown: true })
      .start(Id.Cluster, { unknown: true })
      .uint(Id.Timestamp, 5)
      .binary(Id.SimpleBlock, Uint8Array.of(0x81, 0, 0, 0x80, 1))
      .toBytes();
    const both = new Uint8Array(one.length * 2);
    both.set(one);
    both.set(one, one.length);
    const events = readAll([both]);
    const ends = events.filter((e) => e.startsWith('end'));
    expect(ends).toEqual([
      'end 1a45dfa3 @16',
      `end 1f43b675 @${one.length}`,
      `end 18538067 @${one.length}`,
      `end 1a45dfa3 @${one.length + 16}`,
      `end 1f43b675 @${2 * one.length}`,
      `end 18538067 @${2 * one.length}`,
    ]);
  });

  it('skips a known element misplaced in a sized master, and rejects one of unknown size', () => {
    const misplaced = new EbmlBuilder()
      .start(Id.Info, { sizeLen: 1 })
      .binary(Id.SimpleBlock, Uint8Array.of(1, 2, 3))
      .uint(Id.TimestampScale, 1000)
      .end()
      .toBytes();
    expect(readAll([misplaced])).toEqual([
      'start 1549a966 @0 size 11 data@5',
      'leaf 2ad7b1 @14 03e8',
      'end 1549a966 @16',
    ]);
    const unknownInside = new EbmlBuilder()
      .start(Id.Info, { sizeLen: 1 })
      .start(Id.Cluster, { unknown: true })
      .end()
      .toBytes();
    expect(() => readAll([unknownInside])).toThrow(/Cluster of unknown size inside Info/);
  });

  const bad: Array<[string, number[], string]> = [
    ['an ID byte of 0x00', [0x00, 0x81], 'STATUS_FORMAT_ERROR'],
    ['a 5-byte ID', [0x08, 1, 2, 3, 4, 0x80], 'STATUS_FORMAT_ERROR'],
    ['a size byte of 0x00', [0xa3, 0x00], 'STATUS_FORMAT_ERROR'],
    ['a leaf of unknown size', [0x1f, 0x43, 0xb6, 0x75, 0xff, 0xa3, 0xff], 'STATUS_FORMAT_ERROR'],
    ['a child larger than its parent', [0xa0, 0x83, 0xa1, 0x85, 1, 2, 3], 'STATUS_FORMAT_ERROR'],
    ['a truncated payload', [0xa3, 0x85, 1, 2], 'STATUS_UNEXPECTED_EOF'],
    ['a truncated header', [0x1a, 0x45], 'STATUS_UNEXPECTED_EOF'],
    ['a truncated sized master', [0xa0, 0x84, 0xa1, 0x81, 1], 'STATUS_UNEXPECTED_EOF'],
  ];
  for (const [what, input, status] of bad) {
    it(`rejects ${what} with ${status} and the offset`, () => {
      const reader = new EbmlReader(recorder().handler);
      let err: unknown;
      try {
        reader.push(Uint8Array.from(input));
        reader.end();
      } catch (e) {
        err = e;
      }
      expect(isKvsError(err, status as 'STATUS_FORMAT_ERROR')).toBe(true);
      expect((err as KvsError).offset).toBeTypeOf('number');
      // A failed reader stays failed.
      expect(() => reader.push(Uint8Array.of(0xec, 0x80))).toThrow(KvsError);
    });
  }

  it('bounds what it buffers', () => {
    const reader = new EbmlReader(recorder().handler, { maxElementSize: 1000 });
    const header = Uint8Array.of(0xa3, 0x42, 0x00); // SimpleBlock of 0x200 = 512 bytes: fine
    reader.push(header);
    reader.push(new Uint8Array(512));
    const big = Uint8Array.of(0xa3, 0x48, 0x00); // 2048 bytes, not in this chunk
    expect(() => reader.push(big)).toThrow(/exceeds maxElementSize/);
  });

  it('rejects nesting beyond maxDepth', () => {
    const b = new EbmlBuilder();
    for (let i = 0; i < 5; i++) b.start(Id.SimpleTag, { unknown: true });
    const reader = new EbmlReader(recorder().handler, { maxDepth: 4 });
    expect(() => reader.push(b.toBytes())).toThrow(/nested deeper/);
  });

  it('only ever throws KvsError on random or mutated input', () => {
    fc.assert(
      fc.property(
        arbStream,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (nodes, flips, cut) => {
          const { bytes } = serialise(nodes);
          const mutated = bytes.slice(0, bytes.length - (cut % 16));
          for (const [at, v] of flips) if (mutated.length) mutated[at % mutated.length] = v;
          const reader = new EbmlReader(recorder().handler, { maxElementSize: 1 << 20 });
          try {
            reader.push(mutated);
            reader.end();
          } catch (e) {
            if (!(e instanceof KvsError)) throw e;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
