// The signaling WebSocket's message envelope, both ways (../shared/spec/seeds-webrtc.md §5.3,
// §5.4). Outgoing: `{action, recipientClientId?, messagePayload, correlationId?}` as a JSON text
// frame, the payload being base64(JSON(description or candidate)). Incoming:
// `{senderClientId?, messageType, messagePayload?, statusResponse?}`. Encoding is strict (what the
// service would refuse is refused here, as a KvsError, before it is sent); decoding is lenient
// where the docs and AWS's SDKs disagree (PascalCase keys, missing payloads, unknown types).

import { KvsError } from '@kvs-ts/core';
import { checkClientId, checkCorrelationId } from './ids';

/** MASTER (one per channel, answers) or VIEWER (up to 10, offers): seeds-webrtc.md §1. */
export type Role = 'MASTER' | 'VIEWER';

/** What a client sends. */
export type SignalingAction = 'SDP_OFFER' | 'SDP_ANSWER' | 'ICE_CANDIDATE';

/** What the service sends (`UNKNOWN` stands for any type this SDK does not know yet). */
export type MessageType =
  | 'SDP_OFFER'
  | 'SDP_ANSWER'
  | 'ICE_CANDIDATE'
  | 'STATUS_RESPONSE'
  | 'GO_AWAY'
  | 'RECONNECT_ICE_SERVER';

/** An SDP, shaped as `RTCSessionDescriptionInit` (so either is accepted and returned). */
export interface SessionDescriptionInit {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp?: string;
}

/** An ICE candidate, shaped as `RTCIceCandidateInit` (what `RTCIceCandidate.toJSON()` gives). */
export interface IceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/**
 * Longest `messagePayload` (base64 characters) this client sends. The docs say "10K" (S002 via
 * seeds-webrtc.md §5.3, §6.2) without saying whether that is 10,000 or 10,240; 10,000 is within
 * both readings (and is botocore's cap for the same payload in SendAlexaOfferToMaster, §4.2).
 */
export const MAX_PAYLOAD_LENGTH = 10_000;

/** A message to send. */
export type OutgoingMessage =
  | {
      action: 'SDP_OFFER' | 'SDP_ANSWER';
      description: SessionDescriptionInit;
      recipientClientId?: string;
      correlationId?: string;
    }
  | { action: 'ICE_CANDIDATE'; candidate: IceCandidateInit; recipientClientId?: string; correlationId?: string };

/** STATUS_RESPONSE's body (§5.4); `success` is not in the docs but AWS's JS SDK types it. */
export interface StatusResponse {
  correlationId: string;
  errorType?: string;
  /** An HTTP status code, as the service sends it: a string. */
  statusCode?: string;
  description?: string;
  success?: boolean;
}

interface Received {
  /** The sender; messages from the master may come without one (§5.4). */
  senderClientId?: string;
}

/** A message received, typed by `messageType`. */
export type IncomingMessage =
  | (Received & { type: 'SDP_OFFER' | 'SDP_ANSWER'; description: SessionDescriptionInit })
  | (Received & { type: 'ICE_CANDIDATE'; candidate: IceCandidateInit })
  | (Received & { type: 'STATUS_RESPONSE'; status: StatusResponse })
  // GO_AWAY and RECONNECT_ICE_SERVER may carry no payload (§12): kept, payload decoded if any.
  | (Received & { type: 'GO_AWAY' | 'RECONNECT_ICE_SERVER'; payload?: string })
  | (Received & { type: 'UNKNOWN'; messageType: string; payload?: string; raw: Record<string, unknown> });

/**
 * The JSON text frame for `message`, sent by a client of `role`. Refuses (KvsError
 * STATUS_INVALID_ARG) what the service would: a master's message without a recipient or a
 * viewer's with one (§5.3), bad IDs, an SDP whose type does not match the action, an empty or
 * end-of-candidates candidate (never sent, §5.3), and a payload over `maxPayloadLength`
 * (STATUS_INVALID_ARG_LEN).
 */
