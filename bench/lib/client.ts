// Shared by the client benchmarks of issue 9 (client.bench.ts, client-gateway.bench.ts): the
// KinesisVideoClient of @kvs-ts/kvs, a PutMedia-only upload of pre-made bytes as wire.bench.ts does it (the baseline), CPU of both
// processes, ranges and the machine's load.
import { loadavg } from 'node:os';
import { type AwsCredentials, type FetchLike, KinesisVideoApi } from '@kvs-ts/api';
import { FragmentAckType, ServiceCallResult } from '@kvs-ts/core';
import { KinesisVideoClient } from '@kvs-ts/kvs';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { mainThreadCpuMs } from './threads';
import { FPS, FRAME_US, GOP, H264_TRACK, type KvsMkv, PieceSource, type Servers, sleep } from './wire';

export { offlineStream, realtimeStream } from '@kvs-ts/kvs';
export { KinesisVideoClient };

/** The client of a benchmark: the emulator's endpoint and keys, a store of `storageSize` bytes. */
export function clientOf(s: Servers, storageSize?: number): KinesisVideoClient {
  return new KinesisVideoClient({
    region: s.region,
    endpoint: s.url,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    storageSize,
  });
}

/** An API client for the servers' emulator; `mediaFetch` for its media bodies (e.g. nodeFetch()). */
export function apiOf(s: Servers, mediaFetch?: FetchLike): KinesisVideoApi {
  const credentials: AwsCredentials = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  return new KinesisVideoApi({ region: s.region, endpoint: s.url, credentials, mediaFetch });
}

/** What every benchmark stream carries: one H.264 track, frames passed as they are, 30 fps. */
export const STREAM_REST = { tracks: [H264_TRACK], nalAdaptationFlags: 0, frameRate: FPS };

/** A stream with 1 h retention (so PERSISTED is sent), ACTIVE, and its PutMedia endpoint. */
export async function createActiveStream(api: KinesisVideoApi, name: string): Promise<string> {
  await api.createStream({ streamName: name, dataRetentionInHours: 1 });
  for (let i = 0; (await api.describeStream({ streamName: name })).status !== 'ACTIVE'; i++) {
    if (i > 100) throw new Error(`${name} not ACTIVE`);
    await sleep(5);
  }
  return api.getDataEndpoint({ streamName: name, apiName: 'PUT_MEDIA' });
}

/** Deletes a stream so that the emulator frees its fragments (it keeps them in memory). */
export async function deleteByName(api: KinesisVideoApi, name: string): Promise<void> {
  const d = await api.describeStream({ streamName: name }).catch(() => undefined);
  if (d) await api.deleteStream({ streamArn: d.streamArn });
}

/** The transport's options for one stream of the emulator. */
export function putTarget(s: Servers, endpoint: string, streamName: string, producerStartTimestamp: number) {
  return {
    endpoint,
    streamName,
    producerStartTimestamp,
    region: s.region,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  };
}

/**
 * The PutMedia-only path of wire.bench.ts: putMediaWithNodeHttp from pre-made pieces (all pushed
 * at once) until the response ends after the last PERSISTED. Returns ms.
 */
export async function putMediaUpload(
  s: Servers,
  api: KinesisVideoApi,
  mkv: KvsMkv,
  startUs: number,
  name: string,
): Promise<number> {
  const endpoint = await createActiveStream(api, name);
  let persisted = 0;
  const errors: string[] = [];
  const source = new PieceSource((ack) => {
    if (ack.ackType === FragmentAckType.PERSISTED) persisted++;
    if (ack.ackType === FragmentAckType.ERROR) errors.push(`ERROR ACK ${ack.result}`);
  }, false);
  source.push(...mkv.pieces);
  source.close();
  const started = performance.now();
  await putMediaWithNodeHttp(putTarget(s, endpoint, name, startUs), source, {
    onError: (e) => errors.push(e.message),
  });
  const result = await source.ended;
  const elapsed = performance.now() - started;
  if (result !== ServiceCallResult.OK || errors.length > 0 || persisted !== mkv.timecodes.length)
    throw new Error(`PutMedia: result ${result}, ${persisted}/${mkv.timecodes.length} PERSISTED, ${errors.join('; ')}`);
  return elapsed;
}

export interface Range {
  best: number;
  min: number;
  max: number;
}
export function rangeOf(values: number[], higherIsBetter = true): Range {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { best: higherIsBetter ? max : min, min, max };
}
export const fmt = (r: Range, digits = 0): string =>
  `${r.best.toFixed(digits)} [${r.min.toFixed(digits)}–${r.max.toFixed(digits)}]`;

/**
 * Runs `fn`, returning its result with the CPU both processes spent meanwhile (ms), and how much
 * of it their main threads spent (lib/threads.ts; undefined off Linux): the rest is V8's
 * background threads (GC, compilation) and libuv's pool.
 */
export async function withCpu<T>(
  s: Servers,
  fn: () => Promise<T>,
): Promise<{ value: T; client: number; server: number; clientMain?: number; serverMain?: number }> {
  const server0 = await s.cpuSplit();
  const client0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const value = await fn();
  const c = process.cpuUsage(client0);
  const main1 = mainThreadCpuMs();
  const server1 = await s.cpuSplit();
  return {
    value,
    client: (c.user + c.system) / 1000,
    server: (server1.us - server0.us) / 1000,
    clientMain: main0 === undefined || main1 === undefined ? undefined : main1 - main0,
    serverMain:
      server0.mainMs === undefined || server1.mainMs === undefined ? undefined : server1.mainMs - server0.mainMs,
  };
}

/** The 1/5/15 min load averages, as uptime prints them. */
export const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

export { FPS, FRAME_US, GOP };
