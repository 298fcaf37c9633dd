// Two real RTCPeerConnections (where the runtime has them: Chromium in the browser suite; skipped
// in Node and Deno) as a viewer and a master through MasterSession / ViewerSession, signaling over
// real SignalingClients and the in-memory relay (test/fakes.ts). Proves the sessions drive a
// standard RTCPeerConnection to `connected` and that a data channel message round-trips, then that
// RECONNECT_ICE_SERVER's ICE restart keeps the same connection working.

import { afterEach, describe, expect, it } from 'vitest';
import { SignalingClient } from '../src/client';
import { MasterSession, type PeerConnectionLike, ViewerSession } from '../src/sessions';
import { CHANNEL_ARN, countingCredentials, ENDPOINT, FakeRelay, FakeWebSocket } from './fakes';

const hasRtc = typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function';

function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(poll, 20);
    };
    poll();
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
  });
}

afterEach(() => FakeWebSocket.reset());

describe('real RTCPeerConnections through the sessions', () => {
  it.skipIf(!hasRtc)(
    'connect, exchange a data-channel message, survive an ICE restart',
    { timeout: 40_000 },
    async () => {
      new FakeRelay();
      const masterClient = signalingClient('MASTER');
      const viewerClient = signalingClient('VIEWER', 'viewer-1');
      const received: string[] = [];
      // No ICE servers: host candidates on this machine are enough.
      const master = new MasterSession({
        client: masterClient,
        iceServers: [],
        onPeer: (peer) => {
          (peer.pc as unknown as RTCPeerConnection).addEventListener('datachannel', (e) => {
            e.channel.onmessage = (m) => {
              received.push(`master got ${m.data}`);
              e.channel.send(`echo ${m.data}`);
            };
          });
        },
      });
      let channel: RTCDataChannel | undefined;
      const viewer = new ViewerSession({
        client: viewerClient,
        iceServers: [],
        onPeer: (peer) => {
          channel = (peer.pc as unknown as RTCPeerConnection).createDataChannel('chat');
          channel.onmessage = (m) => received.push(`viewer got ${m.data}`);
        },
      });
      try {
        await master.start();
        const peer = await viewer.start();
        const pc = peer.pc as PeerConnectionLike & RTCPeerConnection;
        await waitFor(() => pc.connectionState === 'connected' && channel?.readyState === 'open');
        channel?.send('hello');
        await waitFor(() => received.length === 2);
        expect(received).toEqual(['master got hello', 'viewer got echo hello']);
        const masterPc = master.peers.get('viewer-1')?.pc;

        // RECONNECT_ICE_SERVER to both: servers refreshed, the viewer restarts ICE on the same connection.
        const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
        const before = ufrag(pc.localDescription?.sdp);
        for (const s of FakeWebSocket.instances) s.deliver({ messageType: 'RECONNECT_ICE_SERVER' });
        await waitFor(() => ufrag(pc.localDescription?.sdp) !== before && pc.signalingState === 'stable');
        await waitFor(() => pc.connectionState === 'connected');
        expect(master.peers.get('viewer-1')?.pc).toBe(masterPc);
        channel?.send('again');
        await waitFor(() => received.length === 4);
        expect(received.slice(2)).toEqual(['master got again', 'viewer got echo again']);
      } finally {
        viewer.close();
        master.close();
        masterClient.close();
        viewerClient.close();
      }
    },
  );
});
