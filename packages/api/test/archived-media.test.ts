// Archived media and GetMedia: the data endpoint for each API, AWS's field names with times as
// epoch seconds on the wire and µs in the SDK, and media bodies handed over as streams before
// they end (never buffered).

import { KinesisVideoApi } from '@kvs-ts/api';
import { describe, expect, it } from 'vitest';
import { awsError, FakeFetch, json } from './fake-fetch';
import { sha256Hex, verifyRequest } from './sigv4-reference';

const SECRET = 'media/secret';

function setup(media: (path: string, body: Record<string, unknown>) => Response) {
  const fake = new FakeFetch(async (request) => {
    await verifyRequest(request, SECRET, await sha256Hex(request.body));
    const body = request.json as Record<string, unknown>;
    if (request.path === '/getDataEndpoint')
      return json({ DataEndpoint: `https://${String(body.APIName).toLowerCase().replaceAll('_', '-')}.example` });
    return media(request.path, body);
  });
  const api = new KinesisVideoApi({
    region: 'us-west-2',
    credentials: { accessKeyId: 'A', secretAccessKey: SECRET },
    env: {},
    fetch: fake.fetch,
    retry: { maxRetries: 0 },
  });
  return { api, fake };
}

describe('ListFragments', () => {
  it('sends the FragmentSelector in epoch seconds and maps fragments to µs', async () => {
    const { api, fake } = setup(() =>
      json({
        Fragments: [
          {
            FragmentNumber: '91343852333181432392682062607743920146264070488',
            FragmentSizeInBytes: 123456,
            ProducerTimestamp: 1700000000.5,
            ServerTimestamp: 1700000001.25,
            FragmentLengthInMilliseconds: 2000,
          },
        ],
        NextToken: 'more',
      }),
    );
    const page = await api.listFragments({
      streamName: 'cam',
      maxResults: 100,
      fragmentSelector: {
        fragmentSelectorType: 'SERVER_TIMESTAMP',
        timestampRange: { startTimestamp: 1_700_000_000_000_000, endTimestamp: 1_700_000_060_500_000 },
      },
    });
    const calls = fake.requests.map((r) => [r.url, r.json]);
    expect(calls).toEqual([
      [
        'https://kinesisvideo.us-west-2.amazonaws.com/getDataEndpoint',
        { StreamName: 'cam', APIName: 'LIST_FRAGMENTS' },
      ],
      [
        'https://list-fragments.example/listFragments',
        {
          StreamName: 'cam',
          MaxResults: 100,
          FragmentSelector: {
            FragmentSelectorType: 'SERVER_TIMESTAMP',
            TimestampRange: { StartTimestamp: 1700000000, EndTimestamp: 1700000060.5 },
          },
        },
      ],
    ]);
    expect(page).toEqual({
      fragments: [
        {
          fragmentNumber: '91343852333181432392682062607743920146264070488',
          fragmentSizeInBytes: 123456,
          producerTimestamp: 1_700_000_000_500_000,
          serverTimestamp: 1_700_000_001_250_000,
          fragmentLengthInMilliseconds: 2000,
        },
      ],
      nextToken: 'more',
    });
  });

  it('uses PRODUCER_TIMESTAMP selectors as given', async () => {
    const { api, fake } = setup(() => json({ Fragments: [] }));
    await api.listFragments({
      streamArn: 'arn:aws:kinesisvideo:us-west-2:1:stream/cam/1',
      fragmentSelector: {
        fragmentSelectorType: 'PRODUCER_TIMESTAMP',
        timestampRange: { startTimestamp: 1_000_000, endTimestamp: 2_000_000 },
      },
    });
    expect(fake.to('/listFragments')[0].json).toEqual({
      StreamARN: 'arn:aws:kinesisvideo:us-west-2:1:stream/cam/1',
      FragmentSelector: {
        FragmentSelectorType: 'PRODUCER_TIMESTAMP',
        TimestampRange: { StartTimestamp: 1, EndTimestamp: 2 },
      },
    });
  });
});

