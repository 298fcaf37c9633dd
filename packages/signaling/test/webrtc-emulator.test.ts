// Real RTCPeerConnections (headless Chromium) through MasterSession / ViewerSession, signaling over
// the emulator's real WebSocket service (presigned URLs it verifies), the channel created through
// @kvs-ts/api over CORS. Proves, in order:
//   1. the pair reaches `connected` and a data-channel message round-trips;
//   2. the fake camera's video (getUserMedia on the master) is decoded by the viewer
//      (inbound-rtp framesDecoded > 0);
//   3. after GO_AWAY (admin API) both clients reconnect on fresh sockets, the old ones are closed,
//      and a renegotiation (ICE restart) goes through the new sockets: the pair re-signals, stays
//      on the same peer connections and the data channel and video still work;
//   4. RECONNECT_ICE_SERVER makes both sessions refetch ICE servers and the viewer restart ICE;
//      the video keeps flowing (framesDecoded keeps increasing).
// Needs RTCPeerConnection and the emulator injected by the browser suite's globalSetup, so Node
// and Deno skip it. ICE servers come from GetIceServerConfig (called for real) but are replaced by
// none: the emulator's TURN URLs have no TURN server behind them, and host candidates suffice here.

import { KinesisVideoApi } from '@kvs-ts/api';
import { afterAll, describe, expect, it } from 'vitest';
import { SignalingChannel } from '../src/channel';
import type { SignalingClient } from '../src/client';
import type { IceServerInit } from '../src/ice-servers';
import { MasterSession, ViewerSession } from '../src/sessions';
import { admin, type EmulatorEnv, emulatorEnv, waitFor } from './emulator-env';

const hasRtc = typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function';
const hasMedia =
  typeof (globalThis as { navigator?: { mediaDevices?: { getUserMedia?: unknown } } }).navigator?.mediaDevices
    ?.getUserMedia === 'function';
const env = emulatorEnv();
const skipReason = !hasRtc
  ? 'no RTCPeerConnection in this runtime'
  : !hasMedia
    ? 'no getUserMedia in this runtime'
    : env === undefined
      ? 'no emulator injected (only the browser suite provides one)'
      : '';

const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];

/** The viewer's decoded video frames so far (inbound-rtp, kind video). */
async function framesDecoded(pc: RTCPeerConnection): Promise<number> {
  let frames = 0;
  for (const report of (await pc.getStats()).values()) {
    if (report.type === 'inbound-rtp' && report.kind === 'video') frames += report.framesDecoded ?? 0;
  }
  return frames;
}

/** Polls the stats until more than `above` frames are decoded; the figure, bounded in time. */
async function framesAbove(pc: RTCPeerConnection, above: number, timeoutMs = 15_000): Promise<number> {
  let last = 0;
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    last = await framesDecoded(pc);
    if (last > above) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`framesDecoded stayed at ${last} (wanted > ${above}) for ${timeoutMs} ms`);
}

const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const fn of cleanup.splice(0).reverse()) {
    try {
      fn();
    } catch {
      // Best effort: the page goes away after the file anyway.
    }
  }
});

