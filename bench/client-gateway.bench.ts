// Issue 9, "Speed": one Node process producing many streams at once, as a camera gateway does.
// GW_STREAMS realtime streams (default 50) of ~2 Mbps (lib/wire.ts's frames: 30 fps, a 45 kB key
// frame every 2 s, ~7.7 kB P frames) through ONE KinesisVideoClient (a content store serves at
// most 128 views: one client per 128 streams beyond that), frames paced by real timers, stream
// phases spread over the GOP (independent cameras), for GW_SECONDS (20; the first GW_WARMUP_S = 4
// not counted), into the emulator in a child process (memory store, persist delay 0).
//
// Baseline in the same run (GW_BASELINE=0 skips it): the same number of PutMedia connections
// (putMediaWithNodeHttp, one per stream) fed the same pre-made MKV pieces on the same timers: the
// transport alone, without the client's streams, content store and packaging.
//
// Per case: CPU share per stream (this process's CPU time / streams / wall time of the window,
// in % of one core; the emulator's beside it), CPU per frame, PERSISTED p50/p99 measured from
// the put of the next key frame (the frame that ends the fragment for the emulator) and from the
// put of the fragment's last frame (fragments still without PERSISTED at the end of the window
// count at their age then), and memory per stream: heapUsed + arrayBuffers after gc() at the end
// of the window (every stream still live, frames still coming until then), minus the same taken
// after the client was made and before any stream, divided by the streams. The content store's
// arenas are ArrayBuffers made up front (the first) or on need: counted in that difference only
// if the streams made it grow, and reported apart (reserved, and bytes in use by frames).
//
// Knobs: GW_STREAMS (50), GW_SECONDS (20), GW_WARMUP_S (4), GW_STORAGE_MB (128, the client's
// default), GW_BASELINE (1). Default run ~1 min.

import type { AwsCredentials } from '@kvs-ts/api';
import { FragmentAckType, FrameFlags } from '@kvs-ts/core';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { type KinesisVideoStream, StreamState } from '@kvs-ts/stream';
import {
  apiOf,
  clientOf,
  createActiveStream,
  deleteByName,
  type KinesisVideoClient,
  load,
  putTarget,
  realtimeStream,
  STREAM_REST,
} from './lib/client';
import { heapNow, printTable } from './lib/report';
import {
  FPS,
  FRAME_US,
  frameData,
  GOP,
  makeKvsMkv,
  ms,
  PieceSource,
  quantile,
  type Servers,
  sleep,
  startServers,
} from './lib/wire';

const N = Number(process.env.GW_STREAMS ?? 50);
const SECONDS = Number(process.env.GW_SECONDS ?? 20);
const WARMUP_S = Number(process.env.GW_WARMUP_S ?? 4);
const STORAGE = Number(process.env.GW_STORAGE_MB ?? 128) * 1024 * 1024;
const BASELINE = process.env.GW_BASELINE !== '0';
const FRAME_MS = 1000 / FPS;
const PER_CLIENT = 128;

let seq = 0;
const newName = (what: string): string => `gw-${what}-${process.pid}-${++seq}`;

/** One producer: puts frame i (or pushes piece i) and is told each fragment's PERSISTED. */
interface Producer {
  put(i: number, pts: number, key: boolean): void;
  /** Fragment timecode (ms) → when its last frame was put. */
  last: Map<number, number>;
  /** Fragment timecode (ms) → when the next key frame was put (the fragment's end for the emulator). */
  end: Map<number, number>;
  errors: number;
}

interface CaseResult {
  wallMs: number;
  clientCpuMs: number;
  serverCpuMs: number;
  framesPut: number;
  framesDue: number;
  maxLateMs: number;
  persistedFromKey: number[];
  persistedFromLast: number[];
  late: number;
  errors: number;
  memBase: number;
  memAfter: number;
  rssBase: number;
  rssAfter: number;
  storeReserved0: number;
  storeReserved: number;
  storeAllocated: number;
}

