/// <reference types="node" />
// The signaling client against @kvs-ts/emulator's signaling service, everything through
// @kvs-ts/api (CreateSignalingChannel, waiting for ACTIVE, GetSignalingChannelEndpoint,
// GetIceServerConfig) as an application would do it: presigned URLs the emulator verifies, a
// master and three viewers relayed, GO_AWAY and drops survived, a 403 at connect retried with
// fresh credentials, RECONNECT_ICE_SERVER surfaced, ICE servers fetched and cached.

import { KinesisVideoApi } from '@kvs-ts/api';
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SignalingChannel } from '../src/channel';
import type { SignalingClient } from '../src/client';

const KEYS = { accessKeyId: 'AKIDSIGNALINGTEST', secretAccessKey: 'signaling-test-secret' };

let emulator: Emulator;
let api: KinesisVideoApi;
const clients: SignalingClient[] = [];

beforeEach(async () => {
  emulator = await startEmulator({
    port: 0,
    host: '127.0.0.1',
    region: 'us-west-2',
    transitionDelayMs: 10,
    log: () => {},
    ...KEYS,
  });
  api = new KinesisVideoApi({ region: 'us-west-2', endpoint: emulator.url, credentials: KEYS });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await emulator.close();
});

async function channel(name: string): Promise<string> {
  const { channelArn } = await api.createSignalingChannel({ channelName: name });
  await api.waitForChannelActive({ channelArn }, { timeoutUs: 5_000_000 });
  return channelArn;
}

function open(ch: SignalingChannel, clientId?: string): SignalingClient {
  const c = ch.client({ clientId, WebSocket, reconnect: { baseDelayUs: 10_000, maxDelayUs: 200_000 } });
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

const sdp = (kind: 'offer' | 'answer', n: string) => ({ type: kind, sdp: `v=0\r\no=- ${n} 1 IN IP4 0.0.0.0\r\n` });

describe('SignalingClient against the emulator', { timeout: 30_000 }, () => {
  it('a master and three viewers exchange offers, answers and candidates', async () => {
    const arn = await channel('relay');
    const master = open(new SignalingChannel({ api, channelArn: arn, role: 'MASTER' }));
    const got: string[] = [];
    master.on('sdpOffer', (_offer, from) => {
      got.push(`offer:${from}`);
      master.sendSdpAnswer(sdp('answer', from!), from);
      master.sendIceCandidate({ candidate: `candidate:for-${from}`, sdpMid: '0', sdpMLineIndex: 0 }, from);
    });
    master.on('iceCandidate', (c, from) => got.push(`${c.candidate}:${from}`));
    const errors: string[] = [];
    master.on('error', (e) => errors.push(e.message));
    await master.open();
    const viewerChannel = new SignalingChannel({ api, channelArn: arn, role: 'VIEWER' });
    const seen = new Map<string, string[]>();
    for (const id of ['v1', 'v2', 'v3']) {
      const v = open(viewerChannel, id);
      const list: string[] = [];
      seen.set(id, list);
      v.on('sdpAnswer', (a) => list.push(a.sdp!.split(' ')[1]));
      v.on('iceCandidate', (c) => list.push(c.candidate!));
      v.on('statusResponse', (_r, e) => e && errors.push(e.message));
      await v.open();
      v.sendSdpOffer(sdp('offer', id));
      v.sendIceCandidate({ candidate: `candidate:${id}`, sdpMid: '0', sdpMLineIndex: 0 });
    }
    await until(() => got.length === 6 && [...seen.values()].every((l) => l.length === 2));
    expect(got.sort()).toEqual(['v1', 'v2', 'v3'].flatMap((v) => [`candidate:${v}:${v}`, `offer:${v}`]).sort());
    for (const [id, list] of seen) expect(list).toEqual([id, `candidate:for-${id}`]);
    expect(errors).toEqual([]);
  });

  it('GO_AWAY and a dropped connection: the client is back and messages flow', async () => {
    const arn = await channel('goaway');
    const master = open(new SignalingChannel({ api, channelArn: arn, role: 'MASTER' }));
    const offers: string[] = [];
    master.on('sdpOffer', (_o, from) => offers.push(from!));
    let opens = 0;
    master.on('open', () => opens++);
    await master.open();
    const viewer = open(new SignalingChannel({ api, channelArn: arn, role: 'VIEWER' }), 'v1');
    await viewer.open();
    expect(emulator.admin.sendGoAway(arn, { role: 'MASTER' })).toBe(1);
    await until(() => opens === 2);
    viewer.sendSdpOffer(sdp('offer', '1'));
    await until(() => offers.length === 1);
    emulator.admin.dropSignalingConnections(arn, { role: 'MASTER' });
    await until(() => opens === 3);
    viewer.sendSdpOffer(sdp('offer', '2'));
    await until(() => offers.length === 2);
    expect(master.getMetrics().numberOfReconnects).toBe(2);
  });

  it('a 403 at connect is retried with fresh credentials', async () => {
    const arn = await channel('forbidden');
    emulator.admin.refuseSignalingConnections(1);
    const master = open(new SignalingChannel({ api, channelArn: arn, role: 'MASTER' }));
    const errors: string[] = [];
    master.on('error', (e) => errors.push(e.statusName));
    await master.open();
    expect(errors).toEqual(['STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR']);
  });

  it('RECONNECT_ICE_SERVER is surfaced; ICE servers come from GetIceServerConfig and are cached', async () => {
    const arn = await channel('ice');
    const ch = new SignalingChannel({ api, channelArn: arn, role: 'VIEWER' });
    const viewer = open(ch, 'v1');
    let asked = 0;
    viewer.on('reconnectIceServer', () => asked++);
    await viewer.open();
    emulator.admin.sendReconnectIceServer(arn);
    await until(() => asked === 1);
    const cache = ch.iceServers();
    const servers = await cache.get();
    expect(servers[0]).toEqual({ urls: 'stun:stun.kinesisvideo.us-west-2.amazonaws.com:443' });
    expect(servers.length).toBeGreaterThan(1);
    expect(await cache.get()).toBe(servers);
    expect(cache.metrics.iceRefreshCount).toBe(1);
  });
});
