// MasterSession and ViewerSession over fake peer connections, linked by real SignalingClients
// through an in-memory relay (test/fakes.ts): offer/answer, trickle ICE both ways with early
// candidates held, several viewers and the viewer limit, renegotiation versus a new session,
// RECONNECT_ICE_SERVER → refreshed servers and an ICE restart on the same connection, GO_AWAY
// under a live session, teardown.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SignalingClient } from '../src/client';
import { encodeBase64Text } from '../src/envelope';
import { IceServerCache } from '../src/ice-servers';
import { MasterSession, type Peer, ViewerSession } from '../src/sessions';
import { FakePeerConnection } from './fake-peer';
import { CHANNEL_ARN, countingCredentials, ENDPOINT, FakeRelay, FakeTimers, FakeWebSocket, settle } from './fakes';

let timers: FakeTimers;
let relay: FakeRelay;
let iceFetches: number;
let cache: IceServerCache;

// Each side has its own cache, as a master and a viewer on two devices would.
function newCache(): IceServerCache {
  return new IceServerCache({
    region: 'us-west-2',
    channelArn: CHANNEL_ARN,
    getIceServerConfig: async () => {
      iceFetches++;
      return [{ uris: [`turn:relay-${iceFetches}.example:443`], username: 'u', password: 'p', ttl: 300 }];
    },
  });
}

function signalingClient(role: 'MASTER' | 'VIEWER', clientId?: string): SignalingClient {
  return new SignalingClient({
    role,
    clientId,
    channelArn: CHANNEL_ARN,
    region: 'us-west-2',
    endpoint: ENDPOINT,
    credentials: countingCredentials().provider,
    WebSocket: FakeWebSocket,
    timers,
  });
}

const createPeerConnection = (c: ConstructorParameters<typeof FakePeerConnection>[0]) => new FakePeerConnection(c);
const fake = (peer: Peer) => peer.pc as FakePeerConnection;

async function master(options: { maxViewers?: number } = {}) {
  const client = signalingClient('MASTER');
  const session = new MasterSession({
    client,
    iceServers: cache,
    createPeerConnection,
    onPeer: (peer) => void fake(peer).media.push('video', 'application'),
    ...options,
  });
  const errors: Error[] = [];
  session.on('error', (e) => errors.push(e));
  await session.start();
  return { client, session, errors };
}

async function viewer(id: string) {
  const client = signalingClient('VIEWER', id);
  const session = new ViewerSession({ client, iceServers: newCache(), createPeerConnection });
  const peer = await session.start();
  await settle(60);
  return { client, session, pc: fake(peer) };
}

beforeEach(() => {
  FakeWebSocket.reset();
  FakePeerConnection.all = [];
  timers = new FakeTimers();
  relay = new FakeRelay();
  iceFetches = 0;
  cache = newCache();
});
afterEach(() => FakeWebSocket.reset());

