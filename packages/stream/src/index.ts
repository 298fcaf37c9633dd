/**
 * @module @kvs-ts/stream
 * The producer stream of PIC in TypeScript: the table-driven stream state machine with PIC's
 * states, accept sets, retries and recovery rows; exponential backoff with full jitter.
 */

export type { BackoffConfig } from './backoff';
export { DEFAULT_BACKOFF, ExponentialBackoff } from './backoff';
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
