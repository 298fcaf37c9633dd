/// <reference types="node" />
// The client over real WebSockets (`ws`, Node 20 has no global WebSocket) against a small
// signaling server on 127.0.0.1 that checks the presigned URL's signature and relays between one
// master and its viewers the way the service does (../shared/spec/seeds-webrtc.md §5). Proves: the
// `ws` class plugs in as is; offers, answers and candidates reach exactly their recipients; drops
// and GO_AWAY are survived with nothing the server delivered lost or duplicated; a 403 at
// connect leads to fresh credentials; protocol pings go out.

import type { AwsCredentials } from '@kvs-ts/api';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { SignalingClient, type SignalingClientOptions } from '../src/client';
import { presignWssUrl } from '../src/presign';
import type { PeerConnectionLike } from '../src/sessions';
import type { WebSocketConstructor } from '../src/socket';
import { CHANNEL_ARN } from './fakes';

// Type-level: the platform classes fit the injected interfaces without casts.
const _ws: WebSocketConstructor = WebSocket;
const _pc: (c: RTCConfiguration) => PeerConnectionLike = (c) => new RTCPeerConnection(c);
void _ws;
void _pc;

const SECRET = 'server-known-secret';

interface Server {
  url: string;
  master?: WsSocket;
  viewers: Map<string, WsSocket>;
  connects: { role: string; clientId?: string; token: string | null }[];
  refuseNext: number;
  pings: number;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as { port: number };
  const server: Server = {
    url: `ws://127.0.0.1:${port}`,
    viewers: new Map(),
    connects: [],
    refuseNext: 0,
    pings: 0,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
  // Verify as the service would: recompute the signature from what arrived.
  wss.options.verifyClient = (info: { req: { url?: string } }, done: (ok: boolean, code?: number) => void) => {
    if (server.refuseNext > 0) {
      server.refuseNext--;
      done(false, 403);
      return;
    }
    const q = new URL(info.req.url ?? '/', server.url).searchParams;
    const params: Record<string, string> = { 'X-Amz-ChannelARN': q.get('X-Amz-ChannelARN') ?? '' };
    if (q.has('X-Amz-ClientId')) params['X-Amz-ClientId'] = q.get('X-Amz-ClientId') ?? '';
    const date = q.get('X-Amz-Date') ?? '';
    const nowUs =
      Date.UTC(
        +date.slice(0, 4),
        +date.slice(4, 6) - 1,
        +date.slice(6, 8),
        +date.slice(9, 11),
        +date.slice(11, 13),
        +date.slice(13, 15),
      ) * 1000;
    const credentials: AwsCredentials = {
      accessKeyId: (q.get('X-Amz-Credential') ?? '').split('/')[0],
      secretAccessKey: SECRET,
      sessionToken: q.get('X-Amz-Security-Token') ?? undefined,
    };
    presignWssUrl(server.url, params, { region: 'us-west-2', credentials, nowUs }).then(
      (expected) => done(new URL(expected).searchParams.get('X-Amz-Signature') === q.get('X-Amz-Signature'), 403),
      () => done(false, 400),
    );
  };
  wss.on('connection', (socket, req) => {
    const q = new URL(req.url ?? '/', server.url).searchParams;
    const clientId = q.get('X-Amz-ClientId') ?? undefined;
    server.connects.push({ role: clientId ? 'VIEWER' : 'MASTER', clientId, token: q.get('X-Amz-Security-Token') });
    // The newest connection of the master or of a client ID wins.
    if (clientId === undefined) server.master = socket;
    else server.viewers.set(clientId, socket);
    socket.on('ping', () => server.pings++);
    socket.on('message', (data) => {
      const e = JSON.parse(String(data));
      const to = clientId === undefined ? server.viewers.get(e.recipientClientId) : server.master;
      const out: Record<string, string> = { messageType: e.action, messagePayload: e.messagePayload };
      if (clientId !== undefined) out.senderClientId = clientId;
      to?.send(JSON.stringify(out));
    });
  });
  return server;
}

let server: Server | undefined;
const clients: SignalingClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

let tokens = 0;
function client(role: 'MASTER' | 'VIEWER', clientId?: string, extra: Partial<SignalingClientOptions> = {}) {
  const c = new SignalingClient({
    role,
    clientId,
    channelArn: CHANNEL_ARN,
    region: 'us-west-2',
    endpoint: server!.url,
    credentials: async () => ({ accessKeyId: 'AKIDNODE', secretAccessKey: SECRET, sessionToken: `t${++tokens}` }),
    WebSocket,
    reconnect: { baseDelayUs: 10_000, maxDelayUs: 100_000 },
    ...extra,
  });
  clients.push(c);
  return c;
}

function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out waiting'));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

const offer = (n: string) => ({ type: 'offer' as const, sdp: `v=0\r\no=- ${n} 1 IN IP4 0.0.0.0\r\n` });
const answer = (n: string) => ({ type: 'answer' as const, sdp: `v=0\r\no=- a${n} 1 IN IP4 0.0.0.0\r\n` });

describe('SignalingClient over ws, against a verifying relay', { timeout: 20_000 }, () => {
  it('a master and three viewers: each message reaches exactly its recipient', async () => {
    server = await startServer();
    const master = client('MASTER');
    const got: string[] = [];
    master.on('sdpOffer', (o, from) => {
      got.push(`offer ${from} ${o.sdp?.split(' ')[1]}`);
      master.sendSdpAnswer(answer(from!), from);
      master.sendIceCandidate({ candidate: `candidate:m-for-${from}`, sdpMid: '0', sdpMLineIndex: 0 }, from);
    });
    master.on('iceCandidate', (c, from) => got.push(`candidate ${from} ${c.candidate}`));
    await master.open();
    const viewers = ['v1', 'v2', 'v3'].map((id) => client('VIEWER', id));
    const seen = new Map<string, string[]>();
    for (const v of viewers) {
      const list: string[] = [];
      seen.set(v.clientId!, list);
      v.on('sdpAnswer', (a) => list.push(a.sdp!.split(' ')[1]));
      v.on('iceCandidate', (c) => list.push(c.candidate!));
      await v.open();
      v.sendSdpOffer(offer(v.clientId!));
      v.sendIceCandidate({ candidate: `candidate:${v.clientId}` });
    }
    await until(() => [...seen.values()].every((l) => l.length === 2) && got.length === 6);
    expect(got.sort()).toEqual(
      ['v1', 'v2', 'v3'].flatMap((v) => [`candidate ${v} candidate:${v}`, `offer ${v} ${v}`]).sort(),
    );
    for (const [id, list] of seen) expect(list).toEqual([`a${id}`, `candidate:m-for-${id}`]);
    expect(master.getMetrics()).toMatchObject({ numberOfMessagesReceived: 6, numberOfMessagesSent: 6 });
  });

  it('a dropped viewer reconnects with a new signed URL and nothing delivered is lost or doubled', async () => {
    server = await startServer();
    const master = client('MASTER');
    const received: string[] = [];
    master.on('iceCandidate', (c) => received.push(c.candidate!));
    await master.open();
    const viewer = client('VIEWER', 'v1');
    await viewer.open();
    let opens = 0;
    viewer.on('open', () => opens++);
    for (let i = 0; i < 10; i++) viewer.sendIceCandidate({ candidate: `candidate:${i}` });
    await until(() => received.length === 10);
    server.viewers.get('v1')?.terminate();
    await until(() => opens === 1);
    for (let i = 10; i < 20; i++) viewer.sendIceCandidate({ candidate: `candidate:${i}` });
    await until(() => received.length === 20);
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `candidate:${i}`));
    expect(server.connects.filter((c) => c.clientId === 'v1').map((c) => c.token)).toHaveLength(2);
    expect(new Set(server.connects.map((c) => c.token)).size).toBe(server.connects.length);
    expect(viewer.getMetrics().numberOfReconnects).toBe(1);
  });

