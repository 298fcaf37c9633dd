/**
 * @module @kvs-ts/signaling
 * Amazon Kinesis Video Streams with WebRTC, signaling side, on Web APIs only (WebSocket, fetch,
 * WebCrypto), for browsers, Deno and Node (with an injected WebSocket such as `ws`'s):
 * - `SignalingChannel` (channel.ts): a channel's endpoints and ICE servers through @kvs-ts/api,
 *   and clients wired to them;
 * - `SignalingClient` (client.ts): one MASTER or VIEWER connection that reconnects, renews before
 *   the service's limits, follows GO_AWAY, and reports refused messages by correlation ID;
 * - the message envelope (envelope.ts) and IDs (ids.ts), the presigned connect URL (presign.ts);
 * - ICE: early candidates held per peer (ice-buffer.ts), STUN/TURN servers cached per channel
 *   (ice-servers.ts);
 * - `MasterSession` / `ViewerSession` (sessions.ts) over standard RTCPeerConnections.
 * Guide: docs/guides/webrtc-signaling.md. Design: docs/decisions/signaling.md.
 */

export type { ChannelApi, SignalingChannelOptions } from './channel';
export { SignalingChannel } from './channel';
export { SignalingClient } from './client';
export type {
  CloseInfo,
  EndpointSource,
  ReconnectOptions,
  SignalingClientEvents,
  SignalingClientOptions,
  SignalingMetrics,
  SignalingState,
} from './client-options';
export type { EventMap, Listener } from './emitter';
export { TypedEmitter } from './emitter';
export type {
  IceCandidateInit,
  IncomingMessage,
  MessageType,
  OutgoingMessage,
  Role,
  SessionDescriptionInit,
  SignalingAction,
  StatusResponse,
} from './envelope';
export {
  decodeBase64Text,
  decodeMessage,
  encodeBase64Text,
  encodeMessage,
  isKnownMessageType,
  MAX_PAYLOAD_LENGTH,
} from './envelope';
export type { IceCandidateBufferOptions } from './ice-buffer';
export { IceCandidateBuffer, MASTER_PEER_ID } from './ice-buffer';
export type {
  GetIceServerConfig,
  IceServer,
  IceServerCacheOptions,
  IceServerInit,
  IceServerMetrics,
  StunOptions,
} from './ice-servers';
export { IceServerCache, stunUrl, toIceServerInits } from './ice-servers';
export {
  checkChannelArn,
  checkClientId,
  checkCorrelationId,
  isValidChannelArn,
  isValidClientId,
  isValidCorrelationId,
  MAX_ID_LENGTH,
  randomClientId,
} from './ids';
export type { ConnectUrlOptions, PresignWssOptions } from './presign';
export { CONNECT_URL_EXPIRY_US, presignConnectUrl, presignWssUrl } from './presign';
export type {
  IceServerSource,
  MasterSessionOptions,
  Peer,
  PeerConfiguration,
  PeerConnectionFactory,
  PeerConnectionLike,
  SessionEvents,
  SessionOptions,
  ViewerSessionOptions,
} from './sessions';
export { MasterSession, ViewerSession } from './sessions';
export type { WebSocketConstructor, WebSocketLike } from './socket';
export type { SentMessage } from './status';
export { isSuccessStatus, SignalingStatusError } from './status';
export type { Timers } from './timers';
export { fullJitterUs, systemTimers } from './timers';
