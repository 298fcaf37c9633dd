/// <reference types="node" />
// The per-request PutMedia mode (for runtimes that cannot stream a request body) over loopback:
// KinesisVideoStream → one whole-body fetch per 1…N fragments → the emulator → GetMedia. Every
// frame comes back once, in order, byte for byte; fragment metadata stays on its fragment; a
// request the emulator cuts is replayed by the stream's own recovery.
import { ApiStreamService, type AwsCredentials, KinesisVideoApi } from '@kvs-ts/api';
import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType } from '@kvs-ts/core';
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import { consumeGetMedia, type MediaFragment } from '@kvs-ts/getmedia';
import { type FetchLike, putMediaPerRequest, putStreamWith } from '@kvs-ts/putmedia';
import { KinesisVideoStream, systemClock } from '@kvs-ts/stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const FPS = 25;

function frameData(i: number): Uint8Array {
  const data = new Uint8Array(400 + (i % 5) * 250);
  for (let k = 0; k < data.length; k++) data[k] = (i * 7 + k) & 0xff;
  data[0] = i & 0xff;
  data[1] = i >> 8;
  return data;
}

let emulator: Emulator;
beforeEach(async () => {
  emulator = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
});
afterEach(async () => {
  await emulator.close();
});

interface Run {
  requests: number;
  persisted: number;
  errors: string[];
  fragments: MediaFragment[];
}

async function run(name: string, frames: number, fragmentsPerRequest: number, metadataAt?: number): Promise<Run> {
  const credentials: AwsCredentials = { accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey };
  const api = new KinesisVideoApi({ region: emulator.region, endpoint: emulator.url, credentials });
  let requests = 0;
  const counting: FetchLike = (url, init) => {
    if (url.endsWith('/putMedia')) {
      requests++;
      // A whole body, never a stream: what a browser over HTTP/1.1 can send.
      expect(init.body).toBeInstanceOf(Uint8Array);
      expect(init.duplex).toBeUndefined();
    }
    return fetch(url, init);
  };
  const errors: string[] = [];
  let stream: KinesisVideoStream<AwsCredentials> | undefined;
  const service = new ApiStreamService(api, {
    putMedia: putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
      region: emulator.region,
      transport: putMediaPerRequest,
      transportOptions: { fetch: counting, fragmentsPerRequest, onError: (e) => errors.push(e.message) },
    }),
  });
  stream = new KinesisVideoStream<AwsCredentials>({
    definition: {
      streamName: name,
      tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
      nalAdaptationFlags: 0,
      retentionPeriod: 3_600_000_000,
    },
    store: new ContentStore({ storageSize: 16 * 1024 * 1024 }),
    service,
    clock: systemClock,
  });
  let persisted = 0;
  stream.on('ack', (ack) => {
    if (ack.ackType === FragmentAckType.PERSISTED) persisted++;
  });
  stream.on('error', (e) => errors.push(`stream: ${e.message}`));
  stream.start();
  const start = Date.now() * 1000;
  for (let i = 0; i < frames; i++) {
    if (i === metadataAt) stream.putFragmentMetadata('camera', 'front door', false);
    const pts = start + Math.round((i * 1_000_000) / FPS);
    stream.putFrame({ trackId: 1, pts, dts: pts, duration: 40_000, flags: i % FPS === 0 ? 1 : 0, data: frameData(i) });
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 2));
  }
  await stream.stopSync(30_000_000);
  stream.free();

  const fragments: MediaFragment[] = [];
  const abort = new AbortController();
  let count = 0;
  for await (const f of consumeGetMedia(
    (from, signal) => api.getMedia({ streamName: name, startSelector: from }, { signal }).then((p) => p.body),
    { startSelectorType: 'EARLIEST' },
    { signal: abort.signal },
  )) {
    fragments.push(f);
    count += f.frames.length;
    if (count >= frames) abort.abort();
  }
  return { requests, persisted, errors, fragments };
}

function expectFrames(fragments: MediaFragment[], frames: number): void {
  const got = fragments.flatMap((f) => f.frames);
  expect(got).toHaveLength(frames);
  const wrong = got.findIndex((f, i) => Buffer.compare(f.data, frameData(i)) !== 0 || f.key !== (i % FPS === 0));
  expect(wrong).toBe(-1);
}

describe('PutMedia per request', () => {
  it('sends one whole-body request per fragment, and every frame comes back once', { timeout: 60_000 }, async () => {
    const r = await run('per-fragment', 6 * FPS, 1);
    expect(r.errors).toEqual([]);
    expect(r.persisted).toBe(6);
    expect(r.requests).toBe(6);
    expect(r.fragments).toHaveLength(6);
    expectFrames(r.fragments, 6 * FPS);
  });

  it('groups fragments N to a request', { timeout: 60_000 }, async () => {
    const r = await run('per-three', 7 * FPS, 3);
    expect(r.errors).toEqual([]);
    expect(r.persisted).toBe(7);
    expect(r.requests).toBe(3); // 3 + 3 + the last one at stop
    expectFrames(r.fragments, 7 * FPS);
  });

  it('keeps fragment metadata on the fragment it was put before', { timeout: 60_000 }, async () => {
    const r = await run('metadata', 4 * FPS, 1, 2 * FPS);
    expect(r.errors).toEqual([]);
    const tagged = r.fragments.map((f) => f.tags.some((t) => t.name === 'camera' && t.value === 'front door'));
    expect(tagged).toEqual([false, false, true, false]);
    expectFrames(r.fragments, 4 * FPS);
  });

  it('recovers from a request cut by the service, losing and repeating nothing', { timeout: 60_000 }, async () => {
    emulator.admin.putMediaFault({ dropAfterBytes: 20_000, connections: 1 });
    const r = await run('cut', 5 * FPS, 1);
    expect(r.persisted).toBe(5);
    expect(r.requests).toBeGreaterThan(5);
    expect(r.errors.some((e) => /PutMedia/.test(e))).toBe(true);
    expectFrames(r.fragments, 5 * FPS);
  });
});
