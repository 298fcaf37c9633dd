// The control plane against a fake fetch that checks each request as the service would (method,
// path, headers, JSON body, SigV4 recomputed independently) and answers AWS-shaped JSON and
// errors.

import { type FetchLike, KinesisVideoApi, KvsServiceError } from '@kvs-ts/api';
import { ServiceCallResult, StatusCode } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, json, type RecordedRequest } from './fake-fetch';
import { sha256Hex, verifyRequest } from './sigv4-reference';

const CREDENTIALS = { accessKeyId: 'AKIDCONTROL', secretAccessKey: 'control/secret', sessionToken: 'tok' };
const NOW_US = Date.UTC(2024, 2, 3, 4, 5, 6) * 1000;
const ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/cam-1/1700000000000';

function api(fetch: FetchLike, extra: Partial<ConstructorParameters<typeof KinesisVideoApi>[0]> = {}) {
  return new KinesisVideoApi({
    region: 'us-west-2',
    credentials: CREDENTIALS,
    fetch,
    now: () => NOW_US,
    env: {},
    retry: { maxRetries: 0 },
    ...extra,
  });
}

/** What every control call must look like on the wire; throws (failing the call) otherwise. */
async function checkSigned(request: RecordedRequest): Promise<void> {
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['x-amz-date']).toBe('20240303T040506Z');
  expect(request.headers['x-amz-security-token']).toBe('tok');
  expect(request.headers['x-amz-user-agent']).toMatch(/^kvs-ts\//);
  for (const name of ['host', 'content-length', 'transfer-encoding', 'connection'])
    expect(request.headers[name]).toBeUndefined();
  const bodyHash = await sha256Hex(request.body);
  expect(request.headers['x-amz-content-sha256']).toBe(bodyHash);
  const auth = await verifyRequest(request, CREDENTIALS.secretAccessKey, bodyHash);
  expect(auth).toMatchObject({ accessKeyId: 'AKIDCONTROL', date: '20240303', region: 'us-west-2' });
  expect(auth.service).toBe('kinesisvideo');
}

/** A fake KVS: checks the signature, then answers by path. */
function service(routes: Record<string, (body: Record<string, unknown>) => Response>) {
  return new FakeFetch(async (request) => {
    await checkSigned(request);
    const route = routes[request.path];
    if (route === undefined) return awsError(404, 'UnknownOperationException', request.path);
    return route(request.json as Record<string, unknown>);
  });
}

const STREAM_INFO = {
  DeviceName: 'dev',
  StreamName: 'cam-1',
  StreamARN: ARN,
  MediaType: 'video/h264',
  KmsKeyId: 'arn:aws:kms:us-west-2:123456789012:alias/aws/kinesisvideo',
  Version: 'abcd1234',
  Status: 'ACTIVE',
  CreationTime: 1700000000.123,
  DataRetentionInHours: 24,
};

