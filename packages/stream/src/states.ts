// PIC's stream state machine, table-driven as in `state/src/State.c` and `client/src/StreamState.c`:
// the same states and bit values (so logs line up with AWS's), the same accept sets, retry
// limits and failure statuses, and the same next-state rules including the recovery rows.

import {
  isRetriableResult,
  isRetriableStatus,
  KvsError,
  ServiceCallResult,
  StatusCode,
  serviceCallResultStatus,
} from '@kvs-ts/core';
import { DEFAULT_BACKOFF, ExponentialBackoff } from './backoff';
import type { ResolvedStreamDefinition } from './definition';
import type { StreamCounters } from './metrics';
import type { Clock, ServiceCallOutcome, StreamService } from './service';
import {
  MAX_ENFORCED_TOKEN_EXPIRATION_DURATION,
  MAX_TOKEN_JITTER,
  MIN_STREAMING_TOKEN_EXPIRATION_DURATION,
  STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD,
  TOKEN_JITTER_THRESHOLD,
} from './timing';

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

/** The stream state table (PIC's `StreamState.c` STREAM_STATE_MACHINE_STATES). */
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

// -------------------------------------------------------------------------------------------------
// The execute half: PIC's `execute*State` functions and stepStateMachine, beside the `from*`
// rules above. The machine owns the state, the last service-call result, the retry count, the
// backoff and the service calls in flight; what a state means for the stream's data (open a
// connection, give up) goes to its host.

/** What the state machine needs from its stream. */
export interface StateMachineHost<T> {
  readonly definition: ResolvedStreamDefinition;
  readonly service: StreamService<T>;
  readonly clock: Clock;
  readonly counters: StreamCounters;
  readonly deviceName: string;
  /** Random source for jitter. */
  readonly random: () => number;
  /** The stream stopped taking frames (a failure then is final, not restarted). */
  readonly stopping: boolean;
  /** Service call timeout, µs. */
  readonly serviceCallTimeout: number;
  /** The state moved. */
  stateChanged(next: StreamState, previous: StreamState): void;
  /** READY was reached. */
  reachedReady(): void;
  /** READY: whether to open a connection now (data to send, no rotation waiting for its MKV stream). */
  wantsConnection(): boolean;
  /** STOPPED: whether the stream stopped and has nothing left to send (then it stays). */
  drained(): boolean;
  /** PUT_STREAM: open a connection (through {@link StreamStateMachine.call}). */
  openConnection(): void;
  /** The token expires soon: rotate the connection. */
  rotate(): void;
  /** A problem that does not stop the stream. */
  report(error: KvsError): void;
  /** The stream gives up with `error` (the machine halts). */
  failed(error: KvsError): void;
}

/** The stream state machine of one stream. */
export class StreamStateMachine<T = unknown> {
  private stateValue: StreamState = S.NEW;
  private localRetries = 0;
  private lastResult: number = ServiceCallResult.NOT_SET;
  private streamStatus: StreamStatus | undefined;
  private arnValue: string | undefined;
  private endpointValue: string | undefined;
  private tokenValue: T | undefined;
  private halted = false;
  /** Service call generation: results of calls made before a reset are ignored. */
  private generation = 0;
  /** The backoff wait before the next step, or the restart after a retriable failure. */
  private timer: unknown;
  private rotationTimer: unknown;
  /** Timers of service calls in flight (their timeouts). */
  private readonly callTimers = new Set<unknown>();
  private readonly backoff: ExponentialBackoff;

  constructor(private readonly host: StateMachineHost<T>) {
    this.backoff = new ExponentialBackoff(DEFAULT_BACKOFF, host.random);
  }

  get state(): StreamState {
    return this.stateValue;
  }

  /** The stream ARN from describe/create. */
  get arn(): string | undefined {
    return this.arnValue;
  }

  /** The PUT_MEDIA endpoint from GetDataEndpoint. */
  get endpoint(): string | undefined {
    return this.endpointValue;
  }

  /** The streaming token from the last GetStreamingToken. */
  get token(): T | undefined {
    return this.tokenValue;
  }

  /** Whether a step waits for a backoff timer. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** In `state` with no step pending: a step now would leave it. */
  idleIn(state: StreamState): boolean {
    return this.stateValue === state && this.timer === undefined;
  }

  /** The service acknowledged data: failures from here on start the backoff over. */
  connectionWorks(): void {
    this.backoff.reset();
  }

