// The signaling-channel calls and the channel's HTTPS data plane against a fake fetch that checks
// each request as the service would (path, JSON body in AWS's field names, SigV4 recomputed
// independently) and answers AWS-shaped JSON (seeds-webrtc.md §3.2, §4.2).

import {
  type FetchLike,
  getIceServerConfig,
  KinesisVideoApi,
  KvsServiceError,
  sendAlexaOfferToMaster,
} from '@kvs-ts/api';
import { KvsError, StatusCode } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, json, type RecordedRequest } from './fake-fetch';
import { sha256Hex, verifyRequest } from './sigv4-reference';

const CREDENTIALS = { accessKeyId: 'AKIDCHANNEL', secretAccessKey: 'channel/secret', sessionToken: 'tok' };
const NOW_US = Date.UTC(2024, 2, 3, 4, 5, 6) * 1000;
const ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/door/1700000000000';
const HTTPS = 'https://r-1234abcd.kinesisvideo.us-west-2.amazonaws.com';
const WSS = 'wss://v-1234abcd.kinesisvideo.us-west-2.amazonaws.com';

function api(fetch: FetchLike) {
  return new KinesisVideoApi({
    region: 'us-west-2',
    credentials: CREDENTIALS,
    fetch,
    now: () => NOW_US,
    env: {},
    retry: { maxRetries: 0 },
  });
}

async function checkSigned(request: RecordedRequest): Promise<void> {
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['x-amz-security-token']).toBe('tok');
  const bodyHash = await sha256Hex(request.body);
  const auth = await verifyRequest(request, CREDENTIALS.secretAccessKey, bodyHash);
  expect(auth).toMatchObject({ accessKeyId: 'AKIDCHANNEL', region: 'us-west-2', service: 'kinesisvideo' });
}

function service(
  routes: Record<string, (body: Record<string, unknown>, r: RecordedRequest) => Response | Promise<Response>>,
) {
  return new FakeFetch(async (request) => {
    await checkSigned(request);
    const route = routes[request.path];
    if (route === undefined) return awsError(404, 'UnknownOperationException', request.path);
    return route(request.json as Record<string, unknown>, request);
  });
}

const INFO = {
  ChannelName: 'door',
  ChannelARN: ARN,
  ChannelType: 'SINGLE_MASTER',
  ChannelStatus: 'ACTIVE',
  CreationTime: 1700000000.5,
  SingleMasterConfiguration: { MessageTtlSeconds: 60 },
  Version: 'v1',
};

