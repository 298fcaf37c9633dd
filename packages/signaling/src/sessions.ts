// MasterSession and ViewerSession: the offer/answer and trickle-ICE plumbing between a
// SignalingClient and standard RTCPeerConnections, following the connection flow of
// ../shared/spec/seeds-webrtc.md §7: the viewer offers, the master answers (one peer connection
// per viewer, up to 10, §1), candidates trickle both ways and wait for their peer's SDP
// (ice-buffer.ts). The application keeps the peer connections' media: it adds tracks,
// transceivers and data channels in `onPeer`, before the first offer or answer is made.
// RECONNECT_ICE_SERVER (§5.5) refreshes the ICE servers on every peer connection; the viewer,
// being the offerer, then restarts ICE (a new offer on the same connection, so media continues).
// Design notes: docs/decisions/signaling.md.

import { KvsError } from '@kvs-ts/core';
import type { SignalingClient } from './client';
import { TypedEmitter } from './emitter';
import type { IceCandidateInit, SessionDescriptionInit } from './envelope';
import { IceCandidateBuffer, MASTER_PEER_ID } from './ice-buffer';
import type { IceServerCache, IceServerInit } from './ice-servers';

/** What the sessions use of `RTCPeerConnection` (a browser's, Deno's, or a Node implementation's). */
export interface PeerConnectionLike {
  readonly signalingState: string;
  readonly connectionState?: string;
  readonly iceConnectionState?: string;
  readonly localDescription: SessionDescriptionInit | null;
  readonly remoteDescription: SessionDescriptionInit | null;
  createOffer(): Promise<SessionDescriptionInit>;
  createAnswer(): Promise<SessionDescriptionInit>;
  setLocalDescription(description?: SessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: SessionDescriptionInit): Promise<void>;
  addIceCandidate(candidate?: IceCandidateInit): Promise<void>;
  restartIce(): void;
  getConfiguration(): PeerConfiguration;
  setConfiguration(configuration?: PeerConfiguration): void;
  close(): void;
  // biome-ignore lint/suspicious/noExplicitAny: the DOM's event types differ per event
  addEventListener(type: string, listener: (event: any) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/** The `RTCConfiguration` fields the sessions set; others pass through. */
export interface PeerConfiguration {
  iceServers?: IceServerInit[];
  iceTransportPolicy?: 'all' | 'relay';
  bundlePolicy?: 'balanced' | 'max-bundle' | 'max-compat';
  iceCandidatePoolSize?: number;
}

/** `new RTCPeerConnection(configuration)`. */
export type PeerConnectionFactory = (configuration: PeerConfiguration) => PeerConnectionLike;

/** Where ICE servers come from: a cache (per channel), a function, or a fixed list. */
export type IceServerSource = IceServerCache | (() => Promise<IceServerInit[]>) | readonly IceServerInit[];

/** One remote peer: a viewer (on the master's side) or the master (on a viewer's). */
export interface Peer {
  /** The remote client ID (`MASTER` for the master). */
  readonly clientId: string;
  readonly pc: PeerConnectionLike;
}

/** Options shared by both sessions. */
export interface SessionOptions {
  client: SignalingClient;
  /** ICE servers (usually an IceServerCache). Default none. */
  iceServers?: IceServerSource;
  /** Other RTCConfiguration fields, e.g. `iceTransportPolicy: 'relay'` for TURN only. */
  configuration?: PeerConfiguration;
  /** Default `new globalThis.RTCPeerConnection(configuration)`. */
  createPeerConnection?: PeerConnectionFactory;
  /** Called for each new peer connection before any SDP is made: add tracks and data channels here. */
  onPeer?: (peer: Peer) => void | Promise<void>;
}

/** Events of both sessions. */
export type SessionEvents = {
  /** A peer connection was created (after `onPeer`). */
  peer: [peer: Peer];
  /** A peer connection was closed and forgotten. */
  peerClosed: [peer: Peer];
  /** ICE servers were refreshed and, on the offering side, ICE restarted. */
  iceRestart: [peer: Peer];
  error: [error: KvsError];
};

abstract class Session extends TypedEmitter<SessionEvents> {
  protected readonly client: SignalingClient;
  protected readonly buffer = new IceCandidateBuffer();
  protected closed = false;
  /** addIceCandidate failures (stale candidates of an earlier ICE generation are expected). */
  candidateErrors = 0;
  private readonly detach: (() => void)[] = [];
  private readonly chains = new Map<string, Promise<void>>();

  constructor(protected readonly options: SessionOptions) {
    super();
    this.client = options.client;
  }

  protected listen(): void {
    const c = this.client;
    this.detach.push(
      c.on('sdpOffer', (offer, sender) => {
        // Candidates behind this offer belong to it: from now they wait until it is applied.
        this.buffer.markWaiting(sender ?? MASTER_PEER_ID);
        this.serially(sender ?? MASTER_PEER_ID, () => this.onOffer(offer, sender));
      }),
      c.on('sdpAnswer', (answer, sender) => this.serially(sender ?? MASTER_PEER_ID, () => this.onAnswer(answer))),
      c.on('iceCandidate', (candidate, sender) => this.onCandidate(candidate, sender ?? MASTER_PEER_ID)),
      c.on('reconnectIceServer', () => void this.refreshIceServers()),
    );
  }

  protected abstract onOffer(offer: SessionDescriptionInit, sender: string | undefined): Promise<void>;
  protected abstract onAnswer(answer: SessionDescriptionInit): Promise<void>;
  protected abstract peerOf(peerId: string): Peer | undefined;
  protected abstract allPeers(): Peer[];
  protected abstract onIceServersRefreshed(peer: Peer): void;

  // Work for one peer runs in order (an answer must not overtake its offer's processing).
  protected serially(peerId: string, task: () => Promise<void>): void {
    const previous = this.chains.get(peerId) ?? Promise.resolve();
    const next = previous.then(task).catch((error) => this.fail(error, `peer ${peerId}`));
    this.chains.set(peerId, next);
    void next.then(() => {
      if (this.chains.get(peerId) === next) this.chains.delete(peerId);
    });
  }

  private onCandidate(candidate: IceCandidateInit, peerId: string): void {
    if (this.closed) return;
    if (!this.buffer.add(peerId, candidate)) return;
    const peer = this.peerOf(peerId);
    if (peer !== undefined) this.addCandidate(peer, candidate);
  }

  protected addCandidate(peer: Peer, candidate: IceCandidateInit): void {
    peer.pc.addIceCandidate(candidate).catch(() => {
      this.candidateErrors++;
    });
  }

  /** Applies `description` to `peer` and lets its buffered candidates through. */
  protected async applyRemote(peer: Peer, description: SessionDescriptionInit): Promise<void> {
    this.buffer.markWaiting(peer.clientId);
    await peer.pc.setRemoteDescription(description);
    for (const candidate of this.buffer.markReady(peer.clientId)) this.addCandidate(peer, candidate);
  }

  protected async newPeer(clientId: string, recipient: string | undefined): Promise<Peer> {
    const create = this.options.createPeerConnection ?? defaultPeerConnection;
    const iceServers = await this.iceServers();
    const pc = create({ ...this.options.configuration, iceServers });
    const peer: Peer = { clientId, pc };
    // Trickle ICE: every local candidate as it is found; the end-of-candidates mark is not sent.
    pc.addEventListener(
      'icecandidate',
      (event: { candidate?: { candidate?: string; toJSON?: () => IceCandidateInit } | null }) => {
        const c = event.candidate;
        if (this.closed || c == null || !c.candidate) return;
        try {
          this.client.sendIceCandidate(
            typeof c.toJSON === 'function' ? c.toJSON() : (c as IceCandidateInit),
            recipient,
          );
        } catch (error) {
          this.fail(error, `candidate for ${clientId}`);
        }
      },
    );
    await this.options.onPeer?.(peer);
    return peer;
  }

  protected async iceServers(): Promise<IceServerInit[]> {
    const source = this.options.iceServers;
    if (source === undefined) return [];
    if (typeof source === 'function') return source();
    if (Array.isArray(source)) return [...source];
    return (source as IceServerCache).get();
  }

  private async refreshIceServers(): Promise<void> {
    const source = this.options.iceServers;
    if (source !== undefined && typeof source === 'object' && 'invalidate' in source) source.invalidate();
    try {
      const iceServers = await this.iceServers();
      for (const peer of this.allPeers()) {
        if (this.closed) return;
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers });
        this.onIceServersRefreshed(peer);
        this.emit('iceRestart', peer);
      }
    } catch (error) {
      this.fail(error, 'refreshing ICE servers');
    }
  }

