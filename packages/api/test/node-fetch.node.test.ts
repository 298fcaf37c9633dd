/// <reference types="node" />
// nodeFetch (@kvs-ts/api/node, undici's request underneath) against real node:http servers on
// 127.0.0.1: a large body arrives byte for
// byte with the socket paused while nobody reads (backpressure, not an unbounded queue), every
// way a request or a body can fail surfaces as fetch's would (rejection before the response,
// errored body after it), bodiless statuses, header round trips, and HTTPS with a given CA.
// Bounded in time.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { nodeFetch } from '@kvs-ts/api/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issue } from './x509';

const TEST_TIMEOUT_MS = 15_000;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** Deterministic bytes: chunk i of a body is filled from i, so a reordering or a loss shows. */
function piece(i: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let k = 0; k < size; k++) b[k] = (i * 31 + k) & 0xff;
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('nodeFetch', () => {
  it(
    'streams a 32 MB body byte for byte, pausing the socket while the reader waits',
    async () => {
      const sizes = Array.from({ length: 600 }, (_, i) => 1 + ((i * 7919) % 100_000));
      const total = sizes.reduce((a, b) => a + b, 0);
      const sent = createHash('sha256');
      let written = 0;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'video/webm' });
        let i = 0;
        const more = () => {
          while (i < sizes.length) {
            const b = piece(i, sizes[i++]);
            sent.update(b);
            written += b.length;
            if (!res.write(b)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      };
      const response = await nodeFetch({ highWaterMark: 4 })(`${base}/media`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('video/webm');
      // Nobody reads for a while: the server must be held back by the client's flow control
      // (kernel buffers plus 4 queued chunks), not allowed to push the whole body into memory.
      await sleep(300);
      expect(written).toBeLessThan(total / 2);
      const got = createHash('sha256');
      let bytes = 0;
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        got.update(value);
        bytes += value.length;
      }
      expect(bytes).toBe(total);
      expect(got.digest('hex')).toBe(sent.digest('hex'));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sends the method, headers and body it is given, and returns every response header',
    async () => {
      let seen: { method?: string; headers?: IncomingMessage['headers']; body?: string } = {};
      handler = async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        seen = { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(404, [
          ['x-amzn-ErrorType', 'ResourceNotFoundException:'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['content-type', 'application/json'],
        ]);
        res.end('{"message":"no such stream"}');
      };
      const headers = new Headers({ 'content-type': 'application/json', 'x-amz-date': '20261203T000000Z' });
      const body = new TextEncoder().encode('{"StreamName":"cam"}');
      const response = await nodeFetch()(`${base}/describeStream`, { method: 'post', headers, body });
      expect(seen.method).toBe('POST');
      expect(seen.headers?.['x-amz-date']).toBe('20261203T000000Z');
      expect(seen.headers?.['content-length']).toBe(String(body.length));
      expect(seen.headers?.host).toBe(new URL(base).host);
      expect(seen.body).toBe('{"StreamName":"cam"}');
      expect(response.ok).toBe(false);
      expect(response.status).toBe(404);
      expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException:');
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(await response.json()).toEqual({ message: 'no such stream' });
    },
    TEST_TIMEOUT_MS,
  );

  it('gives no body for 204 and HEAD, as fetch does', async () => {
    handler = (req, res) => {
      res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'x-k': 'v' });
      res.end();
    };
    const f = nodeFetch();
    const empty = await f(`${base}/x`, { method: 'POST' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await f(`${base}/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers.get('x-k')).toBe('v');
  });

  it(
    'rejects on an abort before the response, and errors the body on an abort after it',
    async () => {
      handler = (req, res) => {
        if (req.url === '/slow') return; // never answers
        res.writeHead(200);
        res.write('first');
      };
      const f = nodeFetch();
      const early = new AbortController();
      const pending = f(`${base}/slow`, { method: 'POST', signal: early.signal });
      setTimeout(() => early.abort(), 50);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

      const late = new AbortController();
      const response = await f(`${base}/body`, { method: 'POST', signal: late.signal });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('first');
      late.abort();
      await expect(reader.read()).rejects.toBeDefined();
      expect(await f(`${base}/body`, { method: 'POST', signal: AbortSignal.abort() }).catch((e) => e.name)).toBe(
        'AbortError',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'errors the body when the connection is cut mid-body, and rejects a refused connection',
    async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(100, 1), () => setTimeout(() => res.socket?.destroy(), 20));
      };
      const response = await nodeFetch()(`${base}/cut`, { method: 'POST' });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let got = 0;
      const failure = await (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return 'ended';
          got += value.length;
        }
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(got).toBe(100);

      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const port = (closed.address() as AddressInfo).port;
      closed.close();
      await once(closed, 'close');
      await expect(nodeFetch()(`http://127.0.0.1:${port}/`, { method: 'POST' })).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it('refuses what it cannot send: other protocols and body types', async () => {
    const f = nodeFetch();
    await expect(f('ftp://127.0.0.1/x', {})).rejects.toThrow(/unsupported protocol/);
    await expect(f(`${base}/x`, { method: 'POST', body: new ReadableStream() as unknown as BodyInit })).rejects.toThrow(
      /request body must be/,
    );
  });

  it(
    'speaks HTTPS with the CA it is given, and refuses a certificate it cannot check',
    async () => {
      const ca = issue({ cn: 'test-ca', ca: true });
      const cert = issue({
        cn: '127.0.0.1',
        issuer: { cn: 'test-ca', key: ca.key },
        ips: ['127.0.0.1'],
        usage: 'server',
      });
      const secure = createHttpsServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => res.end('secure'));
      secure.listen(0, '127.0.0.1');
      await once(secure, 'listening');
      const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/`;
      try {
        expect(await (await nodeFetch({ ca: ca.certPem })(url, { method: 'POST' })).text()).toBe('secure');
        await expect(nodeFetch()(url, { method: 'POST' })).rejects.toBeDefined();
      } finally {
        secure.closeAllConnections();
        secure.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
