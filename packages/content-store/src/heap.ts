// The store's memory: a few large ArrayBuffers ("arenas"), each run by a two-level segregated
// fit (TLSF) allocator with boundary tags and immediate coalescing.
//
// Why TLSF rather than a ring: frames of one stream are freed FIFO, but up to 128 streams
// interleave in one store and drain at their own pace, so a single ring would be blocked by the
// slowest stream. A good-fit heap reuses every hole; coalescing turns each stream's freed FIFO
// run back into one block. All bookkeeping lives in the arena itself (block headers) and in a
// few typed arrays, so allocating and freeing create no JS objects.
//
// Block layout (byte offsets inside an arena, 8-byte aligned):
//   word 0: block size in bytes (header included) | FREE bit
//   word 1: size of the physically previous block (0 for the first block)
//   payload…  (a free block keeps its free-list links in payload words 2 and 3)
import { KvsError } from '@kvs-ts/core';

/** Bytes of header in front of every payload. */
export const BLOCK_HEADER = 8;
/** Smallest block: header plus the two free-list links. */
export const MIN_BLOCK = 16;
/** Largest arena: offsets must stay below 2^31 (Int32 links). */
export const MAX_ARENA_SIZE = 1024 * 1024 * 1024;
/** Smallest arena accepted by {@link Heap} (tests use small ones to exercise several arenas). */
export const MIN_ARENA_SIZE = 64 * 1024;

const FREE = 1;
const SIZE_MASK = ~7;
const SL_BITS = 4;
const SL_COUNT = 1 << SL_BITS;
// Class 0 covers sizes < 256 in 16-byte steps; above, each power of two is split in 16.
const FL_COUNT = 24;
const NIL = -1;
/** Entries of a size class scanned first-fit before trying bigger classes. */
const SHORT_SCAN = 8;

/** The block size (header included) that holds `length` payload bytes. */
export function blockSizeFor(length: number): number {
  const size = (length + BLOCK_HEADER + 7) & SIZE_MASK;
  return Math.max(size, MIN_BLOCK);
}

function classOf(size: number): number {
  if (size < 256) return size >>> 4;
  const log2 = 31 - Math.clz32(size);
  return ((log2 - 7) << SL_BITS) | ((size >>> (log2 - SL_BITS)) & (SL_COUNT - 1));
}