describe('control plane requests', () => {
  it('CreateStream posts AWS field names to /createStream and returns the ARN', async () => {
    const fake = service({ '/createStream': () => json({ StreamARN: ARN }) });
    const out = await api(fake.fetch).createStream({
      streamName: 'cam-1',
      deviceName: 'dev',
      mediaType: 'video/h264',
      dataRetentionInHours: 2,
      tags: { team: 'video' },
    });
    expect(out).toEqual({ streamArn: ARN });
    expect(fake.requests[0].url).toBe('https://kinesisvideo.us-west-2.amazonaws.com/createStream');
    expect(fake.requests[0].json).toEqual({
      DeviceName: 'dev',
      StreamName: 'cam-1',
      MediaType: 'video/h264',
      DataRetentionInHours: 2,
      Tags: { team: 'video' },
    });
  });

  it('DescribeStream maps StreamInfo to camelCase, CreationTime to µs', async () => {
    const fake = service({ '/describeStream': () => json({ StreamInfo: STREAM_INFO }) });
    const info = await api(fake.fetch).describeStream({ streamName: 'cam-1' });
    expect(fake.requests[0].json).toEqual({ StreamName: 'cam-1' });
    expect(info).toEqual({
      deviceName: 'dev',
      streamName: 'cam-1',
      streamArn: ARN,
      mediaType: 'video/h264',
      kmsKeyId: STREAM_INFO.KmsKeyId,
      version: 'abcd1234',
      status: 'ACTIVE',
      creationTime: 1_700_000_000_123_000,
      dataRetentionInHours: 24,
    });
  });

  it('DescribeStream by ARN sends StreamARN', async () => {
    const fake = service({ '/describeStream': () => json({ StreamInfo: STREAM_INFO }) });
    await api(fake.fetch).describeStream({ streamArn: ARN });
    expect(fake.requests[0].json).toEqual({ StreamARN: ARN });
  });

  it('refuses a per-stream call with neither name nor ARN, before any request', async () => {
    const fake = service({});
    await expect(api(fake.fetch).describeStream({})).rejects.toThrow(/streamName or a streamArn/);
    expect(fake.requests).toHaveLength(0);
  });

  it('DeleteStream, UpdateStream, UpdateDataRetention, TagStream, UntagStream send their fields', async () => {
    const fake = service({
      '/deleteStream': () => json({}),
      '/updateStream': () => json({}),
      '/updateDataRetention': () => json({}),
      '/tagStream': () => json({}),
      '/untagStream': () => new Response(null, { status: 200 }),
    });
    const client = api(fake.fetch);
    await client.deleteStream({ streamArn: ARN, currentVersion: 'v1' });
    await client.updateStream({ streamName: 'cam-1', currentVersion: 'v1', mediaType: 'video/h265' });
    await client.updateDataRetention({
      streamArn: ARN,
      currentVersion: 'v2',
      operation: 'INCREASE_DATA_RETENTION',
      dataRetentionChangeInHours: 6,
    });
    await client.tagStream({ streamArn: ARN, tags: { a: '1' } });
    await client.untagStream({ streamName: 'cam-1', tagKeyList: ['a', 'b'] });
    expect(fake.requests.map((r) => [r.path, r.json])).toEqual([
      ['/deleteStream', { StreamARN: ARN, CurrentVersion: 'v1' }],
      ['/updateStream', { StreamName: 'cam-1', CurrentVersion: 'v1', MediaType: 'video/h265' }],
      [
        '/updateDataRetention',
        { StreamARN: ARN, CurrentVersion: 'v2', Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 6 },
      ],
      ['/tagStream', { StreamARN: ARN, Tags: { a: '1' } }],
      ['/untagStream', { StreamName: 'cam-1', TagKeyList: ['a', 'b'] }],
    ]);
  });

  it('ListTagsForStream returns tags and the next token', async () => {
    const fake = service({ '/listTagsForStream': () => json({ Tags: { a: '1', b: '2' }, NextToken: 'n2' }) });
    const out = await api(fake.fetch).listTagsForStream({ streamName: 'cam-1', nextToken: 'n1' });
    expect(out).toEqual({ tags: { a: '1', b: '2' }, nextToken: 'n2' });
    expect(fake.requests[0].json).toEqual({ StreamName: 'cam-1', NextToken: 'n1' });
  });

  it('ListStreams sends the name condition and maps the page', async () => {
    const fake = service({
      '/listStreams': () => json({ StreamInfoList: [STREAM_INFO], NextToken: 'next' }),
    });
    const page = await api(fake.fetch).listStreams({
      maxResults: 10,
      streamNameCondition: { comparisonOperator: 'BEGINS_WITH', comparisonValue: 'cam-' },
    });
    expect(fake.requests[0].json).toEqual({
      MaxResults: 10,
      StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'cam-' },
    });
    expect(page.nextToken).toBe('next');
    expect(page.streamInfoList.map((s) => s.streamName)).toEqual(['cam-1']);
  });

  it('GetDataEndpoint sends APIName and returns the endpoint as a base URL', async () => {
    const fake = service({
      '/getDataEndpoint': () => json({ DataEndpoint: 'https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com/' }),
    });
    const endpoint = await api(fake.fetch).getDataEndpoint({ streamName: 'cam-1', apiName: 'PUT_MEDIA' });
    expect(endpoint).toBe('https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com');
    expect(fake.requests[0].json).toEqual({ StreamName: 'cam-1', APIName: 'PUT_MEDIA' });
  });

  it('sends to an explicit endpoint (the emulator) with the host and port it signs', async () => {
    const fake = service({ '/describeStream': () => json({ StreamInfo: STREAM_INFO }) });
    await api(fake.fetch, { endpoint: 'http://127.0.0.1:4567' }).describeStream({ streamName: 'cam-1' });
    expect(fake.requests[0].url).toBe('http://127.0.0.1:4567/describeStream');
  });

  it('reads credentials from the provider at each call', async () => {
    let n = 0;
    const fake = new FakeFetch((request) => {
      expect(request.headers.authorization).toContain(`Credential=AKID${n}/`);
      return json({ StreamInfo: STREAM_INFO });
    });
    const client = api(fake.fetch, {
      credentials: async () => ({ accessKeyId: `AKID${++n}`, secretAccessKey: 's' }),
    });
    await client.describeStream({ streamName: 'cam-1' });
    await client.describeStream({ streamName: 'cam-1' });
    expect(n).toBe(2);
  });
});

