// The part of the WebSocket API the client uses, so that the platform's WebSocket (browsers,
// Deno, Node 22+) and the `ws` package's class (Node 20, which has no global WebSocket) both fit.
// Only the standard constructor and `on*` handler properties are used; `ping()` is used when the
// object has one (`ws` does, browsers do not): docs/decisions/signaling.md, Keepalive.

import { KvsError } from '@kvs-ts/core';

/** The WebSocket readyState values (WHATWG). */
export const WS_CONNECTING = 0;
export const WS_OPEN = 1;
export const WS_CLOSING = 2;
export const WS_CLOSED = 3;

/** What the client needs of a WebSocket. */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  // Handlers typed loosely: the DOM's and `ws`'s event classes differ; what is read is checked.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  onopen: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  onmessage: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  onclose: ((event: any) => void) | null;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** A protocol-level ping (`ws` has it; browsers' WebSocket does not). */
  ping?: () => void;
}

/** `new WebSocket(url)`: the global WebSocket or `ws`'s. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The injected constructor, or the platform's; a KvsError naming the fix if there is none. */
export function webSocketConstructor(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  const found = injected ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (found === undefined)
    throw new KvsError(
      'STATUS_INVALID_OPERATION',
      "this runtime has no global WebSocket (Node 20): pass one, e.g. `WebSocket` from the 'ws' package",
    );
  return found;
}

/** A received frame's text: a string as is, binary frames decoded as UTF-8; else undefined. */
export function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  // `ws` may hand over a list of buffers for a fragmented binary message.
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    return data.map((d: ArrayBufferView) => new TextDecoder().decode(d)).join('');
  }
  return undefined;
}

/** The text of a WebSocket `error` event, if it has one (`ws` puts the handshake's status there). */
export function errorEventText(event: unknown): string {
  if (typeof event !== 'object' || event === null) return '';
  const e = event as { message?: unknown; error?: { message?: unknown } };
  if (typeof e.message === 'string') return e.message;
  if (typeof e.error?.message === 'string') return e.error.message;
  return '';
}