describe('Chromium peers through the emulator', () => {
  it.skipIf(skipReason)(
    `connect, data channel, decoded video, GO_AWAY, RECONNECT_ICE_SERVER${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    { timeout: 90_000 },
    async () => {
      const e = env as EmulatorEnv;
      const credentials = { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey };
      const api = new KinesisVideoApi({ region: e.region, endpoint: e.url, credentials });
      const channelName = `chromium-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
      const { channelArn } = await api.createSignalingChannel({ channelName });
      await api.waitForChannelActive({ channelArn }, { timeoutUs: 10_000_000 });

      const reconnect = { baseDelayUs: 10_000, maxDelayUs: 200_000 };
      const masterChannel = new SignalingChannel({ api, channelArn, role: 'MASTER' });
      const viewerChannel = new SignalingChannel({ api, channelArn, role: 'VIEWER' });
      const masterClient = masterChannel.client({ reconnect });
      const viewerClient = viewerChannel.client({ clientId: 'chromium-viewer', reconnect });
      cleanup.push(
        () => masterClient.close(),
        () => viewerClient.close(),
      );
      const opens = { master: 0, viewer: 0 };
      masterClient.on('open', () => opens.master++);
      viewerClient.on('open', () => opens.viewer++);
      const errors: string[] = [];
      for (const c of [masterClient, viewerClient] as SignalingClient[]) {
        c.on('statusResponse', (_r, err) => err && errors.push(err.message));
      }

      // ICE servers: each session asks through GetIceServerConfig (from Chromium, over CORS) and
      // records what it got, then uses none (see the header).
      const fetched: IceServerInit[][] = [];
      const iceSource = (channel: SignalingChannel) => {
        const cache = channel.iceServers();
        return async () => {
          cache.invalidate();
          fetched.push(await cache.get());
          return [];
        };
      };

      const media = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
      cleanup.push(() => {
        for (const t of media.getTracks()) t.stop();
      });
      const received: string[] = [];
      const master = new MasterSession({
        client: masterClient,
        iceServers: iceSource(masterChannel),
        onPeer: ({ pc }) => {
          const rtc = pc as unknown as RTCPeerConnection;
          for (const track of media.getVideoTracks()) rtc.addTrack(track, media);
          rtc.addEventListener('datachannel', (ev) => {
            ev.channel.onmessage = (m) => {
              received.push(`master got ${m.data}`);
              ev.channel.send(`echo ${m.data}`);
            };
          });
        },
      });
      let channel: RTCDataChannel | undefined;
      const viewer = new ViewerSession({
        client: viewerClient,
        iceServers: iceSource(viewerChannel),
        onPeer: ({ pc }) => {
          const rtc = pc as unknown as RTCPeerConnection;
          rtc.addTransceiver('video', { direction: 'recvonly' });
          channel = rtc.createDataChannel('chat');
          channel.onmessage = (m) => received.push(`viewer got ${m.data}`);
        },
      });
      const sessionErrors: string[] = [];
      master.on('error', (err) => sessionErrors.push(`master: ${err.message}`));
      viewer.on('error', (err) => sessionErrors.push(`viewer: ${err.message}`));
      cleanup.push(
        () => viewer.close(),
        () => master.close(),
      );

      // 1. Connected, and a data-channel message round-trips.
      await master.start();
      const pc = (await viewer.start()).pc as unknown as RTCPeerConnection;
      await waitFor(
        'viewer connected and data channel open',
        () => pc.connectionState === 'connected' && channel?.readyState === 'open',
      );
      const masterPc = master.peers.get('chromium-viewer')?.pc as unknown as RTCPeerConnection;
      expect(masterPc.connectionState).toBe('connected');
      channel?.send('hello');
      await waitFor('echo of hello', () => received.length === 2);
      expect(received).toEqual(['master got hello', 'viewer got echo hello']);
      // Both sessions asked GetIceServerConfig: STUN first, then the emulator's TURN-shaped list.
      expect(fetched.length).toBe(2);
      for (const list of fetched) {
        expect(list[0].urls).toBe(`stun:stun.kinesisvideo.${e.region}.amazonaws.com:443`);
        expect(list.some((s) => [s.urls].flat().some((u) => u.startsWith('turn')))).toBe(true);
      }

      // 2. The fake camera's frames are decoded on the viewer's side.
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      cleanup.push(() => video.remove());
      pc.getReceivers().forEach((r) => {
        if (r.track.kind === 'video') video.srcObject = new MediaStream([r.track]);
      });
      document.body.append(video);
      const firstFrames = await framesAbove(pc, 0);

      // 3. GO_AWAY to both: each client opens a new socket at once; the emulator closes the old
      // ones after its 1 s grace. Then a renegotiation must travel over the new sockets.
      const arnPath = encodeURIComponent(channelArn);
      expect((await admin(e, `signaling/${arnPath}/go-away`)).count).toBe(2);
      await waitFor('both clients reconnected after GO_AWAY', () => opens.master === 2 && opens.viewer === 2);
      let connections = -1;
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        const res = await fetch(`${e.url}/_admin/signaling/${arnPath}/connections`);
        connections = ((await res.json()) as unknown[]).length;
        if (connections === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(connections).toBe(2);
      const beforeRestart = ufrag(pc.localDescription?.sdp);
      pc.restartIce(); // negotiationneeded → a new offer through the new signaling sockets
      await waitFor(
        're-signaled after GO_AWAY (new ICE credentials, stable, connected)',
        () =>
          ufrag(pc.localDescription?.sdp) !== beforeRestart &&
          pc.signalingState === 'stable' &&
          pc.connectionState === 'connected',
      );
      // Same peer connection on the master (a renegotiation, not a new session).
      expect(master.peers.get('chromium-viewer')?.pc).toBe(masterPc as unknown);
      channel?.send('after go-away');
      await waitFor('echo after GO_AWAY', () => received.length === 4);
      expect(received.slice(2)).toEqual(['master got after go-away', 'viewer got echo after go-away']);
      const afterGoAway = await framesAbove(pc, firstFrames);

      // 4. RECONNECT_ICE_SERVER: both sessions refetch ICE servers, the viewer restarts ICE, and
      // the video keeps being decoded on the same connection.
      let restarts = 0;
      viewer.on('iceRestart', () => restarts++);
      const beforeIce = ufrag(pc.localDescription?.sdp);
      expect((await admin(e, `signaling/${arnPath}/reconnect-ice-server`)).count).toBe(2);
      await waitFor('both sessions refetched ICE servers', () => fetched.length === 4);
      await waitFor(
        'ICE restarted after RECONNECT_ICE_SERVER',
        () =>
          restarts === 1 &&
          ufrag(pc.localDescription?.sdp) !== beforeIce &&
          pc.signalingState === 'stable' &&
          pc.connectionState === 'connected',
      );
      expect(master.peers.get('chromium-viewer')?.pc).toBe(masterPc as unknown);
      const afterRestart = await framesDecoded(pc);
      expect(afterRestart).toBeGreaterThanOrEqual(afterGoAway);
      // Frames keep coming after the restart (the fake camera runs at ~30 fps).
      await framesAbove(pc, afterRestart + 10);

      expect(errors).toEqual([]);
      expect(sessionErrors).toEqual([]);
      expect(masterClient.getMetrics().numberOfReconnects).toBe(1);
      expect(viewerClient.getMetrics().numberOfReconnects).toBe(1);
    },
  );
});