/**
 * Paces every producer for SECONDS, records latency for fragments that end in the measured
 * window, samples CPU over the window and memory at its end. `onAck` calls come from the case.
 */
async function drive(
  servers: Servers,
  producers: Producer[],
  startUs: number,
  memory: () => { storeReserved: number; storeAllocated: number },
  measure: { from: number; to: number },
): Promise<Omit<CaseResult, 'memBase' | 'rssBase' | 'storeReserved0' | 'errors'>> {
  const n = producers.length;
  const phase = (s: number): number => (s / n) * GOP;
  const t0 = performance.now() + 100;
  const stopAt = t0 + SECONDS * 1000;
  measure.from = t0 + WARMUP_S * 1000;
  measure.to = stopAt;
  let framesPut = 0;
  let maxLate = 0;
  const running = producers.map(
    (p, s) =>
      new Promise<void>((resolve) => {
        let i = 0;
        let lastTc = -1;
        const tick = (): void => {
          const now = performance.now();
          for (;;) {
            const due = t0 + (phase(s) + i) * FRAME_MS;
            if (due > now || due >= stopAt) break;
            maxLate = Math.max(maxLate, now - due);
            const pts = startUs + i * FRAME_US;
            const key = i % GOP === 0;
            if (key && lastTc >= 0) p.end.set(lastTc, now);
            if (key) lastTc = Math.floor(pts / 1000);
            if (i % GOP === GOP - 1) p.last.set(lastTc, now);
            p.put(i, pts, key);
            framesPut++;
            i++;
          }
          const next = t0 + (phase(s) + i) * FRAME_MS;
          if (next >= stopAt) return resolve();
          setTimeout(tick, Math.max(0, next - performance.now()));
        };
        setTimeout(tick, Math.max(0, t0 + phase(s) * FRAME_MS - performance.now()));
      }),
  );
  await sleep(measure.from - performance.now());
  const server0 = await servers.cpu();
  const client0 = process.cpuUsage();
  const wall0 = performance.now();
  await Promise.all(running);
  const wallMs = performance.now() - wall0;
  const c = process.cpuUsage(client0);
  const serverCpuMs = ((await servers.cpu()) - server0) / 1000;
  // Memory with every stream live (each holds its unfinished fragment and what awaits PERSISTED).
  const memAfter = heapNow();
  const rssAfter = process.memoryUsage().rss;
  const store = memory();
  let framesDue = 0;
  for (let s = 0; s < n; s++) framesDue += Math.ceil((SECONDS * 1000 - phase(s) * FRAME_MS) / FRAME_MS);
  return {
    wallMs,
    clientCpuMs: (c.user + c.system) / 1000,
    serverCpuMs,
    framesPut,
    framesDue,
    maxLateMs: maxLate,
    persistedFromKey: [],
    persistedFromLast: [],
    late: 0,
    memAfter,
    rssAfter,
    ...store,
  };
}

/** The latency of one PERSISTED ACK for fragment `tc` of `p`, if the fragment ended in the window. */
function onPersisted(
  p: Producer,
  tc: number,
  now: number,
  measure: { from: number; to: number },
  fromKey: number[],
  fromLast: number[],
): void {
  const end = p.end.get(tc);
  if (end === undefined) return;
  p.end.delete(tc);
  if (end < measure.from || end > measure.to) return;
  fromKey.push(now - end);
  const last = p.last.get(tc);
  if (last !== undefined) fromLast.push(now - last);
}

/** Fragments that ended in the window and still wait: counted at their age now. */
function pending(producers: Producer[], measure: { from: number; to: number }, r: CaseResult): void {
  const now = performance.now();
  for (const p of producers)
    for (const [tc, end] of p.end) {
      if (end < measure.from || end > measure.to) continue;
      if (now - end >= 1000) r.late++;
      r.persistedFromKey.push(now - end);
      const last = p.last.get(tc);
      if (last !== undefined) r.persistedFromLast.push(now - last);
    }
}

