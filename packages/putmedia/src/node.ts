/// <reference types="node" />
// PutMedia over node:http / node:https: one long chunked POST whose response (ACK lines) is read
// while the body is still being written, as AWS's C producer does it with curl. Node's fetch is
// not used for this (it keeps every uploaded chunk until the request ends: undici issue 4058);
// with node:http a written chunk is gone once the socket took it, so memory stays flat however
// long the upload runs (test/node-memory.node.test.ts).

import type { ClientRequest, IncomingMessage } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import { KvsError, ServiceCallResult } from '@kvs-ts/core';
import {
  NETWORK_FAILURE,
  PutMediaConnection,
  type PutMediaOptions,
  type PutMediaSource,
  readLimited,
} from './connection';
import { type PutMediaTarget, signPutMedia } from './request';

export type { PutMediaOptions, PutMediaSource } from './connection';

/** Options of {@link putMediaWithNodeHttp}. */
export interface NodePutMediaOptions extends PutMediaOptions {
  /** An https.Agent / http.Agent (certificates, keep-alive); default: a fresh connection. */
  agent?: http.Agent;
  /** Extra TLS options (a CA for a local emulator's certificate). */
  ca?: string | Buffer;
}

/**
 * Opens a PutMedia connection with node:http(s). Resolves once the request is on its way; the
 * connection's end goes to `source.end` with PIC's ServiceCallResult (see putMediaWithFetch).
 */
export async function putMediaWithNodeHttp(
  target: PutMediaTarget,
  source: PutMediaSource,
  options: NodePutMediaOptions = {},
): Promise<{ result: number }> {
  const signed = await signPutMedia(target);
  const url = new URL(signed.url);
  const conn = new PutMediaConnection(source, options);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) if (name !== 'content-length') headers[name] = value;
  headers['transfer-encoding'] = 'chunked';
  headers.connection = 'keep-alive';
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: 'POST',
    headers,
    agent: options.agent ?? false,
    ca: options.ca,
    signal: conn.abort.signal,
  });
  request.on('socket', (socket) => {
    socket.setNoDelay(true);
    if (socket.connecting)
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => conn.markConnected());
    else conn.markConnected();
  });
  request.on('error', (e) =>
    conn.fail(NETWORK_FAILURE, new KvsError('STATUS_PUT_STREAM_CALL_FAILED', `PutMedia: ${e.message}`, { cause: e })),
  );
  request.on('response', (response) => void readResponse(response, conn));
  request.flushHeaders();
  conn.startTimers();
  void writeBody(request, conn);
  return { result: ServiceCallResult.OK };
}

async function writeBody(request: ClientRequest, conn: PutMediaConnection): Promise<void> {
  // One 'drain' and one 'close' listener for the whole upload, rather than listeners added and
  // removed around every chunk: at 64 KiB per chunk that churn was a visible share of the
  // client's CPU (docs/benchmarks.md, "On the wire"). An abort destroys the request (its
  // `signal`), which emits 'close'.
  let wake: (() => void) | undefined;
  const resume = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  request.on('drain', resume);
  request.on('close', resume);
  // Write callbacks run in write order: one shared callback hands back the oldest chunk, so no
  // closure is made per chunk.
  const written: Uint8Array[] = [];
  const recycle = (): void => {
    const chunk = written.shift();
    if (chunk !== undefined) conn.recycle(chunk);
  };
  try {
    for (;;) {
      const chunk = await conn.nextChunk();
      if (chunk === undefined) break;
      // The callback runs once the socket has written the chunk (or failed): then it may be reused.
      written.push(chunk);
      if (!request.write(chunk, recycle) && !request.destroyed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
    request.end();
  } catch (e) {
    // The session was aborted, or the connection ended under the writer: nothing more to send.
    if (!conn.isEnded)
      conn.fail(
        ServiceCallResult.UNKNOWN,
        e instanceof KvsError ? e : new KvsError('STATUS_PUT_STREAM_CALL_FAILED', String(e)),
      );
    request.destroy();
  } finally {
    request.off('drain', resume);
    request.off('close', resume);
  }
}

async function readResponse(response: IncomingMessage, conn: PutMediaConnection): Promise<void> {
  const status = response.statusCode ?? 0;
  try {
    if (!conn.responseStarted(status)) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers))
        if (typeof value === 'string') headers.set(name, value);
      conn.errorResponse(status, headers, await readLimited(response));
      return;
    }
    for await (const chunk of response) conn.ackBytes(chunk as Uint8Array);
    conn.responseEnded();
  } catch (e) {
    conn.fail(NETWORK_FAILURE, new KvsError('STATUS_PUT_STREAM_CALL_FAILED', `PutMedia: ${String(e)}`, { cause: e }));
  }
}