export function encodeMessage(message: OutgoingMessage, role: Role, maxPayloadLength = MAX_PAYLOAD_LENGTH): string {
  const { action } = message;
  if (role === 'MASTER') {
    if (message.recipientClientId === undefined)
      throw new KvsError('STATUS_INVALID_ARG', `a master's ${action} must name its recipient (the viewer's client ID)`);
    checkClientId(message.recipientClientId, 'recipientClientId');
  } else if (message.recipientClientId !== undefined) {
    throw new KvsError('STATUS_INVALID_ARG', `a viewer's ${action} goes to the master and must not name a recipient`);
  }
  if (message.correlationId !== undefined) checkCorrelationId(message.correlationId);
  let payload: object;
  if (message.action === 'ICE_CANDIDATE') {
    payload = candidatePayload(message.candidate);
  } else if (message.action === 'SDP_OFFER' || message.action === 'SDP_ANSWER') {
    payload = descriptionPayload(message.description, message.action === 'SDP_OFFER' ? 'offer' : 'answer');
  } else {
    throw new KvsError('STATUS_INVALID_ARG', `unknown signaling action ${JSON.stringify(action)}`);
  }
  const messagePayload = encodeBase64Text(JSON.stringify(payload));
  if (messagePayload.length > maxPayloadLength)
    throw new KvsError(
      'STATUS_INVALID_ARG_LEN',
      `${action} payload is ${messagePayload.length} base64 characters, over the ${maxPayloadLength} limit (trickle ICE keeps SDPs small)`,
    );
  const envelope: Record<string, string> = { action };
  if (message.recipientClientId !== undefined) envelope.recipientClientId = message.recipientClientId;
  envelope.messagePayload = messagePayload;
  if (message.correlationId !== undefined) envelope.correlationId = message.correlationId;
  return JSON.stringify(envelope);
}

function descriptionPayload(description: SessionDescriptionInit, type: 'offer' | 'answer'): object {
  if (typeof description !== 'object' || description === null || description.type !== type)
    throw new KvsError(
      'STATUS_INVALID_ARG',
      `expected an SDP of type "${type}", got ${JSON.stringify(description?.type)}`,
    );
  if (typeof description.sdp !== 'string' || description.sdp === '')
    throw new KvsError('STATUS_INVALID_ARG', `the ${type} has no SDP`);
  return { type, sdp: description.sdp };
}

function candidatePayload(candidate: IceCandidateInit): object {
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.candidate !== 'string')
    throw new KvsError('STATUS_INVALID_ARG', 'an ICE candidate needs a `candidate` string');
  // An empty candidate marks the end of gathering; AWS's samples never send it (§5.3).
  if (candidate.candidate === '') throw new KvsError('STATUS_INVALID_ARG', 'end-of-candidates is not sent');
  // Keys in the order browsers' toJSON() gives them, as the C SDK's observed frames have them.
  const out: Record<string, unknown> = { candidate: candidate.candidate };
  if (candidate.sdpMid !== undefined) out.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex !== undefined) out.sdpMLineIndex = candidate.sdpMLineIndex;
  if (candidate.usernameFragment !== undefined) out.usernameFragment = candidate.usernameFragment;
  return out;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'SDP_OFFER',
  'SDP_ANSWER',
  'ICE_CANDIDATE',
  'STATUS_RESPONSE',
  'GO_AWAY',
  'RECONNECT_ICE_SERVER',
]);

/**
 * The typed message in a received text frame. Keys are read in camelCase or PascalCase (AWS's C
 * SDK sends PascalCase, §5.3). A frame that is not a JSON object, has no messageType, or whose SDP
 * or candidate payload does not decode throws KvsError STATUS_FORMAT_ERROR; unknown message types
 * come back as `UNKNOWN` rather than being dropped (§5.4).
 */
