// The SignalingClient's options, events, metrics and defaults (client.ts is the behaviour).
// Limits behind the defaults: ../shared/spec/seeds-webrtc.md §5.5 (10-minute idle, 1-hour
// connection, 1-minute GO_AWAY grace; AWS's C SDK's 100 ms → 10 s backoff) and §6.

import type { CredentialsInput } from '@kvs-ts/api';
import type { KvsError } from '@kvs-ts/core';
import type { IceCandidateInit, IncomingMessage, Role, SessionDescriptionInit, StatusResponse } from './envelope';
import type { WebSocketConstructor } from './socket';
import type { SignalingStatusError } from './status';
import type { Timers } from './timers';

/**
 * Where the client connects: a WSS endpoint, or a function giving one, called on every connect
 * with `refresh: true` after a failed one (a cached endpoint may be stale).
 */
export type EndpointSource = string | ((role: Role, context?: { refresh: boolean }) => Promise<string>);

/** How the client reconnects after a drop. */
export interface ReconnectOptions {
  /** Default true. */
  enabled?: boolean;
  /** First backoff ceiling, µs. Default 100 ms. */
  baseDelayUs?: number;
  /** Largest backoff ceiling, µs. Default 10 s. */
  maxDelayUs?: number;
  /** Attempts in a row before giving up (the client then closes). Default unlimited. */
  maxAttempts?: number;
}

/** Options of {@link SignalingClient}. */
export interface SignalingClientOptions {
  role: Role;
  channelArn: string;
  region: string;
  /** The WSS endpoint for `role` (GetSignalingChannelEndpoint with Protocols WSS). */
  endpoint: EndpointSource;
  /** Static credentials or a provider (anything @kvs-ts/api accepts). Default: from the environment. */
  credentials?: CredentialsInput;
  /** A viewer's client ID. Default: a random UUID. Masters have none. */
  clientId?: string;
  /** The WebSocket class. Default `globalThis.WebSocket` (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Clock and timers (µs). Default the platform's. */
  timers?: Timers;
  /** Randomness for backoff jitter and correlation IDs. Default Math.random. */
  random?: () => number;
  /** Aborting closes the client for good. */
  signal?: AbortSignal;
  reconnect?: ReconnectOptions;
  /** Attempts at the first connection before `open()` fails. Default 5. */
  openAttempts?: number;
  /** Longest wait for a connection to open, µs. Default 10 s. */
  connectTimeoutUs?: number;
  /** Renew a connection that has carried no message for this long, µs (service closes at 10 min). Default 9 min. */
  idleRenewUs?: number;
  /** Renew a connection this old, µs (service closes at 1 h). Default 55 min. */
  maxConnectionUs?: number;
  /** Interval of protocol pings where the WebSocket can send them (`ws`), µs; 0 turns them off. Default 30 s. */
  pingIntervalUs?: number;
  /** Give every message a correlation ID unless the caller gives one (so refusals are reported). Default true. */
  correlationIds?: boolean;
  /**
   * Outgoing rates per connection, messages per second: the service's quotas (5 SDP offers or
   * answers, 20 ICE candidates; seeds-webrtc.md §6.2). Messages over them wait in the queue.
   * `false` sends at once.
   */
  rateLimits?: { sdpPerSecond?: number; icePerSecond?: number } | false;
  /** Messages held while between connections or over the rate limits. Default 100. */
  maxQueuedMessages?: number;
  /** Added to the clock when signing (µs), for a device whose clock is off. Default 0. */
  clockOffsetUs?: number;
  /** Longest base64 payload sent. Default MAX_PAYLOAD_LENGTH (envelope.ts). */
  maxPayloadLength?: number;
}

/** The client's state. */
export type SignalingState = 'new' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the client closed for good. */
export interface CloseInfo {
  reason: 'closed' | 'aborted' | 'gave-up';
  error?: KvsError;
}

/** Events of {@link SignalingClient}. */
export type SignalingClientEvents = {
  /** A connection opened (the first one, and each after a reconnect or renewal). */
  open: [];
  sdpOffer: [description: SessionDescriptionInit, senderClientId: string | undefined];
  sdpAnswer: [description: SessionDescriptionInit, senderClientId: string | undefined];
  iceCandidate: [candidate: IceCandidateInit, senderClientId: string | undefined];
  /** A STATUS_RESPONSE; `error` is set when it reports a failure. */
  statusResponse: [response: StatusResponse, error: SignalingStatusError | undefined];
  /** The service is closing this connection; the client is already renewing it. */
  goAway: [payload: string | undefined];
  /** The service is closing the TURN relay: refresh ICE servers and restart ICE (sessions do). */
  reconnectIceServer: [payload: string | undefined];
  /** Every message received, known types and unknown alike. */
  message: [message: IncomingMessage];
  /** The connection dropped or is being renewed; the next attempt starts after `delayUs`. */
  reconnecting: [info: { attempt: number; delayUs: number; cause: string }];
  /** The client closed for good. */
  close: [info: CloseInfo];
  error: [error: KvsError];
};

/** Counters and latencies, after AWS's C SDK's signaling client metrics (seeds-webrtc.md §9.1). */
export interface SignalingMetrics {
  numberOfMessagesSent: number;
  numberOfMessagesReceived: number;
  /** Refused sends (STATUS_RESPONSE), failed connects, undecodable frames. */
  numberOfErrors: number;
  /** Failures while running: drops, failed reconnects. */
  numberOfRuntimeErrors: number;
  numberOfReconnects: number;
  /** How long the current connection has been open, µs (0 if none). */
  connectionDurationUs: number;
  /** How long the client has existed, µs. */
  uptimeUs: number;
  /** Moving average of endpoint lookups (the control-plane calls), µs. */
  cpApiCallLatencyUs: number;
  /** Moving average of sign-and-connect until open, µs. */
  connectLatencyUs: number;
}

export const DEFAULTS = {
  baseDelayUs: 100_000,
  maxDelayUs: 10_000_000,
  connectTimeoutUs: 10_000_000,
  idleRenewUs: 9 * 60_000_000,
  maxConnectionUs: 55 * 60_000_000,
  pingIntervalUs: 30_000_000,
  openAttempts: 5,
  maxQueuedMessages: 100,
  sdpPerSecond: 5,
  icePerSecond: 20,
};
