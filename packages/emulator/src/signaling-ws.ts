// The signaling WebSocket service (KVS with WebRTC Developer Guide, WebSocket APIs: ConnectAsMaster,
// ConnectAsViewer, SendSdpOffer, SendSdpAnswer, SendIceCandidate, asynchronous message reception;
// ../shared/spec/seeds-webrtc.md §5, quotas §6.2). It shares the emulator's port: the HTTP server's
// 'upgrade' event hands each HTTP/1.1 upgrade here. The SigV4-presigned query is checked with
// sigv4.ts before upgrading, and refusals are answered as plain HTTP errors (403 for signature
// problems, as AWS refuses). The `ws` library does the WebSocket framing
// (docs/decisions/emulator-signaling.md).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { ApiError, clientLimit, invalidArgument } from './errors';
import type { ChannelMeta, ChannelStore } from './signaling-channels';
import { type Keys, verifySignature } from './sigv4';

export type SignalingRole = 'MASTER' | 'VIEWER';

/** Timing and limits of the signaling service (options.ts gives the defaults). */
export interface SignalingOptions {
  /** Closed after this long without a frame from the client (the service's 10 minutes). */
  idleTimeoutMs: number;
  /** Closed after this long in any case (the service's 1 hour). */
  maxConnectionMs: number;
  /** After GO_AWAY the connection is closed once this has passed (the service's 1 minute). */
  goAwayGraceMs: number;
  /** Enforce the per-connection and per-channel rates of seeds-webrtc.md §6.2 (default on). */
  rateLimits: boolean;
}

/** A connection as the admin API lists it. */
export interface SignalingConnectionInfo {
  id: number;
  channelArn: string;
  channelName: string;
  role: SignalingRole;
  clientId?: string;
  /** Epoch ms. */
  connectedAtMs: number;
  lastActivityMs: number;
  messagesReceived: number;
  messagesSent: number;
}

/** Which connections of a channel an admin action reaches: all, the master, or one viewer. */
export interface ConnectionSelector {
  role?: SignalingRole;
  clientId?: string;
}

const VIEWERS_PER_CHANNEL = 10;
/** X-Amz-Expires AWS's signaling SDKs sign with (seeds-webrtc.md §5.2); longer is refused. */
export const MAX_PRESIGN_EXPIRES_S = 299;
/**
 * The largest base64 `messagePayload`: "10K" in the WebRTC limits, given as 1..10000 characters
 * where the API reference spells it out (SendAlexaOfferToMaster; ../shared/spec/seeds-webrtc.md).
 */
export const MAX_MESSAGE_PAYLOAD = 10_000;
const ID_RE = /^[a-zA-Z0-9_.-]{1,256}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const ACTIONS = new Set(['SDP_OFFER', 'SDP_ANSWER', 'ICE_CANDIDATE']);
/** The key a message to the master is queued under. */
const MASTER = '\u0000MASTER';

/** A token bucket: `rate` per second, holding at most `burst`. */
class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Conn {
  id: number;
  ws: WebSocket;
  arn: string;
  name: string;
  role: SignalingRole;
  clientId?: string;
  connectedAt: number;
  lastActivity: number;
  received: number;
  sent: number;
  timers: Set<NodeJS.Timeout>;
  sdp: Bucket;
  ice: Bucket;
}

interface Pending {
  to: string;
  /** The sender's client ID (a viewer's), absent for the master's messages. */
  from?: string;
  messageType: string;
  payload: string;
  expiresAt: number;
}

interface ChannelState {
  master?: Conn;
  viewers: Map<string, Conn>;
  /** Messages for a recipient not connected yet, kept for the channel's MessageTtlSeconds. */
  pending: Pending[];
  /** SendAlexaOfferToMaster calls waiting for the master's answer, by sender client ID. */
  answers: Map<string, (payload: string) => void>;
  connects: Bucket;
  iceConfig: Bucket;
  alexa: Bucket;
}

