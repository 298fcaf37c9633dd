// STATUS_RESPONSE, matched to the message that caused it. The service answers a failed send with
// STATUS_RESPONSE only when the message carried a correlationId, and answers nothing on success
// (../shared/spec/seeds-webrtc.md §5.3, §5.4), so the client gives every message an ID by default
// and remembers it for a while.

import { KvsError, type StatusName } from '@kvs-ts/core';
import type { SignalingAction, StatusResponse } from './envelope';

/** A message sent with a correlation ID, as the client remembers it. */
export interface SentMessage {
  correlationId: string;
  action: SignalingAction;
  recipientClientId?: string;
  /** When it was sent, µs since the Unix epoch. */
  sentAtUs: number;
}

// The errors the send APIs document (§5.3) and the ConnectAs* ones (§5.1), as PIC statuses.
const STATUS_BY_ERROR_TYPE: Readonly<Record<string, StatusName>> = {
  InvalidArgumentException: 'STATUS_SERVICE_CALL_INVALID_ARG_ERROR',
  ClientLimitExceededException: 'STATUS_SERVICE_CALL_CLIENT_LIMIT_ERROR',
  ResourceNotFoundException: 'STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR',
  AccessDeniedException: 'STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR',
  NotAuthorizedException: 'STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR',
};

/** A message the service refused, as STATUS_RESPONSE reported it. */
export class SignalingStatusError extends KvsError {
  /** What the service sent. */
  readonly response: StatusResponse;
  /** The message it refers to, if this client still remembered it. */
  readonly request: SentMessage | undefined;

  constructor(response: StatusResponse, request: SentMessage | undefined) {
    const what =
      request === undefined ? `message ${response.correlationId}` : `${request.action} ${response.correlationId}`;
    const to = request?.recipientClientId === undefined ? '' : ` to ${request.recipientClientId}`;
    const errorType = response.errorType ?? 'error';
    super(
      STATUS_BY_ERROR_TYPE[response.errorType ?? ''] ?? 'STATUS_SERVICE_CALL_UNKOWN_ERROR',
      `${what}${to} was refused: ${errorType} ${response.statusCode ?? ''} ${response.description ?? ''}`.trim(),
    );
    this.response = response;
    this.request = request;
  }
}

/** Whether a STATUS_RESPONSE reports success (it has `success: true` or status code 200). */
export function isSuccessStatus(response: StatusResponse): boolean {
  if (response.success !== undefined) return response.success;
  return response.statusCode === '200' && response.errorType === undefined;
}

/** How long a correlation ID is remembered, µs (well past any delivery: message TTLs are ≤ 120 s, §6.5). */
export const CORRELATION_MEMORY_US = 300_000_000;

/** Messages sent with correlation IDs, forgotten after {@link CORRELATION_MEMORY_US} or past `limit`. */
export class SentMessages {
  private readonly sent = new Map<string, SentMessage>();

  constructor(
    private readonly memoryUs = CORRELATION_MEMORY_US,
    private readonly limit = 4096,
  ) {}

  remember(message: SentMessage): void {
    this.sent.delete(message.correlationId);
    this.sent.set(message.correlationId, message);
    // A Map iterates in insertion order: the oldest are first.
    for (const [id, m] of this.sent) {
      if (this.sent.size <= this.limit && message.sentAtUs - m.sentAtUs < this.memoryUs) break;
      this.sent.delete(id);
    }
  }

  /** The message `correlationId` names, forgotten from now on. */
  take(correlationId: string): SentMessage | undefined {
    const m = this.sent.get(correlationId);
    this.sent.delete(correlationId);
    return m;
  }

  get size(): number {
    return this.sent.size;
  }
}
