// The presigned connect URL (seeds-webrtc.md §5.2): accepted as @kvs-ts/api's Signer signs it,
// refused with HTTP 403 before any upgrade when any signed part is tampered with, when it has
// expired or was signed with the wrong key; the documented 400/404 refusals for a valid signature.

import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { activeChannel, open, presign, wssEndpoint } from './signaling-support';
import { KEYS, start } from './support';

let emu: Emulator;
let arn: string;
let other: string;
let endpoint: string;
const TOKEN_KEYS = { ...KEYS, sessionToken: 'session/token+with=odd&chars' };

beforeAll(async () => {
  emu = await start({ transitionDelayMs: 5, signalingRateLimits: false });
  arn = await activeChannel(emu, 'auth-1');
  other = await activeChannel(emu, 'auth-2');
  endpoint = await wssEndpoint(emu, arn, 'VIEWER');
});
afterAll(async () => {
  await emu.close();
});

/** Replaces (or with `undefined` removes, or adds) one query parameter, leaving the rest as signed. */
function withParam(url: string, name: string, value: string | undefined): string {
  const [base, query] = url.split('?');
  const parts = query.split('&').filter((p) => !p.startsWith(`${name}=`));
  if (value !== undefined) parts.push(`${name}=${encodeURIComponent(value)}`);
  return `${base}?${parts.join('&')}`;
}

const param = (url: string, name: string): string => new URL(url).searchParams.get(name) as string;

async function expectRefused(url: string, status: number, errorType?: RegExp): Promise<void> {
  const r = await open(url);
  r.client?.close();
  expect(r.client, 'the upgrade must be refused').toBeUndefined();
  expect(r.status).toBe(status);
  if (errorType) expect(r.errorType).toMatch(errorType);
}

describe('presigned connect URL', () => {
  it('is accepted as signed, with and without a session token, for master and viewer', async () => {
    for (const keys of [KEYS, TOKEN_KEYS]) {
      for (const clientId of [undefined, 'viewer-1']) {
        const url = await presign(emu, endpoint, arn, clientId, { keys });
        const q = new URL(url).searchParams;
        expect(q.get('X-Amz-SignedHeaders')).toBe('host');
        expect(q.get('X-Amz-Expires')).toBe('299');
        expect(q.get('X-Amz-Credential')).toMatch(/\/us-west-2\/kinesisvideo\/aws4_request$/);
        expect(q.get('X-Amz-Security-Token')).toBe(keys === TOKEN_KEYS ? TOKEN_KEYS.sessionToken : null);
        const r = await open(url);
        expect(r.client).toBeDefined();
        r.client?.close();
      }
    }
  });

  it('refuses every tampered part with 403', async () => {
    const viewer = await presign(emu, endpoint, arn, 'viewer-1', { keys: TOKEN_KEYS });
    const master = await presign(emu, endpoint, arn, undefined, { keys: TOKEN_KEYS });
    const sig = param(viewer, 'X-Amz-Signature');
    const date = param(viewer, 'X-Amz-Date');
    const later = date.replace(/(\d)Z$/, (_, d: string) => `${(Number(d) + 1) % 10}Z`);
    const tampered: Array<[string, string]> = [
      [
        'signature',
        withParam(
          viewer,
          'X-Amz-Signature',
          sig.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        ),
      ],
      ['channel ARN', withParam(viewer, 'X-Amz-ChannelARN', other)],
      ['client ID', withParam(viewer, 'X-Amz-ClientId', 'viewer-2')],
      ['client ID removed (viewer → master)', withParam(viewer, 'X-Amz-ClientId', undefined)],
      ['client ID added (master → viewer)', withParam(master, 'X-Amz-ClientId', 'viewer-1')],
      ['date', withParam(viewer, 'X-Amz-Date', later)],
      ['expires', withParam(viewer, 'X-Amz-Expires', '298')],
      ['security token', withParam(viewer, 'X-Amz-Security-Token', 'other-token')],
      ['security token removed', withParam(viewer, 'X-Amz-Security-Token', undefined)],
      [
        'region in credential',
        withParam(viewer, 'X-Amz-Credential', param(viewer, 'X-Amz-Credential').replace('us-west-2', 'us-east-1')),
      ],
      [
        'service in credential',
        withParam(viewer, 'X-Amz-Credential', param(viewer, 'X-Amz-Credential').replace('kinesisvideo', 'kinesis')),
      ],
      ['extra parameter', withParam(viewer, 'X-Amz-Extra', '1')],
      ['signature removed', withParam(viewer, 'X-Amz-Signature', undefined)],
    ];
    for (const [what, url] of tampered) {
      const r = await open(url);
      r.client?.close();
      expect(r.status, what).toBe(403);
      expect(r.client, what).toBeUndefined();
    }
    // The access key ID in the credential is checked first: an unknown one is UnrecognizedClient.
    const akid = withParam(
      viewer,
      'X-Amz-Credential',
      param(viewer, 'X-Amz-Credential').replace(KEYS.accessKeyId, 'AKIDOTHER'),
    );
    await expectRefused(akid, 403, /UnrecognizedClientException/);
    // No signature at all.
    await expectRefused(`${endpoint}/?X-Amz-ChannelARN=${encodeURIComponent(arn)}`, 403, /MissingAuthenticationToken/);
  });

  it('refuses a URL signed for another host', async () => {
    const signedFor = endpoint.replace('127.0.0.1', 'localhost');
    const url = (await presign(emu, signedFor, arn, 'v')).replace('localhost', '127.0.0.1');
    await expectRefused(url, 403, /InvalidSignatureException/);
  });

  it('refuses an expired URL, a wrongly keyed one, and one valid for longer than 299 s', async () => {
    const expired = await presign(emu, endpoint, arn, 'v', { now: () => (Date.now() - 300_000) * 1000 });
    await expectRefused(expired, 403, /InvalidSignatureException/);
    const wrongKey = await presign(emu, endpoint, arn, 'v', { keys: { ...KEYS, secretAccessKey: 'not-the-secret' } });
    await expectRefused(wrongKey, 403, /InvalidSignatureException/);
    const tooLong = await presign(emu, endpoint, arn, 'v', { expiresInUs: 300_000_000 });
    await expectRefused(tooLong, 403, /AccessDeniedException/);
    // Signed 200 s ago and valid for 299 s: still fine.
    const old = await presign(emu, endpoint, arn, 'v', { now: () => (Date.now() - 200_000) * 1000 });
    const r = await open(old);
    expect(r.client).toBeDefined();
    r.client?.close();
  });

  it('answers 404 for an unknown channel and 400 for an invalid client ID, validly signed', async () => {
    const unknown = arn.replace('auth-1', 'nope');
    await expectRefused(await presign(emu, endpoint, unknown, 'v'), 404, /ResourceNotFoundException/);
    await expectRefused(await presign(emu, endpoint, arn, 'AWS_reserved'), 400, /InvalidArgumentException/);
    await expectRefused(await presign(emu, endpoint, arn, 'has space'), 400, /InvalidArgumentException/);
  });

  it('refuses the next connections with 403 on admin demand (an expired token)', async () => {
    emu.admin.refuseSignalingConnections(1);
    await expectRefused(await presign(emu, endpoint, arn, 'v'), 403, /AccessDeniedException/);
    const r = await open(await presign(emu, endpoint, arn, 'v'));
    expect(r.client).toBeDefined();
    r.client?.close();
  });
});

