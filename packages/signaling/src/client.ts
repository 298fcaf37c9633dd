// SignalingClient: one role's connection to a signaling channel, kept up for as long as the
// application wants it. What it survives and how (design: docs/decisions/signaling.md):
// - drops (network loss, the 10-minute idle close, a dead master's socket): reconnect with
//   full-jitter backoff (100 ms doubling to 10 s, as AWS's C SDK; ../shared/spec/seeds-webrtc.md §5.5);
// - the 1-hour connection limit and the idle timeout: a planned renewal before either, opening the
//   new connection before closing the old one (the service lets the newest connection of a client
//   ID or of the master win, §5.1), so no message is missed in between;
// - GO_AWAY: the same renewal, at once (the service closes after a 1-minute grace, §5.5);
// - expired credentials (403 on connect): every connect signs a new URL with credentials fetched
//   then, and after a failed handshake it asks the provider for fresh ones (§5.2).
// Messages from the application are validated (envelope.ts) and, while the client is between
// connections, queued and sent once connected again.

import { type CredentialProvider, fromEnv, resolveCredentials } from '@kvs-ts/api';
import { KvsError } from '@kvs-ts/core';
import {
  type CloseInfo,
  DEFAULTS,
  type SignalingClientEvents,
  type SignalingClientOptions,
  type SignalingMetrics,
  type SignalingState,
} from './client-options';
import { TypedEmitter } from './emitter';
import {
  decodeMessage,
  encodeMessage,
  type IceCandidateInit,
  type IncomingMessage,
  MAX_PAYLOAD_LENGTH,
  type OutgoingMessage,
  type Role,
  type SessionDescriptionInit,
} from './envelope';
import { checkChannelArn, checkClientId, randomClientId } from './ids';
import { presignConnectUrl } from './presign';
import {
  errorEventText,
  frameText,
  type WebSocketConstructor,
  type WebSocketLike,
  WS_OPEN,
  webSocketConstructor,
} from './socket';
import { isSuccessStatus, SentMessages, SignalingStatusError } from './status';
import { fullJitterUs, systemTimers, type Timers, TokenBucket } from './timers';

export type {
  CloseInfo,
  EndpointSource,
  ReconnectOptions,
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingMetrics,
  SignalingState,
} from './client-options';

// How long a replaced connection is still read before it is closed, µs.
const RETIRE_DRAIN_US = 2_000_000;

// Weight of a new sample in the latency moving averages.
const EMA_WEIGHT = 0.2;

interface Connection {
  socket: WebSocketLike;
  openedAtUs?: number;
  lastActivityUs: number;
  timers: unknown[];
  /** The service's per-connection send quotas (§6.2), unless rate limits are off. */
  buckets?: { sdp: TokenBucket; ice: TokenBucket };
}

/** A validated frame waiting to be sent. */
interface Queued {
  text: string;
  kind: 'sdp' | 'ice';
}

/** A signaling client for MASTER or VIEWER. */
/** Refill rate of the outgoing quotas, as a fraction of the service's (see opened()). */
const PACE_MARGIN = 0.95;

export class SignalingClient extends TypedEmitter<SignalingClientEvents> {
  readonly role: Role;
  readonly channelArn: string;
  readonly region: string;
  /** The viewer's client ID (undefined for a master). */
  readonly clientId: string | undefined;

  private readonly options: SignalingClientOptions;
  private readonly credentials: CredentialProvider;
  private readonly WebSocket: WebSocketConstructor;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly sent = new SentMessages();
  private readonly createdAtUs: number;
  private readonly correlationPrefix: string;
  private correlationCounter = 0;

