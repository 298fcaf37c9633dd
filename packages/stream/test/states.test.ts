import { ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import {
  acceptsTransition,
  DEFAULT_BACKOFF,
  ExponentialBackoff,
  nextStreamState,
  StreamState as S,
  STREAM_STATE_TABLE,
  type TransitionInput,
} from '@kvs-ts/stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const base: TransitionInput = { result: R.OK, hasTags: false, allowStreamCreation: true, recoverOnError: true };
const next = (state: number, over: Partial<TransitionInput>) => nextStreamState(state as S, { ...base, ...over });

describe('stream state table (anchors-aws.md §1.3)', () => {
  it('keeps PIC bit values, retry limits and failure statuses', () => {
    expect([
      S.NEW,
      S.DESCRIBE,
      S.CREATE,
      S.TAG_STREAM,
      S.GET_TOKEN,
      S.GET_ENDPOINT,
      S.READY,
      S.PUT_STREAM,
      S.STREAMING,
      S.STOPPED,
    ]).toEqual([0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200]);
    expect(STREAM_STATE_TABLE[S.DESCRIBE].maxRetries).toBe(5);
    expect(STREAM_STATE_TABLE[S.PUT_STREAM].maxRetries).toBe(0);
    expect(STREAM_STATE_TABLE[S.GET_TOKEN].failStatus).toBe(StatusCode.STATUS_GET_STREAMING_TOKEN_CALL_FAILED);
    expect(STREAM_STATE_TABLE[S.READY].failStatus).toBe(StatusCode.STATUS_STREAM_READY_CALLBACK_FAILED);
  });

  it('follows the happy path NEW → … → STREAMING, every step accepted', () => {
    const path: number[] = [S.NEW];
    let state = S.NEW as S;
    const inputs: Partial<TransitionInput>[] = [{}, { streamStatus: 'ACTIVE', hasTags: true }, {}, {}, {}, {}, {}];
    for (const over of inputs) {
      const r = next(state, over);
      if (!('next' in r)) throw new Error('failed');
      expect(acceptsTransition(state, r.next)).toBe(true);
      state = r.next;
      path.push(state);
    }
    expect(path).toEqual([
      S.NEW,
      S.DESCRIBE,
      S.TAG_STREAM,
      S.GET_ENDPOINT,
      S.GET_TOKEN,
      S.READY,
      S.PUT_STREAM,
      S.STREAMING,
    ]);
  });

  it('has the describe rows', () => {
    expect(next(S.DESCRIBE, { streamStatus: 'ACTIVE' })).toEqual({ next: S.GET_ENDPOINT });
    expect(next(S.DESCRIBE, { streamStatus: 'CREATING' })).toEqual({ next: S.DESCRIBE });
    expect(next(S.DESCRIBE, { streamStatus: 'UPDATING' })).toEqual({ next: S.DESCRIBE });
    expect(next(S.DESCRIBE, { streamStatus: 'DELETING' })).toEqual({
      fail: StatusCode.STATUS_STREAM_IS_BEING_DELETED_ERROR,
    });
    expect(next(S.DESCRIBE, { result: R.RESOURCE_NOT_FOUND })).toEqual({ next: S.CREATE });
    expect(next(S.DESCRIBE, { result: R.RESOURCE_NOT_FOUND, allowStreamCreation: false })).toEqual({
      fail: StatusCode.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR,
    });
    expect(next(S.DESCRIBE, { result: R.REQUEST_TIMEOUT })).toEqual({ next: S.DESCRIBE });
  });

  it('has the put-stream recovery rows', () => {
    expect(next(S.PUT_STREAM, {})).toEqual({ next: S.STREAMING });
    for (const r of [408, 504, 598, 599]) expect(next(S.PUT_STREAM, { result: r })).toEqual({ next: S.GET_ENDPOINT });
    for (const r of [401, 403]) expect(next(S.PUT_STREAM, { result: r })).toEqual({ next: S.GET_TOKEN });
    expect(next(S.PUT_STREAM, { result: 500 })).toEqual({ next: S.DESCRIBE });
  });

  it('has the stopped recovery rows', () => {
    const rows: Array<[number, number]> = [
      [R.OK, S.GET_ENDPOINT],
      [R.STREAM_AUTH_IN_GRACE_PERIOD, S.GET_ENDPOINT],
      [R.CLIENT_LIMIT, S.GET_ENDPOINT],
      [R.DEVICE_LIMIT, S.GET_ENDPOINT],
      [R.STREAM_LIMIT, S.GET_ENDPOINT],
      [R.NOT_AUTHORIZED, S.GET_TOKEN],
      [R.RESOURCE_IN_USE, S.DESCRIBE],
      [R.UNKNOWN, S.DESCRIBE],
      [R.ACK_INTERNAL_ERROR, S.DESCRIBE],
      [R.RESOURCE_NOT_FOUND, S.DESCRIBE],
      [R.RESOURCE_DELETED, S.DESCRIBE],
      [R.REQUEST_TIMEOUT, S.READY],
      [R.NETWORK_READ_TIMEOUT, S.READY],
      [R.ACK_STREAM_READ_ERROR, S.NEW],
      [500, S.NEW],
    ];
    for (const [result, state] of rows) {
      expect(next(S.STOPPED, { result })).toEqual({ next: state });
      expect(acceptsTransition(S.STOPPED, state as S)).toBe(true);
    }
    expect(next(S.STOPPED, { result: 500, recoverOnError: false })).toEqual({
      fail: StatusCode.STATUS_SERVICE_CALL_UNKOWN_ERROR,
    });
  });

  it('never proposes a transition the target does not accept', () => {
    const states = [
      S.NEW,
      S.DESCRIBE,
      S.CREATE,
      S.TAG_STREAM,
      S.GET_ENDPOINT,
      S.GET_TOKEN,
      S.READY,
      S.PUT_STREAM,
      S.STREAMING,
      S.STOPPED,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...states),
        fc.constantFrom(
          0,
          200,
          400,
          401,
          403,
          404,
          406,
          408,
          500,
          503,
          504,
          598,
          599,
          10000,
          10003,
          10400,
          10401,
          4000,
          5000,
        ),
        fc.constantFrom<TransitionInput['streamStatus']>('ACTIVE', 'CREATING', 'DELETING', undefined),
        fc.boolean(),
        fc.boolean(),
        (state, result, streamStatus, hasTags, allowStreamCreation) => {
          const r = nextStreamState(state, {
            result,
            streamStatus,
            hasTags,
            allowStreamCreation,
            recoverOnError: true,
          });
          if ('next' in r) expect(acceptsTransition(state as S, r.next)).toBe(true);
        },
      ),
    );
    expect(acceptsTransition(S.NONE, S.NEW)).toBe(true);
    expect(acceptsTransition(S.NEW, S.STREAMING)).toBe(false);
    expect(acceptsTransition(S.GET_TOKEN, S.GET_ENDPOINT)).toBe(false);
  });
});

describe('ExponentialBackoff', () => {
  it('doubles from 100 ms up to the 10 s cap, with full jitter', () => {
    const b = new ExponentialBackoff(DEFAULT_BACKOFF, () => 0.999999);
    const waits = Array.from({ length: 10 }, (_, i) => b.next(i));
    expect(waits.map((w) => Math.round(w / 1000))).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000]);
    const low = new ExponentialBackoff(DEFAULT_BACKOFF, () => 0);
    expect(low.next(0)).toBe(0);
  });

  it('starts over after 90 s without a retry', () => {
    const b = new ExponentialBackoff(DEFAULT_BACKOFF, () => 0.999999);
    b.next(0);
    b.next(1);
    expect(b.next(91_000_002)).toBeLessThanOrEqual(100_000);
  });
});
