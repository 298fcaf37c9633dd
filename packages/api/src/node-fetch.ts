/// <reference types="node" />
// A FetchLike over node:http / node:https, for Node's media bodies. Node 20's fetch hands a
// response body to the reader through undici's own Readable, an async iterator that concatenates
// what it buffered (a copy of most of the body) and a web stream on top: reading a GetMedia body
// cost ~330 ms of CPU per 100 MB before any parsing (docs/benchmarks.md, "On the wire"). Here
// each chunk node:http receives is enqueued as it is, with the stream's queue as backpressure
// (pause the socket when it is full, resume on pull). Requests, errors and aborts behave as
// fetch's do for what KvsHttpClient asks of them (http.ts): a rejected promise before the
// response, an errored body after it.

import * as http from 'node:http';
import * as https from 'node:https';
import type { FetchLike } from './http';

/** Options of {@link nodeFetch}. */
export interface NodeFetchOptions {
  /** The http(s).Agent (keep-alive, sockets); default Node's global agents. */
  agent?: http.Agent;
  /** CA certificate(s) to trust, PEM (e.g. the emulator's with `--tls`). */
  ca?: string | Buffer;
  /** Body chunks queued before the socket is paused (default 16, about 1 MiB). */
  highWaterMark?: number;
}

/** Statuses whose responses have no body (fetch refuses a body for them). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch for {@link KinesisVideoApiOptions.mediaFetch} (or `fetch`) in Node: node:http(s)
 * underneath, bodies as web streams without copies. Request bodies: a string or a Uint8Array.
 */
export function nodeFetch(options: NodeFetchOptions = {}): FetchLike {
  const highWaterMark = Math.max(1, options.highWaterMark ?? 16);
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        reject(new TypeError(`nodeFetch: unsupported protocol ${url.protocol}`));
        return;
      }
      const body = requestBody(init.body);
      if (body instanceof Error) {
        reject(body);
        return;
      }
      const headers = headerRecord(init.headers);
      if (body !== undefined) headers['content-length'] = String(body.length);
      const method = (init.method ?? 'GET').toUpperCase();
      let req: http.ClientRequest;
      try {
        const mod = url.protocol === 'https:' ? https : http;
        req = mod.request(url, {
          method,
          headers,
          agent: options.agent,
          ca: options.ca,
          signal: init.signal ?? undefined,
        });
      } catch (e) {
        reject(e);
        return;
      }
      let responded = false;
      req.on('error', (e) => {
        if (!responded) reject(e);
      });
      req.on('response', (res) => {
        responded = true;
        const status = res.statusCode ?? 0;
        const out = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const empty = NULL_BODY.has(status) || method === 'HEAD';
        if (empty) res.resume();
        try {
          resolve(
            new Response(empty ? null : bodyStream(res, highWaterMark), {
              status,
              statusText: res.statusMessage ?? '',
              headers: out,
            }),
          );
        } catch (e) {
          // A status fetch cannot represent (outside 200–599): a failed request.
          res.destroy();
          reject(e);
        }
      });
      req.end(body);
    });
}

/** The response body as a ReadableStream of node:http's own chunks (no copy, no merge). */
function bodyStream(res: http.IncomingMessage, highWaterMark: number): ReadableStream<Uint8Array> {
  let paused = false;
  let settled = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0 && !paused) {
            paused = true;
            res.pause();
          }
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          controller.close();
        });
        const fail = (e: unknown) => {
          if (settled) return;
          settled = true;
          controller.error(e);
        };
        res.on('error', fail);
        // A connection cut mid-body: 'close' without 'end' (fetch's body fails the same way).
        res.on('close', () => {
          if (!res.complete) fail(new TypeError('terminated: the connection closed before the body ended'));
        });
      },
      pull() {
        if (paused) {
          paused = false;
          res.resume();
        }
      },
      cancel() {
        settled = true;
        res.destroy();
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