function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** One contiguous ArrayBuffer with its TLSF bookkeeping. */
export class Arena {
  /** Arena size in bytes (a multiple of 8). */
  readonly size: number;
  /** The whole arena, for copying payloads in and handing out views. */
  readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private flMap = 0;
  private readonly slMap = new Uint32Array(FL_COUNT);
  private readonly heads = new Int32Array(FL_COUNT * SL_COUNT).fill(NIL);
  /** Bytes in used blocks, headers and rounding included. */
  usedBytes = 0;
  /** Number of used blocks. */
  usedBlocks = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size % 8 !== 0 || size < MIN_BLOCK || size > MAX_ARENA_SIZE) {
      throw new KvsError('STATUS_INVALID_ARG', `arena size must be a multiple of 8 from 16 to 2^30, got ${size}`);
    }
    this.size = size;
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.words[0] = size | FREE;
    this.words[1] = 0;
    this.insertFree(0, size);
  }

  /** Size of the block at `block` (header included). */
  blockSize(block: number): number {
    return this.words[block >>> 2] & SIZE_MASK;
  }

  /** A free block of at least `need` bytes, or -1. Exact: -1 only when no free block is that big. */
  find(need: number): number {
    const cls = classOf(need);
    // First-fit over a few blocks of the request's own class keeps reusing same-sized holes
    // (the FIFO case) before splitting a bigger block.
    let block = this.heads[cls];
    for (let n = 0; block !== NIL && n < SHORT_SCAN; n++) {
      if (this.blockSize(block) >= need) return block;
      block = this.words[(block >>> 2) + 2];
    }
    const above = this.findAbove(cls);
    if (above !== NIL) return above;
    for (; block !== NIL; block = this.words[(block >>> 2) + 2]) {
      if (this.blockSize(block) >= need) return block;
    }
    return NIL;
  }

  /** Allocates a block of `need` bytes (from {@link blockSizeFor}); returns its offset or -1. */
  alloc(need: number): number {
    const block = this.find(need);
    if (block === NIL) return NIL;
    const w = this.words;
    const size = this.blockSize(block);
    this.removeFree(block, size);
    const rest = size - need;
    if (rest >= MIN_BLOCK) {
      w[block >>> 2] = need;
      const split = block + need;
      w[split >>> 2] = rest | FREE;
      w[(split >>> 2) + 1] = need;
      const after = split + rest;
      if (after < this.size) w[(after >>> 2) + 1] = rest;
      this.insertFree(split, rest);
      this.usedBytes += need;
    } else {
      w[block >>> 2] = size;
      this.usedBytes += size;
    }
    this.usedBlocks++;
    return block;
  }

  /** Frees the block at `block`, merging it with free neighbours. */
  free(block: number): void {
    const w = this.words;
    const header = block >= 0 && block < this.size && block % 8 === 0 ? w[block >>> 2] : FREE;
    if (header & FREE) {
      throw new KvsError('STATUS_HEAP_CORRUPTED', `double free or bad block offset ${block}`);
    }
    let start = block;
    let total = header & SIZE_MASK;
    this.usedBytes -= total;
    this.usedBlocks--;
    const next = block + total;
    if (next < this.size && w[next >>> 2] & FREE) {
      const nextSize = w[next >>> 2] & SIZE_MASK;
      this.removeFree(next, nextSize);
      total += nextSize;
    }
    const prevSize = w[(block >>> 2) + 1];
    if (prevSize !== 0 && w[(block - prevSize) >>> 2] & FREE) {
      start = block - prevSize;
      this.removeFree(start, prevSize);
      total += prevSize;
    }
    w[start >>> 2] = total | FREE;
    const after = start + total;
    if (after < this.size) w[(after >>> 2) + 1] = total;
    this.insertFree(start, total);
  }

  /**
   * Walks every block and free list; throws `STATUS_HEAP_CORRUPTED` on any inconsistency.
   * Returns the largest free block. For tests and diagnostics (O(blocks)).
   */
  check(): number {
    const w = this.words;
    let offset = 0;
    let prevSize = 0;
    let prevFree = false;
    let used = 0;
    let usedBlocks = 0;
    let freeBlocks = 0;
    let largest = 0;
    while (offset < this.size) {
      const header = w[offset >>> 2];
      const size = header & SIZE_MASK;
      const free = (header & FREE) !== 0;
      if (size < MIN_BLOCK || offset + size > this.size) corrupt(`block at ${offset} has size ${size}`);
      if (w[(offset >>> 2) + 1] !== prevSize) corrupt(`block at ${offset} has a stale previous size`);
      if (free && prevFree) corrupt(`adjacent free blocks at ${offset}`);
      if (free) {
        freeBlocks++;
        if (size > largest) largest = size;
      } else {
        used += size;
        usedBlocks++;
      }
      prevSize = size;
      prevFree = free;
      offset += size;
    }
    if (offset !== this.size) corrupt('blocks do not tile the arena');
    if (used !== this.usedBytes || usedBlocks !== this.usedBlocks) corrupt('used byte count drifted');
    let listed = 0;
    for (let cls = 0; cls < FL_COUNT * SL_COUNT; cls++) {
      const fl = cls >>> SL_BITS;
      const bit = 1 << (cls & (SL_COUNT - 1));
      const present = this.heads[cls] !== NIL;
      if (present !== ((this.slMap[fl] & bit) !== 0)) corrupt(`class ${cls} bitmap mismatch`);
      let prev = NIL;
      for (let b = this.heads[cls]; b !== NIL; b = w[(b >>> 2) + 2]) {
        if (!(w[b >>> 2] & FREE) || classOf(this.blockSize(b)) !== cls) corrupt(`block ${b} in the wrong free list`);
        if (w[(b >>> 2) + 3] !== prev) corrupt(`broken back link at ${b}`);
        prev = b;
        if (++listed > freeBlocks) corrupt('free list cycle');
      }
    }
    for (let fl = 0; fl < FL_COUNT; fl++) {
      if ((this.slMap[fl] !== 0) !== ((this.flMap & (1 << fl)) !== 0)) corrupt(`first-level bitmap mismatch at ${fl}`);
    }
    if (listed !== freeBlocks) corrupt('free blocks missing from the free lists');
    return largest;
  }

  private findAbove(cls: number): number {
    let fl = cls >>> SL_BITS;
    let slMap = this.slMap[fl] & (~0 << ((cls & (SL_COUNT - 1)) + 1));
    if (slMap === 0) {
      const flMap = this.flMap & (~0 << (fl + 1));
      if (flMap === 0) return NIL;
      fl = lowestBit(flMap);
      slMap = this.slMap[fl];
    }
    return this.heads[(fl << SL_BITS) | lowestBit(slMap)];
  }

  private insertFree(block: number, size: number): void {
    const w = this.words;
    const cls = classOf(size);
    const head = this.heads[cls];
    w[(block >>> 2) + 2] = head;
    w[(block >>> 2) + 3] = NIL;
    if (head !== NIL) w[(head >>> 2) + 3] = block;
    this.heads[cls] = block;
    const fl = cls >>> SL_BITS;
    this.slMap[fl] |= 1 << (cls & (SL_COUNT - 1));
    this.flMap |= 1 << fl;
  }

  private removeFree(block: number, size: number): void {
    const w = this.words;
    const cls = classOf(size);
    const next = w[(block >>> 2) + 2];
    const prev = w[(block >>> 2) + 3];
    if (prev === NIL) this.heads[cls] = next;
    else w[(prev >>> 2) + 2] = next;
    if (next !== NIL) w[(next >>> 2) + 3] = prev;
    if (this.heads[cls] === NIL) {
      const fl = cls >>> SL_BITS;
      this.slMap[fl] &= ~(1 << (cls & (SL_COUNT - 1)));
      if (this.slMap[fl] === 0) this.flMap &= ~(1 << fl);
    }
  }
}

