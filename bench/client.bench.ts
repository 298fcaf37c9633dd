// Issue 9, "Speed": the client end to end over 127.0.0.1. The emulator runs in a child process
// (lib/wire-server.ts: memory store, persist delay 0), the producers here, so each has a core.
//
// 1. Sustained upload of ~100 MB (the frames of lib/wire.ts: 30 fps, a 45 kB key frame every 2 s,
//    ~7.7 kB P frames, ~2 Mbps of media) three ways, in the same run and round:
//    (a) PutMedia only, as wire.bench.ts measures it: putMediaWithNodeHttp from pre-made MKV
//        pieces until the response ends after the last PERSISTED (the baseline);
//    (b) KinesisVideoClient + offlineStream: `await putFrameAsync` for every frame as fast as it
//        resolves (it waits for room when the view is full), then client.closeStream (everything
//        PERSISTED);
//    (c) KinesisVideoClient + realtimeStream: putFrame as fast as the buffer allows (paused while
//        more than 4 MB are unsent, as wire.bench.ts's whole-stream case), then closeStream.
//    Timed from the first byte pushed / frame put (the stream already READY) to the end. Rates:
//    bytes on the wire (the stream's transferredBytes) and frames per second; CPU time of the
//    client process and of the emulator's process per frame.
// 2. put → PERSISTED latency: a realtime stream through the client, frames paced by timers at
//    CLIENT_LAT_SPEED × real time (default 10: a frame every 3.3 ms, a fragment every 200 ms, so
//    that enough fragments pass in a short run), beside the same pacing of pre-made pieces
//    through putMediaWithNodeHttp. Latency to the stream's 'ack' event (the PieceSource's ack for
//    the baseline) carrying the fragment's timecode (its start, ms, absolute), measured (i) from
//    the put of the NEXT key frame, the frame whose cluster tells the emulator that the fragment
//    ended, and (ii) from the put of the fragment's LAST frame (i + one frame interval).
//
// Correctness is checked (every fragment PERSISTED, no drop, no error); speed never is.
// Knobs: CLIENT_FRAGMENTS (200 × 2 s ≈ 100 MB), CLIENT_ROUNDS (3), CLIENT_CASES=put,offline,realtime,
// CLIENT_LAT_FRAGMENTS (120), CLIENT_LAT_SPEED (10), CLIENT_STORAGE_MB (128, the client's
// default), CLIENT_ONLY=upload,latency.

