/// <reference types="node" />
// The whole produce-and-consume path over loopback: KinesisVideoStream (state machine, content
// store) with @kvs-ts/api's service calls and the node:http PutMedia transport, into the local
// emulator; then GetMedia through the resuming consumer. Every frame put comes back byte for
// byte, in order, once; the stream saw PERSISTED for every fragment.
import { ApiStreamService, type AwsCredentials, KinesisVideoApi } from '@kvs-ts/api';
import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType } from '@kvs-ts/core';
import { startEmulator } from '@kvs-ts/emulator';
import { consumeGetMedia, type MediaFrame } from '@kvs-ts/getmedia';
import { putStreamWith } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { KinesisVideoStream, systemClock } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';

const FPS = 25;
const FRAMES = 150; // 6 s at 25 fps, a fragment per second

function frameData(i: number): Uint8Array {
  const data = new Uint8Array(500 + (i % 7) * 300);
  for (let k = 0; k < data.length; k++) data[k] = (i * 13 + k) & 0xff;
  data[0] = i & 0xff;
  data[1] = i >> 8;
  return data;
}

describe('PutMedia → emulator → GetMedia over loopback', () => {
  it('stores every frame once, in order, byte for byte', { timeout: 60_000 }, async () => {
    const emulator = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
    try {
      const credentials: AwsCredentials = {
        accessKeyId: emulator.accessKeyId,
        secretAccessKey: emulator.secretAccessKey,
      };
      const api = new KinesisVideoApi({ region: emulator.region, endpoint: emulator.url, credentials });
      let stream: KinesisVideoStream<AwsCredentials> | undefined;
      const transportErrors: string[] = [];
      const service = new ApiStreamService(api, {
        putMedia: putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
          region: emulator.region,
          transport: putMediaWithNodeHttp,
          transportOptions: { onError: (e) => transportErrors.push(e.message) },
        }),
      });
      stream = new KinesisVideoStream<AwsCredentials>({
        definition: {
          streamName: 'e2e',
          tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
          nalAdaptationFlags: 0,
          retentionPeriod: 3_600_000_000,
        },
        store: new ContentStore({ storageSize: 16 * 1024 * 1024 }),
        service,
        clock: systemClock,
      });
      const persisted: string[] = [];
      stream.on('ack', (ack) => {
        if (ack.ackType === FragmentAckType.PERSISTED) persisted.push(ack.fragmentNumber ?? '');
      });
      const streamErrors: string[] = [];
      stream.on('error', (e) => streamErrors.push(e.message));
      stream.start();
      const start = Date.now() * 1000;
      for (let i = 0; i < FRAMES; i++) {
        const pts = start + Math.round((i * 1_000_000) / FPS);
        stream.putFrame({
          trackId: 1,
          pts,
          dts: pts,
          duration: 40_000,
          flags: i % FPS === 0 ? 1 : 0,
          data: frameData(i),
        });
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
      }
      await stream.stopSync(30_000_000);
      expect(streamErrors).toEqual([]);
      expect(transportErrors).toEqual([]);
      expect(persisted.length).toBe(FRAMES / FPS);

      const frames: MediaFrame[] = [];
      const abort = new AbortController();
      for await (const f of consumeGetMedia(
        (start, signal) => api.getMedia({ streamName: 'e2e', startSelector: start }, { signal }).then((p) => p.body),
        { startSelectorType: 'EARLIEST' },
        { signal: abort.signal },
      )) {
        frames.push(...f.frames);
        expect(f.continuationToken).toBeDefined();
        if (frames.length >= FRAMES) abort.abort();
      }
      expect(frames).toHaveLength(FRAMES);
      const wrong = frames.findIndex((f, i) => {
        const want = frameData(i);
        return f.data.length !== want.length || f.data.some((b, k) => b !== want[k]) || f.key !== (i % FPS === 0);
      });
      expect(wrong).toBe(-1);
      stream.free();
    } finally {
      await emulator.close();
    }
  });
});