async function clientCase(servers: Servers): Promise<CaseResult> {
  const api = apiOf(servers);
  const clients: KinesisVideoClient[] = [];
  for (let k = 0; k * PER_CLIENT < N; k++) clients.push(clientOf(servers, STORAGE));
  const reserved = () => clients.reduce((sum, c) => sum + c.store.heap.reservedBytes, 0);
  const memBase = heapNow();
  const rssBase = process.memoryUsage().rss;
  const storeReserved0 = reserved();
  const measure = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
  const fromKey: number[] = [];
  const fromLast: number[] = [];
  const streams: KinesisVideoStream<AwsCredentials>[] = [];
  const producers: Producer[] = [];
  const names: string[] = [];
  for (let s = 0; s < N; s++) {
    const name = newName('client');
    names.push(name);
    const stream = clients[Math.floor(s / PER_CLIENT)].createStream(realtimeStream(name, STREAM_REST));
    const p: Producer = {
      put: (i, pts, key) =>
        stream.putFrame({
          trackId: 1,
          pts,
          dts: pts,
          duration: FRAME_US,
          flags: key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
          data: frameData(i),
        }),
      last: new Map(),
      end: new Map(),
      errors: 0,
    };
    stream.on('ack', (ack) => {
      if (ack.ackType === FragmentAckType.ERROR) p.errors++;
      if (ack.ackType === FragmentAckType.PERSISTED && ack.timecode !== undefined)
        onPersisted(p, ack.timecode, performance.now(), measure, fromKey, fromLast);
    });
    stream.on('error', () => p.errors++);
    stream.on('droppedFrame', () => p.errors++);
    stream.on('droppedFragment', () => p.errors++);
    streams.push(stream);
    producers.push(p);
  }
  for (let i = 0; !streams.every((s) => s.state === StreamState.READY); i++) {
    if (i > 3000) throw new Error(`${N} streams: not all READY`);
    await sleep(10);
  }
  const startUs = Date.now() * 1000 + 100_000;
  const r = await drive(
    servers,
    producers,
    startUs,
    () => ({
      storeReserved: reserved(),
      storeAllocated: clients.reduce((sum, c) => sum + c.store.allocatedSize, 0),
    }),
    measure,
  );
  const result: CaseResult = {
    ...r,
    memBase,
    rssBase,
    storeReserved0,
    errors: 0,
    persistedFromKey: fromKey,
    persistedFromLast: fromLast,
  };
  pending(producers, measure, result);
  result.errors = producers.reduce((sum, p) => sum + p.errors, 0);
  await Promise.all(clients.map((c) => c.close(60_000_000)));
  for (const name of names) await deleteByName(api, name);
  return result;
}

async function transportCase(servers: Servers): Promise<CaseResult> {
  const api = apiOf(servers);
  const startUs = Date.now() * 1000 + 2_000_000;
  // One MKV for every connection (each its own stream; the same timecodes are fine), made first.
  const mkv = makeKvsMkv(Math.ceil(SECONDS / 2) + 2, startUs);
  const index = new Map(mkv.timecodes.map((tc, k) => [tc, k]));
  const memBase = heapNow();
  const rssBase = process.memoryUsage().rss;
  const measure = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
  const fromKey: number[] = [];
  const fromLast: number[] = [];
  const producers: Producer[] = [];
  const sources: PieceSource[] = [];
  const done: Promise<unknown>[] = [];
  const names: string[] = [];
  for (let s = 0; s < N; s++) {
    const name = newName('put');
    names.push(name);
    const endpoint = await createActiveStream(api, name);
    const p: Producer = {
      put: (i) => source.push(mkv.pieces[i]),
      last: new Map(),
      end: new Map(),
      errors: 0,
    };
    const source: PieceSource = new PieceSource((ack, at) => {
      if (ack.ackType === FragmentAckType.ERROR) p.errors++;
      if (ack.ackType === FragmentAckType.PERSISTED && ack.timecode !== undefined && index.has(ack.timecode))
        onPersisted(p, ack.timecode, at, measure, fromKey, fromLast);
    });
    done.push(
      putMediaWithNodeHttp(putTarget(servers, endpoint, name, startUs), source, {
        onError: () => p.errors++,
      }),
    );
    sources.push(source);
    producers.push(p);
  }
  const r = await drive(servers, producers, startUs, () => ({ storeReserved: 0, storeAllocated: 0 }), measure);
  const result: CaseResult = {
    ...r,
    memBase,
    rssBase,
    storeReserved0: 0,
    errors: 0,
    persistedFromKey: fromKey,
    persistedFromLast: fromLast,
  };
  pending(producers, measure, result);
  result.errors = producers.reduce((sum, p) => sum + p.errors, 0);
  for (const source of sources) source.close();
  await Promise.all(done);
  await Promise.all(sources.map((s) => s.ended));
  for (const name of names) await deleteByName(api, name);
  return result;
}

