// The received bytes a fragment still needs, addressed by absolute stream offset: chunks are kept
// (as received, no copy) until the fragment they belong to has been cut out.

export class ByteWindow {
  private chunks: Array<{ offset: number; buf: Buffer }> = [];
  /** Absolute offset of the next byte to append. */
  end = 0;

  append(buf: Buffer): void {
    this.chunks.push({ offset: this.end, buf });
    this.end += buf.length;
  }

  /** Copies bytes [from, to) into one buffer. */
  slice(from: number, to: number): Buffer {
    return Buffer.concat(this.views(from, to));
  }

  /**
   * Bytes [from, to) as views of the received chunks, copying nothing. The views keep their
   * chunks alive: over HTTP/1.1 node:http hands each body chunk out in a buffer of its own (the
   * parser copies it out of the socket's read buffer), so what they keep is the bytes
   * themselves; over HTTP/2 a chunk may be a view of a larger socket read, which it then keeps.
   * Node never writes into either again (test/stored-bytes.node.test.ts reads the stored bytes
   * back after later uploads).
   */
  views(from: number, to: number): Buffer[] {
    const parts: Buffer[] = [];
    for (const { offset, buf } of this.chunks) {
      const a = Math.max(from, offset);
      const b = Math.min(to, offset + buf.length);
      if (a < b) parts.push(a === offset && b === offset + buf.length ? buf : buf.subarray(a - offset, b - offset));
    }
    return parts;
  }

  /** Forgets every chunk that lies wholly before `offset`. */
  dropBefore(offset: number): void {
    let i = 0;
    while (i < this.chunks.length && this.chunks[i].offset + this.chunks[i].buf.length <= offset) i++;
    if (i > 0) this.chunks.splice(0, i);
  }
}
