// One way to read a body chunk by chunk, whatever holds it: a WHATWG ReadableStream (fetch
// bodies, Deno and browser files), an async iterable (Node streams) or a plain iterable (an
// array of chunks in tests).

/** Bytes that come in chunks. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * The chunks of `source`, in order. A ReadableStream is read with its own reader, released (not
 * cancelled) when the iteration stops, so the caller keeps control of the stream.
 */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}
