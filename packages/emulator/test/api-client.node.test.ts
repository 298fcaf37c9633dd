// @kvs-ts/api's KinesisVideoApi as one more client of the emulator (the official AWS clients are
// in control-plane, getmedia and archived-media tests).

import { KinesisVideoApi, KvsServiceError } from '@kvs-ts/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { KEYS, start } from './support';

let emu: Emulator;
let api: KinesisVideoApi;
beforeAll(async () => {
  emu = await start();
  api = new KinesisVideoApi({ endpoint: emu.url, region: emu.region, credentials: KEYS, retry: { maxRetries: 0 } });
});
afterAll(async () => {
  await emu.close();
});

describe('@kvs-ts/api against the emulator', () => {
  it('creates, describes, lists and finds the data endpoint', async () => {
    const { streamArn } = await api.createStream({ streamName: 'api-1', dataRetentionInHours: 1, tags: { a: 'b' } });
    expect(streamArn).toContain(':stream/api-1/');
    const info = await api.describeStream({ streamName: 'api-1' });
    expect(info.streamArn).toBe(streamArn);
    expect((await api.listTagsForStream({ streamName: 'api-1' })).tags).toEqual({ a: 'b' });
    expect(await api.getDataEndpoint({ streamName: 'api-1', apiName: 'PUT_MEDIA' })).toBe(emu.url);
  });

  it('surfaces the emulator errors as typed service errors', async () => {
    const err = await api.describeStream({ streamName: 'missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KvsServiceError);
    expect((err as KvsServiceError).code).toBe('ResourceNotFoundException');
    expect((err as KvsServiceError).httpStatus).toBe(404);
  });
});