  /** PIC's stepStateMachine: pick the next state from the last result, check, retry or move, execute. */
  step(): void {
    if (this.halted || this.timer !== undefined) return;
    const current = this.stateValue;
    const def = this.host.definition;
    const decision = nextStreamState(current, {
      result: this.lastResult,
      streamStatus: this.streamStatus,
      hasTags: Object.keys(def.tags).length > 0,
      allowStreamCreation: def.allowStreamCreation,
      recoverOnError: def.restartOnError,
    });
    if ('fail' in decision) return this.fail(decision.fail);
    let next = decision.next;
    if (!acceptsTransition(current, next))
      return this.fail(
        StatusCode.STATUS_INVALID_STREAM_STATE,
        `${streamStateName(current)} → ${streamStateName(next)}`,
      );
    const R = ServiceCallResult;
    const r = this.lastResult;
    let delay = 0;
    if (next === current && current !== S.STREAMING) {
      this.localRetries++;
      this.host.counters.retries++;
      const row = STREAM_STATE_TABLE[current];
      if (r !== R.OK && r !== R.NOT_SET && !isRetriableResult(r)) return this.fail(serviceCallResultStatus(r));
      if (row.maxRetries !== 0 && this.localRetries > row.maxRetries) {
        if (current !== S.TAG_STREAM) return this.fail(row.failStatus);
        // Tagging is best effort (PIC reports STATUS_TAG_STREAM_CALL_FAILED and goes on).
        this.host.report(
          new KvsError('STATUS_TAG_STREAM_CALL_FAILED', `TagResource failed ${row.maxRetries + 1} times`),
        );
        next = S.GET_ENDPOINT;
        this.localRetries = 0;
      } else {
        delay = this.backoff.next(this.host.clock.now());
      }
    } else {
      this.localRetries = 0;
      // PIC's transition hook waits before any transition that follows a failed result, so a
      // PutMedia that keeps failing cannot spin through describe → endpoint → token → put.
      if (r !== R.OK && r !== R.NOT_SET && r !== R.STREAM_AUTH_IN_GRACE_PERIOD)
        delay = this.backoff.next(this.host.clock.now());
    }
    this.setState(next);
    if (delay > 0) this.after(delay, () => this.execute());
    else this.execute();
  }

  /** Leaves the current state for STOPPED with `result` (a connection ended, a rotation) and steps. */
  restart(result: number): void {
    if (this.timer !== undefined) return;
    this.lastResult = result;
    this.setState(S.STOPPED);
    this.step();
  }

  /** PIC's execute*State functions. */
  private execute(): void {
    const def = this.host.definition;
    const service = this.host.service;
    const R = ServiceCallResult;
    switch (this.stateValue) {
      case S.NEW:
        this.lastResult = R.NOT_SET;
        return this.step();
      case S.DESCRIBE:
        return this.call(
          () => service.describeStream(def.streamName),
          (out) => {
            this.streamStatus = undefined;
            if (out.result !== R.OK) return;
            const d = out.description;
            if (d === undefined || typeof d.streamArn !== 'string' || d.streamArn.length === 0)
              return this.fail(StatusCode.STATUS_INVALID_DESCRIBE_STREAM_RESPONSE, 'DescribeStream gave no stream ARN');
            this.arnValue = d.streamArn;
            this.streamStatus = d.status;
          },
        );
      case S.CREATE:
        return this.call(
          () =>
            service.createStream({
              deviceName: this.host.deviceName,
              streamName: def.streamName,
              contentType: def.contentType,
              kmsKeyId: def.kmsKeyId,
              retentionPeriod: def.retentionPeriod,
            }),
          (out) => {
            if (out.result !== R.OK) return;
            if (typeof out.streamArn !== 'string' || out.streamArn.length === 0)
              return this.fail(StatusCode.STATUS_INVALID_CREATE_STREAM_RESPONSE, 'CreateStream gave no stream ARN');
            this.arnValue = out.streamArn;
            this.streamStatus = 'ACTIVE';
          },
        );
      case S.TAG_STREAM:
        return this.call(
          () => service.tagStream({ streamArn: this.arnValue ?? '', streamName: def.streamName, tags: def.tags }),
          () => {},
        );
      case S.GET_ENDPOINT:
        return this.call(
          () => service.getDataEndpoint({ streamName: def.streamName, apiName: 'PUT_MEDIA' }),
          (out) => {
            if (out.result !== R.OK) return;
            if (typeof out.endpoint !== 'string' || out.endpoint.length === 0 || out.endpoint.length > 10_000) {
              this.host.report(new KvsError('STATUS_INVALID_URI_LEN', 'GetDataEndpoint gave no usable endpoint'));
              return R.UNKNOWN;
            }
            this.endpointValue = out.endpoint;
          },
        );
      case S.GET_TOKEN:
        return this.call(
          () => service.getStreamingToken({ streamName: def.streamName }),
          (out) => (out.result === R.OK ? this.acceptToken(out.token, out.expiration) : undefined),
        );
      case S.READY:
        this.host.reachedReady();
        // Open a connection once there is something to send (PIC waits for data too).
        if (this.host.wantsConnection()) this.step();
        return;
      case S.PUT_STREAM:
        return this.host.openConnection();
      case S.STREAMING:
        // The backoff starts over once the service acknowledges data (or after 90 s of quiet).
        return;
      case S.STOPPED:
        if (this.host.drained()) return;
        return this.step();
    }
  }

