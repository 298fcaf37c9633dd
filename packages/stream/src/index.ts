/**
 * @module @kvs-ts/stream
 * The producer stream of PIC in TypeScript: `KinesisVideoStream` (stream.ts) with its intake,
 * state machine (PIC's states, accept sets, retries and recovery rows), upload sessions (one per
 * PutMedia connection, the seam a transport serves), ACK handling and metrics; exponential
 * backoff with full jitter. Split by who calls in: docs/decisions/stream-split.md.
 */

export type { BackoffConfig } from './backoff';
export { DEFAULT_BACKOFF, ExponentialBackoff } from './backoff';
export type { ResolvedStreamDefinition, StreamDefinition } from './definition';
export {
  DEFAULT_TRACK,
  defaultContentType,
  MAX_STREAM_NAME_LEN,
  MIN_BUFFER_DURATION,
  MIN_RETENTION_PERIOD,
  resolveStreamDefinition,
} from './definition';
export type {
  Clock,
  PutStreamRequest,
  ServiceCallOutcome,
  StreamDescription,
  StreamingToken,
  StreamService,
} from './service';
export { systemClock } from './service';
export type { UploadConnection } from './session';
export { UploadHandleState, uploadHandleStateName } from './session';
export type { StateDefinition, StreamStatus, TransitionInput } from './states';
export {
  acceptsTransition,
  nextStreamState,
  SERVICE_CALL_MAX_RETRY_COUNT,
  STREAM_STATE_TABLE,
  StreamState,
  streamStateName,
} from './states';
export { KinesisVideoStream } from './stream';
export {
  DEFAULT_SERVICE_CALL_TIMEOUT,
  INTERMITTENT_PRODUCER_MAX_TIMEOUT,
  INTERMITTENT_PRODUCER_PERIOD,
  INTERMITTENT_PRODUCER_START_DELAY,
  MAX_BLOCKING_PUT_WAIT,
  MAX_ENFORCED_TOKEN_EXPIRATION_DURATION,
  MIN_STREAMING_TOKEN_EXPIRATION_DURATION,
  STREAM_CLOSED_TIMEOUT,
  STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD,
} from './timing';
export type { KinesisVideoStreamOptions, StreamData, StreamEvents, StreamMetrics } from './types';