  it('GO_AWAY: the new connection is up before the old one closes', async () => {
    server = await startServer();
    const master = client('MASTER');
    await master.open();
    const old = server.master!;
    let oldClosed = false;
    old.on('close', () => {
      oldClosed = true;
    });
    old.send(JSON.stringify({ messageType: 'GO_AWAY' }));
    await until(() => server!.connects.length === 2);
    expect(oldClosed).toBe(false);
    await until(() => oldClosed);
    expect(server.master).not.toBe(old);
    const viewer = client('VIEWER', 'v9');
    const offers: string[] = [];
    master.on('sdpOffer', (_o, from) => offers.push(from!));
    await viewer.open();
    viewer.sendSdpOffer(offer('9'));
    await until(() => offers.length === 1);
  });

  it('403 at connect: retried with fresh credentials', async () => {
    server = await startServer();
    server.refuseNext = 1;
    let forced = 0;
    const master = client('MASTER', undefined, {
      credentials: (async (o?: { forceRefresh?: boolean }) => {
        if (o?.forceRefresh) forced++;
        return { accessKeyId: 'AKIDNODE', secretAccessKey: SECRET, sessionToken: `t${++tokens}` };
      }) as () => Promise<AwsCredentials>,
    });
    const errors: string[] = [];
    master.on('error', (e) => errors.push(e.statusName));
    await master.open();
    expect(errors).toEqual(['STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR']);
    expect(forced).toBe(1);
  });

  it('a bad signature is refused by the server (and the client keeps trying)', async () => {
    server = await startServer();
    const master = client('MASTER', undefined, {
      credentials: { accessKeyId: 'AKIDNODE', secretAccessKey: 'wrong' },
      openAttempts: 2,
    });
    master.on('error', () => {});
    await expect(master.open()).rejects.toThrow(/403/);
    expect(server.connects).toHaveLength(0);
  });

  it('sends protocol pings through ws', async () => {
    server = await startServer();
    const master = client('MASTER', undefined, { pingIntervalUs: 20_000 });
    await master.open();
    await until(() => server!.pings >= 2);
  });
});
