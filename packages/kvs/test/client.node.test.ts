/// <reference types="node" />
// KinesisVideoClient against the local emulator over loopback: streams made, filled and stopped
// through the client; read back with getMedia, listFragments and getMediaForFragmentList; close()
// and `await using` free everything; bad input refused with a KvsError.
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import {
  type FragmentAck,
  FragmentAckType,
  isKvsError,
  KinesisVideoClient,
  type KinesisVideoClientOptions,
  type MediaFrame,
  offlineStream,
  realtimeStream,
  runtimeTransportKind,
} from '@kvs-ts/kvs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const FPS = 25;
const TRACK = { trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 as const };

function frameData(i: number): Uint8Array {
  const data = new Uint8Array(300 + (i % 9) * 111);
  for (let k = 0; k < data.length; k++) data[k] = (i * 31 + k) & 0xff;
  data[0] = i & 0xff;
  data[1] = i >> 8;
  return data;
}

let emulator: Emulator;
let options: KinesisVideoClientOptions;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
  options = {
    region: emulator.region,
    endpoint: emulator.url,
    credentials: { accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey },
  };
});
afterAll(async () => {
  await emulator.close();
});

async function produce(client: KinesisVideoClient, name: string, frames: number): Promise<FragmentAck[]> {
  const stream = client.createStream(realtimeStream(name, { tracks: [TRACK], nalAdaptationFlags: 0 }));
  const acks: FragmentAck[] = [];
  stream.on('ack', (a) => acks.push({ ...a }));
  const start = Date.now() * 1000;
  for (let i = 0; i < frames; i++) {
    const pts = start + Math.round((i * 1e6) / FPS);
    stream.putFrame({ trackId: 1, pts, dts: pts, duration: 40_000, flags: i % FPS === 0 ? 1 : 0, data: frameData(i) });
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 3));
  }
  await client.closeStream(stream, 20_000_000);
  return acks;
}

function expectFrames(frames: MediaFrame[], count: number): void {
  expect(frames).toHaveLength(count);
  const wrong = frames.findIndex((f, i) => Buffer.compare(f.data, frameData(i)) !== 0 || f.key !== (i % FPS === 0));
  expect(wrong).toBe(-1);
}

