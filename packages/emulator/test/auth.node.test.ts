// SigV4 verification: header and query forms, every way of hashing the payload that AWS's own
// clients use (docs/decisions/emulator.md, "What AWS's clients send"), and the 403 answers for wrong keys, bad
// signatures, missing signatures and stale dates.

import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { Signer } from '@kvs-ts/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { call, KEYS, start } from './support';

let emu: Emulator;
beforeAll(async () => {
  emu = await start();
});
afterAll(async () => {
  await emu.close();
});

function raw(
  e: Emulator,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> }> {
  const url = new URL(e.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method: 'POST', headers }, (res) => {
      let d = '';
      res.on('data', (c) => {
        d += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: d ? JSON.parse(d) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const hmac = (k: Buffer | string, s: string): Buffer => createHmac('sha256', k).update(s).digest();
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** An independent, minimal SigV4 signer (as the C producer signs: no x-amz-content-sha256). */
function cSign(e: Emulator, path: string, headers: Record<string, string>, body: string, amzDate: string): string {
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    path,
    '',
    names.map((n) => `${n}:${headers[n].trim()}\n`).join(''),
    names.join(';'),
    sha(body),
  ].join('\n');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${e.region}/kinesisvideo/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha(canonical)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${KEYS.secretAccessKey}`, date), e.region), 'kinesisvideo'), 'aws4_request');
  return `AWS4-HMAC-SHA256 Credential=${KEYS.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${hmac(key, toSign).toString('hex')}`;
}

const amzNow = (offsetMs = 0): string =>
  new Date(Date.now() + offsetMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

describe('SigV4', () => {
  it('accepts the AWS SDK v3 style (x-amz-content-sha256 sent) and the C producer style (Host without port)', async () => {
    expect((await call(emu, 'listStreams', {})).status).toBe(200);
    const body = '{\n\t"MaxResults":\t5\n}';
    const headers = { host: '127.0.0.1', 'user-agent': 'AWS-PRODUCER-SDK-KVS/1.6.4', 'x-amz-date': amzNow() };
    const auth = cSign(emu, '/listStreams', headers, body, headers['x-amz-date']);
    const r = await raw(
      emu,
      '/listStreams',
      { ...headers, authorization: auth, 'content-type': 'application/json' },
      body,
    );
    expect(r.status).toBe(200);
  });

  it('refuses an unsigned call with MissingAuthenticationTokenException', async () => {
    const r = await raw(emu, '/listStreams', { 'content-type': 'application/json' }, '{}');
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(r.json.message).toBe('Missing Authentication Token');
    expect(r.headers['x-amzn-requestid']).toBeTruthy();
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const r = await call(emu, 'listStreams', {}, { accessKeyId: 'AKIDWRONG', secretAccessKey: KEYS.secretAccessKey });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(r.json.message).toBe('The security token included in the request is invalid.');
  });

  it('refuses a wrong secret, and a body changed after signing, with InvalidSignatureException', async () => {
    const r = await call(emu, 'listStreams', {}, { accessKeyId: KEYS.accessKeyId, secretAccessKey: 'wrong' });
    expect(r.status).toBe(403);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(String(r.json.message)).toMatch(/^The request signature we calculated does not match/);
    const headers = { host: '127.0.0.1', 'x-amz-date': amzNow() };
    const auth = cSign(emu, '/listStreams', headers, '{}', headers['x-amz-date']);
    const tampered = await raw(emu, '/listStreams', { ...headers, authorization: auth }, '{"MaxResults":1}');
    expect(tampered.status).toBe(403);
    expect(tampered.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
  });

  it('refuses a date more than 5 minutes off ("Signature expired"), accepts 4 minutes', async () => {
    for (const [offset, ok] of [
      [-6 * 60_000, false],
      [6 * 60_000, false],
      [-4 * 60_000, true],
    ] as const) {
      const headers = { host: '127.0.0.1', 'x-amz-date': amzNow(offset) };
      const auth = cSign(emu, '/listStreams', headers, '{}', headers['x-amz-date']);
      const r = await raw(emu, '/listStreams', { ...headers, authorization: auth }, '{}');
      expect(r.status).toBe(ok ? 200 : 403);
      if (!ok) {
        expect(r.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
        expect(String(r.json.message)).toMatch(/^Signature expired: \d{8}T\d{6}Z is now (earlier|later) than/);
      }
    }
  });

  it('refuses a signature scoped to another region', async () => {
    const s = new Signer({ region: 'eu-west-1', credentials: async () => KEYS });
    const signed = await s.sign({ method: 'POST', url: `${emu.url}/listStreams`, body: '{}' });
    const res = await fetch(signed.url, { method: 'POST', headers: signed.fetchHeaders, body: '{}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('accepts the query (presigned) form and refuses it once expired', async () => {
    const presign = async (expires: number, at: string): Promise<string> => {
      const date = at.slice(0, 8);
      const scope = `${date}/${emu.region}/kinesisvideo/aws4_request`;
      const q = new URLSearchParams({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': `${KEYS.accessKeyId}/${scope}`,
        'X-Amz-Date': at,
        'X-Amz-Expires': String(expires),
        'X-Amz-SignedHeaders': 'host',
      });
      const query = [...q.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
      const host = new URL(emu.url).host;
      const canonical = ['POST', '/listStreams', query, `host:${host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
      const toSign = `AWS4-HMAC-SHA256\n${at}\n${scope}\n${sha(canonical)}`;
      const key = hmac(
        hmac(hmac(hmac(`AWS4${KEYS.secretAccessKey}`, date), emu.region), 'kinesisvideo'),
        'aws4_request',
      );
      return `${emu.url}/listStreams?${query}&X-Amz-Signature=${hmac(key, toSign).toString('hex')}`;
    };
    expect((await fetch(await presign(300, amzNow()), { method: 'POST', body: '{}' })).status).toBe(200);
    const stale = await fetch(await presign(60, amzNow(-120_000)), { method: 'POST', body: '{}' });
    expect(stale.status).toBe(403);
    expect(stale.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('accepts PutMedia exactly as the C producer signs it (hop-by-hop headers signed, empty-string hash, 100-continue)', async () => {
    await call(emu, 'createStream', { StreamName: 'cprod', DataRetentionInHours: 1 });
    const { mkvCluster, mkvHeader, frames } = await import('./support');
    const signedHeaders: Record<string, string> = {
      connection: 'keep-alive',
      host: '127.0.0.1',
      'transfer-encoding': 'chunked',
      'user-agent': 'AWS-PRODUCER-SDK-KVS/1.6.4 GCC/12.2.0 Linux/6.1 x86_64',
      'x-amz-date': amzNow(),
      'x-amzn-fragment-acknowledgment-required': '1',
      'x-amzn-fragment-timecode-type': 'ABSOLUTE',
      'x-amzn-producer-start-timestamp': '1796290693.96',
      'x-amzn-stream-name': 'cprod',
    };
    const auth = cSign(emu, '/putMedia', signedHeaders, '', signedHeaders['x-amz-date']);
    const url = new URL(emu.url);
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: '/putMedia',
        method: 'POST',
        headers: { ...signedHeaders, authorization: auth, 'content-type': 'application/json', expect: '100-continue' },
      });
      req.on('continue', () => {
        req.write(mkvHeader());
        req.end(mkvCluster({ timecode: 1_700_000_000_000, frames: frames(2, 100, 1) }));
      });
      req.on('response', (res) => {
        let d = '';
        res.on('data', (c) => {
          d += c;
        });
        res.on('end', () => resolve(`${res.statusCode} ${d}`));
      });
      req.on('error', reject);
    });
    expect(text.startsWith('200 ')).toBe(true);
    expect(text).toContain('"EventType":"PERSISTED"');
  });
});
