// The control plane through AWS's official @aws-sdk/client-kinesis-video: every action, AWS's
// error shapes and the status transitions.

import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  TagStreamCommand,
  TagsPerResourceExceededLimitException,
  UntagResourceCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
  VersionMismatchException,
} from '@aws-sdk/client-kinesis-video';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { KEYS, start } from './support';

let emu: Emulator;
let kv: KinesisVideoClient;
beforeAll(async () => {
  // Long enough that a busy machine still sees CREATING first (the CI box has 2 shared cores).
  emu = await start({ transitionDelayMs: TRANSITION_MS });
  kv = new KinesisVideoClient({ endpoint: emu.url, region: emu.region, credentials: KEYS, maxAttempts: 1 });
});
afterAll(async () => {
  kv.destroy();
  await emu.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TRANSITION_MS = 600;

describe('control plane (official client)', () => {
  it('creates a stream CREATING, then ACTIVE, with the documented StreamInfo and ARN', async () => {
    const before = Date.now();
    const { StreamARN } = await kv.send(
      new CreateStreamCommand({
        StreamName: 'cam-1',
        DeviceName: 'dev',
        MediaType: 'video/h264',
        DataRetentionInHours: 2,
      }),
    );
    expect(StreamARN).toMatch(new RegExp(`^arn:aws:kinesisvideo:${emu.region}:\\d{12}:stream/cam-1/\\d{13}$`));
    const first = await kv.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
    expect(first.StreamInfo?.Status).toBe('CREATING');
    await sleep(TRANSITION_MS + 200);
    const info = (await kv.send(new DescribeStreamCommand({ StreamARN }))).StreamInfo;
    expect(info).toMatchObject({
      StreamName: 'cam-1',
      StreamARN,
      DeviceName: 'dev',
      MediaType: 'video/h264',
      Status: 'ACTIVE',
      DataRetentionInHours: 2,
    });
    expect(typeof info?.Version).toBe('string');
    expect(info?.KmsKeyId).toBeTruthy();
    expect(info?.CreationTime?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    await expect(kv.send(new CreateStreamCommand({ StreamName: 'cam-1' }))).rejects.toBeInstanceOf(
      ResourceInUseException,
    );
  });

  it('answers ResourceNotFoundException (404) for an unknown stream', async () => {
    const err = await kv.send(new DescribeStreamCommand({ StreamName: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((err as ResourceNotFoundException).$metadata.requestId).toBeTruthy();
  });

  it('lists with a name prefix and pages with NextToken', async () => {
    for (const n of ['list-a', 'list-b', 'list-c', 'other-x'])
      await kv.send(new CreateStreamCommand({ StreamName: n }));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await kv.send(
        new ListStreamsCommand({
          MaxResults: 2,
          NextToken: token,
          StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'list-' },
        }),
      );
      pages++;
      names.push(...(page.StreamInfoList ?? []).map((s) => s.StreamName as string));
      token = page.NextToken;
    } while (token);
    expect(names).toEqual(['list-a', 'list-b', 'list-c']);
    expect(pages).toBe(2);
  });

  it('updates with a version check (VersionMismatchException) and changes retention', async () => {
    await sleep(TRANSITION_MS + 200);
    const v1 = (await kv.send(new DescribeStreamCommand({ StreamName: 'list-a' }))).StreamInfo?.Version;
    await kv.send(new UpdateStreamCommand({ StreamName: 'list-a', CurrentVersion: v1, MediaType: 'video/h265' }));
    await expect(
      kv.send(new UpdateStreamCommand({ StreamName: 'list-a', CurrentVersion: v1, MediaType: 'video/h264' })),
    ).rejects.toBeInstanceOf(VersionMismatchException);
    const info = (await kv.send(new DescribeStreamCommand({ StreamName: 'list-a' }))).StreamInfo;
    expect(info?.MediaType).toBe('video/h265');
    await kv.send(
      new UpdateDataRetentionCommand({
        StreamName: 'list-a',
        CurrentVersion: info?.Version,
        Operation: 'INCREASE_DATA_RETENTION',
        DataRetentionChangeInHours: 24,
      }),
    );
    expect((await kv.send(new DescribeStreamCommand({ StreamName: 'list-a' }))).StreamInfo?.DataRetentionInHours).toBe(
      24,
    );
  });

  it('tags streams and resources, and limits tags to 50', async () => {
    const arn = (await kv.send(new DescribeStreamCommand({ StreamName: 'list-b' }))).StreamInfo?.StreamARN as string;
    await kv.send(new TagStreamCommand({ StreamName: 'list-b', Tags: { a: '1', b: '2' } }));
    await kv.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'c', Value: '3' }] }));
    await kv.send(new UntagStreamCommand({ StreamARN: arn, TagKeyList: ['a'] }));
    expect((await kv.send(new ListTagsForStreamCommand({ StreamName: 'list-b' }))).Tags).toEqual({ b: '2', c: '3' });
    await kv.send(new UntagResourceCommand({ ResourceARN: arn, TagKeyList: ['b'] }));
    expect((await kv.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual({ c: '3' });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await expect(kv.send(new TagStreamCommand({ StreamName: 'list-b', Tags: many }))).rejects.toBeInstanceOf(
      TagsPerResourceExceededLimitException,
    );
  });

  it('returns its own address as the data endpoint for every API name', async () => {
    for (const APIName of ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST'] as const) {
      const r = await kv.send(new GetDataEndpointCommand({ StreamName: 'list-c', APIName }));
      expect(r.DataEndpoint).toBe(emu.url);
    }
    await expect(
      kv.send(new GetDataEndpointCommand({ StreamName: 'gone', APIName: 'PUT_MEDIA' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('deletes: DELETING, then gone', async () => {
    const info = (await kv.send(new DescribeStreamCommand({ StreamName: 'other-x' }))).StreamInfo;
    await kv.send(new DeleteStreamCommand({ StreamARN: info?.StreamARN, CurrentVersion: info?.Version }));
    expect((await kv.send(new DescribeStreamCommand({ StreamName: 'other-x' }))).StreamInfo?.Status).toBe('DELETING');
    await sleep(TRANSITION_MS + 200);
    await expect(kv.send(new DescribeStreamCommand({ StreamName: 'other-x' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('limits the number of streams (AccountStreamLimitExceededException)', async () => {
    const small = await start({ maxStreams: 1 });
    const client = new KinesisVideoClient({
      endpoint: small.url,
      region: small.region,
      credentials: KEYS,
      maxAttempts: 1,
    });
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'only' }));
      const err = (await client.send(new CreateStreamCommand({ StreamName: 'more' })).catch((e: unknown) => e)) as {
        name: string;
      };
      expect(err.name).toBe('AccountStreamLimitExceededException');
    } finally {
      client.destroy();
      await small.close();
    }
  });

  it('refuses calls signed with a wrong key (official client)', async () => {
    const bad = new KinesisVideoClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: { accessKeyId: KEYS.accessKeyId, secretAccessKey: 'nope' },
      maxAttempts: 1,
    });
    const err = (await bad.send(new ListStreamsCommand({})).catch((e: unknown) => e)) as {
      name: string;
      $metadata: { httpStatusCode: number };
    };
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.$metadata.httpStatusCode).toBe(403);
    const stale = new KinesisVideoClient({
      endpoint: emu.url,
      region: emu.region,
      credentials: KEYS,
      maxAttempts: 1,
      systemClockOffset: -10 * 60_000,
    });
    const e2 = (await stale.send(new ListStreamsCommand({})).catch((e: unknown) => e)) as { name: string };
    expect(e2.name).toBe('InvalidSignatureException');
    bad.destroy();
    stale.destroy();
  });
});
