// What the client picks per runtime (this file runs in Node, Chromium and Deno), and the presets.
import { KinesisVideoClient, offlineStream, realtimeStream, runtimeTransportKind, StreamingType } from '@kvs-ts/kvs';
import { describe, expect, it } from 'vitest';

const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
const runtime = g.Deno !== undefined ? 'deno' : g.process?.versions?.node !== undefined ? 'node' : 'browser';

describe('client per runtime', () => {
  it('streams PutMedia where the runtime can, and sends whole fragments where it cannot', () => {
    const want = { node: 'node-http', deno: 'fetch-stream', browser: 'per-request' }[runtime];
    expect(runtimeTransportKind()).toBe(want);
  });

  it('presets set the streaming type and keep the caller’s fields', () => {
    expect(realtimeStream('a')).toEqual({ streamName: 'a', streamingType: StreamingType.REALTIME });
    expect(offlineStream('b', { retentionPeriod: 0, streamName: 'ignored' } as never)).toEqual({
      streamName: 'b',
      streamingType: StreamingType.OFFLINE,
      retentionPeriod: 0,
    });
  });

  it('needs a region, and says so with a KvsError', () => {
    expect(
      () => new KinesisVideoClient({ region: '', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ).toThrow(/no region/);
  });
});