describe('signaling channel calls', () => {
  it('CreateSignalingChannel sends Tags as [{Key, Value}] and returns the ARN', async () => {
    const fake = service({ '/createSignalingChannel': () => json({ ChannelARN: ARN }) });
    const out = await api(fake.fetch).createSignalingChannel({
      channelName: 'door',
      channelType: 'SINGLE_MASTER',
      singleMasterConfiguration: { messageTtlSeconds: 30 },
      tags: { team: 'video' },
    });
    expect(out).toEqual({ channelArn: ARN });
    expect(fake.requests[0].url).toBe('https://kinesisvideo.us-west-2.amazonaws.com/createSignalingChannel');
    expect(fake.requests[0].json).toEqual({
      ChannelName: 'door',
      ChannelType: 'SINGLE_MASTER',
      SingleMasterConfiguration: { MessageTtlSeconds: 30 },
      Tags: [{ Key: 'team', Value: 'video' }],
    });
  });

  it('DescribeSignalingChannel by name or ARN maps ChannelInfo (creation time in µs)', async () => {
    const fake = service({ '/describeSignalingChannel': () => json({ ChannelInfo: INFO }) });
    const a = api(fake.fetch);
    const info = await a.describeSignalingChannel({ channelName: 'door' });
    expect(info).toEqual({
      channelName: 'door',
      channelArn: ARN,
      channelType: 'SINGLE_MASTER',
      channelStatus: 'ACTIVE',
      creationTime: 1_700_000_000_500_000,
      singleMasterConfiguration: { messageTtlSeconds: 60 },
      version: 'v1',
    });
    await a.describeSignalingChannel({ channelArn: ARN });
    expect(fake.requests.map((r) => r.json)).toEqual([{ ChannelName: 'door' }, { ChannelARN: ARN }]);
    await expect(a.describeSignalingChannel({} as { channelName: string })).rejects.toBeInstanceOf(KvsError);
  });

  it('lists every page with BEGINS_WITH', async () => {
    const fake = service({
      '/listSignalingChannels': (body) =>
        body.NextToken === undefined
          ? json({ ChannelInfoList: [INFO], NextToken: 'p2' })
          : json({ ChannelInfoList: [{ ...INFO, ChannelName: 'door-2' }] }),
    });
    const names: string[] = [];
    for await (const c of api(fake.fetch).listAllSignalingChannels({
      maxResults: 1,
      channelNameCondition: { comparisonOperator: 'BEGINS_WITH', comparisonValue: 'do' },
    }))
      names.push(c.channelName);
    expect(names).toEqual(['door', 'door-2']);
    expect(fake.requests[1].json).toEqual({
      MaxResults: 1,
      NextToken: 'p2',
      ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'do' },
    });
  });

  it('UpdateSignalingChannel, DeleteSignalingChannel and the tag calls post AWS bodies to AWS paths', async () => {
    const ok = () => json({});
    const fake = service({
      '/updateSignalingChannel': ok,
      '/deleteSignalingChannel': ok,
      '/TagResource': ok,
      '/UntagResource': ok,
      '/ListTagsForResource': () => json({ Tags: { a: 'b' }, NextToken: 'n' }),
    });
    const a = api(fake.fetch);
    await a.updateSignalingChannel({
      channelArn: ARN,
      currentVersion: 'v1',
      singleMasterConfiguration: { messageTtlSeconds: 5 },
    });
    await a.deleteSignalingChannel({ channelArn: ARN });
    await a.tagResource({ resourceArn: ARN, tags: { a: 'b', c: '' } });
    await a.untagResource({ resourceArn: ARN, tagKeyList: ['c'] });
    expect(await a.listTagsForResource({ resourceArn: ARN })).toEqual({ tags: { a: 'b' }, nextToken: 'n' });
    expect(fake.requests.map((r) => [r.path, r.json])).toEqual([
      [
        '/updateSignalingChannel',
        { ChannelARN: ARN, CurrentVersion: 'v1', SingleMasterConfiguration: { MessageTtlSeconds: 5 } },
      ],
      ['/deleteSignalingChannel', { ChannelARN: ARN }],
      [
        '/TagResource',
        {
          ResourceARN: ARN,
          Tags: [
            { Key: 'a', Value: 'b' },
            { Key: 'c', Value: '' },
          ],
        },
      ],
      ['/UntagResource', { ResourceARN: ARN, TagKeyList: ['c'] }],
      ['/ListTagsForResource', { ResourceARN: ARN }],
    ]);
  });

  it('GetSignalingChannelEndpoint matches endpoints by Protocol, not by position', async () => {
    const fake = service({
      '/getSignalingChannelEndpoint': () =>
        json({
          ResourceEndpointList: [
            { Protocol: 'HTTPS', ResourceEndpoint: `${HTTPS}/` },
            { Protocol: 'WSS', ResourceEndpoint: WSS },
          ],
        }),
    });
    const a = api(fake.fetch);
    expect(await a.getSignalingChannelEndpoint({ channelArn: ARN, role: 'VIEWER' })).toEqual({
      wss: WSS,
      https: HTTPS,
    });
    expect(fake.requests[0].json).toEqual({
      ChannelARN: ARN,
      SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
    });
    // An endpoint asked for but missing from the answer is an error, not `undefined` later on.
    const err = await a
      .getSignalingChannelEndpoint({ channelArn: ARN, role: 'MASTER', protocols: ['WSS', 'WEBRTC'] })
      .catch((e: unknown) => e);
    expect((err as KvsError).status).toBe(StatusCode.STATUS_INVALID_API_CALL_RETURN_JSON);
  });

  it('Update/DescribeMediaStorageConfiguration', async () => {
    const stream = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/s/1700000000000';
    const fake = service({
      '/updateMediaStorageConfiguration': () => json({}),
      '/describeMediaStorageConfiguration': () =>
        json({ MediaStorageConfiguration: { StreamARN: stream, Status: 'ENABLED' } }),
    });
    const a = api(fake.fetch);
    await a.updateMediaStorageConfiguration({
      channelArn: ARN,
      mediaStorageConfiguration: { streamArn: stream, status: 'ENABLED' },
    });
    expect(await a.describeMediaStorageConfiguration({ channelName: 'door' })).toEqual({
      status: 'ENABLED',
      streamArn: stream,
    });
    expect(fake.requests[0].json).toEqual({
      ChannelARN: ARN,
      MediaStorageConfiguration: { StreamARN: stream, Status: 'ENABLED' },
    });
  });

  it('waitForChannelActive polls until ACTIVE, and times out', async () => {
    let calls = 0;
    const fake = service({
      '/describeSignalingChannel': () =>
        json({ ChannelInfo: { ...INFO, ChannelStatus: ++calls < 3 ? 'CREATING' : 'ACTIVE' } }),
    });
    const a = api(fake.fetch);
    expect((await a.waitForChannelActive({ channelArn: ARN }, { intervalUs: 1000 })).channelStatus).toBe('ACTIVE');
    expect(calls).toBe(3);
    const stuck = service({
      '/describeSignalingChannel': () => json({ ChannelInfo: { ...INFO, ChannelStatus: 'CREATING' } }),
    });
    const err = await api(stuck.fetch)
      .waitForChannelActive({ channelName: 'door' }, { timeoutUs: 30_000, intervalUs: 5000 })
      .catch((e: unknown) => e);
    expect((err as KvsError).status).toBe(StatusCode.STATUS_OPERATION_TIMED_OUT);
    // The wait's timeout is not each call's: a describe slower than the whole wait still counts.
    const slow = service({
      '/describeSignalingChannel': async () => {
        await new Promise((r) => setTimeout(r, 60));
        return json({ ChannelInfo: INFO });
      },
    });
    const info = await api(slow.fetch).waitForChannelActive({ channelArn: ARN }, { timeoutUs: 20_000 });
    expect(info.channelStatus).toBe('ACTIVE');
  });

  it('surfaces service errors typed', async () => {
    const fake = service({
      '/describeSignalingChannel': () =>
        awsError(404, 'ResourceNotFoundException', 'The requested channel is not found'),
    });
    const err = await api(fake.fetch)
      .describeSignalingChannel({ channelName: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvsServiceError);
    expect((err as KvsServiceError).code).toBe('ResourceNotFoundException');
  });
});

