// Retries: throttling, 5xx and unanswered requests are retried with full-jitter exponential
// backoff (fake sleep and random), other 4xx fail at once; timeouts and aborts through the
// AbortSignal.

import { type FetchLike, KinesisVideoApi, KvsServiceError, KvsTransportError, RetryPolicy } from '@kvs-ts/api';
import { ServiceCallResult, StatusCode } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, hangingFetch, json, neverEndingBody } from './fake-fetch';

const INFO = { StreamName: 's', StreamARN: 'arn:aws:kinesisvideo:us-west-2:1:stream/s/1', Status: 'ACTIVE' };

function client(fetch: FetchLike, retry: ConstructorParameters<typeof RetryPolicy>[0] = {}, timeouts = {}) {
  const sleeps: number[] = [];
  const api = new KinesisVideoApi({
    region: 'us-west-2',
    credentials: { accessKeyId: 'A', secretAccessKey: 'S' },
    fetch,
    env: {},
    retry: {
      random: () => 0.5,
      sleep: async (us) => {
        sleeps.push(us);
      },
      ...retry,
    },
    ...timeouts,
  });
  return { api, sleeps };
}

/** Answers `failures` in turn, then success. */
function flaky(failures: (() => Response)[]) {
  return new FakeFetch((_r, i) => (i < failures.length ? failures[i]() : json({ StreamInfo: INFO })));
}

describe('retries', () => {
  it('retries ClientLimitExceededException with full-jitter exponential backoff, then succeeds', async () => {
    const fake = flaky([
      () => awsError(400, 'ClientLimitExceededException', 'slow down'),
      () => awsError(400, 'ClientLimitExceededException', 'slow down'),
      () => awsError(400, 'ClientLimitExceededException', 'slow down'),
    ]);
    const { api, sleeps } = client(fake.fetch);
    expect((await api.describeStream({ streamName: 's' })).status).toBe('ACTIVE');
    expect(fake.requests).toHaveLength(4);
    // random 0.5 × 100 ms × 2^n
    expect(sleeps).toEqual([50_000, 100_000, 200_000]);
  });

  it('re-signs each attempt (fresh x-amz-date and signature)', async () => {
    let now = Date.UTC(2024, 0, 1, 0, 0, 0) * 1000;
    const fake = flaky([() => awsError(503, 'ServiceUnavailableException', 'later')]);
    const api = new KinesisVideoApi({
      region: 'us-west-2',
      credentials: { accessKeyId: 'A', secretAccessKey: 'S' },
      fetch: fake.fetch,
      env: {},
      now: () => now,
      retry: {
        sleep: async () => {
          now += 2_000_000;
        },
      },
    });
    await api.describeStream({ streamName: 's' });
    expect(fake.requests.map((r) => r.headers['x-amz-date'])).toEqual(['20240101T000000Z', '20240101T000002Z']);
    expect(fake.requests[0].headers.authorization).not.toBe(fake.requests[1].headers.authorization);
  });

  it('retries 429, ThrottlingException and 5xx; gives up after maxRetries with the last error', async () => {
    const fake = new FakeFetch((_r, i) =>
      i === 0
        ? new Response('', { status: 429 })
        : i === 1
          ? awsError(400, 'ThrottlingException', 'x', 'header')
          : awsError(500, 'InternalFailure', 'boom'),
    );
    const { api, sleeps } = client(fake.fetch);
    const error = await api.describeStream({ streamName: 's' }).catch((e: unknown) => e);
    expect(fake.requests).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
    expect(error).toBeInstanceOf(KvsServiceError);
    expect(error).toMatchObject({ code: 'InternalFailure', httpStatus: 500, retryable: true });
  });

  it('does not retry 4xx other than throttling', async () => {
    for (const [status, code] of [
      [404, 'ResourceNotFoundException'],
      [400, 'InvalidArgumentException'],
      [400, 'ResourceInUseException'],
      [401, 'NotAuthorizedException'],
      [403, 'AccessDeniedException'],
      [400, 'VersionMismatchException'],
    ] as const) {
      const fake = new FakeFetch(() => awsError(status, code, 'no'));
      const { api, sleeps } = client(fake.fetch);
      await expect(api.describeStream({ streamName: 's' })).rejects.toMatchObject({ code, retryable: false });
      expect(fake.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
    }
  });

  it('does not retry 501 Not Implemented', async () => {
    const fake = new FakeFetch(() => new Response('', { status: 501 }));
    const { api } = client(fake.fetch);
    await expect(api.describeStream({ streamName: 's' })).rejects.toMatchObject({
      httpStatus: 501,
      result: ServiceCallResult.NOT_IMPLEMENTED,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a network failure, as a KvsTransportError when it lasts', async () => {
    const fake = new FakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    const { api } = client(fake.fetch, { maxRetries: 2 });
    const error = await api.describeStream({ streamName: 's' }).catch((e: unknown) => e);
    expect(fake.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(KvsTransportError);
    expect(error).toMatchObject({ failure: 'network', result: ServiceCallResult.UNKNOWN });
  });

  it('does not retry when credentials cannot be had', async () => {
    let calls = 0;
    const fake = new FakeFetch(() => json({ StreamInfo: INFO }));
    const api = new KinesisVideoApi({
      region: 'us-west-2',
      env: {},
      fetch: fake.fetch,
      credentials: async () => {
        calls++;
        throw new Error('no credentials');
      },
    });
    await expect(api.describeStream({ streamName: 's' })).rejects.toThrow('no credentials');
    expect(calls).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });

  it('keeps every full-jitter delay within [0, min(cap, base × 2^n))', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 40 }),
        (r, n) => {
          const policy = new RetryPolicy({ random: () => r });
          const delay = policy.delayUs(n);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.min(5_000_000, 100_000 * 2 ** n));
          if (r > 0.01) expect(delay).toBeLessThan(Math.min(5_000_000, 100_000 * 2 ** n));
        },
      ),
    );
    expect(new RetryPolicy({ random: () => 0.999999 }).delayUs(10)).toBe(4_999_995);
  });
});

