// A fetch stand-in that records each request (as the server would see it) and answers through a
// handler, plus AWS-shaped answers. It honours the abort signal like the real fetch, body
// included, so timeouts and aborts can be tested without a network.

import type { FetchLike } from '@kvs-ts/api';

export interface RecordedRequest {
  url: string;
  path: string;
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The body parsed as JSON (undefined when it is not). */
  json: unknown;
}

export type Handler = (request: RecordedRequest, index: number) => Response | Promise<Response>;

export class FakeFetch {
  readonly requests: RecordedRequest[] = [];

  constructor(private readonly handler: Handler) {}

  readonly fetch: FetchLike = async (input, init) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body =
      init.body instanceof Uint8Array
        ? init.body
        : typeof init.body === 'string'
          ? new TextEncoder().encode(init.body)
          : new Uint8Array(0);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      json = undefined;
    }
    const request: RecordedRequest = {
      url: input,
      path: new URL(input).pathname,
      method: init.method ?? 'GET',
      headers,
      body,
      json,
    };
    this.requests.push(request);
    const answer = Promise.resolve(this.handler(request, this.requests.length - 1));
    if (signal === undefined) return answer;
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
    );
    return Promise.race([answer.then((response) => abortableBody(response, signal)), aborted]);
  };

  /** The requests to `path`. */
  to(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }
}

/** The response with a body that errors when `signal` aborts, as the real fetch's does. */
function abortableBody(response: Response, signal: AbortSignal): Response {
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      signal.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1', ...headers },
  });
}

/** An AWS REST-JSON error: the name in x-amzn-ErrorType and/or the body's __type. */
export function awsError(
  status: number,
  code: string,
  message: string,
  via: 'header' | 'body' | 'both' = 'both',
): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': 'req-err' };
  if (via !== 'body')
    headers['x-amzn-errortype'] = `${code}:http://internal.amazon.com/coral/com.amazonaws.kinesisvideo/`;
  const body: Record<string, string> = { message };
  if (via !== 'header') body.__type = code;
  return new Response(JSON.stringify(body), { status, headers });
}

/** A body stream that never ends (until aborted or cancelled). */
export function neverEndingBody(first?: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first !== undefined) controller.enqueue(first);
    },
    pull() {
      return new Promise(() => {});
    },
  });
}

/** A fetch that never answers (until aborted). */
export const hangingFetch: FetchLike = (_input, init) =>
  new Promise((_, reject) => {
    const signal = init.signal;
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