describe('MasterSession + ViewerSession', () => {
  it('connect a viewer: offer, answer, trickle ICE both ways, ICE servers from the cache', async () => {
    const m = await master();
    const v = await viewer('viewer-1');
    const mpc = fake(m.session.peers.get('viewer-1')!);
    expect(v.pc.connectionState).toBe('connected');
    expect(mpc.remoteDescription?.sdp).toBe(v.pc.localDescription?.sdp);
    expect(v.pc.remoteDescription?.sdp).toBe(mpc.localDescription?.sdp);
    expect(mpc.localDescription?.sdp).toContain('m=video');
    // Each side got the other's two candidates, none lost to an early addIceCandidate.
    expect(mpc.added.map((c) => c.candidate)).toEqual([
      `candidate:${v.pc.sessionId}-u1-0`,
      `candidate:${v.pc.sessionId}-u1-1`,
    ]);
    expect(v.pc.added.map((c) => c.candidate)).toEqual([
      `candidate:${mpc.sessionId}-u1-0`,
      `candidate:${mpc.sessionId}-u1-1`,
    ]);
    expect(m.session.candidateErrors + v.session.candidateErrors).toBe(0);
    expect(v.pc.configuration.iceServers).toEqual([
      { urls: 'stun:stun.kinesisvideo.us-west-2.amazonaws.com:443' },
      { urls: ['turn:relay-1.example:443'], username: 'u', credential: 'p' }, // the viewer fetched first
    ]);
    expect(iceFetches).toBe(2); // one per side
    expect(m.errors).toEqual([]);
  });

  it('one peer connection per viewer, up to the limit', async () => {
    const m = await master({ maxViewers: 2 });
    await viewer('v1');
    await viewer('v2');
    await viewer('v3');
    expect([...m.session.peers.keys()]).toEqual(['v1', 'v2']);
    expect(m.errors.map((e) => e.message)).toEqual([expect.stringMatching(/refused viewer v3: 2 viewers/)]);
  });

  it('a viewer that starts over gets a new peer connection; the old one is closed', async () => {
    const m = await master();
    const first = await viewer('v1');
    const closed: Peer[] = [];
    m.session.on('peerClosed', (p) => closed.push(p));
    const oldPc = fake(m.session.peers.get('v1')!);
    first.session.close();
    await viewer('v1');
    expect(closed.map((p) => p.pc)).toEqual([oldPc]);
    expect(oldPc.signalingState).toBe('closed');
    expect(m.session.peers.get('v1')?.pc).not.toBe(oldPc);
  });

  it('RECONNECT_ICE_SERVER: new ICE servers, ICE restart on the same connections', async () => {
    const m = await master();
    const v = await viewer('v1');
    const mpc = fake(m.session.peers.get('v1')!);
    const [viewerServers, masterServers] = [v.pc.configuration.iceServers, mpc.configuration.iceServers];
    const restarts: Peer[] = [];
    v.session.on('iceRestart', (p) => restarts.push(p));
    relay.master?.deliver({ messageType: 'RECONNECT_ICE_SERVER' });
    relay.viewers.get('v1')?.deliver({ messageType: 'RECONNECT_ICE_SERVER' });
    await settle(100);
    expect(restarts).toHaveLength(1);
    expect(iceFetches).toBe(4);
    expect(v.pc.configuration.iceServers?.[1]).not.toEqual(viewerServers?.[1]);
    expect(mpc.configuration.iceServers?.[1]).not.toEqual(masterServers?.[1]);
    expect(mpc.configuration.iceServers?.[1]).toMatchObject({ username: 'u', credential: 'p' });
    // Same peer connection on the master, now with the restarted offer and its new candidates.
    expect(m.session.peers.get('v1')?.pc).toBe(mpc);
    expect(mpc.remoteDescription?.sdp).toContain('a=ice-ufrag:u2');
    expect(v.pc.signalingState).toBe('stable');
    expect(mpc.added.map((c) => c.usernameFragment)).toEqual(['u1', 'u1', 'u2', 'u2']);
    expect(m.errors).toEqual([]);
  });

  it("holds a media server's candidates that arrive before its offer", async () => {
    const m = await master();
    const b64 = (v: unknown) => encodeBase64Text(JSON.stringify(v));
    const socket = relay.master!;
    for (const n of [0, 1])
      socket.deliver({
        messageType: 'ICE_CANDIDATE',
        senderClientId: 'media-server',
        messagePayload: b64({ candidate: `candidate:ms-${n}` }),
      });
    socket.deliver({
      messageType: 'SDP_OFFER',
      senderClientId: 'media-server',
      messagePayload: b64({ type: 'offer', sdp: 'v=0\r\no=- 77 1 IN IP4 1.2.3.4\r\n' }),
    });
    socket.deliver({
      messageType: 'ICE_CANDIDATE',
      senderClientId: 'media-server',
      messagePayload: b64({ candidate: 'candidate:ms-2' }),
    });
    await settle(60);
    const pc = fake(m.session.peers.get('media-server')!);
    expect(pc.added.map((c) => c.candidate)).toEqual(['candidate:ms-0', 'candidate:ms-1', 'candidate:ms-2']);
    expect(m.session.candidateErrors).toBe(0);
  });

  it('survives GO_AWAY: the clients renew, sessions carry on', async () => {
    const m = await master();
    relay.master?.deliver({ messageType: 'GO_AWAY' });
    await settle(40);
    await timers.advance(2_000_000);
    const v = await viewer('v1');
    expect(v.pc.connectionState).toBe('connected');
    expect(m.client.getMetrics().numberOfReconnects).toBe(1);
  });

  it('close() closes every peer connection and stops answering', async () => {
    const m = await master();
    await viewer('v1');
    const pc = fake(m.session.peers.get('v1')!);
    m.session.close();
    expect(pc.signalingState).toBe('closed');
    expect(m.session.peers.size).toBe(0);
    const before = FakePeerConnection.all.length;
    await viewer('v2');
    expect(FakePeerConnection.all.length).toBe(before + 1); // the viewer's only
    expect(m.client.state).toBe('open');
  });
});
