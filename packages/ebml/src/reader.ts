// A push tokenizer for EBML streams. It accepts chunks of any size, down to one byte, keeps
// no more than one element header (≤ 12 bytes) or one delivered payload of its own, hands out
// payloads as views of the caller's chunk where they fit in it, and skips what the handler
// does not want without buffering it.

import { KvsError } from '@kvs-ts/core';
import { type ElementInfo, elementInfo, elementName } from './elements';
import { UNKNOWN_SIZE, vintLength } from './vint';

/** Receives the tokens of an EBML stream, in stream order. */
export interface EbmlHandler {
  /**
   * A master element starts. `dataSize` is {@link UNKNOWN_SIZE} for unknown-size masters.
   * Return `false` to skip a sized master's content without events.
   */
  onMasterStart(id: number, dataSize: number, headerOffset: number, dataOffset: number): boolean | undefined;
  /** A master element ends at absolute byte `endOffset`. */
  onMasterEnd(id: number, endOffset: number): void;
  /**
   * A leaf element's whole payload. `data` is a view of the pushed chunk when the payload
   * lay in one chunk, else a view of reader-owned memory holding exactly the payload (carved
   * from 1 MiB slabs for payloads up to 256 KiB); either way it stays valid after the call,
   * since the reader never writes to it again. Holding a view keeps its slab alive: copy
   * small payloads you keep for long.
   */
  onLeaf(id: number, data: Uint8Array, dataOffset: number): void;
  /**
   * The first bytes of a leaf listed in {@link EbmlReaderOptions.peek}, instead of
   * {@link onLeaf}: `bytes[start, start + length)` holds the first `min(dataSize, peekBytes)`
   * bytes of the payload; the rest is skipped unread. `bytes` may be the pushed chunk or a
   * buffer the reader reuses: read what you need during the call. Nothing is allocated.
   */
  onLeafHead?(id: number, bytes: Uint8Array, start: number, length: number, dataSize: number, dataOffset: number): void;
}

/** Options of {@link EbmlReader}. */
export interface EbmlReaderOptions {
  /**
   * Largest payload the reader will assemble across chunks, in bytes (default 64 MiB, above
   * KVS's 50 MB fragment limit). Larger payloads fail with STATUS_BUFFER_TOO_SMALL.
   */
  maxElementSize?: number;
  /** Deepest master nesting accepted (default 32). */
  maxDepth?: number;
  /**
   * IDs of elements to skip whole (payload and children) without events or buffering:
   * e.g. Cues, SeekHead, Void. Unknown-size masters in this set are walked silently.
   */
  skip?: Iterable<number>;
  /**
   * IDs of leaves to report by their first {@link peekBytes} bytes only, through
   * {@link EbmlHandler.onLeafHead} (required with this option): e.g. SimpleBlock, when the
   * block header is all that is wanted (the KVS emulator cutting fragments). Their payloads
   * are neither assembled nor copied.
   */
  peek?: Iterable<number>;
  /** How many bytes {@link peek} hands out (default 16: a block header with an 8-byte track number). */
  peekBytes?: number;
}

const enum State {
  Header = 0,
  Collect = 1,
  Skip = 2,
  /** Gathering the head of a peeked leaf that straddles chunks. */
  Peek = 3,
}

const DEFAULT_MAX_ELEMENT = 64 * 1024 * 1024;
/** Size of the slabs that straddling payloads are carved from. */
const SLAB_SIZE = 1 << 20;
const EMPTY = new Uint8Array(0);

/**
 * Streaming EBML tokenizer. Push chunks with {@link push}; call {@link end} at the end of the
 * stream to close unknown-size masters and detect truncation. After a KvsError the reader
 * refuses further input.
 */
export class EbmlReader {
  private readonly handler: EbmlHandler;
  private readonly maxElementSize: number;
  private readonly maxDepth: number;
  private readonly skipIds: Set<number>;
  /** Peeked leaf IDs; undefined when none (the common case costs no lookup). */
  private readonly peekIds: Set<number> | undefined;
  private readonly peekBytes: number;
  private readonly peekBuf: Uint8Array;
  /** The straddling peeked leaf: its payload size and how much of its head is gathered. */
  private peekSize = 0;
  private peekLen = 0;

  /** Absolute offset of the next byte to consume. */
  private offset = 0;
  private state: State = State.Header;
  private failed: KvsError | undefined;

  // Master stack: ids, absolute end offsets (−1 when unknown), muted flags.
  private readonly stackId: number[] = [];
  private readonly stackEnd: number[] = [];
  private readonly stackMuted: boolean[] = [];
  private depth = 0;
  /** Depth at which a skipped unknown-size master started muting events; −1 if none. */
  private muteDepth = -1;