  protected fail(error: unknown, what: string): void {
    if (this.closed) return;
    const e =
      error instanceof KvsError
        ? error
        : new KvsError('STATUS_INTERNAL_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
    this.emit('error', e);
  }

  protected closePeer(peer: Peer, forgetCandidates = true): void {
    if (forgetCandidates) this.buffer.delete(peer.clientId);
    try {
      peer.pc.close();
    } catch {
      // Already closed.
    }
    this.emit('peerClosed', peer);
  }

  /** Closes every peer connection and stops listening to the client (which stays open: it is the application's). */
  close(): void {
    if (this.closed) return;
    for (const off of this.detach.splice(0)) off();
    for (const peer of this.allPeers()) this.closePeer(peer);
    this.closed = true;
    this.buffer.clear();
  }
}

/** Options of {@link MasterSession}. */
export interface MasterSessionOptions extends SessionOptions {
  /** Most viewers at once. Default 10, the channel's limit (seeds-webrtc.md §1, §5.5). */
  maxViewers?: number;
}

/**
 * The master's side: answers each viewer's offer with a peer connection of its own. A new offer
 * from a known viewer either renegotiates its connection (same SDP session: an ICE restart or a
 * media change) or replaces it (a new session: the viewer started over).
 */
export class MasterSession extends Session {
  private readonly viewers = new Map<string, Peer & { sessionId: string | undefined }>();

