// Identifiers the signaling service checks: client IDs, correlation IDs and channel ARNs.
// Patterns and lengths: ../shared/spec/seeds-webrtc.md §5.1 (X-Amz-ClientId, X-Amz-ChannelARN),
// §5.3 (correlationId) and §6.5.

import { KvsError } from '@kvs-ts/core';

/** Most characters a client ID or a correlation ID may have (seeds-webrtc.md §6.5). */
export const MAX_ID_LENGTH = 256;

// `[a-zA-Z0-9_.-]`, 1..256: the documented pattern of both IDs.
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,256}$/;

// The ClientId pattern is `^(?!(?i)AWS_.*)[a-zA-Z0-9_.-]`: IDs starting with "AWS_" (any case) are
// the service's own (seeds-webrtc.md §5.1). JS has no inline (?i), so it is a second test.
const RESERVED_PREFIX = /^aws_/i;

// Partition-aware (aws, aws-cn, aws-us-gov, …), resource type `channel`, as ConnectAs* documents it
// with the partition widened as botocore's ARN pattern is (seeds-webrtc.md §3.2, §5.1).
const CHANNEL_ARN_PATTERN = /^arn:aws[a-zA-Z-]*:kinesisvideo:[a-z0-9-]+:[0-9]+:channel\/[a-zA-Z0-9_.-]+\/[0-9]+$/;

/** Whether `id` may be used as a viewer's client ID (X-Amz-ClientId, recipientClientId). */
export function isValidClientId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id) && !RESERVED_PREFIX.test(id);
}

/** Whether `id` may be sent as a message's correlationId. */
export function isValidCorrelationId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** Whether `arn` is a signaling channel's ARN. */
export function isValidChannelArn(arn: unknown): arn is string {
  return typeof arn === 'string' && arn.length <= 1024 && CHANNEL_ARN_PATTERN.test(arn);
}

/** `id` if it is a valid client ID, else a KvsError (STATUS_INVALID_ARG). */
export function checkClientId(id: unknown, what = 'client ID'): string {
  if (isValidClientId(id)) return id;
  throw new KvsError(
    'STATUS_INVALID_ARG',
    `${what} must be 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9_.-] not starting with AWS_, got ${show(id)}`,
  );
}

/** `id` if it is a valid correlation ID, else a KvsError (STATUS_INVALID_ARG). */
export function checkCorrelationId(id: unknown): string {
  if (isValidCorrelationId(id)) return id;
  throw new KvsError(
    'STATUS_INVALID_ARG',
    `correlation ID must be 1-${MAX_ID_LENGTH} characters of [A-Za-z0-9_.-], got ${show(id)}`,
  );
}

/** `arn` if it is a signaling channel ARN, else a KvsError (STATUS_INVALID_ARG). */
export function checkChannelArn(arn: unknown): string {
  if (isValidChannelArn(arn)) return arn;
  throw new KvsError('STATUS_INVALID_ARG', `not a signaling channel ARN: ${show(arn)}`);
}

/**
 * A random client ID for a viewer: a UUID, which fits the pattern (base64-style random IDs would
 * not: `+`, `/` and `=` are refused; seeds-webrtc.md §5.1).
 */
export function randomClientId(): string {
  return crypto.randomUUID();
}

function show(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
