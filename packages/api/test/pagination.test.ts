// Paginated calls: one page at a time with NextToken, and the async iterators over all pages.

import { KinesisVideoApi, paginate } from '@kvs-ts/api';
import { describe, expect, it } from 'vitest';
import { FakeFetch, json } from './fake-fetch';

const PAGES: Record<string, { names: string[]; next?: string }> = {
  '': { names: ['cam-1', 'cam-2'], next: 't1' },
  t1: { names: [], next: 't2' },
  t2: { names: ['cam-3'] },
};

function info(name: string) {
  return { StreamName: name, StreamARN: `arn:aws:kinesisvideo:us-west-2:1:stream/${name}/1`, Status: 'ACTIVE' };
}

function api(fetch: FakeFetch) {
  return new KinesisVideoApi({
    region: 'us-west-2',
    credentials: { accessKeyId: 'A', secretAccessKey: 'S' },
    env: {},
    fetch: fetch.fetch,
    retry: { maxRetries: 0 },
  });
}

describe('ListStreams pagination', () => {
  it('walks every page, empty ones included, passing each NextToken and the name condition', async () => {
    const fake = new FakeFetch((request) => {
      const body = request.json as { NextToken?: string };
      const page = PAGES[body.NextToken ?? ''];
      return json({ StreamInfoList: page.names.map(info), NextToken: page.next });
    });
    const names: string[] = [];
    for await (const s of api(fake).listAllStreams({
      streamNameCondition: { comparisonOperator: 'BEGINS_WITH', comparisonValue: 'cam' },
      maxResults: 2,
    }))
      names.push(s.streamName);
    expect(names).toEqual(['cam-1', 'cam-2', 'cam-3']);
    expect(fake.requests.map((r) => r.json)).toEqual(
      [undefined, 't1', 't2'].map((t) => ({
        MaxResults: 2,
        StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'cam' },
        ...(t === undefined ? {} : { NextToken: t }),
      })),
    );
  });

  it('stops after the page the caller stops at (lazy)', async () => {
    const fake = new FakeFetch((request) => {
      const page = PAGES[(request.json as { NextToken?: string }).NextToken ?? ''];
      return json({ StreamInfoList: page.names.map(info), NextToken: page.next });
    });
    for await (const s of api(fake).listAllStreams()) if (s.streamName === 'cam-1') break;
    expect(fake.requests).toHaveLength(1);
  });

  it('ends when the service repeats a token instead of looping forever', async () => {
    const fake = new FakeFetch(() => json({ StreamInfoList: [info('x')], NextToken: 'same' }));
    const names: string[] = [];
    for await (const s of api(fake).listAllStreams()) names.push(s.streamName);
    expect(names).toEqual(['x', 'x']);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('ListFragments pagination', () => {
  it('walks every page of fragments on the LIST_FRAGMENTS endpoint', async () => {
    const fake = new FakeFetch((request) => {
      if (request.path === '/getDataEndpoint') return json({ DataEndpoint: 'https://s-lf.example' });
      const token = (request.json as { NextToken?: string }).NextToken;
      return token === undefined
        ? json({ Fragments: [{ FragmentNumber: '1' }, { FragmentNumber: '2' }], NextToken: 'p2' })
        : json({ Fragments: [{ FragmentNumber: '3' }] });
    });
    const numbers: string[] = [];
    for await (const f of api(fake).listAllFragments({ streamName: 'cam' })) numbers.push(f.fragmentNumber);
    expect(numbers).toEqual(['1', '2', '3']);
    expect(fake.to('/getDataEndpoint')).toHaveLength(1);
    expect(fake.to('/listFragments').map((r) => (r.json as { NextToken?: string }).NextToken)).toEqual([
      undefined,
      'p2',
    ]);
  });

  it('paginate() starts from a given token', async () => {
    const seen: (string | undefined)[] = [];
    const items: number[] = [];
    for await (const n of paginate(
      async (token) => {
        seen.push(token);
        return token === 'a' ? { items: [1], nextToken: 'b' } : { items: [2] };
      },
      'a',
      (page) => page.items,
    ))
      items.push(n);
    expect(seen).toEqual(['a', 'b']);
    expect(items).toEqual([1, 2]);
  });
});
