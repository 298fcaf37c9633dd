import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena, BLOCK_HEADER, blockSizeFor, Heap, MIN_BLOCK } from '../src/heap';

/** Allocated intervals of one arena, kept by the test: the allocator must agree with them. */
class Intervals {
  readonly blocks = new Map<number, number>();

  constructor(readonly size: number) {}

  add(start: number, size: number): void {
    for (const [s, n] of this.blocks) {
      if (start < s + n && s < start + size) throw new Error(`block ${start}+${size} overlaps ${s}+${n}`);
    }
    if (start < 0 || start + size > this.size || start % 8 !== 0)
      throw new Error(`block ${start}+${size} out of bounds`);
    this.blocks.set(start, size);
  }

  /** The largest gap between allocated blocks: what any exact allocator can still place. */
  largestGap(): number {
    const sorted = [...this.blocks].sort((a, b) => a[0] - b[0]);
    let largest = 0;
    let end = 0;
    for (const [s, n] of sorted) {
      largest = Math.max(largest, s - end);
      end = s + n;
    }
    return Math.max(largest, this.size - end);
  }
}

const ops = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('alloc' as const), length: fc.integer({ min: 1, max: 3000 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('alloc' as const), length: fc.integer({ min: 1, max: 40_000 }) }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  ),
  { maxLength: 300 },
);

describe('Arena (TLSF)', () => {
  it('rounds payloads up to 8-byte blocks with an 8-byte header, 16 bytes at least', () => {
    expect(blockSizeFor(1)).toBe(MIN_BLOCK);
    expect(blockSizeFor(8)).toBe(16);
    expect(blockSizeFor(9)).toBe(24);
    expect(blockSizeFor(1000)).toBe(1008);
    expect(BLOCK_HEADER).toBe(8);
  });

  it('places blocks without overlap and fails exactly when no gap is big enough', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(64 * 1024, 100_000, 1 << 20), (list, size) => {
        const arena = new Arena(size - (size % 8));
        const model = new Intervals(arena.size);
        const live: number[] = [];
        for (const op of list) {
          if (op.kind === 'alloc') {
            const need = blockSizeFor(op.length);
            const gap = model.largestGap();
            const block = arena.alloc(need);
            if (block === -1) {
              expect(gap).toBeLessThan(need);
            } else {
              const got = arena.blockSize(block);
              expect(got === need || got === need + 8).toBe(true);
              model.add(block, got);
              live.push(block);
            }
          } else if (live.length > 0) {
            const [block] = live.splice(op.pick % live.length, 1);
            arena.free(block);
            model.blocks.delete(block);
          }
          const largest = arena.check();
          expect(largest).toBe(model.largestGap());
        }
        for (const block of live) arena.free(block);
        expect(arena.check()).toBe(arena.size);
        expect(arena.usedBytes).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('reuses the space of FIFO-freed blocks (one stream streaming through a small arena)', () => {
    const arena = new Arena(64 * 1024);
    const queue: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      let block = arena.alloc(blockSizeFor(1000 + (i % 7) * 100));
      while (block === -1) {
        arena.free(queue.shift()!);
        block = arena.alloc(blockSizeFor(1000 + (i % 7) * 100));
      }
      queue.push(block);
    }
    arena.check();
    // Coalescing keeps the arena nearly full of live frames, not of holes.
    expect(arena.usedBytes).toBeGreaterThan(64 * 1024 - 2 * 1708);
  });

  it('reports a double free as heap corruption', () => {
    const arena = new Arena(4096);
    const block = arena.alloc(64);
    arena.free(block);
    expect(() => arena.free(block)).toThrow(/STATUS_HEAP_CORRUPTED/);
    expect(() => arena.free(5)).toThrow(/STATUS_HEAP_CORRUPTED/);
  });

  it('rejects arena sizes that are not multiples of 8 or out of range', () => {
    expect(() => new Arena(1001)).toThrow(/STATUS_INVALID_ARG/);
    expect(() => new Arena(8)).toThrow(/STATUS_INVALID_ARG/);
  });
});

describe('Heap (arenas over one budget)', () => {
  it('creates arenas on demand, never beyond the budget', () => {
    const heap = new Heap(10 * 65536 + 4000, 65536);
    expect(heap.arenas.length).toBe(1);
    const blocks: [number, number][] = [];
    for (;;) {
      const block = heap.alloc(blockSizeFor(30_000));
      if (block === -1) break;
      blocks.push([heap.allocArena, block]);
    }
    // Ten arenas of two 30 KB frames each (5504 bytes left in each); the 4000-byte remainder
    // arena holds none, so it is never created.
    expect(blocks.length).toBe(20);
    expect(heap.reservedBytes).toBe(10 * 65536);
    expect(heap.canAlloc(blockSizeFor(5600))).toBe(false);
    expect(heap.canAlloc(blockSizeFor(5400))).toBe(true);
    let used = 0;
    for (const arena of heap.arenas) used += arena.usedBytes;
    expect(heap.usedBytes).toBe(used);
    for (const [arena, block] of blocks) heap.free(arena, block);
    expect(heap.usedBytes).toBe(0);
  });

  it('gives the last arena the remainder of the budget', () => {
    const heap = new Heap(65536 + 4000, 65536);
    const first = heap.alloc(65536);
    expect(first).toBe(0);
    expect(heap.reservedBytes).toBe(65536);
    expect(heap.alloc(blockSizeFor(3000))).toBe(0);
    expect(heap.allocArena).toBe(1);
    expect(heap.reservedBytes).toBe(65536 + 4000);
    expect(heap.alloc(blockSizeFor(3000))).toBe(-1);
    expect(heap.usedBytes).toBe(65536 + blockSizeFor(3000));
  });

  it('caps one item at an arena', () => {
    const heap = new Heap(1 << 20, 65536);
    expect(heap.maxPayload).toBe(65536 - BLOCK_HEADER);
    expect(heap.alloc(65536)).not.toBe(-1);
    expect(heap.alloc(65544)).toBe(-1);
  });
});