/** A body the test feeds chunk by chunk. */
function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    stream,
    push: (bytes: number[]) => controller.enqueue(new Uint8Array(bytes)),
    end: () => controller.close(),
  };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for (const reader = body.getReader(); ; ) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(...value);
  }
}

// A buffering implementation would wait for bodies that never end: these tests would time out.
describe('media bodies', () => {
  it('GetMediaForFragmentList hands over the body before it ends, with its headers', async () => {
    const source = controlledBody();
    const { api, fake } = setup(() => new Response(source.stream, { headers: { 'content-type': 'video/webm' } }));
    source.push([0x1a, 0x45, 0xdf, 0xa3]);
    const payload = await api.getMediaForFragmentList({ streamName: 'cam', fragments: ['1', '2'] });
    expect(payload.contentType).toBe('video/webm');
    expect(fake.to('/getMediaForFragmentList')[0]).toMatchObject({
      url: 'https://get-media-for-fragment-list.example/getMediaForFragmentList',
      json: { StreamName: 'cam', Fragments: ['1', '2'] },
    });
    const reader = payload.body.getReader();
    expect([...((await reader.read()).value ?? [])]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    source.push([1, 2]);
    expect([...((await reader.read()).value ?? [])]).toEqual([1, 2]);
    source.end();
    expect((await reader.read()).done).toBe(true);
  }, 5_000);

  it('GetMedia posts the StartSelector to the GET_MEDIA endpoint and streams the body', async () => {
    const source = controlledBody();
    const { api, fake } = setup(() => new Response(source.stream, { headers: { 'content-type': 'video/webm' } }));
    const payload = await api.getMedia({
      streamName: 'cam',
      startSelector: { startSelectorType: 'PRODUCER_TIMESTAMP', startTimestamp: 1_700_000_000_250_000 },
    });
    expect(fake.to('/getMedia')[0]).toMatchObject({
      url: 'https://get-media.example/getMedia',
      json: {
        StreamName: 'cam',
        StartSelector: { StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: 1700000000.25 },
      },
    });
    source.push([9, 8, 7]);
    source.end();
    expect(await readAll(payload.body)).toEqual([9, 8, 7]);
  });

  it('GetMedia with a continuation token or after a fragment number sends just those', async () => {
    const { api, fake } = setup(() => new Response(new Uint8Array([1])));
    await readAll(
      (
        await api.getMedia({
          streamName: 'cam',
          startSelector: { startSelectorType: 'CONTINUATION_TOKEN', continuationToken: 'ct' },
        })
      ).body,
    );
    await readAll(
      (
        await api.getMedia({
          streamName: 'cam',
          startSelector: { startSelectorType: 'FRAGMENT_NUMBER', afterFragmentNumber: '42' },
        })
      ).body,
    );
    expect(fake.to('/getMedia').map((r) => (r.json as { StartSelector: unknown }).StartSelector)).toEqual([
      { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: 'ct' },
      { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: '42' },
    ]);
  });

  it('a media error is a typed service error, and forgets the endpoint', async () => {
    const { api, fake } = setup(() => awsError(400, 'ConnectionLimitExceededException', 'too many'));
    const call = () => api.getMedia({ streamName: 'cam', startSelector: { startSelectorType: 'NOW' } });
    await expect(call()).rejects.toMatchObject({ code: 'ConnectionLimitExceededException', httpStatus: 400 });
    await expect(call()).rejects.toMatchObject({ code: 'ConnectionLimitExceededException' });
    expect(fake.to('/getDataEndpoint')).toHaveLength(2);
  });

  it('the caller can cancel a media body through its signal', async () => {
    const source = controlledBody();
    const { api } = setup(() => new Response(source.stream));
    const controller = new AbortController();
    const payload = await api.getMedia(
      { streamName: 'cam', startSelector: { startSelectorType: 'NOW' } },
      { signal: controller.signal },
    );
    const reader = payload.body.getReader();
    source.push([1]);
    await reader.read();
    controller.abort(new Error('enough'));
    await expect(reader.read()).rejects.toThrow('enough');
  }, 5_000);
});