describe('signaling data plane', () => {
  it('GetIceServerConfig posts to the channel HTTPS endpoint and maps IceServerList', async () => {
    const fake = service({
      '/v1/get-ice-server-config': () =>
        json({
          IceServerList: [
            {
              Uris: ['turn:1.2.3.4:443?transport=udp', 'turns:x:443?transport=tcp'],
              Username: 'u',
              Password: 'p',
              Ttl: 300,
            },
          ],
        }),
    });
    const a = api(fake.fetch);
    const servers = await getIceServerConfig(
      { http: a.http, endpoint: `${HTTPS}/` },
      { channelArn: ARN, clientId: 'viewer-1', service: 'TURN' },
    );
    expect(servers).toEqual([
      { uris: ['turn:1.2.3.4:443?transport=udp', 'turns:x:443?transport=tcp'], username: 'u', password: 'p', ttl: 300 },
    ]);
    expect(fake.requests[0].url).toBe(`${HTTPS}/v1/get-ice-server-config`);
    expect(fake.requests[0].json).toEqual({ ChannelARN: ARN, ClientId: 'viewer-1', Service: 'TURN' });
  });

  it('SendAlexaOfferToMaster returns the answer', async () => {
    const fake = service({ '/v1/send-alexa-offer-to-master': () => json({ Answer: 'YW5zd2Vy' }) });
    const a = api(fake.fetch);
    const out = await sendAlexaOfferToMaster(
      { http: a.http, endpoint: HTTPS },
      { channelArn: ARN, senderClientId: 'alexa', messagePayload: 'b2ZmZXI=' },
    );
    expect(out).toEqual({ answer: 'YW5zd2Vy' });
    expect(fake.requests[0].json).toEqual({ ChannelARN: ARN, SenderClientId: 'alexa', MessagePayload: 'b2ZmZXI=' });
  });
});