  constructor(options: MasterSessionOptions) {
    super(options);
    if (options.client.role !== 'MASTER')
      throw new KvsError('STATUS_INVALID_ARG', 'MasterSession needs a MASTER client');
  }

  /** Starts answering viewers; opens the client if it was not opened yet. */
  async start(): Promise<void> {
    if (this.closed) throw new KvsError('STATUS_INVALID_OPERATION', 'the session is closed');
    this.listen();
    if (this.client.state === 'new') await this.client.open();
  }

  /** The connected viewers by client ID. */
  get peers(): ReadonlyMap<string, Peer> {
    return this.viewers;
  }

  /** Closes one viewer's peer connection. */
  closeViewer(clientId: string): void {
    this.dropViewer(clientId, true);
  }

  private dropViewer(clientId: string, forgetCandidates: boolean): void {
    const peer = this.viewers.get(clientId);
    if (peer === undefined) return;
    this.viewers.delete(clientId);
    this.closePeer(peer, forgetCandidates);
  }

  protected async onOffer(offer: SessionDescriptionInit, sender: string | undefined): Promise<void> {
    if (this.closed) return;
    if (sender === undefined) throw new KvsError('STATUS_FORMAT_ERROR', 'an SDP_OFFER to the master without a sender');
    const sessionId = sdpSessionId(offer.sdp);
    let peer = this.viewers.get(sender);
    const closedState =
      peer !== undefined && (peer.pc.connectionState === 'closed' || peer.pc.signalingState === 'closed');
    if (peer === undefined || closedState || sessionId === undefined || peer.sessionId !== sessionId) {
      // The candidates waiting are the new session's: kept.
      if (peer !== undefined) this.dropViewer(sender, false);
      const max = (this.options as MasterSessionOptions).maxViewers ?? 10;
      if (this.viewers.size >= max) {
        this.buffer.delete(sender);
        throw new KvsError(
          'STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR',
          `refused viewer ${sender}: ${max} viewers already`,
        );
      }
      const created = await this.newPeer(sender, sender);
      if (this.closed) {
        created.pc.close();
        return;
      }
      peer = { ...created, sessionId };
      this.viewers.set(sender, peer);
      const current = peer;
      created.pc.addEventListener('connectionstatechange', () => {
        if (current.pc.connectionState === 'closed' && this.viewers.get(sender) === current) this.closeViewer(sender);
      });
      this.emit('peer', created);
    }
    await this.applyRemote(peer, offer);
    const answer = await peer.pc.createAnswer();
    await peer.pc.setLocalDescription(answer);
    if (this.closed) return;
    this.client.sendSdpAnswer(peer.pc.localDescription ?? answer, sender);
  }

  protected async onAnswer(): Promise<void> {
    // The master does not offer, so answers are not expected; ignored.
  }

  protected peerOf(peerId: string): Peer | undefined {
    return this.viewers.get(peerId);
  }

  protected allPeers(): Peer[] {
    return [...this.viewers.values()];
  }

  protected onIceServersRefreshed(): void {
    // The viewer offers, so the viewer restarts ICE; this side has new servers for its answer.
  }