  private stateValue: SignalingState = 'new';
  private current: Connection | undefined;
  /** A connection being opened to replace `current` (renewal) or to follow a drop. */
  private pending: Connection | undefined;
  /** Replaced connections, read until {@link RETIRE_DRAIN_US} has passed. */
  private readonly retiring = new Set<Connection>();
  private connecting = false;
  private attempt = 0;
  private everOpened = false;
  private forceRefresh = false;
  private retryTimer: unknown;
  private queue: Queued[] = [];
  /** Waiting for a rate-limit token before sending the queue's head. */
  private pumpTimer: unknown;
  private openWaiters: { resolve: () => void; reject: (e: KvsError) => void }[] = [];
  private readonly metrics = {
    numberOfMessagesSent: 0,
    numberOfMessagesReceived: 0,
    numberOfErrors: 0,
    numberOfRuntimeErrors: 0,
    numberOfReconnects: 0,
    cpApiCallLatencyUs: 0,
    connectLatencyUs: 0,
  };
  private readonly onAbort = () => this.shutdown({ reason: 'aborted' });

  constructor(options: SignalingClientOptions) {
    super();
    this.options = options;
    this.role = options.role;
    if (this.role !== 'MASTER' && this.role !== 'VIEWER')
      throw new KvsError('STATUS_INVALID_ARG', `role must be MASTER or VIEWER, got ${String(this.role)}`);
    this.channelArn = checkChannelArn(options.channelArn);
    this.region = options.region;
    if (this.role === 'VIEWER') this.clientId = checkClientId(options.clientId ?? randomClientId());
    else if (options.clientId !== undefined)
      throw new KvsError('STATUS_INVALID_ARG', 'a master has no client ID (viewers name it as recipient)');
    this.credentials = resolveCredentials(options.credentials ?? fromEnv());
    this.WebSocket = webSocketConstructor(options.WebSocket);
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
    this.createdAtUs = this.timers.now();
    this.correlationPrefix = Math.floor(this.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The client's state. */
  get state(): SignalingState {
    return this.stateValue;
  }

  /**
   * Connects; resolves once the first connection is open (later calls: once open again). Fails
   * after `openAttempts` failed attempts, or if the client is closed or aborted first.
   */
  open(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.reject(closedError());
    if (this.options.signal?.aborted) {
      this.shutdown({ reason: 'aborted' });
      return Promise.reject(new KvsError('STATUS_INVALID_OPERATION', 'aborted'));
    }
    if (this.stateValue === 'open') return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.openWaiters.push({ resolve, reject }));
    if (this.stateValue === 'new') {
      this.stateValue = 'connecting';
      void this.connect('open');
    }
    return opened;
  }

  /** Sends an SDP offer (a viewer to the master; a master to `recipientClientId`). Returns the correlation ID. */
  sendSdpOffer(offer: SessionDescriptionInit, recipientClientId?: string, correlationId?: string): string | undefined {
    return this.send({ action: 'SDP_OFFER', description: offer, recipientClientId, correlationId });
  }

  /** Sends an SDP answer. Returns the correlation ID. */
  sendSdpAnswer(
    answer: SessionDescriptionInit,
    recipientClientId?: string,
    correlationId?: string,
  ): string | undefined {
    return this.send({ action: 'SDP_ANSWER', description: answer, recipientClientId, correlationId });
  }

  /** Sends an ICE candidate (never an end-of-candidates one). Returns the correlation ID. */
  sendIceCandidate(
    candidate: IceCandidateInit,
    recipientClientId?: string,
    correlationId?: string,
  ): string | undefined {
    return this.send({ action: 'ICE_CANDIDATE', candidate, recipientClientId, correlationId });
  }

  /**
   * Sends `message` now if connected, else queues it until the next connection. Throws a KvsError
   * for an invalid message, a closed client, or a full queue.
   */
  send(message: OutgoingMessage): string | undefined {
    if (this.stateValue === 'closed' || this.stateValue === 'new')
      throw new KvsError('STATUS_INVALID_OPERATION', `cannot send: the signaling client is ${this.stateValue}`);
    const correlationId =
      message.correlationId ??
      (this.options.correlationIds === false ? undefined : `${this.correlationPrefix}.${++this.correlationCounter}`);
    const text = encodeMessage(
      { ...message, correlationId },
      this.role,
      this.options.maxPayloadLength ?? MAX_PAYLOAD_LENGTH,
    );
    if (this.queue.length >= (this.options.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages))
      throw new KvsError(
        'STATUS_INVALID_OPERATION',
        'the signaling send queue is full (reconnecting or over the rate limit)',
      );
    this.queue.push({ text, kind: message.action === 'ICE_CANDIDATE' ? 'ice' : 'sdp' });
    if (this.current !== undefined) this.pump(this.current);
    if (correlationId !== undefined)
      this.sent.remember({
        correlationId,
        action: message.action,
        recipientClientId: message.recipientClientId,
        sentAtUs: this.timers.now(),
      });
    return correlationId;
  }

  /** Closes the client for good (no reconnect). */
  close(): void {
    this.shutdown({ reason: 'closed' });
  }

  /** A snapshot of the client's metrics. */
  getMetrics(): SignalingMetrics {
    const now = this.timers.now();
    const openedAt = this.current?.openedAtUs;
    return {
      ...this.metrics,
      connectionDurationUs: openedAt === undefined || this.stateValue !== 'open' ? 0 : now - openedAt,
      uptimeUs: now - this.createdAtUs,
    };
  }

  /**
   * Replaces the connection with a new one, opened before the old one is closed (what GO_AWAY,
   * the idle and the 1-hour limits lead to; exposed for applications that know better).
   */
  renew(cause = 'renewal'): void {
    if (this.stateValue !== 'open' || this.connecting || this.pending !== undefined) return;
    this.emit('reconnecting', { attempt: this.attempt, delayUs: 0, cause });
    void this.connect(cause);
  }

  // ---- connecting ----

  private async connect(cause: string): Promise<void> {
    if (this.connecting || this.stateValue === 'closed') return;
    this.connecting = true;
    const startedAt = this.timers.now();
    let url: string;
    try {
      const endpoint = await this.endpoint();
      const credentials = await this.freshCredentials();
      url = await presignConnectUrl({
        endpoint,
        channelArn: this.channelArn,
        role: this.role,
        clientId: this.clientId,
        region: this.region,
        credentials,
        nowUs: this.timers.now() + (this.options.clockOffsetUs ?? 0),
      });
    } catch (error) {
      this.connecting = false;
      if (this.isClosed()) return;
      this.connectFailed(asKvsError(error, 'STATUS_SERVICE_CALL_UNKOWN_ERROR', 'preparing to connect failed'));
      return;
    }
    if (this.isClosed()) {
      this.connecting = false;
      return;
    }
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocket(url);
    } catch (error) {
      this.connecting = false;
      this.connectFailed(asKvsError(error, 'STATUS_INVALID_ARG', 'the WebSocket could not be created'));
      return;
    }
    if ('binaryType' in socket) socket.binaryType = 'arraybuffer';
    const connection: Connection = { socket, lastActivityUs: this.timers.now(), timers: [] };
    this.pending = connection;
    let handshakeError = '';
    const timeout = this.timers.setTimeout(() => {
      if (this.pending !== connection) return;
      handshakeError = 'timed out';
      detach(socket);
      this.closeSocket(socket, 1000, 'connect timeout');
      this.handshakeFailed(connection, new KvsError('STATUS_OPERATION_TIMED_OUT', `connect (${cause}) timed out`));
    }, this.options.connectTimeoutUs ?? DEFAULTS.connectTimeoutUs);
    connection.timers.push(timeout);

    socket.onopen = () => {
      if (this.pending !== connection) return;
      this.timers.clearTimeout(timeout);
      this.ema('connectLatencyUs', this.timers.now() - startedAt);
      this.opened(connection);
    };
    socket.onerror = (event: unknown) => {
      handshakeError ||= errorEventText(event);
    };
    socket.onclose = (event: { code?: number; reason?: string }) => {
      if (this.pending === connection) {
        // `ws` puts the handshake's status in the error ("Unexpected server response: 403");
        // browsers show only code 1006, so any failed handshake refreshes credentials.
        const detail = handshakeError || `closed with ${event?.code ?? '?'} ${event?.reason ?? ''}`.trim();
        const status = /\b40[13]\b/.test(detail)
          ? 'STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR'
          : 'STATUS_INVALID_OPERATION';
        this.handshakeFailed(connection, new KvsError(status, `connect (${cause}) failed: ${detail}`));
      } else if (this.current === connection) {
        this.dropped(connection, `closed with ${event?.code ?? '?'} ${event?.reason ?? ''}`.trim());
      }
    };
    socket.onmessage = (event: { data?: unknown }) => {
      if (this.current !== connection && !this.retiring.has(connection)) return;
      this.received(connection, event?.data);
    };
  }

