// ListFragments and GetMediaForFragmentList through AWS's official
// @aws-sdk/client-kinesis-video-archived-media client, read back with @kvs-ts/getmedia.

import {
  GetMediaForFragmentListCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { readFragments } from '@kvs-ts/getmedia';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { createActive, frames, KEYS, mkvCluster, mkvHeader, putMedia, start, type TestCluster } from './support';

const T0 = 1_700_000_000_000;
const clusters: TestCluster[] = [0, 1, 2, 3, 4].map((i) => ({
  timecode: T0 + i * 2000,
  frames: frames(3, 500, i + 7),
}));

let emu: Emulator;
let archived: KinesisVideoArchivedMediaClient;
let numbers: string[];

beforeAll(async () => {
  emu = await start();
  archived = new KinesisVideoArchivedMediaClient({
    endpoint: emu.url,
    region: emu.region,
    credentials: KEYS,
    maxAttempts: 1,
  });
  await createActive(emu, 'arch');
  const r = await putMedia(emu, 'arch', [mkvHeader(), ...clusters.map((c) => mkvCluster(c))]);
  numbers = r.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber as string);
});
afterAll(async () => {
  archived.destroy();
  await emu.close();
});

describe('archived media (official client)', () => {
  it('ListFragments by producer timestamp range, paginated, with the documented fields', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await archived.send(
        new ListFragmentsCommand({
          StreamName: 'arch',
          MaxResults: 2,
          NextToken: token,
          FragmentSelector: {
            FragmentSelectorType: 'PRODUCER_TIMESTAMP',
            TimestampRange: { StartTimestamp: new Date(T0 + 2000), EndTimestamp: new Date(T0 + 6000) },
          },
        }),
      );
      pages++;
      for (const f of page.Fragments ?? []) {
        seen.push(f.FragmentNumber as string);
        expect(f.FragmentLengthInMilliseconds).toBe(1000);
        expect(f.FragmentSizeInBytes).toBeGreaterThan(150);
        expect(f.ServerTimestamp).toBeInstanceOf(Date);
      }
      token = page.NextToken;
    } while (token);
    expect(seen).toEqual(numbers.slice(1, 4));
    expect(pages).toBe(2);
    const first = await archived.send(
      new ListFragmentsCommand({
        StreamName: 'arch',
        FragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: new Date(T0), EndTimestamp: new Date(T0) },
        },
      }),
    );
    expect(first.Fragments?.[0].ProducerTimestamp?.getTime()).toBe(T0);
  });

  it('GetMediaForFragmentList returns the listed fragments in order with that API tag names', async () => {
    const out = await archived.send(
      new GetMediaForFragmentListCommand({ StreamName: 'arch', Fragments: [numbers[3], numbers[0]] }),
    );
    const got = [];
    for await (const f of readFragments(out.Payload as AsyncIterable<Uint8Array>)) got.push(f);
    expect(got.map((f) => f.fragmentNumber)).toEqual([numbers[3], numbers[0]]);
    expect(got[0].producerTimestamp).toBe((T0 + 6000) * 1000);
    expect(got[0].serverTimestamp).toBeGreaterThan(0);
    expect(got[0].continuationToken).toBeUndefined();
    expect(got[0].frames.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(
      clusters[3].frames.map((f) => Buffer.from(f.data).toString('hex')),
    );
  });

  it('GetMediaForFragmentList refuses an unknown fragment number', async () => {
    const err = (await archived
      .send(new GetMediaForFragmentListCommand({ StreamName: 'arch', Fragments: ['1'.repeat(47)] }))
      .catch((e: unknown) => e)) as { name: string };
    expect(err.name).toBe('ResourceNotFoundException');
  });
});