import type { AwsCredentials, KinesisVideoApi } from '@kvs-ts/api';
import { type FragmentAck, FragmentAckType, FrameFlags } from '@kvs-ts/core';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { type KinesisVideoStream, StreamState } from '@kvs-ts/stream';
import {
  apiOf,
  clientOf,
  createActiveStream,
  deleteByName,
  fmt,
  type KinesisVideoClient,
  load,
  offlineStream,
  putMediaUpload,
  putTarget,
  rangeOf,
  realtimeStream,
  STREAM_REST,
  withCpu,
} from './lib/client';
import { printTable } from './lib/report';
import {
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

const FRAGMENTS = Number(process.env.CLIENT_FRAGMENTS ?? 200);
const ROUNDS = Number(process.env.CLIENT_ROUNDS ?? 3);
const CASES = (process.env.CLIENT_CASES ?? 'put,offline,realtime').split(',') as Array<'put' | 'offline' | 'realtime'>;
const LAT_FRAGMENTS = Number(process.env.CLIENT_LAT_FRAGMENTS ?? 120);
const LAT_SPEED = Number(process.env.CLIENT_LAT_SPEED ?? 10);
const LAT_WARMUP = 5;
const STORAGE = Number(process.env.CLIENT_STORAGE_MB ?? 128) * 1024 * 1024;
const ONLY = new Set((process.env.CLIENT_ONLY ?? 'upload,latency').split(','));

let seq = 0;
const newName = (what: string): string => `client-${what}-${process.pid}-${++seq}`;

function frameAt(startUs: number, i: number) {
  const pts = startUs + i * FRAME_US;
  return {
    trackId: 1,
    pts,
    dts: pts,
    duration: FRAME_US,
    flags: i % GOP === 0 ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
    data: frameData(i),
  };
}

/** Waits until a client stream is READY (described, created, endpoint found). */
async function ready(stream: KinesisVideoStream<AwsCredentials>): Promise<void> {
  for (let i = 0; stream.state !== StreamState.READY; i++) {
    if (i > 5000) throw new Error(`stream not READY: ${stream.state}`);
    await sleep(1);
  }
}

/** Watches a client stream: PERSISTED count, errors and drops. */
function watch(stream: KinesisVideoStream<AwsCredentials>) {
  const w = { persisted: 0, errors: [] as string[] };
  stream.on('ack', (ack) => {
    if (ack.ackType === FragmentAckType.PERSISTED) w.persisted++;
    if (ack.ackType === FragmentAckType.ERROR) w.errors.push(`ERROR ACK ${ack.result}`);
  });
  stream.on('error', (e) => w.errors.push(e.message));
  stream.on('droppedFrame', () => w.errors.push('dropped frame'));
  stream.on('droppedFragment', () => w.errors.push('dropped fragment'));
  return w;
}

// ---------------------------------------------------------------------------------------------
// 1. Sustained upload

async function clientUpload(
  client: KinesisVideoClient,
  mode: 'offline' | 'realtime',
  frames: number,
  name: string,
): Promise<{ elapsed: number; sent: number }> {
  const def = mode === 'offline' ? offlineStream(name, STREAM_REST) : realtimeStream(name, STREAM_REST);
  const stream = client.createStream(def);
  const w = watch(stream);
  await ready(stream);
  const startUs = Date.now() * 1000;
  const started = performance.now();
  if (mode === 'offline') {
    for (let i = 0; i < frames; i++) await stream.putFrameAsync(frameAt(startUs, i));
  } else {
    for (let i = 0; i < frames; i++) {
      stream.putFrame(frameAt(startUs, i));
      // As fast as the transport takes it, a few MB ahead (a producer faster than the network).
      if (i % GOP === GOP - 1) {
        await new Promise((r) => setImmediate(r));
        while (stream.metrics().currentViewSize > 4 * 1024 * 1024) await sleep(1);
      }
    }
  }
  await stream.stopSync(120_000_000);
  const sent = stream.metrics().transferredBytes;
  await client.closeStream(stream, 120_000_000);
  const elapsed = performance.now() - started;
  const fragments = Math.ceil(frames / GOP);
  if (w.errors.length > 0 || w.persisted !== fragments)
    throw new Error(`${mode}: ${w.persisted}/${fragments} PERSISTED, ${w.errors.slice(0, 3).join('; ')}`);
  return { elapsed, sent };
}

async function upload(s: Servers, api: KinesisVideoApi, client: KinesisVideoClient): Promise<void> {
  const startUs = Date.now() * 1000;
  const mkv = makeKvsMkv(FRAGMENTS, startUs);
  const rate: Record<string, number[]> = {};
  const fps: Record<string, number[]> = {};
  const ratio: Record<string, number[]> = {};
  const cpuC: Record<string, number[]> = {};
  const cpuS: Record<string, number[]> = {};
  const cpuC100: Record<string, number[]> = {};
  for (const c of CASES) {
    rate[c] = [];
    fps[c] = [];
    ratio[c] = [];
    cpuC[c] = [];
    cpuS[c] = [];
    cpuC100[c] = [];
  }
  let sentBytes = 0;
  // Warm-up (JIT, sockets), untimed: a tenth of the data each way.
  const warm = newName('warm');
  await putMediaUpload(s, api, makeKvsMkv(Math.ceil(FRAGMENTS / 10), startUs), startUs, warm);
  await deleteByName(api, warm);
  for (const mode of ['offline', 'realtime'] as const) {
    const n = newName(`warm-${mode}`);
    await clientUpload(client, mode, Math.ceil(FRAGMENTS / 10) * GOP, n);
    await deleteByName(api, n);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const roundRate: Record<string, number> = {};
    for (const c of CASES) {
      const name = newName(c);
      const r = await withCpu(s, async () => {
        if (c === 'put')
          return { elapsed: await putMediaUpload(s, api, mkv, startUs, name), sent: mkv.bytes, frames: mkv.frames };
        return { ...(await clientUpload(client, c, mkv.frames, name)), frames: mkv.frames };
      });
      await deleteByName(api, name);
      const { elapsed, sent, frames } = r.value;
      if (c !== 'put') sentBytes = sent;
      roundRate[c] = sent / 1e6 / (elapsed / 1000);
      rate[c].push(roundRate[c]);
      fps[c].push(frames / (elapsed / 1000));
      cpuC[c].push((r.client * 1000) / frames);
      cpuS[c].push((r.server * 1000) / frames);
      cpuC100[c].push((r.client * 1e8) / sent);
    }
    if (roundRate.put !== undefined)
      for (const c of CASES) ratio[c].push((100 * (roundRate[c] ?? Number.NaN)) / roundRate.put);
    console.log(
      `  round ${round + 1}: ${CASES.map((c) => `${c} ${roundRate[c].toFixed(0)} MB/s`).join(', ')}; load average ${load()}`,
    );
  }
  const names = {
    put: 'PutMedia only: putMediaWithNodeHttp, pre-made bytes (baseline)',
    offline: 'KinesisVideoClient, offlineStream, await putFrameAsync',
    realtime: 'KinesisVideoClient, realtimeStream, putFrame (≤ 4 MB unsent)',
  };
  console.log(
    `\n1. sustained upload over 127.0.0.1 → emulator, ${(mkv.bytes / 1e6).toFixed(1)} MB of MKV (${FRAGMENTS} fragments × 2 s, ${mkv.frames} frames), ${ROUNDS} rounds: best [range]`,
  );
  printTable(
    CASES.map((c) => ({
      path: names[c],
      'MB/s': fmt(rangeOf(rate[c])),
      'frames/s': fmt(rangeOf(fps[c])),
      '% of PutMedia only': c === 'put' ? '100' : CASES.includes('put') ? fmt(rangeOf(ratio[c])) : '—',
      'client CPU µs/frame': fmt(rangeOf(cpuC[c], false)),
      'emulator CPU µs/frame': fmt(rangeOf(cpuS[c], false)),
      'client CPU ms/100 MB': fmt(rangeOf(cpuC100[c], false)),
    })),
  );
  console.log(
    `  (a client stream sends its own MKV of the same frames: ${(sentBytes / 1e6).toFixed(1)} MB; MB/s = bytes on the wire / time;`,
  );
  console.log('   CPU: user + system of this process and of the emulator process during the upload)');
}

// ---------------------------------------------------------------------------------------------
// 2. put → PERSISTED latency

interface Latency {
  receivedFromKey: number[];
  persistedFromKey: number[];
  persistedFromLast: number[];
}

/**
 * Calls `put(i)` for frames 0…frames-1, frame i due at t0 + i × 33.3 ms / LAT_SPEED, on timers
 * (a late timer puts every frame that is due).
 */
function paced(frames: number, put: (i: number) => void): Promise<number> {
  const interval = 1000 / 30 / LAT_SPEED;
  const t0 = performance.now() + 20;
  let i = 0;
  let maxLate = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (i < frames && t0 + i * interval <= now) {
        maxLate = Math.max(maxLate, now - (t0 + i * interval));
        put(i++);
      }
      if (i >= frames) return resolve(maxLate);
      setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

/** Records, per fragment k, when its last frame and the next key frame were put. */
class FragmentClock {
  readonly lastPut = new Map<number, number>();
  readonly keyPut = new Map<number, number>();
  readonly out: Latency = { receivedFromKey: [], persistedFromKey: [], persistedFromLast: [] };
  private readonly index = new Map<number, number>();
  constructor(startUs: number, fragments: number) {
    for (let k = 0; k < fragments; k++) this.index.set(Math.floor((startUs + k * GOP * FRAME_US) / 1000), k);
  }
  put(i: number, now: number): void {
    const k = Math.floor(i / GOP);
    if (i % GOP === GOP - 1) this.lastPut.set(k, now);
    if (i % GOP === 0 && k > 0) this.keyPut.set(k - 1, now);
  }
  ack(ack: FragmentAck, now: number): void {
    const k = ack.timecode === undefined ? undefined : this.index.get(ack.timecode);
    if (k === undefined || k < LAT_WARMUP) return;
    const key = this.keyPut.get(k);
    const last = this.lastPut.get(k);
    if (ack.ackType === FragmentAckType.RECEIVED && key !== undefined) this.out.receivedFromKey.push(now - key);
    if (ack.ackType === FragmentAckType.PERSISTED) {
      if (key !== undefined) this.out.persistedFromKey.push(now - key);
      if (last !== undefined) this.out.persistedFromLast.push(now - last);
    }
  }
}

async function clientLatency(client: KinesisVideoClient, api: KinesisVideoApi): Promise<Latency> {
  const name = newName('lat');
  const stream = client.createStream(realtimeStream(name, STREAM_REST));
  const w = watch(stream);
  await ready(stream);
  // One fragment more than measured: its key frame ends the last measured one.
  const frames = (LAT_WARMUP + LAT_FRAGMENTS) * GOP + 1;
  const startUs = Date.now() * 1000;
  const clock = new FragmentClock(startUs, LAT_WARMUP + LAT_FRAGMENTS + 1);
  stream.on('ack', (ack) => clock.ack(ack, performance.now()));
  await paced(frames, (i) => {
    clock.put(i, performance.now());
    stream.putFrame(frameAt(startUs, i));
  });
  await client.closeStream(stream, 60_000_000);
  await deleteByName(api, name);
  if (w.errors.length > 0) throw new Error(`latency: ${w.errors.slice(0, 3).join('; ')}`);
  if (clock.out.persistedFromKey.length !== LAT_FRAGMENTS)
    throw new Error(`latency: ${clock.out.persistedFromKey.length}/${LAT_FRAGMENTS} PERSISTED`);
  return clock.out;
}

async function putMediaLatency(s: Servers, api: KinesisVideoApi): Promise<Latency> {
  const name = newName('lat-put');
  const endpoint = await createActiveStream(api, name);
  const startUs = Date.now() * 1000;
  const fragments = LAT_WARMUP + LAT_FRAGMENTS + 1;
  const mkv = makeKvsMkv(fragments, startUs);
  const clock = new FragmentClock(startUs, fragments);
  const errors: string[] = [];
  const source = new PieceSource((ack, at) => {
    if (ack.ackType === FragmentAckType.ERROR) errors.push(`ERROR ACK ${ack.result}`);
    clock.ack(ack, at);
  });
  const done = putMediaWithNodeHttp(putTarget(s, endpoint, name, startUs), source, {
    onError: (e) => errors.push(e.message),
  });
  await paced((fragments - 1) * GOP + 1, (i) => {
    clock.put(i, performance.now());
    source.push(mkv.pieces[i]);
  });
  // The rest of the last fragment, so that every measured fragment gets its PERSISTED.
  source.push(...mkv.pieces.slice((fragments - 1) * GOP + 1));
  source.close();
  await done;
  await source.ended;
  await deleteByName(api, name);
  if (errors.length > 0) throw new Error(`latency (PutMedia): ${errors.slice(0, 3).join('; ')}`);
  if (clock.out.persistedFromKey.length !== LAT_FRAGMENTS)
    throw new Error(`latency (PutMedia): ${clock.out.persistedFromKey.length}/${LAT_FRAGMENTS} PERSISTED`);
  return clock.out;
}

async function latency(s: Servers, api: KinesisVideoApi, client: KinesisVideoClient): Promise<void> {
  const rows = [];
  const row = (path: string, l: Latency) => ({
    path,
    fragments: l.persistedFromKey.length,
    'RECEIVED p50': ms(quantile(l.receivedFromKey, 0.5)),
    'PERSISTED p50': ms(quantile(l.persistedFromKey, 0.5)),
    p99: ms(quantile(l.persistedFromKey, 0.99)),
    max: ms(Math.max(...l.persistedFromKey)),
    'from last frame: p50': ms(quantile(l.persistedFromLast, 0.5)),
    'p99 ': ms(quantile(l.persistedFromLast, 0.99)),
  });
  rows.push(row('PutMedia only: putMediaWithNodeHttp, pieces paced (baseline)', await putMediaLatency(s, api)));
  console.log(`  baseline done, load average ${load()}`);
  rows.push(row('KinesisVideoClient, realtimeStream, putFrame paced', await clientLatency(client, api)));
  console.log(`  client done, load average ${load()}`);
  console.log(
    `\n2. put → ACK latency, ms, persist delay 0, frames paced at ${LAT_SPEED}× real time (${((1000 / 30 / LAT_SPEED) * GOP).toFixed(0)} ms per 2 s fragment), ${LAT_FRAGMENTS} fragments after ${LAT_WARMUP} not counted;`,
  );
  console.log(
    '   from the put of the next key frame (which ends the fragment for the emulator), and from the put of the fragment’s last frame',
  );
  printTable(rows);
}

// ---------------------------------------------------------------------------------------------

console.log(`load average at start: ${load()}`);
const servers = await startServers();
const api = apiOf(servers);
const client = clientOf(servers, STORAGE);
try {
  if (ONLY.has('upload')) await upload(servers, api, client);
  if (ONLY.has('latency')) await latency(servers, api, client);
} finally {
  await client.close();
  await servers.close();
}
console.log(`load average at end: ${load()}`);
