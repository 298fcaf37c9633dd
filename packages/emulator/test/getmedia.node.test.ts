// GetMedia through AWS's official @aws-sdk/client-kinesis-video-media and @kvs-ts/getmedia's
// readFragments: frames byte-identical to what was put, the service's tags around each cluster,
// every StartSelector, live tailing and the limit of 3 connections per stream.

import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { type MediaFragment, readFragments } from '@kvs-ts/getmedia';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { call, createActive, frames, KEYS, mkvCluster, mkvHeader, putMedia, start, type TestCluster } from './support';

const T0 = 1_700_000_000_000;
const clusters: TestCluster[] = [0, 1, 2, 3].map((i) => ({ timecode: T0 + i * 1000, frames: frames(4, 250, i + 1) }));

let emu: Emulator;
let media: KinesisVideoMediaClient;
let numbers: string[];

beforeAll(async () => {
  emu = await start();
  media = new KinesisVideoMediaClient({ endpoint: emu.url, region: emu.region, credentials: KEYS, maxAttempts: 1 });
  await createActive(emu, 'cam');
  const r = await putMedia(emu, 'cam', [mkvHeader(), ...clusters.map((c) => mkvCluster(c))]);
  numbers = r.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber as string);
  expect(numbers).toHaveLength(4);
});
afterAll(async () => {
  media.destroy();
  await emu.close();
});

/** Reads `count` fragments from an official-client GetMedia, then hangs up. */
async function getMedia(selector: Record<string, unknown>, count: number, stream = 'cam'): Promise<MediaFragment[]> {
  const abort = new AbortController();
  const out = await media.send(new GetMediaCommand({ StreamName: stream, StartSelector: selector as never }), {
    abortSignal: abort.signal,
  });
  expect(out.ContentType).toBe('video/webm');
  const got: MediaFragment[] = [];
  try {
    for await (const f of readFragments(out.Payload as AsyncIterable<Uint8Array>)) {
      got.push(f);
      if (got.length === count) break;
    }
  } finally {
    abort.abort();
    (out.Payload as { destroy?: () => void }).destroy?.();
  }
  return got;
}

describe('GetMedia (official client)', () => {
  it('EARLIEST returns every fragment, frames byte-identical, with the service tags', async () => {
    const got = await getMedia({ StartSelectorType: 'EARLIEST' }, 4);
    expect(got.map((f) => f.fragmentNumber)).toEqual(numbers);
    expect(got.map((f) => f.continuationToken)).toEqual(numbers);
    const stored = emu.admin.fragments('cam');
    got.forEach((f, i) => {
      expect(f.producerTimestamp).toBe((T0 + i * 1000) * 1000);
      expect(f.serverTimestamp).toBe(stored[i].serverTimestampMs * 1000);
      expect(f.millisBehindNow).toBeGreaterThanOrEqual(0);
      expect(f.tracks[0].codecId).toBe('V_MPEG4/ISO/AVC');
      expect(f.frames.map((fr) => Buffer.from(fr.data).toString('hex'))).toEqual(
        clusters[i].frames.map((fr) => Buffer.from(fr.data).toString('hex')),
      );
      expect(f.frames.map((fr) => fr.timestamp)).toEqual(
        clusters[i].frames.map((fr) => (clusters[i].timecode + fr.rel) * 1000),
      );
    });
  });

  it('FRAGMENT_NUMBER and CONTINUATION_TOKEN start after the given fragment', async () => {
    const a = await getMedia({ StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: numbers[1] }, 2);
    expect(a.map((f) => f.fragmentNumber)).toEqual(numbers.slice(2));
    const b = await getMedia({ StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: numbers[0] }, 1);
    expect(b[0].fragmentNumber).toBe(numbers[1]);
  });

  it('PRODUCER_TIMESTAMP and SERVER_TIMESTAMP start at the fragment holding that time', async () => {
    const p = await getMedia({ StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(T0 + 2500) }, 1);
    expect(p[0].fragmentNumber).toBe(numbers[2]);
    const first = emu.admin.fragments('cam')[0];
    const s = await getMedia(
      { StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(first.serverTimestampMs) },
      1,
    );
    expect(s[0].fragmentNumber).toBe(numbers[0]);
  });

  it('NOW tails fragments put after the request', async () => {
    await createActive(emu, 'live');
    const reading = getMedia({ StartSelectorType: 'NOW' }, 2, 'live');
    await new Promise((r) => setTimeout(r, 100));
    const put = await putMedia(emu, 'live', [mkvHeader(), mkvCluster(clusters[0]), mkvCluster(clusters[1])], {
      gapMs: 30,
    });
    const got = await reading;
    expect(got.map((f) => f.fragmentNumber)).toEqual(
      put.acks.filter((a) => a.EventType === 'RECEIVED').map((a) => a.FragmentNumber),
    );
  });

  it('serves the producer fragment metadata with its fragment, without the end-of-fragment marker', async () => {
    await createActive(emu, 'meta');
    const tagged: TestCluster = { ...clusters[0], tags: [['scene', 'door-open']] };
    await putMedia(emu, 'meta', [mkvHeader(), mkvCluster(tagged), mkvCluster(clusters[1])]);
    const got = await getMedia({ StartSelectorType: 'EARLIEST' }, 2, 'meta');
    expect(got[0].tags).toEqual([expect.objectContaining({ name: 'scene', value: 'door-open' })]);
    expect(got[1].tags).toEqual([]);
  });

  it('allows 3 concurrent GetMedia per stream; the 4th gets ConnectionLimitExceededException', async () => {
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    const open = await Promise.all(
      aborts.map((a) =>
        media.send(new GetMediaCommand({ StreamName: 'cam', StartSelector: { StartSelectorType: 'NOW' } }), {
          abortSignal: a.signal,
        }),
      ),
    );
    const err = (await media
      .send(new GetMediaCommand({ StreamName: 'cam', StartSelector: { StartSelectorType: 'NOW' } }))
      .catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode: number } };
    expect(err.name).toBe('ConnectionLimitExceededException');
    for (const [i, o] of open.entries()) {
      aborts[i].abort();
      (o.Payload as { destroy?: () => void }).destroy?.();
    }
    await new Promise((r) => setTimeout(r, 100));
    const again = await getMedia({ StartSelectorType: 'EARLIEST' }, 1);
    expect(again).toHaveLength(1);
  });

  it('answers ResourceNotFoundException for an unknown stream and InvalidArgumentException for a bad selector', async () => {
    const e1 = (await media
      .send(new GetMediaCommand({ StreamName: 'nope', StartSelector: { StartSelectorType: 'EARLIEST' } }))
      .catch((e: unknown) => e)) as { name: string };
    expect(e1.name).toBe('ResourceNotFoundException');
    const r = await call(emu, 'getMedia', {
      StreamName: 'cam',
      StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER' },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('InvalidArgumentException');
  });
});