  // A method, so that TypeScript does not carry a narrowing of the state across awaits.
  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  private async endpoint(): Promise<string> {
    const source = this.options.endpoint;
    if (typeof source === 'string') return source;
    const started = this.timers.now();
    const endpoint = await source(this.role, { refresh: this.attempt > 0 });
    this.ema('cpApiCallLatencyUs', this.timers.now() - started);
    return endpoint;
  }

  private async freshCredentials() {
    // After a failed handshake (perhaps a 403: expired or revoked credentials), ask the provider
    // to refresh. AWS SDK v3 providers take `{forceRefresh}`; a provider without it ignores it.
    const force = this.forceRefresh;
    this.forceRefresh = false;
    const provider = this.credentials as (options?: { forceRefresh?: boolean }) => ReturnType<CredentialProvider>;
    return force ? provider({ forceRefresh: true }) : provider();
  }

  private opened(connection: Connection): void {
    this.connecting = false;
    this.pending = undefined;
    const previous = this.current;
    this.current = connection;
    connection.openedAtUs = this.timers.now();
    connection.lastActivityUs = connection.openedAtUs;
    const limits = this.options.rateLimits;
    if (limits !== false) {
      const now = () => this.timers.now();
      const sdp = limits?.sdpPerSecond ?? DEFAULTS.sdpPerSecond;
      const ice = limits?.icePerSecond ?? DEFAULTS.icePerSecond;
      // Refilled a little under the quota: a token-bucket service that counts in whole
      // milliseconds refused a message paced at exactly 20/s (the emulator did, in Deno).
      connection.buckets = {
        sdp: new TokenBucket(sdp * PACE_MARGIN, sdp, now),
        ice: new TokenBucket(ice * PACE_MARGIN, ice, now),
      };
    }
    if (previous !== undefined) this.retireLater(previous);
    if (this.everOpened) this.metrics.numberOfReconnects++;
    this.everOpened = true;
    this.attempt = 0;
    this.stateValue = 'open';
    this.armConnectionTimers(connection);
    for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
    this.emit('open');
    this.timers.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.pump(connection);
  }

