// The emulator stores a fragment as views of the body chunks it received (fragmenter.ts,
// closeCluster; nothing copied), and reads SimpleBlocks by their headers only. What GetMedia then
// serves must be the producer's frames, byte for byte, whatever the chunking (frames and
// clusters cut anywhere, down to one byte), over HTTP/1.1 and HTTP/2, and must stay so while
// other uploads arrive afterwards: a receive buffer that node reused would show up here as
// changed bytes.

import http2 from 'node:http2';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { readFragments } from '@kvs-ts/getmedia';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { createActive, KEYS, mkvCluster, mkvHeader, putMedia, signerFor, start, type TestCluster } from './support';

const T0 = 1_700_000_000_000;
const CLUSTERS = 8;

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clusters of 12 frames from 1 byte to 60 kB, every byte drawn from `seed`. */
function clustersFor(seed: number): TestCluster[] {
  const rand = prng(seed);
  return Array.from({ length: CLUSTERS }, (_, c) => ({
    timecode: T0 + c * 1000,
    frames: Array.from({ length: 12 }, (_, i) => ({
      rel: i * 80,
      key: i === 0,
      data: Uint8Array.from({ length: 1 + Math.floor(rand() * 60_000) }, () => Math.floor(rand() * 256)),
    })),
  }));
}

/** The body cut at random points: pieces from 1 byte to 100 kB, and some single bytes. */
function piecesOf(body: Uint8Array, seed: number): Uint8Array[] {
  const rand = prng(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.length; ) {
    const size = rand() < 0.1 ? 1 : 1 + Math.floor(rand() * 100_000);
    out.push(body.subarray(at, Math.min(body.length, at + size)));
    at += size;
  }
  return out;
}

function bodyOf(clusters: TestCluster[]): Uint8Array {
  return Buffer.concat([mkvHeader(), ...clusters.map((c) => mkvCluster(c))]);
}

let emu: Emulator;
let media: KinesisVideoMediaClient;
beforeAll(async () => {
  emu = await start();
  media = new KinesisVideoMediaClient({ endpoint: emu.url, region: emu.region, credentials: KEYS, maxAttempts: 1 });
});
afterAll(async () => {
  media.destroy();
  await emu.close();
});

/** PutMedia over HTTP/2 (h2c prior knowledge), the pieces written one by one; resolves after the last PERSISTED. */
async function putOverHttp2(stream: string, pieces: Uint8Array[]): Promise<number> {
  const url = new URL(`${emu.url}/putMedia`);
  const signed = await signerFor(emu).sign(
    {
      method: 'POST',
      url: url.toString(),
      headers: {
        'x-amzn-stream-name': stream,
        'x-amzn-fragment-timecode-type': 'ABSOLUTE',
        'x-amzn-fragment-acknowledgment-required': '1',
      },
    },
    { payload: 'unsigned' },
  );
  const { host, ...rest } = signed.headers;
  const session = http2.connect(emu.url);
  try {
    const req = session.request({ ':method': 'POST', ':path': '/putMedia', ':authority': host, ...rest });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
    });
    const ended = new Promise<void>((resolve, reject) => {
      req.on('end', resolve);
      req.on('error', reject);
    });
    for (const p of pieces) if (!req.write(p)) await new Promise((r) => req.once('drain', r));
    req.end();
    await ended;
    return text.split('"PERSISTED"').length - 1;
  } finally {
    session.close();
  }
}

/** Every frame GetMedia serves for `stream` from EARLIEST, in order. */
async function framesOf(stream: string): Promise<Uint8Array[]> {
  const abort = new AbortController();
  const out = await media.send(
    new GetMediaCommand({ StreamName: stream, StartSelector: { StartSelectorType: 'EARLIEST' } }),
    { abortSignal: abort.signal },
  );
  const frames: Uint8Array[] = [];
  let fragments = 0;
  try {
    for await (const f of readFragments(out.Payload as AsyncIterable<Uint8Array>)) {
      for (const fr of f.frames) frames.push(fr.data);
      if (++fragments === CLUSTERS) break;
    }
  } finally {
    abort.abort();
    (out.Payload as { destroy?: () => void }).destroy?.();
  }
  return frames;
}

function expectSameFrames(got: Uint8Array[], clusters: TestCluster[]): void {
  const want = clusters.flatMap((c) => c.frames.map((f) => f.data));
  expect(got).toHaveLength(want.length);
  const wrong = got.findIndex((g, i) => Buffer.compare(g, want[i]) !== 0);
  expect(wrong).toBe(-1);
}

describe('stored bytes', () => {
  it('GetMedia serves the frames put over HTTP/1.1 and HTTP/2 byte for byte, cut anywhere, after later uploads too', {
    timeout: 60_000,
  }, async () => {
    const cases = [
      { stream: 'h1', seed: 1, http2: false },
      { stream: 'h2', seed: 2, http2: true },
    ];
    for (const c of cases) {
      await createActive(emu, c.stream);
      const clusters = clustersFor(c.seed);
      const pieces = piecesOf(bodyOf(clusters), c.seed + 100);
      const persisted = c.http2
        ? await putOverHttp2(c.stream, pieces)
        : (await putMedia(emu, c.stream, pieces)).acks.filter((a) => a.EventType === 'PERSISTED').length;
      expect(persisted).toBe(CLUSTERS);
      expectSameFrames(await framesOf(c.stream), clusters);
    }
    // More uploads through the same server, then the first two are read again.
    await createActive(emu, 'later');
    await putMedia(emu, 'later', piecesOf(bodyOf(clustersFor(3)), 103));
    await createActive(emu, 'later2');
    await putOverHttp2('later2', piecesOf(bodyOf(clustersFor(4)), 104));
    expectSameFrames(await framesOf('h1'), clustersFor(1));
    expectSameFrames(await framesOf('h2'), clustersFor(2));
  });
});
