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

  /** Copies bytes [from, to). */
  slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    for (const { offset, buf } of this.chunks) {
      const a = Math.max(from, offset);
      const b = Math.min(to, offset + buf.length);
      if (a < b) parts.push(buf.subarray(a - offset, b - offset));
    }
    return Buffer.concat(parts);
  }

  /**
   * Bytes [from, to) as views of the received chunks, copying nothing. The views keep their
   * chunks alive: node:http hands each body chunk out in a buffer of its own (the HTTP/1 parser
   * copies it out of the socket's read buffer), so what they keep is the bytes themselves.
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

  copyTo(dst: Uint8Array, at: number, from: number, to: number): void {
    for (const { offset, buf } of this.chunks) {
      const a = Math.max(from, offset);
      const b = Math.min(to, offset + buf.length);
      if (a < b) dst.set(buf.subarray(a - offset, b - offset), at + (a - from));
    }
  }

  /** Forgets every chunk that lies wholly before `offset`. */
  dropBefore(offset: number): void {
    let i = 0;
    while (i < this.chunks.length && this.chunks[i].offset + this.chunks[i].buf.length <= offset) i++;
    if (i > 0) this.chunks.splice(0, i);
  }
}
