// ApiStreamService: @kvs-ts/stream's service calls over the API, with the result codes PIC
// expects (200, else the mapped ServiceCallResult), the credentials as the streaming token, and
// PutMedia delegated to the injected transport.

import { ApiStreamService, type AwsCredentials, KinesisVideoApi, type PutMediaFn } from '@kvs-ts/api';
import { ServiceCallResult } from '@kvs-ts/core';
import type { PutStreamRequest } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, json } from './fake-fetch';

const R = ServiceCallResult;
const ARN = 'arn:aws:kinesisvideo:us-west-2:1:stream/cam/1';
const NOW_US = Date.UTC(2024, 5, 1) * 1000;

function setup(
  handler: (path: string, body: Record<string, unknown>) => Response,
  options: { credentials?: AwsCredentials | (() => Promise<AwsCredentials>); putMedia?: PutMediaFn } = {},
) {
  const fake = new FakeFetch((request) => handler(request.path, request.json as Record<string, unknown>));
  const api = new KinesisVideoApi({
    region: 'us-west-2',
    credentials: options.credentials ?? { accessKeyId: 'A', secretAccessKey: 'S' },
    env: {},
    fetch: fake.fetch,
    now: () => NOW_US,
    retry: { maxRetries: 0 },
  });
  const service = new ApiStreamService(api, {
    putMedia: options.putMedia ?? (async () => ({ result: R.OK })),
    now: () => NOW_US,
  });
  return { service, fake, api };
}

describe('describeStream', () => {
  it('gives 200 and the description', async () => {
    const { service } = setup(() =>
      json({
        StreamInfo: {
          StreamName: 'cam',
          StreamARN: ARN,
          Status: 'ACTIVE',
          DataRetentionInHours: 2,
          MediaType: 'video/h264',
          KmsKeyId: 'k',
        },
      }),
    );
    expect(await service.describeStream('cam')).toEqual({
      result: R.OK,
      description: {
        streamName: 'cam',
        streamArn: ARN,
        status: 'ACTIVE',
        dataRetentionInHours: 2,
        mediaType: 'video/h264',
        kmsKeyId: 'k',
      },
    });
  });

  it('gives 404 for a missing stream (PIC then creates it), never rejecting', async () => {
    const { service } = setup(() => awsError(404, 'ResourceNotFoundException', 'no'));
    expect(await service.describeStream('cam')).toEqual({ result: R.RESOURCE_NOT_FOUND });
  });

  it('maps other failures: throttling, auth, no answer', async () => {
    const throttled = setup(() => awsError(400, 'ClientLimitExceededException', 'slow'));
    // Throttling that outlived the HTTP retries: UNKNOWN, which the state machine retries with
    // backoff (PIC would give up on CLIENT_LIMIT; stream-service.ts controlCallResult).
    expect((await throttled.service.describeStream('cam')).result).toBe(R.UNKNOWN);
    const denied = setup(() => awsError(403, 'AccessDeniedException', 'no'));
    expect((await denied.service.describeStream('cam')).result).toBe(R.FORBIDDEN);
    const down = setup(() => {
      throw new TypeError('fetch failed');
    });
    expect((await down.service.describeStream('cam')).result).toBe(R.UNKNOWN);
  });
});

describe('createStream', () => {
  it('sends the C producer fields, retention in whole hours, and gives the ARN', async () => {
    const { service, fake } = setup(() => json({ StreamARN: ARN }));
    const out = await service.createStream({
      deviceName: 'my-device',
      streamName: 'cam',
      contentType: 'video/h264',
      retentionPeriod: 2 * 3_600_000_000 + 59 * 60_000_000,
    });
    expect(out).toEqual({ result: R.OK, streamArn: ARN });
    expect(fake.requests[0].json).toEqual({
      DeviceName: 'my-device',
      StreamName: 'cam',
      MediaType: 'video/h264',
      DataRetentionInHours: 2,
    });
  });

  it('leaves out an empty KMS key and device name, keeps a real KMS key', async () => {
    const { service, fake } = setup(() => json({ StreamARN: ARN }));
    await service.createStream({
      deviceName: '',
      streamName: 'cam',
      contentType: 'video/h264',
      kmsKeyId: '',
      retentionPeriod: 0,
    });
    await service.createStream({
      deviceName: 'd',
      streamName: 'cam',
      contentType: 'video/h265',
      kmsKeyId: 'key',
      retentionPeriod: 0,
    });
    expect(fake.requests.map((r) => r.json)).toEqual([
      { StreamName: 'cam', MediaType: 'video/h264', DataRetentionInHours: 0 },
      { DeviceName: 'd', StreamName: 'cam', MediaType: 'video/h265', KmsKeyId: 'key', DataRetentionInHours: 0 },
    ]);
  });

  it('maps the limits PIC knows', async () => {
    const { service } = setup(() => awsError(400, 'AccountStreamLimitExceededException', 'too many'));
    expect(
      await service.createStream({ deviceName: 'd', streamName: 'cam', contentType: 'video/h264', retentionPeriod: 0 }),
    ).toEqual({ result: R.STREAM_LIMIT });
  });
});

