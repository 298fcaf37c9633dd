// Which PutMedia transport a runtime gets (docs/decisions/putmedia-transport.md):
// - Node: node:http, the only one whose memory stays flat over a long upload (Node 20's fetch keeps
//   every chunk it sent until the request ends, undici issue 4058);
// - Deno: fetch with a streamed body;
// - browsers: one whole-body request per fragment (Firefox and Safari cannot stream a request
//   body, Chromium only over HTTP/2 and then gives the ACKs only when the request ends).

import {
  type FetchLike,
  type PerRequestOptions,
  type PutMediaOptions,
  type PutMediaTransport,
  putMediaPerRequest,
  putMediaWithFetch,
} from '@kvs-ts/putmedia';

/** The transports by name; `auto` picks one for the runtime (see {@link runtimeTransportKind}). */
export type TransportKind = 'auto' | 'node-http' | 'fetch-stream' | 'per-request';

/** Options every transport takes (each ignores what it does not use). */
export interface TransportOptions extends PerRequestOptions {
  fetch?: FetchLike;
  /** A CA certificate to trust (Node only: the emulator's with `--tls`). */
  ca?: string;
}

/** The runtime's transport: node-http in Node, fetch-stream in Deno, per-request elsewhere. */
export function runtimeTransportKind(): Exclude<TransportKind, 'auto'> {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return 'fetch-stream';
  if (g.process?.versions?.node !== undefined) return 'node-http';
  return 'per-request';
}

/**
 * In Node, a fetch for media bodies on undici's request API (`nodeFetch` of `@kvs-ts/api/node`, about twice
 * the GetMedia read rate of Node's fetch: docs/benchmarks.md, "On the wire"), loaded on first use
 * through a specifier bundlers do not follow; elsewhere undefined (the platform's fetch).
 */
export function runtimeMediaFetch(): FetchLike | undefined {
  if (runtimeTransportKind() !== 'node-http') return undefined;
  let loaded: Promise<FetchLike> | undefined;
  return (input, init) => {
    const specifier = '@kvs-ts/api/node';
    loaded ??= (import(/* @vite-ignore */ specifier) as Promise<{ nodeFetch: () => FetchLike }>).then((m) =>
      m.nodeFetch(),
    );
    return loaded.then((f) => f(input, init));
  };
}

/**
 * The transport for `kind`. The Node one is imported at run time only in Node, through a
 * specifier bundlers do not follow, so that browser bundles never see `node:http`.
 */
export async function loadTransport(kind: TransportKind): Promise<PutMediaTransport<TransportOptions>> {
  const resolved = kind === 'auto' ? runtimeTransportKind() : kind;
  switch (resolved) {
    case 'fetch-stream':
      return putMediaWithFetch as PutMediaTransport<TransportOptions>;
    case 'per-request':
      return putMediaPerRequest as PutMediaTransport<TransportOptions>;
    case 'node-http': {
      const specifier = '@kvs-ts/putmedia/node';
      const mod = (await import(/* @vite-ignore */ specifier)) as {
        putMediaWithNodeHttp: PutMediaTransport<PutMediaOptions & { ca?: string }>;
      };
      return mod.putMediaWithNodeHttp as PutMediaTransport<TransportOptions>;
    }
  }
}
