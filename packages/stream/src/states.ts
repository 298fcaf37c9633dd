// PIC's stream state machine, table-driven as in `state/src/State.c` and `client/src/StreamState.c`:
// the same states and bit values (so logs line up with AWS's), the same accept sets, retry
// limits and failure statuses, and the same next-state rules including the recovery rows.

import { isRetriableResult, ServiceCallResult, StatusCode, serviceCallResultStatus } from '@kvs-ts/core';

/** Stream states, bit for bit PIC's `STREAM_STATE_*`. */
export const StreamState = {
  NONE: 0x000,
  NEW: 0x001,
  DESCRIBE: 0x002,
  CREATE: 0x004,
  TAG_STREAM: 0x008,
  GET_TOKEN: 0x010,
  GET_ENDPOINT: 0x020,
  READY: 0x040,
  PUT_STREAM: 0x080,
  STREAMING: 0x100,
  STOPPED: 0x200,
} as const;
export type StreamState = (typeof StreamState)[keyof typeof StreamState];

const S = StreamState;
const ANY = 0x3ff;

/** One row of the state table. */
export interface StateDefinition {
  state: StreamState;
  /** States allowed to transition into this one (bit mask). */
  accept: number;
  /** Times the state may be re-entered in a row before failing; 0 = no limit. */
  maxRetries: number;
  /** Status reported when the retries are used up (and the state's failure status generally). */
  failStatus: number;
}

/** `SERVICE_CALL_MAX_RETRY_COUNT`. */
export const SERVICE_CALL_MAX_RETRY_COUNT = 5;

/** The stream state table (anchors-aws.md §1.3). */
export const STREAM_STATE_TABLE: Readonly<Record<StreamState, StateDefinition>> = {
  [S.NONE]: { state: S.NONE, accept: 0, maxRetries: 0, failStatus: StatusCode.STATUS_INVALID_STREAM_READY_STATE },
  [S.NEW]: {
    state: S.NEW,
    accept: S.NONE | S.NEW | S.STOPPED,
    maxRetries: 0,
    failStatus: StatusCode.STATUS_INVALID_STREAM_READY_STATE,
  },
  [S.DESCRIBE]: {
    state: S.DESCRIBE,
    accept: S.NEW | S.STOPPED | S.DESCRIBE | S.PUT_STREAM,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_DESCRIBE_STREAM_CALL_FAILED,
  },
  [S.CREATE]: {
    state: S.CREATE,
    accept: S.DESCRIBE | S.CREATE,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_CREATE_STREAM_CALL_FAILED,
  },
  [S.TAG_STREAM]: {
    state: S.TAG_STREAM,
    accept: S.DESCRIBE | S.CREATE | S.TAG_STREAM,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_TAG_STREAM_CALL_FAILED,
  },
  [S.GET_TOKEN]: {
    state: S.GET_TOKEN,
    accept: S.STOPPED | S.GET_ENDPOINT | S.GET_TOKEN | S.PUT_STREAM,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_GET_STREAMING_TOKEN_CALL_FAILED,
  },
  [S.GET_ENDPOINT]: {
    state: S.GET_ENDPOINT,
    // The notes list STOPPED|DESCRIBE|CREATE|GET_ENDPOINT|TAG_STREAM, yet PUT_STREAM's timeout row
    // leads here (as its auth row leads to GET_TOKEN, which accepts PUT_STREAM). The table test
    // that every proposed transition is accepted found the gap; PUT_STREAM is accepted here.
    accept: S.STOPPED | S.DESCRIBE | S.CREATE | S.GET_ENDPOINT | S.TAG_STREAM | S.PUT_STREAM,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_GET_STREAMING_ENDPOINT_CALL_FAILED,
  },
  [S.READY]: {
    state: S.READY,
    accept: S.STOPPED | S.GET_TOKEN | S.READY | S.PUT_STREAM | S.STREAMING,
    maxRetries: SERVICE_CALL_MAX_RETRY_COUNT,
    failStatus: StatusCode.STATUS_STREAM_READY_CALLBACK_FAILED,
  },
  [S.PUT_STREAM]: {
    state: S.PUT_STREAM,
    accept: S.READY | S.PUT_STREAM,
    maxRetries: 0,
    failStatus: StatusCode.STATUS_PUT_STREAM_CALL_FAILED,
  },
  [S.STREAMING]: {
    state: S.STREAMING,
    accept: S.PUT_STREAM | S.STREAMING,
    maxRetries: 0,
    failStatus: StatusCode.STATUS_PUT_STREAM_CALL_FAILED,
  },
  [S.STOPPED]: { state: S.STOPPED, accept: ANY, maxRetries: 0, failStatus: StatusCode.STATUS_PUT_STREAM_CALL_FAILED },
};

/** The name of a state, for logs. */
export function streamStateName(state: number): string {
  for (const [name, value] of Object.entries(StreamState)) if (value === state) return name;
  return `0x${state.toString(16)}`;
}

/** Stream status as DescribeStream reports it. */
export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