describe('tagStream and getDataEndpoint', () => {
  it('tags by ARN (by name when there is no ARN yet)', async () => {
    const { service, fake } = setup(() => json({}));
    expect(await service.tagStream({ streamArn: ARN, streamName: 'cam', tags: { a: '1' } })).toEqual({ result: R.OK });
    await service.tagStream({ streamArn: '', streamName: 'cam', tags: { b: '2' } });
    expect(fake.requests.map((r) => r.json)).toEqual([
      { StreamARN: ARN, Tags: { a: '1' } },
      { StreamName: 'cam', Tags: { b: '2' } },
    ]);
  });

  it('gets the PUT_MEDIA endpoint through the cache', async () => {
    const { service, fake } = setup(() => json({ DataEndpoint: 'https://s-put.example' }));
    expect(await service.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' })).toEqual({
      result: R.OK,
      endpoint: 'https://s-put.example',
    });
    await service.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0].json).toEqual({ StreamName: 'cam', APIName: 'PUT_MEDIA' });
  });
});

describe('getStreamingToken', () => {
  it('hands out the current credentials with their expiration in µs', async () => {
    const expiration = new Date(NOW_US / 1000 + 3_600_000);
    const credentials = { accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T', expiration };
    const { service } = setup(() => json({}), { credentials });
    expect(await service.getStreamingToken({ streamName: 'cam' })).toEqual({
      result: R.OK,
      token: credentials,
      expiration: expiration.getTime() * 1000,
    });
  });

  it('gives credentials without an expiration 40 minutes, as the C producer does', async () => {
    const { service } = setup(() => json({}));
    const out = await service.getStreamingToken({ streamName: 'cam' });
    expect(out.expiration).toBe(NOW_US + 40 * 60_000_000);
  });

  it('reports a failing credential provider as a result, not a rejection', async () => {
    const { service } = setup(() => json({}), {
      credentials: async () => {
        throw new Error('IoT down');
      },
    });
    expect(await service.getStreamingToken({ streamName: 'cam' })).toEqual({ result: R.UNKNOWN });
  });
});

describe('putStream', () => {
  const request = { streamName: 'cam', endpoint: 'https://s-put.example' } as PutStreamRequest<AwsCredentials>;

  it('delegates to the injected transport and passes its outcome through', async () => {
    const seen: PutStreamRequest<AwsCredentials>[] = [];
    const { service } = setup(() => json({}), {
      putMedia: async (r) => {
        seen.push(r);
        return { result: R.OK };
      },
    });
    expect(await service.putStream(request)).toEqual({ result: R.OK });
    expect(seen).toEqual([request]);
  });

  it('turns a rejection into its result, and a failed connection forgets the PUT_MEDIA endpoint', async () => {
    let n = 0;
    const { service, fake } = setup(() => json({ DataEndpoint: `https://s-${++n}.example` }), {
      putMedia: async () => {
        throw Object.assign(new Error('refused'), { result: R.NETWORK_CONNECTION_TIMEOUT });
      },
    });
    await service.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    expect(await service.putStream(request)).toEqual({ result: R.NETWORK_CONNECTION_TIMEOUT });
    expect((await service.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' })).endpoint).toBe(
      'https://s-2.example',
    );
    expect(fake.requests).toHaveLength(2);
  });
});