describe('over TLS', () => {
  it('answers a wss:// endpoint and upgrades there', async () => {
    const tls = await start({ tls: true, transitionDelayMs: 5 });
    try {
      const ca = await readFile(tls.certPath as string, 'utf8');
      const channel = await activeChannelTls(tls, ca);
      const wss = await wssEndpointTls(tls, ca, channel);
      expect(wss.startsWith('wss://127.0.0.1:')).toBe(true);
      const master = await open(await presign(tls, wss, channel), { ca });
      const viewer = await open(await presign(tls, wss, channel, 'v'), { ca });
      viewer.client?.send({ action: 'SDP_OFFER', messagePayload: 'b2ZmZXI=' });
      expect((await master.client?.next())?.senderClientId).toBe('v');
      master.client?.close();
      viewer.client?.close();
    } finally {
      await tls.close();
    }
  });
});

// The control calls over TLS go through the official client, which takes the CA via its handler.
async function tlsClient(emu: Emulator, ca: string) {
  const { KinesisVideoClient } = await import('@aws-sdk/client-kinesis-video');
  const https = await import('node:https');
  return new KinesisVideoClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: KEYS,
    requestHandler: { httpsAgent: new https.Agent({ ca }) },
  });
}

async function activeChannelTls(emu: Emulator, ca: string): Promise<string> {
  const { CreateSignalingChannelCommand, DescribeSignalingChannelCommand } = await import(
    '@aws-sdk/client-kinesis-video'
  );
  const kv = await tlsClient(emu, ca);
  const { ChannelARN } = await kv.send(new CreateSignalingChannelCommand({ ChannelName: 'tls' }));
  for (let i = 0; i < 100; i++) {
    const d = await kv.send(new DescribeSignalingChannelCommand({ ChannelARN }));
    if (d.ChannelInfo?.ChannelStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  kv.destroy();
  return ChannelARN as string;
}

async function wssEndpointTls(emu: Emulator, ca: string, channelArn: string): Promise<string> {
  const { GetSignalingChannelEndpointCommand } = await import('@aws-sdk/client-kinesis-video');
  const kv = await tlsClient(emu, ca);
  const out = await kv.send(
    new GetSignalingChannelEndpointCommand({
      ChannelARN: channelArn,
      SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS'], Role: 'MASTER' },
    }),
  );
  kv.destroy();
  return out.ResourceEndpointList?.find((e) => e.Protocol === 'WSS')?.ResourceEndpoint as string;
}