  // Sends the queue in order while the connection is open and its quotas allow; otherwise waits
  // for the next token (order is kept across kinds: candidates never overtake their SDP).
  private pump(connection: Connection): void {
    if (this.pumpTimer !== undefined) return;
    while (this.queue.length > 0 && this.current === connection && connection.socket.readyState === WS_OPEN) {
      const head = this.queue[0];
      const waitUs = connection.buckets?.[head.kind].take() ?? 0;
      if (waitUs > 0) {
        this.pumpTimer = this.timers.setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump(connection);
        }, waitUs);
        return;
      }
      this.queue.shift();
      this.transmit(connection, head.text);
    }
  }

  private handshakeFailed(connection: Connection, error: KvsError): void {
    if (this.pending !== connection) return;
    this.pending = undefined;
    this.connecting = false;
    this.clearConnectionTimers(connection);
    detach(connection.socket);
    this.forceRefresh = true;
    this.connectFailed(error);
  }

  private connectFailed(error: KvsError): void {
    this.metrics.numberOfErrors++;
    this.emit('error', error);
    if (this.stateValue === 'closed') return;
    this.attempt++;
    const limit = this.everOpened
      ? (this.options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY)
      : (this.options.openAttempts ?? DEFAULTS.openAttempts);
    if (this.everOpened && this.options.reconnect?.enabled === false && this.current === undefined) {
      this.shutdown({ reason: 'gave-up', error });
      return;
    }
    if (this.attempt >= limit) {
      this.shutdown({ reason: 'gave-up', error });
      return;
    }
    this.metrics.numberOfRuntimeErrors += this.everOpened ? 1 : 0;
    this.scheduleConnect(error.detail);
  }

  private dropped(connection: Connection, detail: string): void {
    this.clearConnectionTimers(connection);
    this.current = undefined;
    if (this.stateValue === 'closed') return;
    this.metrics.numberOfRuntimeErrors++;
    if (this.options.reconnect?.enabled === false) {
      this.shutdown({
        reason: 'gave-up',
        error: new KvsError('STATUS_INVALID_OPERATION', `connection lost: ${detail}`),
      });
      return;
    }
    this.stateValue = 'reconnecting';
    // A renewal under way becomes the reconnect.
    if (this.connecting || this.pending !== undefined) return;
    this.scheduleConnect(`connection lost: ${detail}`);
  }

  private scheduleConnect(cause: string): void {
    if (this.current === undefined && this.stateValue !== 'connecting') this.stateValue = 'reconnecting';
    const reconnect = this.options.reconnect ?? {};
    const delayUs = fullJitterUs(
      this.attempt,
      reconnect.baseDelayUs ?? DEFAULTS.baseDelayUs,
      reconnect.maxDelayUs ?? DEFAULTS.maxDelayUs,
      this.random,
    );
    this.emit('reconnecting', { attempt: this.attempt, delayUs, cause });
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect(cause);
    }, delayUs);
  }

  // ---- an open connection ----

  private armConnectionTimers(connection: Connection): void {
    const maxAge = this.options.maxConnectionUs ?? DEFAULTS.maxConnectionUs;
    connection.timers.push(
      this.timers.setTimeout(() => this.current === connection && this.renew('connection age limit'), maxAge),
    );
    this.armIdleTimer(connection, this.options.idleRenewUs ?? DEFAULTS.idleRenewUs);
    const pingEvery = this.options.pingIntervalUs ?? DEFAULTS.pingIntervalUs;
    if (pingEvery > 0 && typeof connection.socket.ping === 'function') this.armPing(connection, pingEvery);
  }

  // One timer per idle period: when it fires, it re-arms for the rest of the period if there was
  // activity meanwhile, else renews the connection.
  private armIdleTimer(connection: Connection, idleUs: number): void {
    const check = () => {
      if (this.current !== connection) return;
      const idleFor = this.timers.now() - connection.lastActivityUs;
      if (idleFor >= idleUs) this.renew('idle timeout');
      else connection.timers.push(this.timers.setTimeout(check, idleUs - idleFor));
    };
    connection.timers.push(this.timers.setTimeout(check, idleUs));
  }

  private armPing(connection: Connection, everyUs: number): void {
    const ping = () => {
      if (this.current !== connection || connection.socket.readyState !== WS_OPEN) return;
      try {
        connection.socket.ping?.();
      } catch {
        // A ping on a closing socket: the close event follows.
      }
      connection.timers.push(this.timers.setTimeout(ping, everyUs));
    };
    connection.timers.push(this.timers.setTimeout(ping, everyUs));
  }

  private transmit(connection: Connection, text: string): void {
    connection.socket.send(text);
    connection.lastActivityUs = this.timers.now();
    this.metrics.numberOfMessagesSent++;
  }

  private received(connection: Connection, data: unknown): void {
    connection.lastActivityUs = this.timers.now();
    const text = frameText(data);
    if (text === undefined) return;
    this.metrics.numberOfMessagesReceived++;
    let message: IncomingMessage;
    try {
      message = decodeMessage(text);
    } catch (error) {
      this.metrics.numberOfErrors++;
      this.emit('error', asKvsError(error, 'STATUS_FORMAT_ERROR', 'undecodable signaling frame'));
      return;
    }
    this.emit('message', message);
    const sender = message.senderClientId;
    switch (message.type) {
      case 'SDP_OFFER':
        this.emit('sdpOffer', message.description, sender);
        break;
      case 'SDP_ANSWER':
        this.emit('sdpAnswer', message.description, sender);
        break;
      case 'ICE_CANDIDATE':
        this.emit('iceCandidate', message.candidate, sender);
        break;
      case 'STATUS_RESPONSE': {
        const request = this.sent.take(message.status.correlationId);
        const error = isSuccessStatus(message.status) ? undefined : new SignalingStatusError(message.status, request);
        if (error !== undefined) this.metrics.numberOfErrors++;
        this.emit('statusResponse', message.status, error);
        break;
      }
      case 'GO_AWAY':
        this.emit('goAway', message.payload);
        if (this.current === connection) this.renew('GO_AWAY');
        break;
      case 'RECONNECT_ICE_SERVER':
        this.emit('reconnectIceServer', message.payload);
        break;
    }
  }

  // ---- closing ----

  private retire(connection: Connection, reason: string): void {
    this.clearConnectionTimers(connection);
    this.retiring.delete(connection);
    detach(connection.socket);
    this.closeSocket(connection.socket, 1000, reason);
  }

  // A replaced connection still delivers what the service sent before it switched to the new
  // one; it is read for a short while, then closed.
  private retireLater(connection: Connection): void {
    this.clearConnectionTimers(connection);
    this.retiring.add(connection);
    connection.socket.onclose = () => this.retiring.delete(connection);
    connection.timers.push(this.timers.setTimeout(() => this.retire(connection, 'renewed'), RETIRE_DRAIN_US));
  }

  private closeSocket(socket: WebSocketLike, code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // Already closed, or closed before it opened: nothing to release.
    }
  }

  private clearConnectionTimers(connection: Connection): void {
    for (const t of connection.timers.splice(0)) this.timers.clearTimeout(t);
  }

  private shutdown(info: CloseInfo): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.pumpTimer);
    for (const connection of [this.pending, this.current, ...this.retiring])
      if (connection !== undefined) this.retire(connection, 'client closed');
    this.pending = this.current = undefined;
    this.connecting = false;
    this.queue = [];
    const failure = info.error ?? new KvsError('STATUS_INVALID_OPERATION', `signaling client ${info.reason}`);
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(failure);
    this.emit('close', info);
  }

  private ema(key: 'cpApiCallLatencyUs' | 'connectLatencyUs', sampleUs: number): void {
    const previous = this.metrics[key];
    this.metrics[key] = previous === 0 ? sampleUs : previous + EMA_WEIGHT * (sampleUs - previous);
  }
}

// Handlers off; `onerror` stays a no-op because `ws` throws an error event nobody listens to
// (closing a socket that is still connecting raises one).
function detach(socket: WebSocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => {};
}

function closedError(): KvsError {
  return new KvsError('STATUS_INVALID_OPERATION', 'the signaling client is closed');
}

function asKvsError(
  error: unknown,
  status: 'STATUS_FORMAT_ERROR' | 'STATUS_SERVICE_CALL_UNKOWN_ERROR' | 'STATUS_INVALID_ARG',
  message: string,
): KvsError {
  if (error instanceof KvsError) return error;
  return new KvsError(status, `${message}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}
