// The GetDataEndpoint cache: per stream and API name, single flight, TTL, invalidation (by hand
// and after a failed data-plane call), failures never cached.

import { DataEndpointCache, KinesisVideoApi } from '@kvs-ts/api';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, json } from './fake-fetch';

const ARN = 'arn:aws:kinesisvideo:us-west-2:1:stream/cam/1';

function setup(answer?: (body: Record<string, unknown>, i: number) => Response) {
  let now = Date.UTC(2024, 0, 1) * 1000;
  let n = 0;
  const fake = new FakeFetch((request, i) => {
    const body = request.json as Record<string, unknown>;
    if (request.path === '/getDataEndpoint') {
      if (answer !== undefined) return answer(body, i);
      return json({ DataEndpoint: `https://s-${++n}-${String(body.APIName).toLowerCase()}.example` });
    }
    if (request.path === '/listFragments') return awsError(500, 'InternalFailure', 'boom');
    return json({});
  });
  const api = new KinesisVideoApi({
    region: 'us-west-2',
    credentials: { accessKeyId: 'A', secretAccessKey: 'S' },
    env: {},
    fetch: fake.fetch,
    now: () => now,
    retry: { maxRetries: 0 },
  });
  return { api, fake, advance: (us: number) => (now += us), lookups: () => fake.to('/getDataEndpoint').length };
}

describe('data endpoint cache', () => {
  it('asks once per (stream, API) and reuses the answer', async () => {
    const { api, lookups } = setup();
    const a = await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    const b = await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    const c = await api.getDataEndpoint({ streamName: 'cam', apiName: 'GET_MEDIA' });
    const d = await api.getDataEndpoint({ streamName: 'other', apiName: 'PUT_MEDIA' });
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
    expect(lookups()).toBe(3);
  });

  it('keys by name and by ARN separately', async () => {
    const { api, lookups } = setup();
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    await api.getDataEndpoint({ streamArn: ARN, apiName: 'PUT_MEDIA' });
    await api.getDataEndpoint({ streamArn: ARN, apiName: 'PUT_MEDIA' });
    expect(lookups()).toBe(2);
  });

  it('shares one lookup between concurrent callers', async () => {
    const { api, lookups } = setup();
    const all = await Promise.all(
      Array.from({ length: 5 }, () => api.getDataEndpoint({ streamName: 'cam', apiName: 'GET_MEDIA' })),
    );
    expect(new Set(all).size).toBe(1);
    expect(lookups()).toBe(1);
  });

  it('asks again after the TTL (45 minutes by default)', async () => {
    const { api, lookups, advance } = setup();
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    advance(44 * 60_000_000);
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    expect(lookups()).toBe(1);
    advance(60_000_000);
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    expect(lookups()).toBe(2);
  });

  it('invalidate(stream, api) forgets that API only; invalidate(stream) forgets them all', async () => {
    const { api, lookups } = setup();
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'GET_MEDIA' });
    api.invalidateDataEndpoint('cam', 'PUT_MEDIA');
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'GET_MEDIA' });
    expect(lookups()).toBe(2);
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    expect(lookups()).toBe(3);
    api.invalidateDataEndpoint('cam');
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' });
    await api.getDataEndpoint({ streamName: 'cam', apiName: 'GET_MEDIA' });
    expect(lookups()).toBe(5);
  });

  it('invalidates by ARN an entry looked up with name and ARN', async () => {
    const { api, lookups } = setup();
    await api.getDataEndpoint({ streamName: 'cam', streamArn: ARN, apiName: 'LIST_FRAGMENTS' });
    api.invalidateDataEndpoint(ARN, 'LIST_FRAGMENTS');
    await api.getDataEndpoint({ streamName: 'cam', streamArn: ARN, apiName: 'LIST_FRAGMENTS' });
    expect(lookups()).toBe(2);
  });

  it('never caches a failed lookup', async () => {
    const { api, lookups } = setup((_body, i) =>
      i === 0
        ? awsError(404, 'ResourceNotFoundException', 'no stream')
        : json({ DataEndpoint: 'https://s-ok.example' }),
    );
    await expect(api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' })).rejects.toMatchObject({
      code: 'ResourceNotFoundException',
    });
    expect(await api.getDataEndpoint({ streamName: 'cam', apiName: 'PUT_MEDIA' })).toBe('https://s-ok.example');
    expect(lookups()).toBe(2);
  });

  it('forgets the endpoint after a failed data-plane call, so the next call looks it up again', async () => {
    const { api, fake, lookups } = setup();
    await expect(api.listFragments({ streamName: 'cam' })).rejects.toMatchObject({ code: 'InternalFailure' });
    await expect(api.listFragments({ streamName: 'cam' })).rejects.toMatchObject({ code: 'InternalFailure' });
    expect(lookups()).toBe(2);
    expect(fake.to('/listFragments').map((r) => new URL(r.url).host)).toEqual([
      's-1-list_fragments.example',
      's-2-list_fragments.example',
    ]);
  });

  it('forgets a lookup under way when invalidated, and a TTL of 0 turns caching off', async () => {
    let now = 0;
    const cache = new DataEndpointCache(1_000, () => now);
    let release!: (v: string) => void;
    const first = cache.get({ streamName: 'cam' }, 'PUT_MEDIA', () => new Promise((r) => (release = r)));
    cache.invalidate('cam');
    let loads = 0;
    const second = cache.get({ streamName: 'cam' }, 'PUT_MEDIA', async () => `e${++loads}`);
    release('stale');
    expect(await first).toBe('stale');
    expect(await second).toBe('e1');
    expect(await cache.get({ streamName: 'cam' }, 'PUT_MEDIA', async () => `e${++loads}`)).toBe('e1');
    now = 2_000;
    expect(await cache.get({ streamName: 'cam' }, 'PUT_MEDIA', async () => `e${++loads}`)).toBe('e2');

    const off = new DataEndpointCache(0);
    let offLoads = 0;
    await off.get({ streamName: 'cam' }, 'PUT_MEDIA', async () => `x${++offLoads}`);
    await off.get({ streamName: 'cam' }, 'PUT_MEDIA', async () => `x${++offLoads}`);
    expect(offLoads).toBe(2);
    expect(off.size).toBe(0);
  });
});
