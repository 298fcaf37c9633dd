// Signaling channels through AWS's official @aws-sdk/client-kinesis-video and
// @aws-sdk/client-kinesis-video-signaling (every channel action, AWS's error shapes, status
// transitions, GetIceServerConfig, SendAlexaOfferToMaster), and @kvs-ts/api's calls reading the
// same emulator the same way (seeds-webrtc.md §3.2, §4.2).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSignalingChannelCommand,
  CreateStreamCommand,
  DeleteSignalingChannelCommand,
  DescribeMediaStorageConfigurationCommand,
  DescribeSignalingChannelCommand,
  GetSignalingChannelEndpointCommand,
  InvalidArgumentException,
  KinesisVideoClient,
  ListSignalingChannelsCommand,
  ListTagsForResourceCommand,
  NoDataRetentionException,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateMediaStorageConfigurationCommand,
  UpdateSignalingChannelCommand,
  VersionMismatchException,
} from '@aws-sdk/client-kinesis-video';
import {
  ClientLimitExceededException,
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
  SendAlexaOfferToMasterCommand,
} from '@aws-sdk/client-kinesis-video-signaling';
import { getIceServerConfig, KinesisVideoApi, type KvsServiceError, sendAlexaOfferToMaster } from '@kvs-ts/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { b64, connect } from './signaling-support';
import { KEYS, start } from './support';