describe('timeouts and aborts', () => {
  it('gives up on a request with no response after connectTimeoutUs (NETWORK_CONNECTION_TIMEOUT)', async () => {
    const { api } = client(hangingFetch, { maxRetries: 0 }, { connectTimeoutUs: 20_000 });
    const error = await api.describeStream({ streamName: 's' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvsTransportError);
    expect(error).toMatchObject({
      failure: 'connect-timeout',
      result: ServiceCallResult.NETWORK_CONNECTION_TIMEOUT,
      status: StatusCode.STATUS_SERVICE_CALL_TIMEOUT_ERROR,
    });
  });

  it('gives up on a body that never ends after timeoutUs (NETWORK_READ_TIMEOUT)', async () => {
    const fake = new FakeFetch(() => new Response(neverEndingBody(new TextEncoder().encode('{"Stream'))));
    const { api } = client(fake.fetch, { maxRetries: 0 }, { timeoutUs: 30_000 });
    await expect(api.describeStream({ streamName: 's' })).rejects.toMatchObject({
      failure: 'timeout',
      result: ServiceCallResult.NETWORK_READ_TIMEOUT,
    });
  });

  it('retries a timed-out request', async () => {
    let calls = 0;
    const fetch: FetchLike = (input, init) => {
      calls++;
      return calls === 1 ? hangingFetch(input, init) : Promise.resolve(json({ StreamInfo: INFO }));
    };
    const { api, sleeps } = client(fetch, {}, { connectTimeoutUs: 20_000 });
    expect((await api.describeStream({ streamName: 's' })).streamName).toBe('s');
    expect(calls).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    let calls = 0;
    const fetch: FetchLike = (input, init) => {
      calls++;
      return hangingFetch(input, init);
    };
    const { api } = client(fetch);
    const controller = new AbortController();
    const pending = api.describeStream({ streamName: 's' }, { signal: controller.signal });
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 5);
    await expect(pending).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const fake = new FakeFetch(() => json({}));
    const { api } = client(fake.fetch);
    const controller = new AbortController();
    controller.abort(new Error('already'));
    await expect(api.describeStream({ streamName: 's' }, { signal: controller.signal })).rejects.toThrow('already');
    expect(fake.requests).toHaveLength(0);
  });

  it('per-call timeouts override the client defaults', async () => {
    const { api } = client(hangingFetch, { maxRetries: 0 }, { connectTimeoutUs: 60_000_000 });
    await expect(api.describeStream({ streamName: 's' }, { connectTimeoutUs: 10_000 })).rejects.toMatchObject({
      failure: 'connect-timeout',
    });
  });
});
