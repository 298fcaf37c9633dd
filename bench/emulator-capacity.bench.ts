// Issue 8, "Speed": how many realtime 2 Mbps streams the local emulator ingests on this machine
// with PERSISTED p99 under 1 s. The emulator runs in a child process (lib/wire-server.ts: memory
// store, persist delay 0), the producers here: per stream a KinesisVideoStream (content store,
// MKV packaging) over @kvs-ts/api's service calls and putStreamWith + putMediaWithNodeHttp, fed
// at 30 fps by real timers (frames of lib/wire.ts: a 45 kB key frame every 2 s, ~7.7 kB P frames,
// ~2 Mbps). Stream starts are spread over one GOP (2 s), so fragment ends are too, as with
// independent cameras; CAP_PHASE=frame puts every stream's key frame within one frame interval.
//
// The count steps up (CAP_STEPS, default 1,10,40,80,160,240,320; CAP_STEP_S seconds each, default 14;
// the first CAP_WARMUP_S = 4 s of a step, while streams start, are not counted) and stops at the
// knee: the first
// count where PERSISTED p99 ≥ 1 s, or the ingest falls behind (a fragment still without PERSISTED
// 1 s after it ended, frames not put on time, drops or errors). Latency: from the putFrame of the
// key frame that ends a fragment (the stream's next cluster) to the stream's 'ack' event with that
// fragment's PERSISTED; fragments still waiting at the end of the step count at their age then.
// CAP_DATA_DIR=1 runs the emulator with a data dir (an fsync per fragment).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApiStreamService, type AwsCredentials, KinesisVideoApi } from '@kvs-ts/api';
import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType, FrameFlags } from '@kvs-ts/core';
import { type PutMediaSource, putStreamWith } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { KinesisVideoStream, StreamState, systemClock } from '@kvs-ts/stream';
import { printTable } from './lib/report';
import { FPS, FRAME_US, frameData, GOP, H264_TRACK, ms, quantile, type Servers, sleep, startServers } from './lib/wire';

const STEPS = (process.env.CAP_STEPS ?? '1,10,40,80,160,240,320').split(',').map(Number);
const STEP_S = Number(process.env.CAP_STEP_S ?? 14);
const WARMUP_S = Number(process.env.CAP_WARMUP_S ?? 4);
const PHASE = process.env.CAP_PHASE === 'frame' ? 'frame' : 'gop';
const LIMIT_MS = 1000;
const FRAME_MS = 1000 / FPS;

interface Producer {
  stream: KinesisVideoStream<AwsCredentials>;
  /** When the last fragment-ending key frame was put and its bytes not yet pulled by the transport. */
  keyPutAt: number | undefined;
  /** Fragment timecode (ms) → when the key frame ending it was put (performance.now()). */
  ends: Map<number, number>;
  errors: number;
}

interface StepResult {
  streams: number;
  persisted: number[];
  received: number[];
  /** Key frame put → the transport's first pull of bytes after it (the client's share of the latency). */
  pickup: number[];
  /** Fragments ended in the window still without PERSISTED at its end, older than 1 s. */
  late: number;
  pending: number;
  framesDue: number;
  framesPut: number;
  maxFrameLateMs: number;
  errors: number;
  dropped: number;
  clientCpu: number;
  serverCpu: number;
  loopP99: number;
}

let seq = 0;

