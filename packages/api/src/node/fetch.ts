/// <reference types="node" />
// A FetchLike for Node's media bodies, on undici's request API (undici 7: the newest that runs on
// Node 20). Node 20's fetch is undici too, but hands a body to the reader through an async
// iterator that concatenates what it buffered (a copy of most of the body) and fetch's own
// stream machinery; node:http copies every body chunk out of the socket's buffer. undici's
// `request` hands out each body chunk as a view of the socket read, which is enqueued as it is
// into the web stream, with the stream's queue as backpressure (pause the body when it is full,
// resume on pull). Reading a ~100 MB GetMedia body raw took a median 297 ms of CPU over Node's
// fetch, 157 over node:http and 122 here (docs/benchmarks.md, "On the wire"). Requests, errors
// and aborts behave as fetch's do for what KvsHttpClient asks of them (http.ts): a rejected
// promise before the response, an errored body after it.

import { Agent, type Dispatcher, request } from 'undici';
import type { FetchLike } from '../http';

/** Options of {@link nodeFetch}. */
export interface NodeFetchOptions {
  /** The undici dispatcher (an Agent, a Pool…); default undici's global one, or an Agent for `ca`. */
  dispatcher?: Dispatcher;
  /** CA certificate(s) to trust, PEM (e.g. the emulator's with `--tls`); ignored with `dispatcher`. */
  ca?: string | Buffer;
  /** Body chunks queued before the socket is paused (default 16, about 1 MiB). */
  highWaterMark?: number;
}

/** Statuses whose responses have no body (fetch refuses a body for them). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

type HttpMethod = Dispatcher.HttpMethod;

/**
 * A fetch for {@link KinesisVideoApiOptions.mediaFetch} (or `fetch`) in Node: undici's request
 * underneath, bodies as web streams without copies. Request bodies: a string, a Uint8Array or an
 * ArrayBuffer.
 */
export function nodeFetch(options: NodeFetchOptions = {}): FetchLike {
  const highWaterMark = Math.max(1, options.highWaterMark ?? 16);
  const dispatcher =
    options.dispatcher ?? (options.ca !== undefined ? new Agent({ connect: { ca: options.ca } }) : undefined);
  return async (input, init) => {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`nodeFetch: unsupported protocol ${url.protocol}`);
    }
    const body = requestBody(init.body);
    if (body instanceof Error) throw body;
    const method = (init.method ?? 'GET').toUpperCase() as HttpMethod;
    const res = await request(url, {
      method,
      headers: headerRecord(init.headers),
      body,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.append(name, value);
    }
    const empty = NULL_BODY.has(res.statusCode) || method === 'HEAD';
    if (empty) res.body.resume();
    try {
      return new Response(empty ? null : bodyStream(res.body, highWaterMark), { status: res.statusCode, headers });
    } catch (e) {
      // A status fetch cannot represent (outside 200–599): a failed request.
      res.body.destroy();
      throw e;
    }
  };
}

type Body = Dispatcher.ResponseData['body'];

/** The response body as a ReadableStream of undici's own chunks (views of the socket reads). */
function bodyStream(body: Body, highWaterMark: number): ReadableStream<Uint8Array> {
  let paused = false;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body.on('data', (chunk: Buffer) => {
          if (settled) return;
          // A plain Uint8Array view, as fetch gives: a parser's subarray() of a Buffer goes through
          // Buffer's species constructor, several times dearer per frame.
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0 && !paused) {
            paused = true;
            body.pause();
          }
        });
        body.on('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        body.on('error', (e: unknown) => {
          if (settled) return;
          settled = true;
          controller.error(e);
        });
      },
      pull() {
        if (paused) {
          paused = false;
          body.resume();
        }
      },
      cancel() {
        settled = true;
        body.destroy();
      },
    },
    { highWaterMark },
  );
}

function requestBody(body: RequestInit['body']): Uint8Array | undefined | Error {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new TypeError('nodeFetch: a request body must be a string, a Uint8Array or an ArrayBuffer');
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) out[name.toLowerCase()] = value;
  } else {
    for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  }
  return out;
}