  // A header that straddles chunks is assembled here.
  private readonly hdr = new Uint8Array(12);
  private hdrLen = 0;

  // Payload being assembled across chunks.
  private collectId = 0;
  private collectBuf: Uint8Array = EMPTY;
  private collectPos = 0;
  private collectDataOffset = 0;

  private slab: Uint8Array = EMPTY;
  private slabPos = 0;

  // Bytes left to skip.
  private skipLeft = 0;

  constructor(handler: EbmlHandler, options: EbmlReaderOptions = {}) {
    this.handler = handler;
    this.maxElementSize = options.maxElementSize ?? DEFAULT_MAX_ELEMENT;
    this.maxDepth = options.maxDepth ?? 32;
    this.skipIds = new Set(options.skip ?? []);
    const peek = new Set(options.peek ?? []);
    this.peekIds = peek.size > 0 ? peek : undefined;
    if (this.peekIds !== undefined && handler.onLeafHead === undefined) {
      throw new KvsError('STATUS_INVALID_ARG', 'EbmlReader: the peek option needs a handler with onLeafHead');
    }
    this.peekBytes = Math.max(1, options.peekBytes ?? 16);
    this.peekBuf = new Uint8Array(this.peekBytes);
  }

  /** Absolute offset of the next byte the reader expects. */
  get position(): number {
    return this.offset;
  }

  /** Current master nesting depth. */
  get openMasters(): number {
    return this.depth;
  }

  /** Feeds the next chunk of the stream. Events fire synchronously. */
  push(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    try {
      this.run(chunk);
    } catch (e) {
      this.failed =
        e instanceof KvsError
          ? e
          : new KvsError('STATUS_INTERNAL_ERROR', 'EBML reader failed', { cause: e, offset: this.offset });
      throw this.failed;
    }
  }

