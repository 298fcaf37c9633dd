// What signaling.bench.ts runs inside headless Chromium, bundled by esbuild with
// @kvs-ts/signaling and @kvs-ts/api and loaded into a page served from 127.0.0.1. It lives in the
// bundle, not in page.evaluate(fn), because tsx would rewrite a function's source with helpers
// that do not exist in the page.
//
// `signaled`: a master runs (started once, not timed); for each round a cold viewer — a new
// SignalingChannel (so GetSignalingChannelEndpoint is called), a new client and ViewerSession —
// is timed from just before `viewer.start()` (which calls `client.open()`) until both peer
// connections are `connected`. ICE servers: none (host candidates on loopback; the emulator's
// TURN URLs have no server behind them). `direct`: the baseline, two RTCPeerConnections in the
// same page exchanging SDP and candidates by direct calls, timed the same way.
import { KinesisVideoApi } from '@kvs-ts/api';
import { MasterSession, SignalingChannel, ViewerSession } from '../packages/signaling/src/index';

interface Env {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** One round's milestones, in ms from its start. */
export interface Round {
  /** The viewer's client.open() resolved (endpoint call, presigning, WebSocket handshake). */
  openMs: number;
  /** Both peer connections `connected`. */
  connectedMs: number;
}

function connected(pc: RTCPeerConnection, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    const timer = setTimeout(() => reject(new Error(`not connected after ${timeoutMs} ms`)), timeoutMs);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function signaled(env: Env, rounds: number): Promise<Round[]> {
  const api = new KinesisVideoApi({
    region: env.region,
    endpoint: env.url,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
  });
  const channelName = `bench-${Date.now().toString(36)}`;
  const { channelArn } = await api.createSignalingChannel({ channelName });
  await api.waitForChannelActive({ channelArn }, { timeoutUs: 10_000_000 });
  const masterClient = new SignalingChannel({ api, channelArn, role: 'MASTER' }).client();
  const masterPcs = new Map<string, RTCPeerConnection>();
  const master = new MasterSession({
    client: masterClient,
    iceServers: [],
    onPeer: ({ clientId, pc }) => void masterPcs.set(clientId, pc as unknown as RTCPeerConnection),
  });
  await master.start();
  const out: Round[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const clientId = `viewer-${i}`;
      const client = new SignalingChannel({ api, channelArn, role: 'VIEWER' }).client({ clientId });
      let openMs = 0;
      const t0 = performance.now();
      client.on('open', () => {
        openMs ||= performance.now() - t0;
      });
      const viewer = new ViewerSession({
        client,
        iceServers: [],
        onPeer: ({ pc }) => void (pc as unknown as RTCPeerConnection).createDataChannel('bench'),
      });
      const pc = (await viewer.start()).pc as unknown as RTCPeerConnection;
      await connected(pc);
      for (let w = 0; !masterPcs.has(clientId) && w < 500; w++) await new Promise((r) => setTimeout(r, 10));
      const masterPc = masterPcs.get(clientId);
      if (masterPc === undefined) throw new Error('the master has no peer connection for the viewer');
      await connected(masterPc);
      out.push({ openMs, connectedMs: performance.now() - t0 });
      viewer.close();
      client.close();
      master.closeViewer(clientId);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    master.close();
    masterClient.close();
    await api.deleteSignalingChannel({ channelArn }).catch(() => undefined);
  }
  return out;
}

async function direct(rounds: number): Promise<Round[]> {
  const out: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate).catch(() => undefined);
    b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate).catch(() => undefined);
    a.createDataChannel('bench');
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit);
    await Promise.all([connected(a), connected(b)]);
    out.push({ openMs: 0, connectedMs: performance.now() - t0 });
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

(globalThis as { kvsBench?: unknown }).kvsBench = { signaled, direct };
