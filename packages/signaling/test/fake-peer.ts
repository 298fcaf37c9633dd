// A stand-in for RTCPeerConnection with the behaviour the sessions depend on: signaling states,
// SDPs whose o= line keeps its session ID across renegotiations, candidates gathered after
// setLocalDescription (ending with the null end-of-candidates event), addIceCandidate failing
// before a remote description (as browsers do), restartIce → negotiationneeded.

import type { IceCandidateInit, SessionDescriptionInit } from '../src/envelope';
import type { PeerConfiguration, PeerConnectionLike } from '../src/sessions';

let sessions = 1000;

export class FakePeerConnection implements PeerConnectionLike {
  static all: FakePeerConnection[] = [];
  signalingState = 'stable';
  connectionState = 'new';
  iceConnectionState = 'new';
  localDescription: SessionDescriptionInit | null = null;
  remoteDescription: SessionDescriptionInit | null = null;
  readonly added: IceCandidateInit[] = [];
  readonly sessionId = String(sessions++);
  configuration: PeerConfiguration;
  /** What the application did in onPeer (tracks, channels). */
  readonly media: string[] = [];
  private version = 0;
  private ufrag = 1;
  private readonly listeners = new Map<string, Set<(event: unknown) => void>>();

  constructor(configuration: PeerConfiguration) {
    this.configuration = configuration;
    FakePeerConnection.all.push(this);
  }

  private sdp(): string {
    return `v=0\r\no=- ${this.sessionId} ${++this.version} IN IP4 127.0.0.1\r\na=ice-ufrag:u${this.ufrag}\r\n${this.media.map((m) => `m=${m}\r\n`).join('')}`;
  }

  async createOffer(): Promise<SessionDescriptionInit> {
    return { type: 'offer', sdp: this.sdp() };
  }

  async createAnswer(): Promise<SessionDescriptionInit> {
    if (this.signalingState !== 'have-remote-offer') throw new Error(`createAnswer in ${this.signalingState}`);
    return { type: 'answer', sdp: this.sdp() };
  }

  async setLocalDescription(description?: SessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    if (description === undefined) throw new Error('implicit descriptions are not faked');
    this.localDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
    const ufrag = `u${this.ufrag}`;
    // Gathering: two candidates, then the end-of-candidates event.
    queueMicrotask(() => {
      for (let i = 0; i < 2; i++)
        this.dispatch('icecandidate', {
          candidate: {
            candidate: `candidate:${this.sessionId}-${ufrag}-${i}`,
            toJSON: () => ({
              candidate: `candidate:${this.sessionId}-${ufrag}-${i}`,
              sdpMid: '0',
              sdpMLineIndex: 0,
              usernameFragment: ufrag,
            }),
          },
        });
      this.dispatch('icecandidate', { candidate: null });
    });
  }

  async setRemoteDescription(description: SessionDescriptionInit): Promise<void> {
    await Promise.resolve();
    await Promise.resolve();
    if (this.signalingState === 'closed') throw new Error('closed');
    if (description.type === 'answer' && this.signalingState !== 'have-local-offer')
      throw new Error('answer without offer');
    this.remoteDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
    if (description.type === 'answer') this.setConnected();
  }

  async addIceCandidate(candidate?: IceCandidateInit): Promise<void> {
    if (this.remoteDescription === null) throw new Error('addIceCandidate before a remote description');
    if (candidate !== undefined) this.added.push(candidate);
  }

  restartIce(): void {
    this.ufrag++;
    queueMicrotask(() => this.dispatch('negotiationneeded', {}));
  }

  getConfiguration(): PeerConfiguration {
    return this.configuration;
  }

  setConfiguration(configuration?: PeerConfiguration): void {
    this.configuration = configuration ?? {};
  }

  close(): void {
    this.signalingState = 'closed';
    this.connectionState = 'closed';
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener);
  }

  removeEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  dispatch(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }

  private setConnected(): void {
    this.connectionState = 'connected';
    this.dispatch('connectionstatechange', {});
  }
}