async function step(servers: Servers, api: KinesisVideoApi, n: number): Promise<StepResult> {
  // A content store serves at most 128 streams: one per 64 streams, 8 MB of buffer per stream.
  const stores = Array.from(
    { length: Math.ceil(n / 64) },
    (_, k) => new ContentStore({ storageSize: 32 * 1024 * 1024 + Math.min(64, n - 64 * k) * 8 * 1024 * 1024 }),
  );
  const producers: Producer[] = [];
  let measureFrom = Number.POSITIVE_INFINITY;
  let measureTo = Number.POSITIVE_INFINITY;
  const persisted: number[] = [];
  const received: number[] = [];
  let dropped = 0;
  const pickup: number[] = [];
  for (let s = 0; s < n; s++) {
    const index = s;
    let stream: KinesisVideoStream<AwsCredentials> | undefined;
    const service = new ApiStreamService(api, {
      putMedia: putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
        region: servers.region,
        // The stream's source, noting when the transport first pulls bytes after a key frame.
        transport: (target, source: PutMediaSource, options) =>
          putMediaWithNodeHttp(
            target,
            {
              ...source,
              pull: (max) => {
                const r = source.pull(max);
                const p = producers[index];
                if (r.data.length > 0 && p.keyPutAt !== undefined) {
                  if (p.keyPutAt >= measureFrom && p.keyPutAt <= measureTo) pickup.push(performance.now() - p.keyPutAt);
                  p.keyPutAt = undefined;
                }
                return r;
              },
            },
            options,
          ),
      }),
    });
    stream = new KinesisVideoStream<AwsCredentials>({
      definition: {
        streamName: `cap-${process.pid}-${++seq}`,
        tracks: [H264_TRACK],
        nalAdaptationFlags: 0,
        retentionPeriod: 3_600_000_000,
        frameRate: FPS,
      },
      store: stores[Math.floor(s / 64)],
      service,
      clock: systemClock,
    });
    const p: Producer = { stream, keyPutAt: undefined, ends: new Map(), errors: 0 };
    stream.on('ack', (ack) => {
      const now = performance.now();
      if (ack.ackType === FragmentAckType.ERROR) p.errors++;
      if (ack.timecode === undefined) return;
      const end = p.ends.get(ack.timecode);
      if (end === undefined || end < measureFrom || end > measureTo) return;
      if (ack.ackType === FragmentAckType.RECEIVED) received.push(now - end);
      if (ack.ackType === FragmentAckType.PERSISTED) {
        persisted.push(now - end);
        p.ends.delete(ack.timecode);
      }
    });
    stream.on('error', () => p.errors++);
    stream.on('droppedFrame', () => dropped++);
    producers.push(p);
    stream.start();
  }
  for (let i = 0; !producers.every((p) => p.stream.state === StreamState.READY); i++) {
    if (i > 3000) throw new Error(`${n} streams: not all READY`);
    await sleep(10);
  }

  // Realtime pacing: frame i of stream s is due at t0 + phase(s) + i frame intervals, the phases
  // spread evenly over a GOP (cameras are not in step: key frames, and so fragment ends, are
  // spread over the 2 s) or, with CAP_PHASE=frame, over one frame interval (every stream's key
  // frame within 33 ms: the worst case).
  const phase = (s: number): number => (s / n) * (PHASE === 'frame' ? 1 : GOP);
  const t0 = performance.now() + 100;
  const startUs = Date.now() * 1000 + 100_000;
  const stopAt = t0 + STEP_S * 1000;
  measureFrom = t0 + WARMUP_S * 1000;
  measureTo = stopAt;
  let framesPut = 0;
  let framesDue = 0;
  let maxLate = 0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const running: Array<Promise<void>> = producers.map(
    (p, s) =>
      new Promise<void>((resolve) => {
        let i = 0;
        let lastKeyTimecode = -1;
        const tick = (): void => {
          const now = performance.now();
          // Put every frame that is due (a late timer catches up, as a camera's queue would).
          for (;;) {
            const due = t0 + (phase(s) + i) * FRAME_MS;
            if (due > now || due >= stopAt) break;
            maxLate = Math.max(maxLate, now - due);
            const pts = startUs + i * FRAME_US;
            const key = i % GOP === 0;
            if (key && lastKeyTimecode >= 0) {
              p.ends.set(lastKeyTimecode, now);
              p.keyPutAt = now;
            }
            if (key) lastKeyTimecode = Math.floor(pts / 1000);
            p.stream.putFrame({
              trackId: 1,
              pts,
              dts: pts,
              duration: FRAME_US,
              flags: key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
              data: frameData(i),
            });
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
  await sleep(t0 - performance.now());
  const server0 = await servers.cpu();
  const client0 = process.cpuUsage();
  const wall0 = performance.now();
  loop.enable();
  await Promise.all(running);
  loop.disable();
  const wall = performance.now() - wall0;
  const c = process.cpuUsage(client0);
  const serverCpu = (await servers.cpu()) - server0;
  for (let s = 0; s < n; s++) framesDue += Math.ceil((STEP_S * 1000 - phase(s) * FRAME_MS) / FRAME_MS);

  // Fragments that ended in the window and still wait for PERSISTED: counted at their age now.
  const now = performance.now();
  let late = 0;
  let pending = 0;
  for (const p of producers)
    for (const end of p.ends.values()) {
      if (end < measureFrom || end > measureTo) continue;
      pending++;
      if (now - end >= LIMIT_MS) late++;
      persisted.push(now - end);
    }
  const errors = producers.reduce((sum, p) => sum + p.errors, 0);

  // Not measured: stop every stream (the last fragments go out and are PERSISTED), then delete
  // them so that the emulator's memory does not carry one step's fragments into the next.
  await Promise.all(producers.map((p) => p.stream.stopSync(60_000_000).catch(() => {})));
  for (const p of producers) p.stream.free();
  for (const p of producers) {
    const streamArn =
      p.stream.arn ?? (await api.describeStream({ streamName: p.stream.definition.streamName })).streamArn;
    await api.deleteStream({ streamArn });
  }
  return {
    streams: n,
    persisted,
    received,
    pickup,
    late,
    pending,
    framesDue,
    framesPut,
    maxFrameLateMs: maxLate,
    errors,
    dropped,
    clientCpu: (100 * (c.user + c.system)) / 1000 / wall,
    serverCpu: (100 * serverCpu) / 1000 / wall,
    loopP99: loop.percentile(99) / 1e6,
  };
}

function verdict(r: StepResult): string {
  const problems: string[] = [];
  if (quantile(r.persisted, 0.99) >= LIMIT_MS) problems.push('p99 ≥ 1 s');
  if (r.late > 0) problems.push(`${r.late} fragments > 1 s without PERSISTED`);
  if (r.framesPut < 0.99 * r.framesDue) problems.push('frames behind');
  if (r.errors > 0) problems.push(`${r.errors} errors`);
  if (r.dropped > 0) problems.push(`${r.dropped} dropped`);
  return problems.length === 0 ? 'ok' : problems.join(', ');
}

const dataDir = process.env.CAP_DATA_DIR ? await mkdtemp(join(tmpdir(), 'kvs-cap-')) : undefined;
const servers = await startServers({ dataDir });
const api = new KinesisVideoApi({
  region: servers.region,
  endpoint: servers.url,
  credentials: { accessKeyId: servers.accessKeyId, secretAccessKey: servers.secretAccessKey },
});
const rows: Array<Record<string, string | number>> = [];
let knee: number | undefined;
try {
  console.log(
    `emulator in a child process (${dataDir ? 'data dir, fsync per fragment' : 'memory store'}, persist delay 0); producers here; ${STEP_S} s per step, first ${WARMUP_S} s not counted; key frames spread over ${PHASE === 'frame' ? 'one frame interval' : 'the GOP'}`,
  );
  for (const n of STEPS) {
    const r = await step(servers, api, n);
    const v = verdict(r);
    rows.push({
      streams: n,
      'offered Mbps': (n * 2).toFixed(0),
      'frames put/due': `${r.framesPut}/${r.framesDue}`,
      'frame late max ms': ms(r.maxFrameLateMs),
      fragments: r.persisted.length,
      'PERSISTED p50 ms': ms(quantile(r.persisted, 0.5)),
      p99: ms(quantile(r.persisted, 0.99)),
      max: ms(r.persisted.length ? Math.max(...r.persisted) : Number.NaN),
      'RECEIVED p99': ms(quantile(r.received, 0.99)),
      'client pickup p99': ms(quantile(r.pickup, 0.99)),
      'client CPU %': r.clientCpu.toFixed(0),
      'emulator CPU %': r.serverCpu.toFixed(0),
      'client loop p99 ms': ms(r.loopP99),
      verdict: v,
    });
    console.log(`  ${n} streams: ${v} (PERSISTED p99 ${ms(quantile(r.persisted, 0.99))} ms, pending ${r.pending})`);
    if (v !== 'ok') {
      knee = n;
      break;
    }
  }
} finally {
  await servers.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
console.log(
  `\nconcurrent realtime ~2 Mbps streams (30 fps, key frame every 2 s) into the emulator, PERSISTED measured from the fragment's end`,
);
printTable(rows);
console.log(
  knee === undefined ? `no knee up to ${STEPS.at(-1)} streams` : `knee: ${knee} streams (the first step not ok)`,
);