export function decodeMessage(text: string): IncomingMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KvsError('STATUS_FORMAT_ERROR', 'signaling frame is not JSON', { cause });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new KvsError('STATUS_FORMAT_ERROR', 'signaling frame is not a JSON object');
  const obj = raw as Record<string, unknown>;
  const messageType = field(obj, 'messageType');
  if (typeof messageType !== 'string' || messageType === '')
    throw new KvsError('STATUS_FORMAT_ERROR', 'signaling frame has no messageType');
  const sender = field(obj, 'senderClientId');
  const base: Received = typeof sender === 'string' && sender !== '' ? { senderClientId: sender } : {};
  const payloadField = field(obj, 'messagePayload');
  if (payloadField !== undefined && payloadField !== null && typeof payloadField !== 'string')
    throw new KvsError('STATUS_FORMAT_ERROR', `${messageType}: messagePayload is not a string`);
  const payload = typeof payloadField === 'string' && payloadField !== '' ? payloadField : undefined;

  switch (messageType) {
    case 'SDP_OFFER':
    case 'SDP_ANSWER': {
      const value = payloadJson(messageType, payload);
      const type = messageType === 'SDP_OFFER' ? 'offer' : 'answer';
      if (typeof value.sdp !== 'string' || (value.type !== undefined && value.type !== type))
        throw new KvsError('STATUS_FORMAT_ERROR', `${messageType}: payload is not an ${type} SDP`);
      return { ...base, type: messageType, description: { type, sdp: value.sdp } };
    }
    case 'ICE_CANDIDATE': {
      const value = payloadJson(messageType, payload);
      if (typeof value.candidate !== 'string')
        throw new KvsError('STATUS_FORMAT_ERROR', 'ICE_CANDIDATE: payload has no candidate');
      const candidate: IceCandidateInit = { candidate: value.candidate };
      if (typeof value.sdpMid === 'string' || value.sdpMid === null) candidate.sdpMid = value.sdpMid;
      if (typeof value.sdpMLineIndex === 'number' || value.sdpMLineIndex === null)
        candidate.sdpMLineIndex = value.sdpMLineIndex;
      if (typeof value.usernameFragment === 'string' || value.usernameFragment === null)
        candidate.usernameFragment = value.usernameFragment;
      return { ...base, type: 'ICE_CANDIDATE', candidate };
    }
    case 'STATUS_RESPONSE':
      return { ...base, type: 'STATUS_RESPONSE', status: statusResponse(field(obj, 'statusResponse')) };
    case 'GO_AWAY':
    case 'RECONNECT_ICE_SERVER':
      return payload === undefined
        ? { ...base, type: messageType }
        : { ...base, type: messageType, payload: lenientText(payload) };
    default:
      return {
        ...base,
        type: 'UNKNOWN',
        messageType,
        raw: obj,
        ...(payload === undefined ? {} : { payload: lenientText(payload) }),
      };
  }
}

/** Whether `type` is one of the documented message types. */
export function isKnownMessageType(type: string): type is MessageType {
  return KNOWN_TYPES.has(type);
}

function field(obj: Record<string, unknown>, camel: string): unknown {
  if (obj[camel] !== undefined) return obj[camel];
  return obj[camel[0].toUpperCase() + camel.slice(1)];
}

function payloadJson(type: string, payload: string | undefined): Record<string, unknown> {
  if (payload === undefined) throw new KvsError('STATUS_FORMAT_ERROR', `${type} has no messagePayload`);
  let value: unknown;
  try {
    value = JSON.parse(decodeBase64Text(payload));
  } catch (cause) {
    throw new KvsError('STATUS_FORMAT_ERROR', `${type}: messagePayload is not base64 JSON`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new KvsError('STATUS_FORMAT_ERROR', `${type}: messagePayload is not a JSON object`);
  return value as Record<string, unknown>;
}

function statusResponse(value: unknown): StatusResponse {
  if (typeof value !== 'object' || value === null)
    throw new KvsError('STATUS_FORMAT_ERROR', 'STATUS_RESPONSE has no statusResponse object');
  const obj = value as Record<string, unknown>;
  const correlationId = field(obj, 'correlationId');
  if (typeof correlationId !== 'string')
    throw new KvsError('STATUS_FORMAT_ERROR', 'STATUS_RESPONSE has no correlationId');
  const out: StatusResponse = { correlationId };
  const errorType = field(obj, 'errorType');
  if (typeof errorType === 'string') out.errorType = errorType;
  const statusCode = field(obj, 'statusCode');
  // The docs make it a string; tolerate a number.
  if (typeof statusCode === 'string' || typeof statusCode === 'number') out.statusCode = String(statusCode);
  const description = field(obj, 'description');
  if (typeof description === 'string') out.description = description;
  const success = field(obj, 'success');
  if (typeof success === 'boolean') out.success = success;
  return out;
}

// GO_AWAY's and unknown types' payloads are undocumented: decoded if they are base64 UTF-8 text,
// otherwise passed on as received.
function lenientText(payload: string): string {
  try {
    return decodeBase64Text(payload);
  } catch {
    return payload;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** base64 of `text`'s UTF-8 bytes (btoa alone takes only Latin-1). */
export function encodeBase64Text(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The UTF-8 text in base64 `data`; KvsError STATUS_FORMAT_ERROR if either layer is malformed. */
export function decodeBase64Text(data: string): string {
  if (!BASE64.test(data)) throw new KvsError('STATUS_FORMAT_ERROR', 'not base64');
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new KvsError('STATUS_FORMAT_ERROR', 'base64 payload is not UTF-8', { cause });
  }
}
