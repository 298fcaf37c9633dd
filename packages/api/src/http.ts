// One signed JSON POST as the KVS REST-JSON APIs take it (POST /{operation} with a JSON body),
// over fetch, with timeouts and retries. The response is either parsed JSON (control calls) or
// the body stream as is (media calls: never buffered).

import { KvsError } from '@kvs-ts/core';
import { KvsTransportError, serviceErrorFromResponse, type TransportFailure } from './errors';
import { type RetryOptions, RetryPolicy } from './retry';
import type { Signer } from './signer';

/** The fetch the client calls: the platform's by default, injectable for tests and custom agents. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Timeouts, µs. */
export interface TimeoutOptions {
  /**
   * Until the response headers arrive, µs. fetch exposes no separate connect phase, so this
   * bounds connect, TLS and the service's first byte together. Default 5 s. 0: none.
   */
  connectTimeoutUs?: number;
  /** The whole call, body included, for JSON calls, µs. Default 10 s. 0: none. Media bodies have none. */
  timeoutUs?: number;
}

/** Per-call options. */
export interface CallOptions extends TimeoutOptions {
  /** Aborts the call; for media calls it stays attached to the body, so it also stops the reading. */
  signal?: AbortSignal;
}

/** Options of {@link KvsHttpClient}. */
export interface HttpClientOptions extends TimeoutOptions {
  signer: Signer;
  fetch?: FetchLike;
  /**
   * The fetch for media calls (GetMedia, GetMediaForFragmentList, GetClip…), whose bodies are
   * streamed; default {@link fetch}. In Node, `nodeFetch()` from `@kvs-ts/api/node` reads them
   * at about twice the rate of Node's fetch (docs/benchmarks.md, "On the wire").
   */
  mediaFetch?: FetchLike;
  retry?: RetryOptions | RetryPolicy;
  /** Sent as x-amz-user-agent after `kvs-ts/<version>`. */
  userAgent?: string;
}

/** A media response: its body as a stream (not buffered; cancel it when done) and its headers. */
export interface MediaPayload {
  body: ReadableStream<Uint8Array>;
  /** Content-Type, e.g. `video/webm` or `video/x-matroska`. */
  contentType: string | undefined;
  headers: Headers;
  requestId: string | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_US = 5_000_000;
export const DEFAULT_TIMEOUT_US = 10_000_000;
const SDK_USER_AGENT = 'kvs-ts/0.1.0';

/** Signed JSON POSTs with timeouts and retries. */
export class KvsHttpClient {
  readonly signer: Signer;
  readonly retry: RetryPolicy;
  private readonly fetchFn: FetchLike;
  private readonly mediaFetchFn: FetchLike;
  private readonly connectTimeoutUs: number;
  private readonly timeoutUs: number;
  private readonly userAgent: string;

  constructor(options: HttpClientOptions) {
    this.signer = options.signer;
    this.retry = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry);
    // Called through a closure: a bare `globalThis.fetch` reference loses its receiver in browsers.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.mediaFetchFn = options.mediaFetch ?? this.fetchFn;
    this.connectTimeoutUs = options.connectTimeoutUs ?? DEFAULT_CONNECT_TIMEOUT_US;
    this.timeoutUs = options.timeoutUs ?? DEFAULT_TIMEOUT_US;
    this.userAgent = options.userAgent === undefined ? SDK_USER_AGENT : `${SDK_USER_AGENT} ${options.userAgent}`;
  }

  /** POSTs `body` to `{endpoint}{path}` and parses the JSON answer (`{}` for an empty one). */
  async json(
    operation: string,
    endpoint: string,
    path: string,
    body: object,
    options: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.retry.run(async () => {
      const { response, done } = await this.attempt(operation, endpoint, path, body, options, true);
      try {
        const text = await this.read(response, operation, () => done.timedOut, options.signal);
        return parseJson(text, operation);
      } finally {
        done.cleanup();
      }
    }, options.signal);
  }