  /**
   * Runs a service call with a timeout and feeds its result to the state machine. `onResult` may
   * return another result to step with (a response the machine cannot use).
   */
  call<O extends ServiceCallOutcome>(invoke: () => Promise<O>, onResult: (out: O) => unknown, dataPlane = false): void {
    const clock = this.host.clock;
    const generation = this.generation;
    const state = this.stateValue;
    const started = clock.now();
    let settled = false;
    const settle = (out: O) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timeout);
      this.callTimers.delete(timeout);
      this.host.counters.callLatency(dataPlane, clock.now() - started);
      if (generation !== this.generation || state !== this.stateValue || this.halted) return;
      this.lastResult = typeof out?.result === 'number' ? out.result : ServiceCallResult.UNKNOWN;
      const override = onResult(out);
      if (typeof override === 'number') this.lastResult = override;
      if (!this.halted) this.step();
    };
    const timeout = clock.setTimeout(
      () => settle({ result: ServiceCallResult.REQUEST_TIMEOUT } as O),
      this.host.serviceCallTimeout,
    );
    this.callTimers.add(timeout);
    let promise: Promise<O>;
    try {
      promise = invoke();
    } catch (e) {
      promise = Promise.reject(e);
    }
    Promise.resolve(promise).then(settle, (e: unknown) => settle({ result: rejectionResult(e) } as O));
  }

  /**
   * PIC's getStreamingTokenResult: bounds and jitter on the expiration; schedules the rotation.
   * Returns UNKNOWN for an expiration the stream cannot use.
   */
  private acceptToken(token: T | undefined, expiration: number | undefined): number | undefined {
    const now = this.host.clock.now();
    if (typeof expiration !== 'number' || !(expiration >= now + MIN_STREAMING_TOKEN_EXPIRATION_DURATION)) {
      this.host.report(
        new KvsError(
          'STATUS_INVALID_TOKEN_EXPIRATION',
          `token expiration must be ≥ now + 30 s, got ${expiration === undefined ? 'none' : `${(expiration - now) / 1_000_000} s`}`,
        ),
      );
      return ServiceCallResult.UNKNOWN;
    }
    let expires = Math.min(expiration, now + MAX_ENFORCED_TOKEN_EXPIRATION_DURATION);
    const remaining = expires - now;
    if (remaining > TOKEN_JITTER_THRESHOLD)
      expires -= Math.min(MAX_TOKEN_JITTER, Math.floor(this.host.random() * remaining * 0.1));
    this.tokenValue = token;
    this.clearRotation();
    this.rotationTimer = this.host.clock.setTimeout(
      () => {
        this.rotationTimer = undefined;
        this.host.rotate();
      },
      Math.max(0, expires - STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD - now),
    );
    return undefined;
  }

  /**
   * The stream cannot go on in this state: with restart-on-error and a retriable status it
   * reports and starts over from NEW after a backoff (the C producer's continuous-retry
   * callbacks); otherwise it halts and the host fails the stream.
   */
  private fail(status: number, detail?: string): void {
    const error = new KvsError(
      status,
      detail ?? `${streamStateName(this.stateValue)} failed (last result ${this.lastResult})`,
    );
    if (this.host.definition.restartOnError && isRetriableStatus(status) && !this.host.stopping) {
      this.host.report(error);
      this.localRetries = 0;
      this.lastResult = ServiceCallResult.NOT_SET;
      this.setState(S.NEW);
      this.after(this.backoff.next(this.host.clock.now()), () => this.step());
      return;
    }
    this.halted = true;
    this.clearRotation();
    this.host.failed(error);
  }

  private after(delay: number, run: () => void): void {
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined;
      run();
    }, delay);
  }

  private setState(next: StreamState): void {
    if (next === this.stateValue) return;
    const previous = this.stateValue;
    this.stateValue = next;
    this.host.stateChanged(next, previous);
  }

  /** Cancels the token rotation (the stream stops or fails). */
  clearRotation(): void {
    if (this.rotationTimer !== undefined) this.host.clock.clearTimeout(this.rotationTimer);
    this.rotationTimer = undefined;
  }

  /** PIC's kinesisVideoStreamResetStream, the machine's part: back to NEW, nothing in flight. */
  reset(): void {
    this.stopTimers(false);
    this.halted = false;
    this.localRetries = 0;
    this.lastResult = ServiceCallResult.NOT_SET;
    this.backoff.reset();
    this.setState(S.NEW);
  }

  /** Stops every timer and ignores calls in flight (free, and the first half of reset). */
  stopTimers(halt = true): void {
    this.generation++;
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.clearRotation();
    for (const t of this.callTimers) this.host.clock.clearTimeout(t);
    this.callTimers.clear();
    if (halt) this.halted = true;
  }
}

/** A rejected service call's result: the rejection's numeric `result` property, else UNKNOWN. */
function rejectionResult(e: unknown): number {
  if (e !== null && typeof e === 'object' && typeof (e as { result?: unknown }).result === 'number')
    return (e as { result: number }).result;
  return ServiceCallResult.UNKNOWN;
}