function row(path: string, r: CaseResult) {
  const perStream = (bytes: number) => `${(bytes / N / 1024).toFixed(0)}`;
  return {
    path,
    'frames put/due': `${r.framesPut}/${r.framesDue}`,
    'late max ms': ms(r.maxLateMs),
    'CPU % of a core per stream': ((100 * r.clientCpuMs) / N / r.wallMs).toFixed(2),
    'client CPU % total': ((100 * r.clientCpuMs) / r.wallMs).toFixed(0),
    'emulator CPU %': ((100 * r.serverCpuMs) / r.wallMs).toFixed(0),
    'client µs/frame': ((1000 * r.clientCpuMs) / ((r.framesPut * r.wallMs) / (SECONDS * 1000))).toFixed(0),
    fragments: r.persistedFromKey.length,
    'PERSISTED p50': ms(quantile(r.persistedFromKey, 0.5)),
    p99: ms(quantile(r.persistedFromKey, 0.99)),
    'from last frame p50': ms(quantile(r.persistedFromLast, 0.5)),
    'p99 ': ms(quantile(r.persistedFromLast, 0.99)),
    'KiB/stream heap+AB': perStream(r.memAfter - r.memBase),
    'of which store arenas grown': perStream(r.storeReserved - r.storeReserved0),
    'RSS KiB/stream': perStream(r.rssAfter - r.rssBase),
    'store in use KiB/stream': perStream(r.storeAllocated),
    errors: r.errors + (r.late ? ` (${r.late} late)` : ''),
  };
}

console.log(`load average at start: ${load()}`);
const servers = await startServers();
const rows = [];
let client: CaseResult | undefined;
try {
  if (BASELINE) {
    const t = await transportCase(servers);
    rows.push(row(`PutMedia only (${N} connections, pre-made pieces)`, t));
    console.log(`  baseline done, load average ${load()}`);
  }
  client = await clientCase(servers);
  rows.push(row(`KinesisVideoClient, ${N} realtime streams`, client));
  console.log(`  client done, load average ${load()}`);
} finally {
  await servers.close();
}
console.log(
  `\n${N} realtime ~2 Mbps streams (30 fps, key frame every 2 s, phases spread over the GOP) from one process, ${SECONDS} s (first ${WARMUP_S} s not counted), emulator in a child process; latency in ms`,
);
printTable(rows);
if (client) {
  const c = client;
  console.log(
    `  store: ${STORAGE / 1024 / 1024} MiB budget per client, ${(c.storeReserved0 / 1048576).toFixed(0)} MiB of arenas before the streams, ${(c.storeReserved / 1048576).toFixed(0)} MiB after, ${(c.storeAllocated / 1048576).toFixed(1)} MiB in use by frames at the end`,
  );
  console.log(
    `  memory per stream without the arenas the streams made the store add: ${((c.memAfter - c.memBase - (c.storeReserved - c.storeReserved0)) / N / 1024).toFixed(0)} KiB (heap + arrayBuffers − arena growth); client made before the baseline`,
  );
}
console.log(`load average at end: ${load()}`);
