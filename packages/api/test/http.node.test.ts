/// <reference types="node" />
// The client against a real HTTP server on 127.0.0.1 (Node's own fetch, and nodeFetch from
// @kvs-ts/api/node, the same suite for both; no fakes): each request
// verified as the service would (SigV4 recomputed from what arrived, Host with the port
// included), a data endpoint built from the server's own address, a GetMedia body read while
// the server is still writing it, and timeouts on a server that stalls. Bounded in time.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchLike, KinesisVideoApi, KvsServiceError, KvsTransportError } from '@kvs-ts/api';
import { nodeFetch } from '@kvs-ts/api/node';
import { ServiceCallResult } from '@kvs-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, verifyRequest } from './sigv4-reference';

const SECRET = 'local/server/secret';
const TEST_TIMEOUT_MS = 10_000;

type Route = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void;

let server: Server;
let base: string;
const routes = new Map<string, Route>();
const seen: { path: string; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = req.url ?? '/';
    seen.push({ path, headers: req.headers });
    try {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      await verifyRequest(
        { method: req.method ?? '', url: `http://${req.headers.host}${path}`, headers },
        SECRET,
        await sha256Hex(new Uint8Array(raw)),
      );
    } catch (e) {
      res.writeHead(403, { 'x-amzn-ErrorType': 'InvalidSignatureException', 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(e) }));
      return;
    }
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: path }));
      return;
    }
    route(req, JSON.parse(raw.toString('utf8') || '{}'), res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

let fetchUnderTest: FetchLike | undefined;

function api(options: Partial<ConstructorParameters<typeof KinesisVideoApi>[0]> = {}) {
  return new KinesisVideoApi({
    fetch: fetchUnderTest,
    region: 'us-west-2',
    endpoint: base,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: SECRET, sessionToken: 'tok' },
    env: {},
    retry: { baseDelayUs: 1_000 },
    ...options,
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-RequestId': 'local-1', ...headers });
  res.end(JSON.stringify(body));
}

describe.each([
  ['fetch', undefined],
  ['nodeFetch', nodeFetch()],
])('against a local HTTP server (%s)', (_name, fetchLike) => {
  beforeAll(() => {
    fetchUnderTest = fetchLike;
  });

  it(
    'runs DescribeStream → 404 → CreateStream → GetDataEndpoint, each signed and verified as received',
    async () => {
      let created = false;
      routes.set('/describeStream', (_req, _body, res) =>
        created
          ? sendJson(res, 200, { StreamInfo: { StreamName: 'cam', StreamARN: 'arn:cam', Status: 'ACTIVE' } })
          : sendJson(res, 404, { message: 'no stream' }, { 'x-amzn-ErrorType': 'ResourceNotFoundException:' }),
      );
      routes.set('/createStream', (_req, body, res) => {
        expect(body).toEqual({ StreamName: 'cam', MediaType: 'video/h264', DataRetentionInHours: 2 });
        created = true;
        sendJson(res, 200, { StreamARN: 'arn:cam' });
      });
      routes.set('/getDataEndpoint', (_req, _body, res) => sendJson(res, 200, { DataEndpoint: base }));
      const client = api();
      const missing = await client.describeStream({ streamName: 'cam' }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(KvsServiceError);
      expect(missing).toMatchObject({ code: 'ResourceNotFoundException', requestId: 'local-1' });
      expect(
        await client.createStream({ streamName: 'cam', mediaType: 'video/h264', dataRetentionInHours: 2 }),
      ).toEqual({ streamArn: 'arn:cam' });
      expect((await client.describeStream({ streamName: 'cam' })).status).toBe('ACTIVE');
      expect(await client.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' })).toBe(base);
      const last = seen[seen.length - 1];
      expect(last.headers.host).toBe(new URL(base).host);
      expect(last.headers['content-type']).toBe('application/json');
      expect(last.headers.authorization).toMatch(/SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date/);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'retries a 503 and a throttle from the server, then succeeds',
    async () => {
      let n = 0;
      routes.set('/listStreams', (_req, _body, res) => {
        n++;
        if (n === 1) return sendJson(res, 503, { message: 'busy' });
        if (n === 2) return sendJson(res, 400, { __type: 'ClientLimitExceededException', message: 'slow' });
        sendJson(res, 200, { StreamInfoList: [] });
      });
      expect(await api().listStreams()).toEqual({ streamInfoList: [], nextToken: undefined });
      expect(n).toBe(3);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'hands over a GetMedia body while the server is still writing it',
    async () => {
      let writer: ServerResponse | undefined;
      routes.set('/getDataEndpoint', (_req, _body, res) => sendJson(res, 200, { DataEndpoint: base }));
      routes.set('/getMedia', (_req, body, res) => {
        expect(body).toEqual({ StreamName: 'cam', StartSelector: { StartSelectorType: 'NOW' } });
        res.writeHead(200, { 'content-type': 'video/webm' });
        res.write(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
        writer = res;
      });
      const payload = await api().getMedia({ streamName: 'cam', startSelector: { startSelectorType: 'NOW' } });
      expect(payload.contentType).toBe('video/webm');
      const reader = payload.body.getReader();
      expect([...((await reader.read()).value ?? [])]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
      writer?.write(Buffer.from([1, 2, 3]));
      expect([...((await reader.read()).value ?? [])]).toEqual([1, 2, 3]);
      writer?.end();
      expect((await reader.read()).done).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'times out on a server that never answers (connect timeout) and on one that stalls mid-body',
    async () => {
      routes.set('/deleteStream', () => {});
      routes.set('/tagStream', (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"partial":');
      });
      const client = api({ retry: { maxRetries: 0 }, connectTimeoutUs: 150_000, timeoutUs: 300_000 });
      const started = Date.now();
      const noAnswer = await client.deleteStream({ streamArn: 'arn:cam' }).catch((e: unknown) => e);
      expect(noAnswer).toBeInstanceOf(KvsTransportError);
      expect(noAnswer).toMatchObject({ result: ServiceCallResult.NETWORK_CONNECTION_TIMEOUT });
      const stalled = await client.tagStream({ streamName: 'cam', tags: { a: 'b' } }).catch((e: unknown) => e);
      expect(stalled).toMatchObject({ failure: 'timeout', result: ServiceCallResult.NETWORK_READ_TIMEOUT });
      expect(Date.now() - started).toBeLessThan(3_000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reports a refused connection as a retryable network failure',
    async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const port = (closed.address() as AddressInfo).port;
      closed.close();
      await once(closed, 'close');
      const client = api({ endpoint: `http://127.0.0.1:${port}`, retry: { maxRetries: 1, baseDelayUs: 1_000 } });
      await expect(client.listStreams()).rejects.toMatchObject({
        failure: 'network',
        result: ServiceCallResult.UNKNOWN,
      });
    },
    TEST_TIMEOUT_MS,
  );
});
