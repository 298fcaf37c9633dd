// ICE servers (../shared/spec/seeds-webrtc.md §2, §4.2): the STUN URL by partition, and the TURN
// list cached until the smallest TTL less the grace period, one request at a time, dropped on
// invalidate (RECONNECT_ICE_SERVER).

import { describe, expect, it } from 'vitest';
import { type IceServer, IceServerCache, stunUrl } from '../src/ice-servers';
import { CHANNEL_ARN, START_US } from './fakes';

describe('stunUrl', () => {
  it('per partition, FIPS and dual-stack', () => {
    expect(stunUrl('us-west-2')).toBe('stun:stun.kinesisvideo.us-west-2.amazonaws.com:443');
    expect(stunUrl('cn-north-1')).toBe('stun:stun.kinesisvideo.cn-north-1.amazonaws.com.cn:443');
    expect(stunUrl('us-gov-west-1')).toBe('stun:stun.kinesisvideo.us-gov-west-1.amazonaws.com:443');
    expect(stunUrl('us-east-1', { fips: true })).toBe('stuns:stun.kinesisvideo-fips.us-east-1.amazonaws.com:443');
    expect(stunUrl('eu-west-1', { dualStack: true })).toBe('stun:stun.kinesisvideo.eu-west-1.api.aws:443');
    expect(() => stunUrl('x/y')).toThrow(/not a region/);
  });
});

describe('IceServerCache', () => {
  const turn = (ttl: number, n = 1): IceServer => ({
    uris: [`turn:${n}.example:443?transport=udp`, `turns:${n}.example:443?transport=tcp`],
    username: `user${n}`,
    password: `pass${n}`,
    ttl,
  });

  function setup(lists: IceServer[][]) {
    let now = START_US;
    const calls: unknown[] = [];
    const cache = new IceServerCache({
      region: 'us-west-2',
      channelArn: CHANNEL_ARN,
      clientId: 'viewer-1',
      now: () => now,
      getIceServerConfig: async (input) => {
        calls.push(input);
        return lists[Math.min(calls.length - 1, lists.length - 1)];
      },
    });
    return { cache, calls, advance: (us: number) => (now += us) };
  }

  it('STUN first, then TURN as RTCIceServers; cached until the smallest TTL less 30 s', async () => {
    const { cache, calls, advance } = setup([[turn(300, 1), turn(120, 2)], [turn(300, 3)]]);
    const servers = await cache.get();
    expect(servers).toEqual([
      { urls: 'stun:stun.kinesisvideo.us-west-2.amazonaws.com:443' },
      { urls: turn(300, 1).uris, username: 'user1', credential: 'pass1' },
      { urls: turn(120, 2).uris, username: 'user2', credential: 'pass2' },
    ]);
    expect(calls).toEqual([{ channelArn: CHANNEL_ARN, clientId: 'viewer-1', service: 'TURN' }]);
    advance(89_999_999);
    expect(await cache.get()).toBe(servers);
    advance(1);
    expect((await cache.get())[1]).toMatchObject({ username: 'user3' });
    expect(cache.metrics.iceRefreshCount).toBe(2);
  });

  it('one request at a time; invalidate drops the list', async () => {
    const { cache, calls } = setup([[turn(300)]]);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(calls).toHaveLength(1);
    cache.invalidate();
    await cache.get();
    expect(calls).toHaveLength(2);
  });

  it('short TTLs are refreshed at half their life; failures are not cached', async () => {
    const { cache, calls, advance } = setup([[turn(40)]]);
    await cache.get();
    advance(20_000_000);
    await cache.get();
    expect(calls).toHaveLength(2);
    let fail = true;
    const failing = new IceServerCache({
      region: 'us-west-2',
      channelArn: CHANNEL_ARN,
      getIceServerConfig: async () => {
        if (fail) throw new Error('throttled');
        return [turn(300)];
      },
    });
    await expect(failing.get()).rejects.toThrow(/throttled/);
    fail = false;
    expect(await failing.get()).toHaveLength(2);
    expect(failing.metrics.errors).toBe(1);
  });

  it('STUN only without GetIceServerConfig', async () => {
    const cache = new IceServerCache({ region: 'cn-northwest-1', channelArn: CHANNEL_ARN });
    expect(await cache.get()).toEqual([{ urls: 'stun:stun.kinesisvideo.cn-northwest-1.amazonaws.com.cn:443' }]);
  });
});
