// ICE candidates that arrive before their peer's SDP has been applied wait here, per peer, and
// are handed out in arrival order once it has (addIceCandidate before setRemoteDescription fails).
// This happens whenever the offerer trickles candidates right behind its offer, and always with
// WebRTC ingestion, whose media server may send candidates before its SDP_OFFER
// (../shared/spec/seeds-webrtc.md §7 step 9, §8 flow step 3).

import type { IceCandidateInit } from './envelope';

/** The peer ID of messages without a senderClientId: those come from the master (seeds-webrtc.md §5.4). */
export const MASTER_PEER_ID = 'MASTER';

/** Limits of {@link IceCandidateBuffer}. */
export interface IceCandidateBufferOptions {
  /** Candidates kept per waiting peer; more are dropped (and counted). Default 200. */
  maxPerPeer?: number;
  /** Waiting peers; candidates from more are dropped (and counted). Default 64. */
  maxPeers?: number;
}

/** Per-peer holding of early ICE candidates. */
export class IceCandidateBuffer {
  private readonly waiting = new Map<string, IceCandidateInit[]>();
  private readonly ready = new Set<string>();
  private readonly maxPerPeer: number;
  private readonly maxPeers: number;
  /** Candidates dropped for being over a limit. */
  dropped = 0;

  constructor(options: IceCandidateBufferOptions = {}) {
    this.maxPerPeer = options.maxPerPeer ?? 200;
    this.maxPeers = options.maxPeers ?? 64;
  }

  /**
   * A candidate from `peerId`: true if that peer's SDP is applied and the candidate should be
   * added now; false if it was kept for {@link markReady} (or dropped over a limit).
   */
  add(peerId: string, candidate: IceCandidateInit): boolean {
    if (this.ready.has(peerId)) return true;
    let list = this.waiting.get(peerId);
    if (list === undefined) {
      if (this.waiting.size >= this.maxPeers) {
        this.dropped++;
        return false;
      }
      list = [];
      this.waiting.set(peerId, list);
    }
    if (list.length >= this.maxPerPeer) this.dropped++;
    else list.push(candidate);
    return false;
  }

  /** `peerId`'s SDP is applied: its waiting candidates, oldest first; later ones go straight through. */
  markReady(peerId: string): IceCandidateInit[] {
    this.ready.add(peerId);
    const list = this.waiting.get(peerId) ?? [];
    this.waiting.delete(peerId);
    return list;
  }

  /** `peerId` is (again) waiting for an SDP, e.g. a new session from the same client ID. */
  markWaiting(peerId: string): void {
    this.ready.delete(peerId);
  }

  /** Forgets `peerId` and its waiting candidates. */
  delete(peerId: string): void {
    this.ready.delete(peerId);
    this.waiting.delete(peerId);
  }

  /** Whether candidates from `peerId` go straight through. */
  isReady(peerId: string): boolean {
    return this.ready.has(peerId);
  }

  /** The candidates waiting for `peerId`'s SDP. */
  pending(peerId: string): readonly IceCandidateInit[] {
    return this.waiting.get(peerId) ?? [];
  }

  clear(): void {
    this.waiting.clear();
    this.ready.clear();
  }
}
