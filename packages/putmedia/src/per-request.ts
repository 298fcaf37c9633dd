// PutMedia for runtimes that cannot stream a request body (browsers over HTTP/1.1, Firefox and
// Safari anywhere): one request per 1…N complete fragments, each a whole MKV stream of its own
// (the session's header again, then the fragments' clusters), sent one after the other. To the
// producer stream it is still one connection: bytes are pulled from its upload session as usual,
// ACKs from every response go back to it, and the first failed request ends the connection with
// that request's result, so the stream's recovery (replay from the last ACK) works unchanged.
//
// Fragments are found by parsing the session's bytes: a fragment begins at its Cluster, or at the
// fragment-metadata Tags just before it; an end-of-fragment Tags element stays with the fragment
// it closes (PIC's layout, docs/decisions/putmedia-transport.md).

import { KvsError, ServiceCallResult, StatusCode } from '@kvs-ts/core';
import { MkvParser, type MkvTag } from '@kvs-ts/mkv-parser';
import { PutMediaConnection, type PutMediaOptions, type PutMediaSource } from './connection';
import { type FetchLike, fetchPutMedia } from './fetch';
import { type PutMediaTarget, signPutMedia } from './request';

/** Options of {@link putMediaPerRequest}. */
export interface PerRequestOptions extends PutMediaOptions {
  fetch?: FetchLike;
  /** Complete fragments per request (default 1: ACKs come back one fragment later at most). */
  fragmentsPerRequest?: number;
}

const END_OF_FRAGMENT = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';

function isEndOfFragment(tags: MkvTag[]): boolean {
  return tags.some((t) => t.simpleTags.some((s) => s.name === END_OF_FRAGMENT));
}

/**
 * The session's bytes, cut at fragment starts. Keeps the MKV header (everything before the first
 * fragment) and the bytes not yet sent.
 */
export class FragmentCutter {
  private readonly parser: MkvParser;
  private buf = new Uint8Array(1 << 16);
  /** Absolute offset of buf[0]. */
  private base = 0;
  private len = 0;
  /** Absolute offsets where fragments start, not yet sent (the first is where unsent bytes begin). */
  private readonly starts: number[] = [];
  /** Where the last fragment's content (or the header) ended: a new fragment can start there. */
  private contentEnd = 0;
  /** Where the Tracks element ended: the header every request repeats. */
  private headerEnd: number | undefined;
  /** Metadata Tags seen since the last cluster: the next fragment starts where they do. */
  private tagsStart: number | undefined;
  private headerBytes: Uint8Array | undefined;

  constructor() {
    this.parser = new MkvParser({
      tracks: (_tracks, endOffset) => {
        this.headerEnd ??= endOffset;
        this.contentEnd = endOffset;
      },
      frame: (f) => {
        // A block's payload runs to its end (the last lace's included).
        const end = f.offset + f.data.length;
        if (end > this.contentEnd) this.contentEnd = end;
      },
      clusterStart: (c) => {
        const start = this.tagsStart ?? c.offset;
        this.tagsStart = undefined;
        if (this.headerBytes === undefined) this.headerBytes = this.buf.slice(0, (this.headerEnd ?? start) - this.base);
        this.starts.push(start);
      },
      tags: (tags, endOffset) => {
        // End-of-fragment tags close the fragment before them; any other Tags (fragment
        // metadata) open the next one, from where the previous content ended.
        if (isEndOfFragment(tags)) this.contentEnd = endOffset;
        else this.tagsStart ??= this.contentEnd;
      },
    });
  }

  /** The MKV header every request begins with, once the first fragment started. */
  get header(): Uint8Array | undefined {
    return this.headerBytes;
  }

  /** Complete fragments waiting: those whose next fragment has started. */
  get completeFragments(): number {
    return Math.max(0, this.starts.length - 1);
  }

  /** Appends session bytes (copied). Throws a KvsError on bytes that are not MKV. */
  push(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.parser.push(bytes);
  }

