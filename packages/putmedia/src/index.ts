/**
 * @module @kvs-ts/putmedia
 * PutMedia transports: the long chunked upload of a producer stream's connection that reads the
 * service's ACKs while it sends. `putMediaWithFetch` (Deno; Chromium over HTTP/2) here, and
 * `putMediaWithNodeHttp` in `@kvs-ts/putmedia/node` (Node: node:http, flat memory over hours), and
 * `putMediaPerRequest` for runtimes that cannot stream a request body (one request per fragment).
 * All take a {@link PutMediaSource} (`streamSource(stream, request.connection)` for a
 * KinesisVideoStream) and report the connection's end with PIC's ServiceCallResult.
 */

export type { PutMediaOptions, PutMediaSource } from './connection';
export { PutMediaConnection } from './connection';
export type { FetchLike, FetchPutMediaOptions } from './fetch';
export { putMediaWithFetch } from './fetch';
export type { PerRequestOptions } from './per-request';
export { FragmentCutter, putMediaPerRequest } from './per-request';
export type { PutMediaTarget, SignedPutMedia } from './request';
export { formatProducerTimestamp, signPutMedia, targetOf } from './request';
export { streamSource } from './source';
export type { PutMediaTransport, PutStreamOptions } from './stream-putmedia';
export { putStreamWith } from './stream-putmedia';
