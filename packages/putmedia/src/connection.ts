// The part of a PutMedia connection that does not depend on the HTTP stack: pulling the body
// from the stream's upload session (coalesced into chunks, copied out of the content store),
// feeding the response's ACKs back while the body still goes out, turning an error response
// into a typed error and PIC's ServiceCallResult, the low-speed watchdog, and reporting the
// connection's end exactly once. fetch.ts and node.ts put an HTTP stack around it.

import { serviceErrorFromResponse } from '@kvs-ts/api';
import { type FragmentAck, KvsError, ServiceCallResult, StatusCode } from '@kvs-ts/core';
import { AckParser } from '@kvs-ts/getmedia';
import type { StreamData } from '@kvs-ts/stream';

/**
 * What a transport pulls the body from and reports to: a stream's UploadConnection plus a way
 * to wait for data (see {@link streamSource}).
 */
export interface PutMediaSource {
  pull(maxBytes: number): StreamData;
  ack(ack: FragmentAck): number;
  end(result?: number): void;
  /** Resolves when the stream may have more for this connection (or soon anyway). */
  waitForData(signal: AbortSignal): Promise<void>;
}

/** Options every transport takes. */
export interface PutMediaOptions {
  /** Largest body chunk, bytes (default 64 KiB). Small frames are coalesced up to it. */
  chunkSize?: number;
  /** Abort when no connection is made within this long, µs (default 5 s, the C producer's connect timeout). */
  connectTimeoutUs?: number;
  /**
   * Abort when fewer than `lowSpeedBytesPerSecond` bytes moved (either way) over `lowSpeedTimeUs`
   * (defaults 30 B/s over 30 s, the C producer's DEFAULT_LOW_SPEED_LIMIT / TIME_LIMIT).
   */
  lowSpeedBytesPerSecond?: number;
  lowSpeedTimeUs?: number;
  /** Errors that do not end the connection by themselves (a bad ACK line) and the error that ended it. */
  onError?: (error: KvsError) => void;
  /** Stops the connection; its end is reported to the stream as UNKNOWN. */
  signal?: AbortSignal;
}

const EMPTY = new Uint8Array(0);
/** Chunks kept for reuse: a socket holds one or two while the writer waits for 'drain'. */
const MAX_SPARE = 4;

/** One connection's shared machinery. */
export class PutMediaConnection {
  readonly abort = new AbortController();
  private readonly chunkSize: number;
  /** Where pulls are gathered into a chunk (see nextChunk). */
  private staging: Uint8Array = EMPTY;
  /** Full chunks the transport is done with (see recycle). */
  private readonly spare: Uint8Array[] = [];
  private ended = false;
  private moved = 0;
  private responded = false;
  private connected = false;
  private readonly timers: Array<ReturnType<typeof setTimeout>> = [];
  private readonly acks: AckParser;

  constructor(
    private readonly source: PutMediaSource,
    private readonly options: PutMediaOptions = {},
  ) {
    const chunk = options.chunkSize ?? 64 * 1024;
    if (!Number.isInteger(chunk) || chunk < 1)
      throw new KvsError('STATUS_INVALID_ARG', `chunkSize must be a positive integer, got ${chunk}`);
    this.chunkSize = chunk;
    this.acks = new AckParser({
      ack: (ack) => this.source.ack(ack),
      error: (error) => this.options.onError?.(error),
    });
    const outer = options.signal;
    if (outer) {
      if (outer.aborted) this.fail(ServiceCallResult.UNKNOWN, new KvsError('STATUS_INVALID_OPERATION', 'aborted'));
      else outer.addEventListener('abort', () => this.fail(ServiceCallResult.UNKNOWN, undefined), { once: true });
    }
  }

  /** Starts the timers: connect timeout and low-speed watchdog. */
  startTimers(): void {
    const connectUs = this.options.connectTimeoutUs ?? 5_000_000;
    this.timers.push(
      setTimeout(() => {
        if (!this.responded && !this.connected)
          this.fail(
            ServiceCallResult.NETWORK_CONNECTION_TIMEOUT,
            new KvsError('STATUS_OPERATION_TIMED_OUT', `PutMedia: no connection within ${connectUs / 1e6} s`),
          );
      }, connectUs / 1000),
    );
    const rate = this.options.lowSpeedBytesPerSecond ?? 30;
    const windowUs = this.options.lowSpeedTimeUs ?? 30_000_000;
    if (rate > 0 && windowUs > 0) {
      const check = () => {
        if (this.ended) return;
        const moved = this.moved;
        this.moved = 0;
        if (moved < (rate * windowUs) / 1e6) {
          this.fail(
            ServiceCallResult.NETWORK_READ_TIMEOUT,
            new KvsError(
              'STATUS_OPERATION_TIMED_OUT',
              `PutMedia: ${moved} bytes in ${windowUs / 1e6} s, under ${rate} B/s: the connection is stalled`,
            ),
          );
          return;
        }
        this.timers.push(setTimeout(check, windowUs / 1000));
      };
      this.timers.push(setTimeout(check, windowUs / 1000));
    }
  }

