// Test doubles for the PutMedia transports: a source that hands out a known body as a producer
// makes it available, and a loopback PutMedia server that checks the request's headers, keeps
// what it received and writes ACK lines while the body still comes in.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FragmentAck, StatusCode } from '@kvs-ts/core';
import type { PutMediaSource, PutMediaTarget } from '@kvs-ts/putmedia';

/** A body made available piece by piece; records ACKs and the end. */
export class TestSource implements PutMediaSource {
  readonly bytes: Uint8Array;
  private offset = 0;
  private available = 0;
  private done = false;
  readonly acks: FragmentAck[] = [];
  readonly ends: number[] = [];
  private waiters = new Set<() => void>();
  private endWaiters: Array<(result: number) => void> = [];
  private ackWaiters: Array<() => void> = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) this.bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  }

  produce(n: number): void {
    this.available = Math.min(this.bytes.length, this.available + n);
    this.wake();
  }

  finish(): void {
    this.available = this.bytes.length;
    this.done = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  pull(maxBytes: number) {
    if (this.offset < this.available) {
      const end = Math.min(this.available, this.offset + maxBytes);
      const data = this.bytes.subarray(this.offset, end);
      this.offset = end;
      return { status: StatusCode.STATUS_SUCCESS, data };
    }
    const status = this.done ? StatusCode.STATUS_END_OF_STREAM : StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
    return { status, data: new Uint8Array(0) };
  }

  ack(ack: FragmentAck): number {
    this.acks.push(ack);
    for (const w of this.ackWaiters.splice(0)) w();
    return StatusCode.STATUS_SUCCESS;
  }

  end(result = 200): void {
    this.ends.push(result);
    for (const w of this.endWaiters.splice(0)) w(result);
  }

  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Resolves with the end's result (bounded in time by the test's timeout). */
  ended(): Promise<number> {
    if (this.ends.length > 0) return Promise.resolve(this.ends[0]);
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** Resolves once an ACK has arrived. */
  firstAck(): Promise<void> {
    if (this.acks.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push(resolve));
  }
}

/** What the test server saw of one request. */
export interface Received {
  headers: IncomingMessage['headers'];
  bytes: number;
  chunks: Uint8Array[];
  ended: boolean;
}

/** How the server answers. */
export type Behaviour =
  | { kind: 'ack'; every: number }
  | { kind: 'error'; status: number; type: string; message: string }
  | { kind: 'silent' };

/** A loopback PutMedia endpoint. */
export async function startServer(behaviour: Behaviour): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
  server: Server;
}> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const r: Received = { headers: req.headers, bytes: 0, chunks: [], ended: false };
    received.push(r);
    if (behaviour.kind === 'error') {
      req.resume();
      res.writeHead(behaviour.status, { 'content-type': 'application/json', 'x-amzn-ErrorType': `${behaviour.type}:` });
      res.end(JSON.stringify({ message: behaviour.message }));
      return;
    }
    if (behaviour.kind === 'silent') {
      req.resume();
      return; // never answers
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    let next = behaviour.every;
    let fragment = 0;
    req.on('data', (chunk: Buffer) => {
      r.chunks.push(new Uint8Array(chunk));
      r.bytes += chunk.length;
      while (r.bytes >= next) {
        res.write(
          `{"EventType":"RECEIVED","FragmentTimecode":${fragment * 1000},"FragmentNumber":"${String(fragment).padStart(47, '9')}"}\n`,
        );
        fragment++;
        next += behaviour.every;
      }
    });
    req.on('end', () => {
      r.ended = true;
      res.end(`{"EventType":"PERSISTED","FragmentTimecode":${fragment * 1000},"FragmentNumber":"1"}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A target on `url` signed with a test key pair. */
export function target(url: string, extra: Partial<PutMediaTarget> = {}): PutMediaTarget {
  return {
    endpoint: url,
    streamName: 'test-stream',
    producerStartTimestamp: 1_700_000_000_005_000,
    region: 'us-west-2',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    ...extra,
  };
}

/** Concatenation of chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