  /**
   * The next request's body: the header and `count` complete fragments, or with `all`, every
   * byte waiting (the session's end). The bytes are dropped from the cutter.
   */
  take(count: number, all: boolean): Uint8Array | undefined {
    const header = this.headerBytes;
    if (header === undefined || this.starts.length === 0) return undefined;
    const from = this.starts[0];
    let to: number;
    if (all) {
      to = this.base + this.len;
      this.starts.length = 0;
    } else {
      if (this.completeFragments < count) return undefined;
      to = this.starts[count];
      this.starts.splice(0, count);
    }
    if (to <= from) return undefined;
    const body = new Uint8Array(header.length + (to - from));
    body.set(header, 0);
    body.set(this.buf.subarray(from - this.base, to - this.base), header.length);
    // Keep only what is not sent yet.
    const keepFrom = to - this.base;
    this.buf.copyWithin(0, keepFrom, this.len);
    this.len -= keepFrom;
    this.base = to;
    return body;
  }
}

/**
 * Serves `source` (a stream's connection) with one PutMedia request per `fragmentsPerRequest`
 * complete fragments, over fetch with a whole (not streamed) body. Resolves at once, as the other
 * transports do; how the connection ends is reported to `source.end`.
 */
export async function putMediaPerRequest(
  target: PutMediaTarget,
  source: PutMediaSource,
  options: PerRequestOptions = {},
): Promise<{ result: number }> {
  const count = options.fragmentsPerRequest ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new KvsError('STATUS_INVALID_ARG', `fragmentsPerRequest must be a positive integer, got ${count}`);
  // Sign once up front so that a failing credentials provider fails PutStream itself, as with the
  // other transports (stream-putmedia.ts); every request is signed again when it goes.
  await signPutMedia(target);
  void serve(target, source, options, count);
  return { result: ServiceCallResult.OK };
}

async function serve(
  target: PutMediaTarget,
  source: PutMediaSource,
  options: PerRequestOptions,
  count: number,
): Promise<void> {
  const cutter = new FragmentCutter();
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const idle = new AbortController();
  options.signal?.addEventListener('abort', () => idle.abort(), { once: true });
  const finish = (result: number, error?: KvsError) => {
    if (error) options.onError?.(error);
    idle.abort();
    source.end(result);
  };
  try {
    for (;;) {
      if (options.signal?.aborted) return finish(ServiceCallResult.UNKNOWN);
      const r = source.pull(chunkSize);
      if (r.status === StatusCode.STATUS_SUCCESS) {
        cutter.push(r.data);
        continue;
      }
      const sessionDone =
        r.status === StatusCode.STATUS_AWAITING_PERSISTED_ACK || r.status === StatusCode.STATUS_END_OF_STREAM;
      if (r.status !== StatusCode.STATUS_NO_MORE_DATA_AVAILABLE && !sessionDone) {
        return finish(
          ServiceCallResult.UNKNOWN,
          new KvsError('STATUS_UPLOAD_HANDLE_ABORTED', `the upload session ended (${r.status})`),
        );
      }
      // At the session's end the complete fragments still go N at a time, then the rest.
      const body = cutter.take(count, false) ?? (sessionDone ? cutter.take(count, true) : undefined);
      if (body !== undefined) {
        const result = await send(target, body, source, options);
        if (result !== ServiceCallResult.OK) return finish(result);
        continue;
      }
      // Everything is sent and every response has ended: no ACK can come any more.
      if (sessionDone) return finish(ServiceCallResult.OK);
      await source.waitForData(idle.signal);
    }
  } catch (e) {
    const error = e instanceof KvsError ? e : new KvsError('STATUS_INVALID_OPERATION', String(e), { cause: e });
    finish(ServiceCallResult.UNKNOWN, error);
  }
}

/** One request: resolves to its result (OK once the response ended after its ACKs). */
async function send(
  target: PutMediaTarget,
  body: Uint8Array,
  source: PutMediaSource,
  options: PerRequestOptions,
): Promise<number> {
  const signed = await signPutMedia(target);
  const fetchFn: FetchLike = options.fetch ?? (globalThis.fetch as FetchLike);
  return new Promise<number>((resolve) => {
    // The shared connection machinery maps the response (ACKs, error bodies, timeouts) for this
    // one request; its end is this request's result, not the stream connection's.
    const conn = new PutMediaConnection(
      {
        pull: () => ({ status: StatusCode.STATUS_END_OF_STREAM, data: new Uint8Array(0) }),
        ack: (ack) => source.ack(ack),
        end: (result) => resolve(result ?? ServiceCallResult.OK),
        waitForData: async () => {},
      },
      options,
    );
    conn.startTimers();
    conn.markConnected();
    void fetchPutMedia(fetchFn, signed.url, signed.fetchHeaders, body as Uint8Array<ArrayBuffer>, conn);
  });
}