describe('KinesisVideoClient', () => {
  it('uses node:http for PutMedia in Node', () => {
    expect(runtimeTransportKind()).toBe('node-http');
  });

  it('creates a stream, puts frames, and reads them back with getMedia().frames()', { timeout: 60_000 }, async () => {
    await using client = new KinesisVideoClient(options);
    const acks = await produce(client, 'client-basic', 4 * FPS);
    expect(acks.filter((a) => a.ackType === FragmentAckType.PERSISTED)).toHaveLength(4);
    const frames: MediaFrame[] = [];
    const abort = new AbortController();
    for await (const f of client
      .getMedia({ streamName: 'client-basic', start: { startSelectorType: 'EARLIEST' }, signal: abort.signal })
      .frames()) {
      frames.push(f);
      if (frames.length === 4 * FPS) abort.abort();
    }
    expectFrames(frames, 4 * FPS);
  });

  it('reads media bodies with nodeFetch in Node, and with the fetch it is given when one is', {
    timeout: 60_000,
  }, async () => {
    const paths = (calls: unknown[][]) => calls.map((c) => new URL(String(c[0])).pathname);
    const global = vi.spyOn(globalThis, 'fetch');
    try {
      await using client = new KinesisVideoClient(options);
      await produce(client, 'client-media-fetch', FPS);
      const read = async (c: KinesisVideoClient) => {
        const abort = new AbortController();
        let n = 0;
        for await (const _ of c
          .getMedia({
            streamName: 'client-media-fetch',
            start: { startSelectorType: 'EARLIEST' },
            signal: abort.signal,
          })
          .frames()) {
          if (++n === FPS) abort.abort();
        }
        return n;
      };
      expect(await read(client)).toBe(FPS);
      // Control calls went through fetch, GetMedia did not (nodeFetch: undici's request API).
      expect(paths(global.mock.calls)).toContain('/getDataEndpoint');
      expect(paths(global.mock.calls)).not.toContain('/getMedia');
      const mine = vi.fn((input: string, init: RequestInit) => fetch(input, init));
      await using custom = new KinesisVideoClient({ ...options, fetch: mine });
      expect(await read(custom)).toBe(FPS);
      expect(paths(mine.mock.calls)).toContain('/getMedia');
    } finally {
      global.mockRestore();
    }
  });

  it('lists fragments and reads them with getMediaForFragmentList', { timeout: 60_000 }, async () => {
    await using client = new KinesisVideoClient(options);
    await produce(client, 'client-archive', 3 * FPS);
    const now = Date.now() * 1000;
    const fragments = await client.listFragments({
      streamName: 'client-archive',
      fragmentSelector: {
        fragmentSelectorType: 'SERVER_TIMESTAMP',
        timestampRange: { startTimestamp: now - 3_600_000_000, endTimestamp: now + 60_000_000 },
      },
    });
    expect(fragments).toHaveLength(3);
    fragments.sort((a, b) => (a.producerTimestamp ?? 0) - (b.producerTimestamp ?? 0));
    const frames: MediaFrame[] = [];
    for await (const f of client.getMediaForFragmentList({
      streamName: 'client-archive',
      fragments: fragments.map((f) => f.fragmentNumber),
    }))
      frames.push(...f.frames);
    expectFrames(frames, 3 * FPS);
  });

  it('close() stops and frees every stream, ends reads and refuses new work', { timeout: 60_000 }, async () => {
    const client = new KinesisVideoClient(options);
    const stream = client.createStream(offlineStream('client-close', { tracks: [TRACK], nalAdaptationFlags: 0 }));
    const ready = new Promise((r) => stream.once('ready', () => r(undefined)));
    const persisted: string[] = [];
    stream.on('ack', (a) => {
      if (a.ackType === FragmentAckType.PERSISTED) persisted.push(a.fragmentNumber ?? '');
    });
    const start = Date.now() * 1000;
    for (let i = 0; i < 2 * FPS; i++) {
      const pts = start + i * 40_000;
      await stream.putFrameAsync({
        trackId: 1,
        pts,
        dts: pts,
        duration: 40_000,
        flags: i % FPS === 0 ? 1 : 0,
        data: frameData(i),
      });
    }
    await ready;
    const reading = (async () => {
      let n = 0;
      for await (const _ of client.getMedia({ streamName: 'client-close', start: { startSelectorType: 'NOW' } })) n++;
      return n;
    })();
    await new Promise((r) => setTimeout(r, 100));
    await client.close(20_000_000);
    expect(persisted).toHaveLength(2); // what was buffered was sent and acknowledged before close returned
    expect(await reading).toBeGreaterThanOrEqual(0); // the live read ended
    expect(client.store.allocatedSize).toBe(0);
    expect(client.store.viewCount).toBe(0);
    expect(() => client.createStream(realtimeStream('late'))).toThrow(/closed/);
    await client.close(); // idempotent
  });

  it('refuses a bad definition with a KvsError and its status, and stays usable', async () => {
    await using client = new KinesisVideoClient(options);
    const four = [1, 2, 3, 4].map((trackId) => ({ ...TRACK, trackId }));
    let error: unknown;
    try {
      client.createStream(realtimeStream('four-tracks', { tracks: four }));
    } catch (e) {
      error = e;
    }
    expect(isKvsError(error)).toBe(true);
    expect((error as { statusName: string }).statusName).toMatch(/^STATUS_/);
    const acks = await produce(client, 'after-bad', FPS);
    expect(acks.some((a) => a.ackType === FragmentAckType.PERSISTED)).toBe(true);
  });
});