function corrupt(message: string): never {
  throw new KvsError('STATUS_HEAP_CORRUPTED', message);
}

/**
 * The whole store budget as arenas of `arenaSize` bytes (the last one takes the remainder),
 * created on first need so a large budget costs memory only once it is used. Arenas are kept
 * once created: steady-state streaming allocates nothing.
 */
export class Heap {
  /** The byte budget: arenas never add up to more. */
  readonly limit: number;
  /** Size of every arena but possibly the last. */
  readonly arenaSize: number;
  readonly arenas: Arena[] = [];
  /** Arena of the block returned by the last successful {@link alloc}. */
  allocArena = 0;
  private created = 0;

  constructor(limit: number, arenaSize: number) {
    this.limit = limit - (limit % 8);
    this.arenaSize = Math.min(arenaSize - (arenaSize % 8), this.limit);
    this.grow();
  }

  /** Largest payload one item can have: a block must fit in an arena. */
  get maxPayload(): number {
    return this.arenaSize - BLOCK_HEADER;
  }

  /** Bytes in used blocks over all arenas (headers and rounding included). */
  usedBytes = 0;

  /** Bytes of arenas created so far. */
  get reservedBytes(): number {
    return this.created;
  }

  /** Whether a block of `need` bytes can be allocated now (creating an arena if the budget allows). */
  canAlloc(need: number): boolean {
    for (const arena of this.arenas) if (arena.find(need) !== NIL) return true;
    return need <= this.nextArenaSize();
  }

  /** Allocates `need` bytes; returns the block offset (arena in {@link allocArena}) or -1. */
  alloc(need: number): number {
    const arenas = this.arenas;
    for (let i = 0; i < arenas.length; i++) {
      const block = arenas[i].alloc(need);
      if (block !== NIL) {
        this.allocArena = i;
        this.usedBytes += arenas[i].blockSize(block);
        return block;
      }
    }
    if (need <= this.nextArenaSize()) {
      this.grow();
      const i = arenas.length - 1;
      const block = arenas[i].alloc(need);
      this.allocArena = i;
      this.usedBytes += arenas[i].blockSize(block);
      return block;
    }
    return NIL;
  }

  /** Frees a block returned by {@link alloc}. */
  free(arena: number, block: number): void {
    const a = this.arenas[arena];
    const size = a.blockSize(block);
    a.free(block);
    this.usedBytes -= size;
  }

  /** Size the next arena would have; 0 once the budget is spent. */
  private nextArenaSize(): number {
    const size = Math.min(this.arenaSize, this.limit - this.created);
    return size >= MIN_BLOCK ? size : 0;
  }

  private grow(): void {
    const size = this.nextArenaSize();
    this.arenas.push(new Arena(size));
    this.created += size;
  }
}