  /** The transport reached the server (a socket connected, or fetch began reading the body). */
  markConnected(): void {
    this.connected = true;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * The next body chunk (a copy: the store's views do not outlive the next pull), waiting for
   * data as needed; undefined at the end of the body. KvsError when the session was aborted or
   * the connection ended.
   */
  async nextChunk(): Promise<Uint8Array | undefined> {
    // Pulls are gathered in a staging buffer. A full one is handed over as it is (the next chunk
    // gets a new one); a partial one is copied out at its size, so that a socket holding a 1 KB
    // chunk does not keep a 64 KiB buffer alive.
    let size = 0;
    for (;;) {
      if (this.ended) throw new KvsError('STATUS_UPLOAD_HANDLE_ABORTED', 'the PutMedia connection ended');
      const r = this.source.pull(this.chunkSize - size);
      if (r.status === StatusCode.STATUS_SUCCESS) {
        if (this.staging.length === 0) this.staging = this.spare.pop() ?? new Uint8Array(this.chunkSize);
        this.staging.set(r.data, size);
        size += r.data.length;
        if (size >= this.chunkSize) {
          const full = this.staging;
          this.staging = EMPTY;
          return this.sent(full);
        }
        continue;
      }
      // Send what there is before waiting.
      if (size > 0) return this.sent(this.staging.slice(0, size));
      if (
        r.status === StatusCode.STATUS_NO_MORE_DATA_AVAILABLE ||
        r.status === StatusCode.STATUS_AWAITING_PERSISTED_ACK
      ) {
        await this.source.waitForData(this.abort.signal);
        continue;
      }
      if (r.status === StatusCode.STATUS_END_OF_STREAM) return undefined;
      throw new KvsError('STATUS_UPLOAD_HANDLE_ABORTED', `the upload session ended (${r.status})`);
    }
  }

  /**
   * The transport no longer needs `chunk` (a chunk nextChunk returned): the socket has taken its
   * bytes. A full one is kept for reuse, so that a long upload does not allocate (and zero, and
   * collect) a new 64 KiB buffer per chunk: over loopback that was a fifth of the client's CPU.
   * Only transports that know when the bytes are gone call this (node.ts, from the write callback).
   */
  recycle(chunk: Uint8Array): void {
    if (chunk.length === this.chunkSize && this.spare.length < MAX_SPARE && !this.spare.includes(chunk))
      this.spare.push(chunk);
  }

  private sent(chunk: Uint8Array): Uint8Array {
    this.moved += chunk.length;
    return chunk;
  }

  /** The response's status and headers arrived. Returns true when the body carries ACKs (200). */
  responseStarted(status: number): boolean {
    this.responded = true;
    return status === 200;
  }

  /** Bytes of a 200 response: ACK lines. */
  ackBytes(chunk: Uint8Array): void {
    this.moved += chunk.length;
    if (!this.ended) this.acks.push(chunk);
  }

  /** A non-200 response, read whole (bounded by the caller): a typed error and its result. */
  errorResponse(status: number, headers: Headers, text: string): void {
    const error = serviceErrorFromResponse(status, headers, text, 'PutMedia');
    this.fail(error.result, error);
  }

  /** The response ended (after all ACKs): the connection is over. */
  responseEnded(): void {
    this.acks.end();
    this.finish(ServiceCallResult.OK);
  }

  /** The connection failed with `result` (reported once; later results are ignored). */
  fail(result: number, error: KvsError | undefined): void {
    if (this.ended) return;
    if (error) this.options.onError?.(error);
    this.finish(result);
  }

  private finish(result: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
    this.abort.abort();
    this.source.end(result);
  }
}

/** PIC's result for a network failure of the connection (refused, reset, DNS): the host is not known to be alive. */
export const NETWORK_FAILURE = ServiceCallResult.NETWORK_CONNECTION_TIMEOUT;

/** Reads at most `limit` bytes of a body as text (an error body; the rest is dropped). */
export async function readLimited(body: AsyncIterable<Uint8Array> | null, limit = 64 * 1024): Promise<string> {
  if (body === null) return '';
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) {
    if (text.length < limit) text += decoder.decode(chunk, { stream: true });
  }
  return text.slice(0, limit);
}