export class SignalingHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  private readonly states = new Map<string, ChannelState>();
  private nextId = 1;
  private refusals = 0;

  constructor(
    private readonly channels: () => ChannelStore,
    private readonly keys: Keys,
    readonly options: SignalingOptions,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private state(arn: string): ChannelState {
    let s = this.states.get(arn);
    if (!s) {
      s = {
        viewers: new Map(),
        pending: [],
        answers: new Map(),
        // ConnectAsMaster/Viewer: 3 TPS per channel. The burst of 11 (a master and ten viewers
        // starting together) is this emulator's choice: the quota table gives no burst.
        connects: new Bucket(3, 11),
        iceConfig: new Bucket(5, 5),
        alexa: new Bucket(5, 5),
      };
      this.states.set(arn, s);
    }
    return s;
  }

  /** Rate check of GetIceServerConfig / SendAlexaOfferToMaster (5 TPS per channel each). */
  takeChannelRate(arn: string, which: 'iceConfig' | 'alexa'): void {
    if (this.options.rateLimits && !this.state(arn)[which].take()) throw clientLimit();
  }

  /** The next `count` connection attempts are refused with 403 (as an expired token is). */
  refuseConnections(count: number): void {
    this.refusals += count;
  }

  /** Handles an HTTP/1.1 upgrade request: verify, then upgrade or refuse with an HTTP error. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    let accepted: { channel: ChannelMeta; clientId?: string };
    try {
      accepted = this.admit(req);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalFailure', String(err));
      const body = JSON.stringify({ message: e.message });
      socket.end(
        `HTTP/1.1 ${e.status} ${statusText(e.status)}\r\nx-amzn-ErrorType: ${e.type}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, accepted.channel, accepted.clientId));
  }

  /** The checks of ConnectAsMaster / ConnectAsViewer, in the order the errors are documented. */
  private admit(req: IncomingMessage): { channel: ChannelMeta; clientId?: string } {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const q = url.searchParams;
    if (q.get('X-Amz-Algorithm') === null)
      throw new ApiError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const expires = Number(q.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRES_S)
      throw new ApiError(403, 'AccessDeniedException', `X-Amz-Expires must be 1 to ${MAX_PRESIGN_EXPIRES_S} seconds`);
    if (q.get('X-Amz-SignedHeaders') !== 'host')
      throw new ApiError(403, 'AccessDeniedException', 'X-Amz-SignedHeaders must be host');
    const err = verifySignature(req, this.keys, { kind: 'body', body: Buffer.alloc(0) }, { now: Date.now() });
    if (err) throw err;
    if (this.refusals > 0) {
      this.refusals--;
      throw new ApiError(403, 'AccessDeniedException', 'The security token included in the request is expired');
    }
    const arn = q.get('X-Amz-ChannelARN');
    if (arn === null || arn === '') throw invalidArgument('X-Amz-ChannelARN is required');
    const channel = this.channels().lookup({ ChannelARN: arn });
    if (!channel || (channel.status !== 'ACTIVE' && channel.status !== 'UPDATING'))
      throw new ApiError(404, 'ResourceNotFoundException', `The requested channel is not found or not active.`);
    const clientId = q.get('X-Amz-ClientId') ?? undefined;
    // Viewer client IDs: [a-zA-Z0-9_.-]{1,256}, not starting with AWS_ in any case (§5.1).
    if (clientId !== undefined && (!ID_RE.test(clientId) || /^aws_/i.test(clientId)))
      throw invalidArgument(`X-Amz-ClientId ${clientId} is not valid`);
    const s = this.state(channel.arn);
    if (this.options.rateLimits && !s.connects.take()) throw clientLimit();
    if (clientId !== undefined && !s.viewers.has(clientId) && s.viewers.size >= VIEWERS_PER_CHANNEL)
      throw clientLimit(`The maximum number of viewers (${VIEWERS_PER_CHANNEL}) is connected to the channel.`);
    return { channel, clientId };
  }

  private attach(ws: WebSocket, channel: ChannelMeta, clientId: string | undefined): void {
    const now = Date.now();
    const conn: Conn = {
      id: this.nextId++,
      ws,
      arn: channel.arn,
      name: channel.name,
      role: clientId === undefined ? 'MASTER' : 'VIEWER',
      clientId,
      connectedAt: now,
      lastActivity: now,
      received: 0,
      sent: 0,
      timers: new Set(),
      // SendSdpOffer / SendSdpAnswer: 5 TPS per connection; SendIceCandidate: 20 TPS (§6.2).
      sdp: new Bucket(5, 5),
      ice: new Bucket(20, 20),
    };
    const s = this.state(channel.arn);
    // The newest master wins, and so does the newest viewer with a given client ID (§5.1).
    const old = clientId === undefined ? s.master : s.viewers.get(clientId);
    if (clientId === undefined) s.master = conn;
    else s.viewers.set(clientId, conn);
    if (old) this.closeConn(old, 1000, 'Replaced by a newer connection');

    ws.on('message', (data, isBinary) => this.receive(conn, data, isBinary));
    // Control frames count as activity: AWS's C SDK pings every 10 s to keep its socket (§5.5).
    ws.on('ping', () => this.touch(conn));
    ws.on('pong', () => this.touch(conn));
    ws.on('error', () => {});
    ws.on('close', () => this.forget(conn));
    this.armIdle(conn, this.options.idleTimeoutMs);
    this.timer(conn, this.options.maxConnectionMs, () => this.closeConn(conn, 1000, 'Maximum connection duration'));
    this.flush(conn);
  }

  private touch(conn: Conn): void {
    conn.lastActivity = Date.now();
  }

  private armIdle(conn: Conn, ms: number): void {
    this.timer(conn, ms, () => {
      const idle = Date.now() - conn.lastActivity;
      if (idle >= this.options.idleTimeoutMs) this.closeConn(conn, 1000, 'Idle timeout');
      else this.armIdle(conn, this.options.idleTimeoutMs - idle);
    });
  }

  private timer(conn: Conn, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      conn.timers.delete(t);
      fn();
    }, ms);
    conn.timers.add(t);
  }

  private forget(conn: Conn): void {
    for (const t of conn.timers) clearTimeout(t);
    conn.timers.clear();
    const s = this.states.get(conn.arn);
    if (!s) return;
    if (s.master === conn) s.master = undefined;
    if (conn.clientId !== undefined && s.viewers.get(conn.clientId) === conn) s.viewers.delete(conn.clientId);
  }

  private closeConn(conn: Conn, code: number, reason: string): void {
    this.forget(conn);
    if (conn.ws.readyState === WebSocket.OPEN || conn.ws.readyState === WebSocket.CONNECTING)
      conn.ws.close(code, reason);
    // A peer that never answers the close handshake is cut after a second.
    const t = setTimeout(() => conn.ws.terminate(), 1000);
    t.unref();
  }

  private send(conn: Conn, message: Record<string, unknown>): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.sent++;
    conn.ws.send(JSON.stringify(message));
  }

  /** A STATUS_RESPONSE for a refused message, sent only when it carried a correlation ID (§5.3). */
  private refuse(conn: Conn, correlationId: string | undefined, e: ApiError): void {
    if (correlationId === undefined) return;
    this.send(conn, {
      messageType: 'STATUS_RESPONSE',
      statusResponse: { correlationId, errorType: e.type, statusCode: String(e.status), description: e.message },
    });
  }

  private receive(conn: Conn, data: RawData, isBinary: boolean): void {
    this.touch(conn);
    conn.received++;
    let msg: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(isBinary ? '' : rawText(data));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      msg = parsed as Record<string, unknown>;
    } catch {
      this.log(`signaling: unparseable message from connection ${conn.id} dropped`);
      return; // no correlation ID to answer
    }
    // camelCase as documented; AWS's C SDK sends PascalCase for all but `action` (§5.3).
    const field = (name: string): unknown => msg[name] ?? msg[name[0].toUpperCase() + name.slice(1)];
    const cid = field('correlationId');
    const correlationId = typeof cid === 'string' && ID_RE.test(cid) ? cid : undefined;
    if (cid !== undefined && correlationId === undefined) {
      this.log(`signaling: message with an invalid correlationId from connection ${conn.id} dropped`);
      return;
    }
    try {
      const action = field('action');
      if (typeof action !== 'string' || !ACTIONS.has(action))
        throw invalidArgument(`action must be one of ${[...ACTIONS].join(', ')}`);
      const payload = field('messagePayload');
      if (typeof payload !== 'string' || payload.length < 1 || payload.length > MAX_MESSAGE_PAYLOAD)
        throw invalidArgument(`messagePayload must be 1 to ${MAX_MESSAGE_PAYLOAD} characters`);
      if (!BASE64_RE.test(payload)) throw invalidArgument('messagePayload must be base64');
      const recipient = field('recipientClientId');
      if (recipient !== undefined && (typeof recipient !== 'string' || !ID_RE.test(recipient)))
        throw invalidArgument('recipientClientId is not valid');
      // The master must name the viewer; a viewer's messages always go to the master (§5.3).
      if (conn.role === 'MASTER' && recipient === undefined)
        throw invalidArgument('recipientClientId is required when sending as master');
      if (this.options.rateLimits && !(action === 'ICE_CANDIDATE' ? conn.ice : conn.sdp).take()) throw clientLimit();
      this.route(conn, action, payload, recipient as string | undefined);
    } catch (err) {
      if (err instanceof ApiError) this.refuse(conn, correlationId, err);
      else this.log(`signaling: internal error relaying a message: ${String((err as Error)?.stack ?? err)}`);
    }
  }

  private route(conn: Conn, messageType: string, payload: string, recipient: string | undefined): void {
    const s = this.state(conn.arn);
    if (conn.role === 'MASTER') {
      const to = recipient as string;
      const waiting = s.answers.get(to);
      if (waiting && messageType === 'SDP_ANSWER') {
        s.answers.delete(to);
        waiting(payload);
        return;
      }
      this.deliver(s, conn.arn, { to, messageType, payload });
    } else {
      this.deliver(s, conn.arn, { to: MASTER, from: conn.clientId, messageType, payload });
    }
  }

  /** To the connected recipient, else queued for the channel's MessageTtlSeconds. */
  private deliver(s: ChannelState, arn: string, m: Omit<Pending, 'expiresAt'>): void {
    const target = m.to === MASTER ? s.master : s.viewers.get(m.to);
    if (target && target.ws.readyState === WebSocket.OPEN) {
      this.send(target, wire(m));
      return;
    }
    const ttl = this.channels().lookup({ ChannelARN: arn })?.messageTtlSeconds ?? 60;
    // An undelivered offer (or answer) from the same sender is replaced by the newer one (§5.3).
    if (m.messageType !== 'ICE_CANDIDATE') {
      s.pending = s.pending.filter((p) => !(p.to === m.to && p.from === m.from && p.messageType === m.messageType));
    }
    s.pending.push({ ...m, expiresAt: Date.now() + ttl * 1000 });
  }

  /** Hands a newly connected client what was queued for it and has not expired. */
  private flush(conn: Conn): void {
    const s = this.state(conn.arn);
    const key = conn.role === 'MASTER' ? MASTER : (conn.clientId as string);
    const now = Date.now();
    const keep: Pending[] = [];
    for (const p of s.pending) {
      if (p.expiresAt <= now) continue;
      if (p.to === key) this.send(conn, wire(p));
      else keep.push(p);
    }
    s.pending = keep;
  }

  /**
   * SendAlexaOfferToMaster: the offer goes to the master as an SDP_OFFER from `senderClientId`
   * (queued until it connects, within the channel's TTL); the master's SDP_ANSWER to that client
   * ID is the call's answer.
   */
  alexaOffer(channel: ChannelMeta, senderClientId: string, payload: string): Promise<string> {
    const s = this.state(channel.arn);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (s.answers.get(senderClientId) === done) s.answers.delete(senderClientId);
        reject(new ApiError(404, 'ResourceNotFoundException', 'No master answered within the channel message TTL.'));
      }, channel.messageTtlSeconds * 1000);
      // A pending call must not keep the process (or a closing emulator) alive.
      timer.unref();
      const done = (answer: string): void => {
        clearTimeout(timer);
        resolve(answer);
      };
      s.answers.set(senderClientId, done);
      this.deliver(s, channel.arn, { to: MASTER, from: senderClientId, messageType: 'SDP_OFFER', payload });
    });
  }

  // ---- admin ----

  private select(channel: ChannelMeta | undefined, sel: ConnectionSelector = {}): Conn[] {
    const out: Conn[] = [];
    for (const [arn, s] of this.states) {
      if (channel && arn !== channel.arn) continue;
      if (s.master && sel.role !== 'VIEWER' && sel.clientId === undefined) out.push(s.master);
      if (sel.role !== 'MASTER') {
        for (const v of s.viewers.values()) if (sel.clientId === undefined || v.clientId === sel.clientId) out.push(v);
      }
    }
    return out;
  }

  connections(channel?: ChannelMeta): SignalingConnectionInfo[] {
    return this.select(channel).map((c) => ({
      id: c.id,
      channelArn: c.arn,
      channelName: c.name,
      role: c.role,
      clientId: c.clientId,
      connectedAtMs: c.connectedAt,
      lastActivityMs: c.lastActivity,
      messagesReceived: c.received,
      messagesSent: c.sent,
    }));
  }

  /** GO_AWAY, then the connection is closed after the grace period (§5.5). */
  goAway(channel: ChannelMeta, sel?: ConnectionSelector, graceMs = this.options.goAwayGraceMs): number {
    const conns = this.select(channel, sel);
    for (const c of conns) {
      this.send(c, { messageType: 'GO_AWAY' });
      this.timer(c, graceMs, () => this.closeConn(c, 1001, 'Going away'));
    }
    return conns.length;
  }

  /** RECONNECT_ICE_SERVER: the relay is going; the signaling connection stays (§5.5). */
  reconnectIceServer(channel: ChannelMeta, sel?: ConnectionSelector): number {
    const conns = this.select(channel, sel);
    for (const c of conns) this.send(c, { messageType: 'RECONNECT_ICE_SERVER' });
    return conns.length;
  }

  /** Cuts connections without a close handshake (as a network failure would), or closes them. */
  drop(channel: ChannelMeta, sel?: ConnectionSelector, graceful = false): number {
    const conns = this.select(channel, sel);
    for (const c of conns) {
      if (graceful) this.closeConn(c, 1000, 'Closed by the emulator admin');
      else {
        this.forget(c);
        c.ws.terminate();
      }
    }
    return conns.length;
  }

  /** A deleted channel loses its connections and queued messages. */
  channelDeleted(channel: ChannelMeta): void {
    for (const c of this.select(channel)) this.closeConn(c, 1000, 'Channel deleted');
    this.states.delete(channel.arn);
  }

  close(): void {
    for (const s of this.states.values()) {
      for (const c of [s.master, ...s.viewers.values()]) {
        if (!c) continue;
        this.forget(c);
        c.ws.terminate();
      }
    }
    this.states.clear();
    this.wss.close();
  }
}

function wire(m: Omit<Pending, 'expiresAt'>): Record<string, unknown> {
  return m.from === undefined
    ? { messageType: m.messageType, messagePayload: m.payload }
    : { senderClientId: m.from, messageType: m.messageType, messagePayload: m.payload };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function statusText(status: number): string {
  return { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[status] ?? 'Error';
}
