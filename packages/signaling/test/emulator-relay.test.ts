// The signaling client against a real emulator with the runtime's own global WebSocket and fetch:
// Deno (scripts/deno-test.mjs starts the emulator) and Chromium (the browser suite's globalSetup).
// Node has its own version with `ws` (emulator.node.test.ts) and skips this file. Proves that
// presigned URLs made in that runtime are accepted, that offers, answers and candidates are relayed
// between a master and three viewers, and that across a GO_AWAY and a cut connection (admin API
// over HTTP) the client is back and the messages sent meanwhile arrive once each, in order.

import { KinesisVideoApi } from '@kvs-ts/api';
import { afterEach, describe, expect, it } from 'vitest';
import { SignalingChannel } from '../src/channel';
import type { SignalingClient } from '../src/client';
import { admin, type EmulatorEnv, emulatorEnv, waitFor } from './emulator-env';

const env = emulatorEnv();
const hasWebSocket = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
const skipReason =
  env === undefined
    ? 'no emulator given (the Deno runner and the browser suite provide one)'
    : !hasWebSocket
      ? 'no global WebSocket'
      : '';
const named = (name: string) => (skipReason ? `${name} (skipped: ${skipReason})` : name);

const clients: SignalingClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function setup(): { api: KinesisVideoApi; e: EmulatorEnv } {
  const e = env as EmulatorEnv;
  const api = new KinesisVideoApi({
    region: e.region,
    endpoint: e.url,
    credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey },
  });
  return { api, e };
}

async function newChannel(api: KinesisVideoApi, prefix: string): Promise<string> {
  // Unique per run: the emulator is shared by every test file of the run.
  const channelName = `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  const { channelArn } = await api.createSignalingChannel({ channelName });
  await api.waitForChannelActive({ channelArn }, { timeoutUs: 10_000_000 });
  return channelArn;
}

function open(ch: SignalingChannel, clientId?: string): SignalingClient {
  // Short backoff: a test should not wait the production delays after a cut.
  const c = ch.client({ clientId, reconnect: { baseDelayUs: 10_000, maxDelayUs: 200_000 } });
  clients.push(c);
  return c;
}

const sdp = (type: 'offer' | 'answer', id: string) => ({ type, sdp: `v=0\r\no=- ${id} 1 IN IP4 0.0.0.0\r\n` });
const candidate = (text: string) => ({ candidate: `candidate:${text}`, sdpMid: '0', sdpMLineIndex: 0 });

describe('SignalingClient through the emulator (global WebSocket)', () => {
  it.skipIf(skipReason)(
    named('a master and three viewers: offers, answers, candidates'),
    { timeout: 30_000 },
    async () => {
      const { api } = setup();
      const arn = await newChannel(api, 'relay');
      const master = open(new SignalingChannel({ api, channelArn: arn, role: 'MASTER' }));
      const got: string[] = [];
      master.on('sdpOffer', (offer, from) => {
        got.push(`offer ${offer.sdp?.split(' ')[1]} from ${from}`);
        master.sendSdpAnswer(sdp('answer', `a-${from}`), from);
        master.sendIceCandidate(candidate(`m-${from}`), from);
      });
      master.on('iceCandidate', (c, from) => got.push(`${c.candidate} from ${from}`));
      const errors: string[] = [];
      master.on('statusResponse', (_r, err) => err && errors.push(err.message));
      await master.open();

      const viewerChannel = new SignalingChannel({ api, channelArn: arn, role: 'VIEWER' });
      const seen = new Map<string, string[]>();
      for (const id of ['v1', 'v2', 'v3']) {
        const v = open(viewerChannel, id);
        const list: string[] = [];
        seen.set(id, list);
        v.on('sdpAnswer', (a) => list.push(a.sdp!.split(' ')[1]));
        v.on('iceCandidate', (c, from) => list.push(`${c.candidate} from ${from ?? 'MASTER'}`));
        v.on('statusResponse', (_r, err) => err && errors.push(err.message));
        await v.open();
        v.sendSdpOffer(sdp('offer', `o-${id}`));
        v.sendIceCandidate(candidate(id));
      }
      await waitFor('6 messages at the master, 2 at each viewer', () => {
        return got.length === 6 && [...seen.values()].every((l) => l.length === 2);
      });
      expect(got.sort()).toEqual(
        ['v1', 'v2', 'v3'].flatMap((v) => [`candidate:${v} from ${v}`, `offer o-${v} from ${v}`]).sort(),
      );
      for (const [id, list] of seen) expect(list).toEqual([`a-${id}`, `candidate:m-${id} from MASTER`]);
      expect(errors).toEqual([]);
    },
  );

  it.skipIf(skipReason)(
    named('GO_AWAY and a cut connection: back again, messages sent meanwhile arrive once, in order'),
    { timeout: 30_000 },
    async () => {
      const { api, e } = setup();
      const arn = await newChannel(api, 'faults');
      const arnPath = encodeURIComponent(arn);
      const master = open(new SignalingChannel({ api, channelArn: arn, role: 'MASTER' }));
      const received: string[] = [];
      master.on('iceCandidate', (c) => received.push(c.candidate!));
      let opens = 0;
      master.on('open', () => opens++);
      await master.open();
      const viewer = open(new SignalingChannel({ api, channelArn: arn, role: 'VIEWER' }), 'v1');
      const refused: string[] = [];
      viewer.on('statusResponse', (_r, err) => err && refused.push(err.message));
      await viewer.open();
      const send = (from: number, to: number) => {
        for (let i = from; i <= to; i++) viewer.sendIceCandidate(candidate(String(i)));
      };
      const expected = (n: number) => Array.from({ length: n }, (_, i) => `candidate:${i + 1}`);
      // 18 candidates in all stay within the 20-candidate burst of the per-connection quota: at
      // the paced rate beyond it, the emulator has been seen refusing one (the client paces at
      // exactly 20/s, the emulator counts in whole milliseconds), which is not what this tests.

      send(1, 6);
      await waitFor('first 6 relayed', () => received.length === 6);
      // GO_AWAY to the master: it opens a new socket at once and reads the old one a while longer.
      expect((await admin(e, `signaling/${arnPath}/go-away`, { role: 'MASTER' })).count).toBe(1);
      await waitFor('master reconnected after GO_AWAY', () => opens === 2);
      send(7, 12);
      await waitFor('6 more relayed after GO_AWAY', () => received.length >= 12);

      // A bare TCP cut of the master (close code 1006 on its side); what the viewer sends while
      // the master is away is kept by the emulator and delivered when it is back.
      expect((await admin(e, `signaling/${arnPath}/drop`, { role: 'MASTER' })).count).toBe(1);
      send(13, 18);
      await waitFor('master reconnected after the cut', () => opens === 3);
      await waitFor('the 6 sent during the cut delivered', () => received.length >= 18);
      // Nothing more is on its way: a late duplicate would show up here.
      await new Promise((r) => setTimeout(r, 200));
      expect(received).toEqual(expected(18));
      expect(refused).toEqual([]);
      expect(master.getMetrics().numberOfReconnects).toBe(2);
    },
  );
});