let emu: Emulator;
let kv: KinesisVideoClient;
let api: KinesisVideoApi;
beforeAll(async () => {
  // Long enough that a busy machine still sees CREATING first (the CI box has 2 shared cores).
  emu = await start({ transitionDelayMs: TRANSITION_MS });
  kv = new KinesisVideoClient({ endpoint: emu.url, region: emu.region, credentials: KEYS, maxAttempts: 1 });
  api = new KinesisVideoApi({ endpoint: emu.url, region: emu.region, credentials: KEYS, retry: { maxRetries: 0 } });
});
afterAll(async () => {
  kv.destroy();
  await emu.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TRANSITION_MS = 600;
const signalingClient = (endpoint: string) =>
  new KinesisVideoSignalingClient({ endpoint, region: emu.region, credentials: KEYS, maxAttempts: 1 });

async function created(name: string): Promise<string> {
  const { ChannelARN } = await kv.send(new CreateSignalingChannelCommand({ ChannelName: name }));
  await api.waitForChannelActive({ channelArn: ChannelARN as string }, { timeoutUs: 3_000_000, intervalUs: 20_000 });
  return ChannelARN as string;
}

describe('signaling channels (official client)', () => {
  it('creates a channel CREATING, then ACTIVE, with the documented ChannelInfo and ARN', async () => {
    const before = Date.now();
    const { ChannelARN } = await kv.send(
      new CreateSignalingChannelCommand({
        ChannelName: 'front-door',
        ChannelType: 'SINGLE_MASTER',
        SingleMasterConfiguration: { MessageTtlSeconds: 30 },
        Tags: [{ Key: 'site', Value: 'home' }],
      }),
    );
    expect(ChannelARN).toMatch(new RegExp(`^arn:aws:kinesisvideo:${emu.region}:\\d{12}:channel/front-door/\\d{13}$`));
    const first = await kv.send(new DescribeSignalingChannelCommand({ ChannelName: 'front-door' }));
    expect(first.ChannelInfo?.ChannelStatus).toBe('CREATING');
    await sleep(TRANSITION_MS + 200);
    const info = (await kv.send(new DescribeSignalingChannelCommand({ ChannelARN }))).ChannelInfo;
    expect(info).toMatchObject({
      ChannelName: 'front-door',
      ChannelARN,
      ChannelType: 'SINGLE_MASTER',
      ChannelStatus: 'ACTIVE',
      SingleMasterConfiguration: { MessageTtlSeconds: 30 },
    });
    expect(info?.Version).toBeTruthy();
    expect(info?.CreationTime?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    // The ARN ends in the creation time in ms.
    expect(Number(ChannelARN?.split('/')[2])).toBe(info?.CreationTime?.getTime());
    await expect(kv.send(new CreateSignalingChannelCommand({ ChannelName: 'front-door' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
    // @kvs-ts/api reads the same channel the same way.
    const ours = await api.describeSignalingChannel({ channelArn: ChannelARN as string });
    expect(ours).toEqual({
      channelName: info?.ChannelName,
      channelArn: info?.ChannelARN,
      channelType: info?.ChannelType,
      channelStatus: info?.ChannelStatus,
      creationTime: (info?.CreationTime?.getTime() ?? 0) * 1000,
      singleMasterConfiguration: { messageTtlSeconds: 30 },
      version: info?.Version,
    });
  });

  it('validates names, TTLs and types with InvalidArgumentException; unknown channels are 404', async () => {
    for (const input of [
      { ChannelName: 'bad name' },
      { ChannelName: 'ttl', SingleMasterConfiguration: { MessageTtlSeconds: 4 } },
      { ChannelName: 'ttl', SingleMasterConfiguration: { MessageTtlSeconds: 121 } },
      { ChannelName: 'mesh', ChannelType: 'FULL_MESH' as const },
    ]) {
      await expect(kv.send(new CreateSignalingChannelCommand(input))).rejects.toBeInstanceOf(InvalidArgumentException);
    }
    const err = await kv.send(new DescribeSignalingChannelCommand({ ChannelName: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    const ours = await api.describeSignalingChannel({ channelName: 'nope' }).catch((e: unknown) => e);
    expect((ours as KvsServiceError).code).toBe('ResourceNotFoundException');
  });

  it('lists with a name prefix and pages with NextToken, as both clients see it', async () => {
    for (const n of ['list-a', 'list-b', 'list-c'])
      await kv.send(new CreateSignalingChannelCommand({ ChannelName: n }));
    const page1 = await kv.send(
      new ListSignalingChannelsCommand({
        MaxResults: 2,
        ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'list-' },
      }),
    );
    expect(page1.ChannelInfoList?.map((c) => c.ChannelName)).toEqual(['list-a', 'list-b']);
    const page2 = await kv.send(
      new ListSignalingChannelsCommand({
        MaxResults: 2,
        NextToken: page1.NextToken,
        ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'list-' },
      }),
    );
    expect(page2.ChannelInfoList?.map((c) => c.ChannelName)).toEqual(['list-c']);
    expect(page2.NextToken).toBeUndefined();
    const names: string[] = [];
    for await (const c of api.listAllSignalingChannels({
      maxResults: 1,
      channelNameCondition: { comparisonOperator: 'BEGINS_WITH', comparisonValue: 'list-' },
    }))
      names.push(c.channelName);
    expect(names).toEqual(['list-a', 'list-b', 'list-c']);
  });

  it('updates with the current version (UPDATING → ACTIVE), refuses a stale one, deletes', async () => {
    const arn = await created('upd');
    const v1 = (await api.describeSignalingChannel({ channelArn: arn })).version;
    await expect(
      kv.send(
        new UpdateSignalingChannelCommand({ ChannelARN: arn, CurrentVersion: 'stale', SingleMasterConfiguration: {} }),
      ),
    ).rejects.toBeInstanceOf(VersionMismatchException);
    await api.updateSignalingChannel({
      channelArn: arn,
      currentVersion: v1,
      singleMasterConfiguration: { messageTtlSeconds: 90 },
    });
    const during = await api.describeSignalingChannel({ channelArn: arn });
    expect(during.channelStatus).toBe('UPDATING');
    expect(during.version).not.toBe(v1);
    await expect(
      kv.send(new UpdateSignalingChannelCommand({ ChannelARN: arn, CurrentVersion: during.version })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
    const after = await api.waitForChannelActive({ channelArn: arn }, { timeoutUs: 3_000_000, intervalUs: 20_000 });
    expect(after.singleMasterConfiguration).toEqual({ messageTtlSeconds: 90 });
    await expect(
      kv.send(new DeleteSignalingChannelCommand({ ChannelARN: arn, CurrentVersion: v1 })),
    ).rejects.toBeInstanceOf(VersionMismatchException);
    await kv.send(new DeleteSignalingChannelCommand({ ChannelARN: arn }));
    expect((await api.describeSignalingChannel({ channelArn: arn })).channelStatus).toBe('DELETING');
    await sleep(TRANSITION_MS + 200);
    await expect(kv.send(new DescribeSignalingChannelCommand({ ChannelARN: arn }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('tags channels through the *Resource calls, and still tags streams there', async () => {
    const arn = await created('tags');
    await kv.send(
      new TagResourceCommand({
        ResourceARN: arn,
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await api.untagResource({ resourceArn: arn, tagKeyList: ['a'] });
    expect((await kv.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual({ b: '2' });
    await api.tagResource({ resourceArn: arn, tags: { c: '3' } });
    expect((await api.listTagsForResource({ resourceArn: arn })).tags).toEqual({ b: '2', c: '3' });
    await kv.send(new UntagResourceCommand({ ResourceARN: arn, TagKeyList: ['b', 'c'] }));
    expect((await kv.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual({});
    const { StreamARN } = await kv.send(new CreateStreamCommand({ StreamName: 'tagged-stream' }));
    await kv.send(new TagResourceCommand({ ResourceARN: StreamARN, Tags: [{ Key: 's', Value: '1' }] }));
    expect((await api.listTagsForResource({ resourceArn: StreamARN as string })).tags).toEqual({ s: '1' });
  });

  it('answers its own WSS and HTTPS endpoints, matched by Protocol; WEBRTC only with storage', async () => {
    const arn = await created('endpoints');
    const out = await kv.send(
      new GetSignalingChannelEndpointCommand({
        ChannelARN: arn,
        SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
      }),
    );
    const byProtocol = Object.fromEntries(
      (out.ResourceEndpointList ?? []).map((e) => [e.Protocol, e.ResourceEndpoint]),
    );
    expect(byProtocol).toEqual({ WSS: emu.url.replace('http', 'ws'), HTTPS: emu.url });
    expect(await api.getSignalingChannelEndpoint({ channelArn: arn, role: 'MASTER' })).toEqual({
      wss: byProtocol.WSS,
      https: byProtocol.HTTPS,
    });
    await expect(
      api.getSignalingChannelEndpoint({ channelArn: arn, role: 'MASTER', protocols: ['WSS', 'WEBRTC'] }),
    ).rejects.toMatchObject({ code: 'InvalidArgumentException' });

    const noRetention = (await kv.send(new CreateStreamCommand({ StreamName: 'no-retention' }))).StreamARN;
    await expect(
      kv.send(
        new UpdateMediaStorageConfigurationCommand({
          ChannelARN: arn,
          MediaStorageConfiguration: { StreamARN: noRetention, Status: 'ENABLED' },
        }),
      ),
    ).rejects.toBeInstanceOf(NoDataRetentionException);
    const stored = (await kv.send(new CreateStreamCommand({ StreamName: 'stored', DataRetentionInHours: 1 })))
      .StreamARN;
    expect(
      (await kv.send(new DescribeMediaStorageConfigurationCommand({ ChannelARN: arn }))).MediaStorageConfiguration,
    ).toEqual({
      Status: 'DISABLED',
    });
    await api.updateMediaStorageConfiguration({
      channelArn: arn,
      mediaStorageConfiguration: { streamArn: stored, status: 'ENABLED' },
    });
    expect(await api.describeMediaStorageConfiguration({ channelName: 'endpoints' })).toEqual({
      status: 'ENABLED',
      streamArn: stored,
    });
    expect(
      (await api.getSignalingChannelEndpoint({ channelArn: arn, role: 'MASTER', protocols: ['WEBRTC'] })).webrtc,
    ).toBe(emu.url);
  });
});

describe('persistence', () => {
  it('keeps channels (tags, TTL, storage) in the data dir across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'kvs-emu-channels-'));
    try {
      const first = await start({ dataDir, transitionDelayMs: 5 });
      const a = new KinesisVideoApi({
        endpoint: first.url,
        region: first.region,
        credentials: KEYS,
        retry: { maxRetries: 0 },
      });
      const { channelArn } = await a.createSignalingChannel({
        channelName: 'kept',
        singleMasterConfiguration: { messageTtlSeconds: 7 },
        tags: { k: 'v' },
      });
      const before = await a.waitForChannelActive({ channelArn }, { timeoutUs: 2_000_000, intervalUs: 10_000 });
      await first.close();
      const second = await start({ dataDir, transitionDelayMs: 5 });
      try {
        const b = new KinesisVideoApi({
          endpoint: second.url,
          region: second.region,
          credentials: KEYS,
          retry: { maxRetries: 0 },
        });
        expect(await b.describeSignalingChannel({ channelName: 'kept' })).toEqual(before);
        expect((await b.listTagsForResource({ resourceArn: channelArn })).tags).toEqual({ k: 'v' });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('signaling data plane', () => {
  it('GetIceServerConfig answers loopback TURN servers with TTL 300, to both clients alike', async () => {
    const arn = await created('ice');
    const https = (await api.getSignalingChannelEndpoint({ channelArn: arn, role: 'VIEWER' })).https as string;
    const sc = signalingClient(https);
    try {
      const out = await sc.send(
        new GetIceServerConfigCommand({ ChannelARN: arn, ClientId: 'viewer-1', Service: 'TURN' }),
      );
      expect(out.IceServerList?.length).toBeGreaterThanOrEqual(1);
      for (const s of out.IceServerList ?? []) {
        expect(s.Ttl).toBe(300);
        expect(s.Username).toBeTruthy();
        expect(s.Password).toBeTruthy();
        for (const uri of s.Uris ?? []) expect(uri).toMatch(/^turns?:127\.0\.0\.1:\d+\?transport=(udp|tcp)$/);
      }
      const ours = await getIceServerConfig(
        { http: api.http, endpoint: https },
        { channelArn: arn, clientId: 'viewer-1' },
      );
      expect(ours.map((s) => [s.uris, s.ttl])).toEqual(out.IceServerList?.map((s) => [s.Uris, s.Ttl]));
      // 5 TPS per channel: the burst above used 2, three more pass, the sixth is throttled.
      const results = await Promise.allSettled(
        [0, 1, 2, 3].map(() => sc.send(new GetIceServerConfigCommand({ ChannelARN: arn }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(ClientLimitExceededException);
      await expect(
        sc.send(new GetIceServerConfigCommand({ ChannelARN: arn.replace('/ice/', '/nope/') })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      sc.destroy();
    }
  });

  it('SendAlexaOfferToMaster hands the offer to the master and returns its answer', async () => {
    const arn = await created('alexa');
    const https = (await api.getSignalingChannelEndpoint({ channelArn: arn, role: 'MASTER' })).https as string;
    const master = await connect(emu, arn);
    const sc = signalingClient(https);
    try {
      const answered = (async () => {
        const offer = await master.next('SDP_OFFER');
        expect(offer).toEqual({ senderClientId: 'alexa-1', messageType: 'SDP_OFFER', messagePayload: b64('offer') });
        master.send({ action: 'SDP_ANSWER', recipientClientId: 'alexa-1', messagePayload: b64('answer') });
      })();
      const out = await sc.send(
        new SendAlexaOfferToMasterCommand({ ChannelARN: arn, SenderClientId: 'alexa-1', MessagePayload: b64('offer') }),
      );
      await answered;
      expect(out.Answer).toBe(b64('answer'));
      const again = (async () => {
        await master.next('SDP_OFFER');
        master.send({ action: 'SDP_ANSWER', recipientClientId: 'alexa-2', messagePayload: b64('answer-2') });
      })();
      const ours = await sendAlexaOfferToMaster(
        { http: api.http, endpoint: https },
        { channelArn: arn, senderClientId: 'alexa-2', messagePayload: b64('offer-2') },
      );
      await again;
      expect(ours).toEqual({ answer: b64('answer-2') });
    } finally {
      sc.destroy();
      master.close();
    }
  });
});