/** What the next-state rules look at. */
export interface TransitionInput {
  /** The result of the last service call made in the current state (or of the connection, in STOPPED). */
  result: number;
  /** From the last DescribeStream. */
  streamStatus?: StreamStatus;
  hasTags: boolean;
  allowStreamCreation: boolean;
  recoverOnError: boolean;
}

/**
 * The next state after `state` (PIC's `from*` functions). Returns a status number (negative
 * encoding avoided: `{ fail }`) when the stream cannot go on.
 */
export function nextStreamState(state: StreamState, input: TransitionInput): { next: StreamState } | { fail: number } {
  const r = input.result;
  const R = ServiceCallResult;
  switch (state) {
    case S.NONE:
    case S.NEW:
      return { next: S.DESCRIBE };
    case S.DESCRIBE:
      if (r === R.OK) {
        switch (input.streamStatus) {
          case 'ACTIVE':
            return { next: input.hasTags ? S.TAG_STREAM : S.GET_ENDPOINT };
          case 'DELETING':
            return { fail: StatusCode.STATUS_STREAM_IS_BEING_DELETED_ERROR };
          default:
            return { next: S.DESCRIBE }; // CREATING / UPDATING: poll
        }
      }
      if (r === R.RESOURCE_NOT_FOUND) {
        return input.allowStreamCreation
          ? { next: S.CREATE }
          : { fail: StatusCode.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR };
      }
      return { next: S.DESCRIBE };
    case S.CREATE:
      if (r === R.OK) return { next: input.hasTags ? S.TAG_STREAM : S.GET_ENDPOINT };
      return { next: S.CREATE };
    case S.TAG_STREAM:
      // Tagging is best effort: once its retries are used up PIC reports and moves on.
      return r === R.OK ? { next: S.GET_ENDPOINT } : { next: S.TAG_STREAM };
    case S.GET_ENDPOINT:
      return r === R.OK ? { next: S.GET_TOKEN } : { next: S.GET_ENDPOINT };
    case S.GET_TOKEN:
      return r === R.OK ? { next: S.READY } : { next: S.GET_TOKEN };
    case S.READY:
      return { next: S.PUT_STREAM };
    case S.PUT_STREAM:
      switch (r) {
        case R.OK:
          return { next: S.STREAMING };
        case R.REQUEST_TIMEOUT:
        case R.GATEWAY_TIMEOUT:
        case R.NETWORK_READ_TIMEOUT:
        case R.NETWORK_CONNECTION_TIMEOUT:
          return { next: S.GET_ENDPOINT };
        case R.NOT_AUTHORIZED:
        case R.FORBIDDEN:
          return { next: S.GET_TOKEN };
        default:
          return { next: S.DESCRIBE };
      }
    case S.STREAMING:
      return { next: S.STREAMING };
    case S.STOPPED:
      return fromStopped(input);
  }
  return { fail: StatusCode.STATUS_STATE_MACHINE_STATE_NOT_FOUND };
}

function fromStopped(input: TransitionInput): { next: StreamState } | { fail: number } {
  const R = ServiceCallResult;
  const r = input.result;
  if (!input.recoverOnError && r !== R.OK && r !== R.STREAM_AUTH_IN_GRACE_PERIOD && r !== R.NOT_SET) {
    return { fail: serviceCallResultStatus(r) };
  }
  switch (r) {
    case R.NOT_SET:
    case R.OK:
    case R.STREAM_AUTH_IN_GRACE_PERIOD:
    case R.CLIENT_LIMIT:
    case R.DEVICE_LIMIT:
    case R.STREAM_LIMIT:
      return { next: S.GET_ENDPOINT };
    case R.NOT_AUTHORIZED:
    case R.FORBIDDEN:
    case R.AUTH_FAILURE:
    case R.SIGNATURE_EXPIRED:
    case R.SIGNATURE_NOT_YET_CURRENT:
      return { next: S.GET_TOKEN };
    case R.RESOURCE_IN_USE:
    case R.UNKNOWN:
    case R.ACK_INTERNAL_ERROR:
    case R.RESOURCE_NOT_FOUND:
    case R.RESOURCE_DELETED:
      return { next: S.DESCRIBE };
    case R.REQUEST_TIMEOUT:
    case R.GATEWAY_TIMEOUT:
    case R.NETWORK_READ_TIMEOUT:
    case R.NETWORK_CONNECTION_TIMEOUT:
      return { next: S.READY };
    default:
      return { next: S.NEW };
  }
}

/** Whether a transition from `from` into `to` is allowed by `to`'s accept set. */
export function acceptsTransition(from: StreamState, to: StreamState): boolean {
  // NONE is 0 and cannot be a bit of a mask: only NEW accepts it.
  if (from === S.NONE) return to === S.NEW;
  return (STREAM_STATE_TABLE[to].accept & from) !== 0;
}

/** Whether a failed service call in `state` should be retried at all (PIC's serviceCallResultRetry). */
export function shouldRetry(result: number): boolean {
  return isRetriableResult(result);
}