describe('control plane answers', () => {
  it('throws typed service errors read from x-amzn-ErrorType, __type and message/Message', async () => {
    const answers = [
      awsError(404, 'ResourceNotFoundException', 'Stream cam-1 not found', 'header'),
      awsError(400, 'ResourceInUseException', 'busy', 'body'),
      new Response(JSON.stringify({ __type: 'com.amazonaws.kinesisvideo#NotAuthorizedException', Message: 'no' }), {
        status: 401,
        headers: { 'x-amzn-RequestId': 'r-401' },
      }),
    ];
    const fake = new FakeFetch((_r, i) => answers[i]);
    const client = api(fake.fetch);
    const errors = [];
    for (let i = 0; i < answers.length; i++)
      errors.push(await client.describeStream({ streamName: 'cam-1' }).catch((e: unknown) => e));
    const [notFound, inUse, notAuthorized] = errors as KvsServiceError[];
    expect(notFound).toBeInstanceOf(KvsServiceError);
    expect(notFound).toMatchObject({
      code: 'ResourceNotFoundException',
      name: 'ResourceNotFoundException',
      httpStatus: 404,
      requestId: 'req-err',
      operation: 'DescribeStream',
      serviceMessage: 'Stream cam-1 not found',
      result: ServiceCallResult.RESOURCE_NOT_FOUND,
      status: StatusCode.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR,
      retryable: false,
    });
    expect(notFound.message).toContain('DescribeStream: ResourceNotFoundException (HTTP 404): Stream cam-1 not found');
    expect(inUse).toMatchObject({ code: 'ResourceInUseException', result: ServiceCallResult.RESOURCE_IN_USE });
    expect(notAuthorized).toMatchObject({
      code: 'NotAuthorizedException',
      serviceMessage: 'no',
      requestId: 'r-401',
      result: ServiceCallResult.NOT_AUTHORIZED,
      status: StatusCode.STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR,
    });
  });

  it('refuses a 200 whose JSON lacks what the operation returns', async () => {
    const fake = new FakeFetch(() => json({ StreamInfo: { StreamName: 'cam-1' } }));
    await expect(api(fake.fetch).describeStream({ streamName: 'cam-1' })).rejects.toMatchObject({
      status: StatusCode.STATUS_INVALID_API_CALL_RETURN_JSON,
    });
    const notJson = new FakeFetch(() => new Response('<html>', { status: 200 }));
    await expect(api(notJson.fetch).describeStream({ streamName: 'cam-1' })).rejects.toMatchObject({
      status: StatusCode.STATUS_INVALID_API_CALL_RETURN_JSON,
    });
  });

  it('takes its region, endpoint and credentials from the environment when not given', async () => {
    const fake = new FakeFetch((request) => {
      expect(request.headers.authorization).toContain('Credential=AKIDENV/20240303/eu-west-1/kinesisvideo/');
      return json({ StreamInfo: STREAM_INFO });
    });
    const client = new KinesisVideoApi({
      fetch: fake.fetch,
      now: () => NOW_US,
      env: {
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: 's',
        KVS_ENDPOINT: 'http://127.0.0.1:7777',
      },
    });
    expect(client.region).toBe('eu-west-1');
    expect(client.endpoint).toBe('http://127.0.0.1:7777');
    await client.describeStream({ streamName: 'cam-1' });
    expect(fake.requests[0].url).toBe('http://127.0.0.1:7777/describeStream');
  });
});
