// PutMedia over fetch with a streamed request body (`duplex: 'half'`): for Deno, and for
// Chromium over HTTP/2 (which delivers the response only after the body ends: ACKs then come
// late, and together). Not for Node 20's fetch, which keeps every uploaded chunk until the
// request ends (undici issue 4058): Node uses node.ts. Firefox and Safari cannot stream a request
// body at all.

import { chunksOf, KvsError, ServiceCallResult } from '@kvs-ts/core';
import {
  NETWORK_FAILURE,
  PutMediaConnection,
  type PutMediaOptions,
  type PutMediaSource,
  readLimited,
} from './connection';
import { type PutMediaTarget, signPutMedia } from './request';

/** A fetch function (the global one by default). */
export type FetchLike = (input: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

/** Options of {@link putMediaWithFetch}. */
export interface FetchPutMediaOptions extends PutMediaOptions {
  fetch?: FetchLike;
}

/**
 * Opens a PutMedia connection for `target` that streams `source`'s body and feeds its ACKs back.
 * Resolves once the request is on its way (as AWS's C producer reports PutStream's result before
 * the connection is even made); how the connection ends is reported to `source.end` with PIC's
 * ServiceCallResult (200 after the last ACK, the HTTP error's result, NETWORK_CONNECTION_TIMEOUT
 * for a failed or timed-out connection, NETWORK_READ_TIMEOUT for a stalled one).
 */
export async function putMediaWithFetch(
  target: PutMediaTarget,
  source: PutMediaSource,
  options: FetchPutMediaOptions = {},
): Promise<{ result: number }> {
  const signed = await signPutMedia(target);
  const fetchFn: FetchLike = options.fetch ?? (globalThis.fetch as FetchLike);
  const conn = new PutMediaConnection(source, options);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        // fetch reads the body once it has a connection to write it to.
        conn.markConnected();
        try {
          const chunk = await conn.nextChunk();
          if (chunk === undefined) controller.close();
          else controller.enqueue(chunk);
        } catch (e) {
          controller.error(e);
        }
      },
    },
    { highWaterMark: 0 },
  );
  conn.startTimers();
  void fetchPutMedia(fetchFn, signed.url, signed.fetchHeaders, body, conn);
  return { result: ServiceCallResult.OK };
}

/**
 * Sends one PutMedia request with fetch and feeds its response to `conn`: ACK lines while they
 * come, an error body as a typed error, a network failure as NETWORK_CONNECTION_TIMEOUT. A
 * ReadableStream body is streamed (`duplex: 'half'`); a Uint8Array one (per-request.ts) is sent whole.
 */
export async function fetchPutMedia(
  fetchFn: FetchLike,
  url: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer>,
  conn: PutMediaConnection,
): Promise<void> {
  const failed = (e: unknown) =>
    conn.fail(NETWORK_FAILURE, new KvsError('STATUS_PUT_STREAM_CALL_FAILED', `PutMedia: ${String(e)}`, { cause: e }));
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body, signal: conn.abort.signal };
  if (body instanceof ReadableStream) init.duplex = 'half';
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (e) {
    failed(e);
    return;
  }
  try {
    if (!conn.responseStarted(response.status)) {
      conn.errorResponse(
        response.status,
        response.headers,
        await readLimited(response.body === null ? null : chunksOf(response.body)),
      );
      return;
    }
    if (response.body !== null) for await (const chunk of chunksOf(response.body)) conn.ackBytes(chunk);
    conn.responseEnded();
  } catch (e) {
    failed(e);
  }
}