  /** POSTs `body` to `{endpoint}{path}` and hands back the response body as a stream. */
  async media(
    operation: string,
    endpoint: string,
    path: string,
    body: object,
    options: CallOptions = {},
  ): Promise<MediaPayload> {
    return this.retry.run(async () => {
      const { response } = await this.attempt(operation, endpoint, path, body, options, false);
      return {
        body: response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() }),
        contentType: response.headers.get('content-type') ?? undefined,
        headers: response.headers,
        requestId: response.headers.get('x-amzn-requestid') ?? undefined,
      };
    }, options.signal);
  }

  /**
   * One signed request. Resolves once a 2xx response's headers are in; a non-2xx response is
   * read and thrown as a KvsServiceError. With `whole`, the completion timeout keeps running for
   * the caller's read and `done.cleanup()` stops it.
   */
  private async attempt(
    operation: string,
    endpoint: string,
    path: string,
    body: object,
    options: CallOptions,
    whole: boolean,
  ): Promise<{ response: Response; done: { timedOut: TransportFailure | undefined; cleanup: () => void } }> {
    const url = `${endpoint}${path}`;
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const signed = await this.signer.sign({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-amz-user-agent': this.userAgent },
      body: bytes,
    });
    const user = options.signal;
    if (user?.aborted) throw user.reason;
    const controller = new AbortController();
    const relay = () => controller.abort(user?.reason);
    user?.addEventListener('abort', relay, { once: true });
    const done = {
      timedOut: undefined as TransportFailure | undefined,
      cleanup: () => {
        clearTimeout(connectTimer);
        clearTimeout(totalTimer);
        user?.removeEventListener('abort', relay);
      },
    };
    const fire = (failure: TransportFailure, us: number) => () => {
      done.timedOut = failure;
      controller.abort(
        new KvsTransportError(failure, `no ${failureWhat(failure)} within ${us / 1000} ms`, { operation }),
      );
    };
    const connectUs = options.connectTimeoutUs ?? this.connectTimeoutUs;
    const totalUs = whole ? (options.timeoutUs ?? this.timeoutUs) : 0;
    const connectTimer = connectUs > 0 ? setTimeout(fire('connect-timeout', connectUs), connectUs / 1000) : undefined;
    const totalTimer = totalUs > 0 ? setTimeout(fire('timeout', totalUs), totalUs / 1000) : undefined;

    let response: Response;
    try {
      response = await (whole ? this.fetchFn : this.mediaFetchFn)(url, {
        method: 'POST',
        headers: signed.fetchHeaders,
        body: bytes,
        signal: controller.signal,
      });
    } catch (cause) {
      done.cleanup();
      throw transportError(cause, done.timedOut, user, operation);
    }
    clearTimeout(connectTimer);
    if (!response.ok) {
      try {
        const text = await this.read(response, operation, () => done.timedOut, user);
        throw serviceErrorFromResponse(response.status, response.headers, text, operation);
      } finally {
        done.cleanup();
      }
    }
    // A media body lives on after this call: only the caller's signal still reaches it.
    if (!whole) clearTimeout(totalTimer);
    return { response, done };
  }

  private async read(
    response: Response,
    operation: string,
    timedOut: () => TransportFailure | undefined,
    user: AbortSignal | undefined,
  ): Promise<string> {
    try {
      return await response.text();
    } catch (cause) {
      throw transportError(cause, timedOut(), user, operation);
    }
  }
}

function failureWhat(failure: TransportFailure): string {
  return failure === 'connect-timeout' ? 'response' : 'complete answer';
}

/** What a fetch or body-read failure stands for: a timeout, the caller's abort, or a network failure. */
function transportError(
  cause: unknown,
  timedOut: TransportFailure | undefined,
  user: AbortSignal | undefined,
  operation: string,
): unknown {
  if (timedOut !== undefined) {
    return cause instanceof KvsTransportError
      ? cause
      : new KvsTransportError(timedOut, `no ${failureWhat(timedOut)} in time`, { operation, cause });
  }
  if (user?.aborted) return user.reason;
  if (cause instanceof KvsError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new KvsTransportError('network', `request failed: ${message}`, { operation, cause });
}

function parseJson(text: string, operation: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new KvsError('STATUS_INVALID_API_CALL_RETURN_JSON', `${operation}: the answer is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new KvsError('STATUS_INVALID_API_CALL_RETURN_JSON', `${operation}: the answer is not a JSON object`);
  return parsed as Record<string, unknown>;
}