  override close(): void {
    super.close();
    this.viewers.clear();
  }
}

/** Options of {@link ViewerSession}. */
export interface ViewerSessionOptions extends SessionOptions {
  /** Restart ICE when the connection's ICE state becomes `failed`. Default true. */
  restartOnFailure?: boolean;
}

/**
 * A viewer's side: one peer connection to the master. It makes the offer (after `onPeer` has
 * added the media), answers the master's renegotiations, and makes a new offer whenever the
 * connection needs one (`negotiationneeded`: media added later, ICE restarts).
 */
export class ViewerSession extends Session {
  private peerValue: Peer | undefined;
  private makingOffer = false;

  constructor(options: ViewerSessionOptions) {
    super(options);
    if (options.client.role !== 'VIEWER')
      throw new KvsError('STATUS_INVALID_ARG', 'ViewerSession needs a VIEWER client');
  }

  /** The peer connection to the master, once started. */
  get peer(): Peer | undefined {
    return this.peerValue;
  }

  /** Opens the client if needed, creates the peer connection (calling `onPeer`) and sends the offer. */
  async start(): Promise<Peer> {
    if (this.closed) throw new KvsError('STATUS_INVALID_OPERATION', 'the session is closed');
    if (this.peerValue !== undefined) return this.peerValue;
    this.listen();
    if (this.client.state === 'new') await this.client.open();
    const peer = await this.newPeer(MASTER_PEER_ID, undefined);
    this.peerValue = peer;
    const pc = peer.pc;
    pc.addEventListener('negotiationneeded', () => this.serially(MASTER_PEER_ID, () => this.offer()));
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc.iceConnectionState === 'failed' && (this.options as ViewerSessionOptions).restartOnFailure !== false)
        pc.restartIce();
    });
    this.emit('peer', peer);
    await new Promise<void>((resolve) => this.serially(MASTER_PEER_ID, () => this.offer().finally(resolve)));
    return peer;
  }

  private async offer(): Promise<void> {
    const peer = this.peerValue;
    if (this.closed || peer === undefined || this.makingOffer || peer.pc.signalingState !== 'stable') return;
    this.makingOffer = true;
    try {
      const offer = await peer.pc.createOffer();
      await peer.pc.setLocalDescription(offer);
      // Candidates of the answer to come belong to it: they wait until it is applied.
      this.buffer.markWaiting(MASTER_PEER_ID);
      if (this.closed) return;
      this.client.sendSdpOffer(peer.pc.localDescription ?? offer);
    } finally {
      this.makingOffer = false;
    }
  }

  protected async onOffer(offer: SessionDescriptionInit): Promise<void> {
    // The master renegotiates; this side yields (an offer of its own in flight is rolled back).
    const peer = this.peerValue;
    if (this.closed || peer === undefined) return;
    await this.applyRemote(peer, offer);
    const answer = await peer.pc.createAnswer();
    await peer.pc.setLocalDescription(answer);
    if (!this.closed) this.client.sendSdpAnswer(peer.pc.localDescription ?? answer);
  }

  protected async onAnswer(answer: SessionDescriptionInit): Promise<void> {
    const peer = this.peerValue;
    if (this.closed || peer === undefined || peer.pc.signalingState !== 'have-local-offer') return;
    await this.applyRemote(peer, answer);
  }

  protected peerOf(peerId: string): Peer | undefined {
    return peerId === MASTER_PEER_ID ? this.peerValue : undefined;
  }

  protected allPeers(): Peer[] {
    return this.peerValue === undefined ? [] : [this.peerValue];
  }

  protected onIceServersRefreshed(peer: Peer): void {
    peer.pc.restartIce();
  }

  override close(): void {
    super.close();
    this.peerValue = undefined;
  }
}

// The session ID of an SDP's o= line (RFC 8866 §5.2): the same for every offer of one peer
// connection, new for a new one.
function sdpSessionId(sdp: string | undefined): string | undefined {
  const match = /^o=\S+ (\S+) /m.exec(sdp ?? '');
  return match?.[1];
}

function defaultPeerConnection(configuration: PeerConfiguration): PeerConnectionLike {
  const RTC = (globalThis as unknown as { RTCPeerConnection?: new (c: PeerConfiguration) => PeerConnectionLike })
    .RTCPeerConnection;
  if (RTC === undefined)
    throw new KvsError(
      'STATUS_INVALID_OPERATION',
      'this runtime has no RTCPeerConnection: pass createPeerConnection (e.g. from a Node WebRTC library)',
    );
  return new RTC(configuration);
}
