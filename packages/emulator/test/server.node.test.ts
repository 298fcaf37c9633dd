// One port for HTTP/1.1, h2c and TLS (h2 + http/1.1 by ALPN), CORS, request IDs.

import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import https from 'node:https';
import { CreateStreamCommand, GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { call, frames, KEYS, mkvCluster, mkvHeader, putMedia, signerFor, start } from './support';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function h2Call(
  session: http2.ClientHttp2Session,
  e: Emulator,
  action: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  const url = new URL(`${e.url}/${action}`);
  const signed = await signerFor(e).sign({
    method: 'POST',
    url: url.toString(),
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  const { host, ...rest } = signed.headers;
  const req = session.request({ ':method': 'POST', ':path': `/${action}`, ':authority': host, ...rest });
  req.end(text);
  return new Promise((resolve, reject) => {
    let status = 0;
    let data = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (d) => {
      data += d;
    });
    req.on('end', () => resolve({ status, json: JSON.parse(data) as Record<string, unknown> }));
    req.on('error', reject);
  });
}

describe('one port', () => {
  it('serves HTTP/1.1 and h2c (prior knowledge) on the same port, with a request ID on every answer', async () => {
    emu = await start();
    const r1 = await call(emu, 'createStream', { StreamName: 'h1', DataRetentionInHours: 1 });
    expect(r1.status).toBe(200);
    expect(r1.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const session = http2.connect(emu.url);
    try {
      const r2 = await h2Call(session, emu, 'describeStream', { StreamName: 'h1' });
      expect(r2.status).toBe(200);
      expect((r2.json.StreamInfo as Record<string, unknown>).StreamName).toBe('h1');
    } finally {
      session.close();
    }
  });

  it('serves TLS with a certificate naming 127.0.0.1 and localhost, over h2 and HTTP/1.1', async () => {
    emu = await start({ tls: true });
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const pem = await readFile(emu.certPath as string, 'utf8');
    const cert = new X509Certificate(pem);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    const session = http2.connect(emu.url, { ca: pem });
    try {
      const r = await h2Call(session, emu, 'listStreams', {});
      expect(r.status).toBe(200);
      expect(r.json.StreamInfoList).toEqual([]);
    } finally {
      session.close();
    }
    const e = emu;
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${e.url}/listStreams`,
        { method: 'POST', ca: pem, ALPNProtocols: ['http/1.1'] } as https.RequestOptions,
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    // Reached over HTTP/1.1 through TLS; refused only because it is unsigned.
    expect(status).toBe(403);
  });

  it('serves the official client over TLS when it trusts the printed certificate', async () => {
    emu = await start({ tls: true });
    const pem = await readFile(emu.certPath as string, 'utf8');
    const kv = new KinesisVideoClient({
      endpoint: emu.url.replace('127.0.0.1', 'localhost'),
      region: emu.region,
      credentials: KEYS,
      maxAttempts: 1,
      requestHandler: { httpsAgent: new https.Agent({ ca: pem }) },
    });
    try {
      const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: 'tls' }));
      expect(StreamARN).toContain('stream/tls/');
      const { DataEndpoint } = await kv.send(new GetDataEndpointCommand({ StreamName: 'tls', APIName: 'GET_MEDIA' }));
      expect(DataEndpoint).toBe(emu.url);
    } finally {
      kv.destroy();
    }
  });

  it('takes PutMedia over TLS and HTTP/1.1 with Expect: 100-continue (the C producer path)', async () => {
    emu = await start({ tls: true });
    const pem = await readFile(emu.certPath as string, 'utf8');
    const kv = new KinesisVideoClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: KEYS,
      maxAttempts: 1,
      requestHandler: { httpsAgent: new https.Agent({ ca: pem }) },
    });
    await kv.send(new CreateStreamCommand({ StreamName: 'tls-put', DataRetentionInHours: 1 }));
    kv.destroy();
    const r = await putMedia(
      emu,
      'tls-put',
      [mkvHeader(), mkvCluster({ timecode: 1_700_000_000_000, frames: frames(3, 100, 1) })],
      { ca: pem, expectContinue: true },
    );
    expect(r.status).toBe(200);
    expect(r.acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
  });

  it('answers CORS preflights and exposes the request ID and error type', async () => {
    emu = await start();
    const pre = await fetch(`${emu.url}/putMedia`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,x-amz-date,x-amzn-stream-name',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const allowed = pre.headers.get('access-control-allow-headers') ?? '';
    for (const h of [
      'authorization',
      'x-amz-date',
      'x-amz-security-token',
      'x-amzn-stream-name',
      'x-amzn-fragment-timecode-type',
    ]) {
      expect(allowed).toContain(h);
    }
    const res = await fetch(`${emu.url}/listStreams`, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-expose-headers')).toContain('x-amzn-RequestId');
    expect(res.headers.get('access-control-expose-headers')).toContain('x-amzn-ErrorType');
  });

  it('takes keys from the environment, else prints the documented test pair', async () => {
    const lines: string[] = [];
    emu = await start({
      accessKeyId: undefined,
      secretAccessKey: undefined,
      env: { AWS_ACCESS_KEY_ID: 'AKENV', AWS_SECRET_ACCESS_KEY: 'envsecret' },
    });
    expect(emu.accessKeyId).toBe('AKENV');
    await emu.close();
    emu = await start({ accessKeyId: undefined, secretAccessKey: undefined, env: {}, log: (l) => lines.push(l) });
    expect(emu.accessKeyId).not.toBe(KEYS.accessKeyId);
    expect(lines.join('\n')).toContain(emu.secretAccessKey);
    expect(
      (await call(emu, 'listStreams', {}, { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey }))
        .status,
    ).toBe(200);
  });
});
