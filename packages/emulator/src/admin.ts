// The programmatic admin API (`emulator.admin`): fault injection and a look at the state, for
// tests. The same operations are served over HTTP by admin-http.ts.

import type { ControlFault, Faults, PutMediaFault } from './faults';
import type { ChannelMeta, ChannelStore } from './signaling-channels';
import type { ConnectionSelector, SignalingConnectionInfo, SignalingHub } from './signaling-ws';
import type { Store } from './store';

export interface FragmentSummary {
  fragmentNumber: string;
  producerTimestampMs: number;
  serverTimestampMs: number;
  durationMs: number;
  sizeInBytes: number;
  persisted: boolean;
}

export class Admin {
  constructor(
    private readonly faults: Faults,
    private readonly store: Store,
    private readonly signaling?: { hub: SignalingHub; channels: ChannelStore },
  ) {}

  /** The next `count` control calls (optionally of one action) fail with HTTP 500 InternalFailure. */
  failControlCalls(count: number, action?: string): void {
    this.faults.failControl({ kind: 'internal', count, action });
  }

  /** The next `count` control calls (optionally of one action) are throttled (ClientLimitExceededException). */
  throttleControlCalls(count: number, action?: string): void {
    this.faults.failControl({ kind: 'throttle', count, action });
  }

  /** Arms a fault for the next PutMedia connection(s), see {@link PutMediaFault}. */
  putMediaFault(fault: PutMediaFault): void {
    this.faults.putMediaFault(fault);
  }

  /** The next `count` PutMedia requests get 403 ExpiredTokenException. */
  expireTokens(count = 1): void {
    this.faults.expireTokens(count);
  }

  /**
   * Cuts the open PutMedia connections now (of `stream`, or of every stream), as a network
   * failure would: whatever the connection had not yet sent, ACKs included, is lost. Returns how
   * many were cut.
   */
  dropPutMediaConnections(stream?: string): number {
    let cut = 0;
    for (const [name, rec] of this.store.streams) {
      if ((stream === undefined || stream === name) && rec.dropPutMedia) {
        rec.dropPutMedia();
        cut++;
      }
    }
    return cut;
  }

  /** Forgets every armed fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Stream names. */
  streams(): string[] {
    return [...this.store.streams.keys()];
  }

  /** The stored fragments of a stream. */
  fragments(stream: string): FragmentSummary[] {
    const rec = this.store.streams.get(stream);
    return (rec?.fragments ?? []).map((f) => ({
      fragmentNumber: f.number,
      producerTimestampMs: f.producerTimestampMs,
      serverTimestampMs: f.serverTimestampMs,
      durationMs: f.durationMs,
      sizeInBytes: f.size,
      persisted: f.persisted,
    }));
  }

  // ---- signaling (signaling-ws.ts); a channel is named by its name or its ARN ----

  private channel(ref: string): { hub: SignalingHub; meta: ChannelMeta } {
    const s = this.signaling;
    const meta = s?.channels.lookup(ref.startsWith('arn:') ? { ChannelARN: ref } : { ChannelName: ref });
    if (!s || !meta) throw new Error(`no signaling channel ${ref}`);
    return { hub: s.hub, meta };
  }

  /** Signaling channel names. */
  signalingChannels(): string[] {
    return [...(this.signaling?.channels.channels.keys() ?? [])];
  }

  /** The open signaling WebSocket connections, of every channel or of one. */
  signalingConnections(channel?: string): SignalingConnectionInfo[] {
    if (channel === undefined) return this.signaling?.hub.connections() ?? [];
    const { hub, meta } = this.channel(channel);
    return hub.connections(meta);
  }

  /**
   * Sends `{"messageType":"GO_AWAY"}` to the channel's connections (all, the master, or one
   * viewer) and closes them after `graceMs` (default: the emulator's signalingGoAwayGraceMs).
   * Returns how many connections got it.
   */
  sendGoAway(channel: string, options: ConnectionSelector & { graceMs?: number } = {}): number {
    const { hub, meta } = this.channel(channel);
    return hub.goAway(meta, options, options.graceMs);
  }

  /** Sends `{"messageType":"RECONNECT_ICE_SERVER"}` to the channel's (selected) connections. */
  sendReconnectIceServer(channel: string, options: ConnectionSelector = {}): number {
    const { hub, meta } = this.channel(channel);
    return hub.reconnectIceServer(meta, options);
  }

  /** Cuts the channel's (selected) connections without a close frame, or closes them with `graceful`. */
  dropSignalingConnections(channel: string, options: ConnectionSelector & { graceful?: boolean } = {}): number {
    const { hub, meta } = this.channel(channel);
    return hub.drop(meta, options, options.graceful);
  }

  /** The next `count` signaling connection attempts are refused with HTTP 403 (an expired token). */
  refuseSignalingConnections(count = 1): void {
    this.signaling?.hub.refuseConnections(count);
  }

  /** Applies a fault given as JSON (the HTTP admin API's body). */
  apply(kind: string, body: Record<string, unknown>): void {
    switch (kind) {
      case 'control':
        this.faults.failControl(body as unknown as ControlFault);
        return;
      case 'putMedia':
        this.putMediaFault(body as PutMediaFault);
        return;
      case 'expireTokens':
        this.expireTokens(typeof body.count === 'number' ? body.count : 1);
        return;
      case 'dropPutMedia':
        this.dropPutMediaConnections(typeof body.stream === 'string' ? body.stream : undefined);
        return;
      case 'clear':
        this.clearFaults();
        return;
      default:
        throw new Error(`unknown fault kind ${kind}`);
    }
  }
}