  /**
   * Ends the stream: closes open unknown-size masters; throws STATUS_UNEXPECTED_EOF if an
   * element or a sized master is incomplete.
   */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.state !== State.Header || this.hdrLen > 0) {
      this.failed = new KvsError('STATUS_UNEXPECTED_EOF', 'stream ends inside an element', { offset: this.offset });
      throw this.failed;
    }
    while (this.depth > 0) {
      const end = this.stackEnd[this.depth - 1];
      if (end !== UNKNOWN_SIZE) {
        this.failed = new KvsError(
          'STATUS_UNEXPECTED_EOF',
          `stream ends inside ${elementName(this.stackId[this.depth - 1])} (${end - this.offset} bytes missing)`,
          { offset: this.offset },
        );
        throw this.failed;
      }
      this.popMaster(this.offset);
    }
  }

  private run(chunk: Uint8Array): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.state === State.Skip) {
        const n = Math.min(this.skipLeft, len - pos);
        this.skipLeft -= n;
        pos += n;
        this.offset += n;
        if (this.skipLeft > 0) return;
        this.state = State.Header;
        this.closeSizedMasters();
        continue;
      }
      if (this.state === State.Peek) {
        const n = Math.min(this.peekLen - this.collectPos, len - pos);
        this.peekBuf.set(chunk.subarray(pos, pos + n), this.collectPos);
        this.collectPos += n;
        pos += n;
        this.offset += n;
        if (this.collectPos < this.peekLen) return;
        this.handler.onLeafHead?.(this.collectId, this.peekBuf, 0, this.peekLen, this.peekSize, this.collectDataOffset);
        this.skipLeft = this.peekSize - this.peekLen;
        this.state = this.skipLeft > 0 ? State.Skip : State.Header;
        if (this.skipLeft === 0) this.closeSizedMasters();
        continue;
      }
      if (this.state === State.Collect) {
        const n = Math.min(this.collectBuf.length - this.collectPos, len - pos);
        this.collectBuf.set(chunk.subarray(pos, pos + n), this.collectPos);
        this.collectPos += n;
        pos += n;
        this.offset += n;
        if (this.collectPos < this.collectBuf.length) return;
        this.state = State.Header;
        const data = this.collectBuf;
        this.collectBuf = EMPTY;
        this.deliver(this.collectId, data, this.collectDataOffset);
        this.closeSizedMasters();
        continue;
      }
      // State.Header
      let src = chunk;
      let at = pos;
      let avail = len - pos;
      if (this.hdrLen > 0) {
        // Complete a straddling header from the new chunk.
        const take = Math.min(12 - this.hdrLen, avail);
        this.hdr.set(chunk.subarray(pos, pos + take), this.hdrLen);
        src = this.hdr;
        at = 0;
        avail = this.hdrLen + take;
      }
      // Decode ID.
      const b0 = src[at];
      const idLen = vintLength(b0);
      if (idLen === 0 || idLen > 4) {
        throw new KvsError('STATUS_FORMAT_ERROR', `invalid element ID byte 0x${b0.toString(16).padStart(2, '0')}`, {
          offset: this.offset,
        });
      }
      if (avail < idLen + 1) {
        this.stash(chunk, pos, len, src === this.hdr);
        return;
      }
      let id = b0;
      for (let i = 1; i < idLen; i++) id = id * 256 + src[at + i];
      const s0 = src[at + idLen];
      const sizeLen = vintLength(s0);
      if (sizeLen === 0) {
        throw new KvsError('STATUS_FORMAT_ERROR', `invalid size of element ${elementName(id)}`, {
          offset: this.offset,
        });
      }
      const headerLen = idLen + sizeLen;
      if (avail < headerLen) {
        this.stash(chunk, pos, len, src === this.hdr);
        return;
      }
      let size = s0 & (0xff >> sizeLen);
      let allOnes = size === 0xff >> sizeLen;
      for (let i = 1; i < sizeLen; i++) {
        const b = src[at + idLen + i];
        if (b !== 0xff) allOnes = false;
        size = size * 256 + b;
      }
      if (allOnes) size = UNKNOWN_SIZE;
      else if (size > Number.MAX_SAFE_INTEGER) {
        throw new KvsError('STATUS_FORMAT_ERROR', `size of ${elementName(id)} exceeds 2^53 - 1`, {
          offset: this.offset,
        });
      }
      // Consume the header from the chunk.
      if (src === this.hdr) {
        pos += headerLen - this.hdrLen;
        this.hdrLen = 0;
      } else {
        pos += headerLen;
      }
      const headerOffset = this.offset;
      this.offset += headerLen;
      pos = this.element(id, size, headerOffset, chunk, pos);
    }
  }

  /** Keeps an incomplete header for the next chunk. */
  private stash(chunk: Uint8Array, pos: number, len: number, alreadyInHdr: boolean): void {
    if (alreadyInHdr) {
      // hdr already holds the old bytes plus what we copied; account for the copy.
      this.hdrLen += len - pos;
    } else {
      this.hdr.set(chunk.subarray(pos, len), 0);
      this.hdrLen = len - pos;
    }
  }

  /** Handles a decoded element header; returns the new chunk position. */
  private element(id: number, size: number, headerOffset: number, chunk: Uint8Array, pos: number): number {
    const info = elementInfo(id);
    // Unknown-size masters end at the first element that cannot be their child.
    while (
      this.depth > 0 &&
      this.stackEnd[this.depth - 1] === UNKNOWN_SIZE &&
      !canContain(this.stackId[this.depth - 1], id, info)
    ) {
      this.popMaster(headerOffset);
    }
    const dataOffset = this.offset;
    if (size !== UNKNOWN_SIZE) {
      // The nearest sized ancestor bounds every descendant, through unknown-size masters too.
      for (let d = this.depth - 1; d >= 0; d--) {
        const end = this.stackEnd[d];
        if (end === UNKNOWN_SIZE) continue;
        if (dataOffset + size > end) {
          throw new KvsError(
            'STATUS_FORMAT_ERROR',
            `${elementName(id)} (${size} bytes) overruns ${elementName(this.stackId[d])}, which ends at byte ${end}`,
            { offset: headerOffset },
          );
        }
        break;
      }
    }
    if (
      this.depth > 0 &&
      info !== undefined &&
      this.stackEnd[this.depth - 1] !== UNKNOWN_SIZE &&
      !canContain(this.stackId[this.depth - 1], id, info)
    ) {
      // A known element where the table says it cannot be (a TrackEntry inside a TrackEntry, a
      // Cluster inside Info): Matroska readers skip what they cannot place, and so do we.
      if (size === UNKNOWN_SIZE) {
        throw new KvsError(
          'STATUS_FORMAT_ERROR',
          `${elementName(id)} of unknown size inside ${elementName(this.stackId[this.depth - 1])}`,
          {
            offset: headerOffset,
          },
        );
      }
      return this.beginSkip(size, chunk, pos);
    }
    const muted = this.muteDepth >= 0;
    if (info !== undefined && info.type === 'master') {
      const skip = this.skipIds.has(id);
      if (size !== UNKNOWN_SIZE && (skip || muted)) return this.beginSkip(size, chunk, pos);
      if (this.depth >= this.maxDepth) {
        throw new KvsError('STATUS_FORMAT_ERROR', `masters nested deeper than ${this.maxDepth}`, {
          offset: headerOffset,
        });
      }
      let wanted = true;
      if (!muted && !skip) wanted = this.handler.onMasterStart(id, size, headerOffset, dataOffset) !== false;
      if (size !== UNKNOWN_SIZE && !wanted) return this.beginSkip(size, chunk, pos);
      const d = this.depth++;
      this.stackId[d] = id;
      this.stackEnd[d] = size === UNKNOWN_SIZE ? UNKNOWN_SIZE : dataOffset + size;
      this.stackMuted[d] = muted || skip || !wanted;
      if (!muted && (skip || !wanted)) this.muteDepth = d;
      if (size === 0) this.closeSizedMasters();
      return pos;
    }
    if (size === UNKNOWN_SIZE) {
      throw new KvsError('STATUS_FORMAT_ERROR', `${elementName(id)} has an unknown size but is not a master`, {
        offset: headerOffset,
      });
    }
    if (info === undefined || muted || this.skipIds.has(id)) return this.beginSkip(size, chunk, pos);
    if (this.peekIds?.has(id)) return this.peek(id, size, dataOffset, chunk, pos);
    const avail = chunk.length - pos;
    if (size <= avail) {
      this.offset += size;
      this.deliver(id, chunk.subarray(pos, pos + size), dataOffset);
      this.closeSizedMasters();
      return pos + size;
    }
    if (size > this.maxElementSize) {
      throw new KvsError(
        'STATUS_BUFFER_TOO_SMALL',
        `${elementName(id)} of ${size} bytes exceeds maxElementSize ${this.maxElementSize}`,
        {
          offset: headerOffset,
        },
      );
    }
    this.collectId = id;
    this.collectBuf = this.carve(size);
    this.collectBuf.set(chunk.subarray(pos), 0);
    this.collectPos = avail;
    this.collectDataOffset = dataOffset;
    this.offset += avail;
    this.state = State.Collect;
    return chunk.length;
  }

  /** Hands out a peeked leaf's head (gathering it first if it straddles chunks) and skips the rest. */
  private peek(id: number, size: number, dataOffset: number, chunk: Uint8Array, pos: number): number {
    const head = Math.min(size, this.peekBytes);
    const avail = chunk.length - pos;
    if (head <= avail) {
      this.handler.onLeafHead?.(id, chunk, pos, head, size, dataOffset);
      return this.beginSkip(size, chunk, pos);
    }
    this.peekBuf.set(chunk.subarray(pos), 0);
    this.collectId = id;
    this.collectPos = avail;
    this.collectDataOffset = dataOffset;
    this.peekSize = size;
    this.peekLen = head;
    this.offset += avail;
    this.state = State.Peek;
    return chunk.length;
  }

  /**
   * Memory for a payload that spans chunks. Small and medium payloads are carved from a shared
   * slab, so that a stream of frames straddling chunk boundaries costs one allocation per
   * slab, not per frame; each carved view is written once and never reused, so views handed
   * out stay valid (the slab lives as long as any of them).
   */
  private carve(size: number): Uint8Array {
    if (size > SLAB_SIZE / 4) return new Uint8Array(size);
    if (this.slabPos + size > this.slab.length) {
      this.slab = new Uint8Array(SLAB_SIZE);
      this.slabPos = 0;
    }
    const view = this.slab.subarray(this.slabPos, this.slabPos + size);
    this.slabPos += size;
    return view;
  }

  private beginSkip(size: number, chunk: Uint8Array, pos: number): number {
    const avail = chunk.length - pos;
    if (size <= avail) {
      this.offset += size;
      this.closeSizedMasters();
      return pos + size;
    }
    this.skipLeft = size - avail;
    this.offset += avail;
    this.state = State.Skip;
    return chunk.length;
  }

  private deliver(id: number, data: Uint8Array, dataOffset: number): void {
    this.handler.onLeaf(id, data, dataOffset);
  }

  /** Pops sized masters that end exactly here, and unknown-size masters inside them. */
  private closeSizedMasters(): void {
    const at = this.offset;
    for (let d = this.depth - 1; d >= 0; d--) {
      const end = this.stackEnd[d];
      if (end === UNKNOWN_SIZE) continue;
      if (end > at) return;
      // Everything from the top down to d ends here.
      while (this.depth > d) this.popMaster(at);
    }
  }

  private popMaster(at: number): void {
    const d = --this.depth;
    const muted = this.stackMuted[d];
    if (this.muteDepth === d) this.muteDepth = -1;
    if (!muted) this.handler.onMasterEnd(this.stackId[d], at);
  }
}

/** {@link mayContain} with the child's table entry already looked up (hot path). */
function canContain(parentId: number, _childId: number, info: ElementInfo | undefined): boolean {
  if (info === undefined) return true; // stack entries are never the top level
  if (info.global === true) return true;
  const parents = info.parents;
  for (let i = 0; i < parents.length; i++) if (parents[i] === parentId) return true;
  return false;
}
