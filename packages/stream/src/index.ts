/**
 * @module @kvs-ts/stream
 * The producer stream of PIC in TypeScript: the table-driven stream state machine with PIC's
 * states, accept sets, retries and recovery rows; exponential backoff with full jitter.
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
export type { StateDefinition, StreamStatus, TransitionInput } from './states';
export {
  acceptsTransition,
  nextStreamState,
  SERVICE_CALL_MAX_RETRY_COUNT,
  STREAM_STATE_TABLE,
  StreamState,
  shouldRetry,
  streamStateName,
} from './states';
export type { KinesisVideoStreamOptions, StreamData, StreamEvents, StreamMetrics } from './stream';
export {
  DEFAULT_SERVICE_CALL_TIMEOUT,
  INTERMITTENT_PRODUCER_MAX_TIMEOUT,
  INTERMITTENT_PRODUCER_PERIOD,
  INTERMITTENT_PRODUCER_START_DELAY,
  KinesisVideoStream,
  MAX_BLOCKING_PUT_WAIT,
  MAX_ENFORCED_TOKEN_EXPIRATION_DURATION,
  MIN_STREAMING_TOKEN_EXPIRATION_DURATION,
  STREAM_CLOSED_TIMEOUT,
  STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD,
} from './stream';
export { UploadHandleState, uploadHandleStateName } from './upload';
