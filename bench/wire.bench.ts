// Issue 8, "Speed", on the wire over 127.0.0.1: the local emulator and the discard baseline run in
// a child process (lib/wire-server.ts), the clients here, so each side has a core of its own.
//
// 1. Upload: ~100 MB of KVS MKV (2 Mbps-ish, 30 fps, a 45 kB key frame every 2 s, synthetic frame
//    bytes, packaged by @kvs-ts/mkv-writer) sent (a) as a plain chunked node:http POST of 64 KiB
//    slices to a server that reads and drops the body: the baseline; (b) the same plain POST to the
//    emulator's PutMedia, signed (the emulator's cost without our client); (c) by
//    putMediaWithNodeHttp from pre-made pieces to the emulator's PutMedia, until the response ends
//    (after the last PERSISTED); (d) through a KinesisVideoStream (putFrame as fast as the buffer allows →
//    content store → putStreamWith + putMediaWithNodeHttp → emulator), from the first putFrame to
//    stopSync() (every fragment PERSISTED).
// 2. ACK latency with persist delay 0: from when the bytes that end a fragment for the emulator
//    (the next cluster's first bytes, or an end-of-fragment tag) are handed to the transport, to
//    when the client's AckParser delivers that fragment's RECEIVED and PERSISTED ACKs.
// 3. GetMedia: consumeGetMedia (KinesisVideoApi.getMedia + FragmentAssembler) from EARLIEST to the
//    last frame of the ~100 MB stream, its body over nodeFetch (undici, the Node default) and
//    over Node's fetch (and the fetch body read raw), beside reading the emulator's data-dir log
//    and parsing it (the stored bytes read directly: whole, and streamed in 1 MiB reads), and
//    beside parsing the same MKV from memory with readFragments. All these reads run in a reader
//    process of their own (lib/wire-reader.ts).
//
// Beside each rate: the CPU time the client process and the servers' process spent meanwhile,
// per 100 MB (on a shared 2-core machine wall time follows their sum), and their main threads'
// share (lib/threads.ts). WIRE_WARMUP untimed rounds (2) come first.
//
// Correctness is checked (every fragment PERSISTED, no error, every frame read back with the
// right bytes count); speed never is. Sizes: WIRE_FRAGMENTS (default 200 two-second fragments,
// ~100 MB), WIRE_ROUNDS (6), WIRE_LATENCY_FRAGMENTS (150 per case). WIRE_SERVER_CPU=n pins the
// servers to CPU n (run this file under `taskset -c m` for the client); WIRE_VERBOSE=1 prints
// every round's figures. Ratios are per round; their median is the figure to read.

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiStreamService, type AwsCredentials, type KinesisVideoApi } from '@kvs-ts/api';
import { ContentStore } from '@kvs-ts/content-store';
import { type FragmentAck, FragmentAckType, FrameFlags } from '@kvs-ts/core';
import { type PutMediaSource, putStreamWith, signPutMedia } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { KinesisVideoStream, StreamState, systemClock } from '@kvs-ts/stream';
import {
  apiOf,
  createActiveStream,
  deleteByName,
  fmt,
  putMediaUpload,
  putTarget,
  rangeOf,
  withCpu,
} from './lib/client';
import { printTable } from './lib/report';
import {
  concatPieces,
  FRAME_US,
  frameData,
  GOP,
  H264_TRACK,
  type KvsMkv,
  makeKvsMkv,
  ms,
  PieceSource,
  quantile,
  type Servers,
  sleep,
  startReader,
  startServers,
} from './lib/wire';

const FRAGMENTS = Number(process.env.WIRE_FRAGMENTS ?? 200);
const ROUNDS = Number(process.env.WIRE_ROUNDS ?? 6);
/** Untimed rounds first (WIRE_WARMUP): the servers' JIT took ~3 rounds of 100 MB to settle. */
const WARMUP = Number(process.env.WIRE_WARMUP ?? 2);
const LATENCY_FRAGMENTS = Number(process.env.WIRE_LATENCY_FRAGMENTS ?? 150);
/** WIRE_ONLY=upload,latency,getmedia: run only these parts (e.g. to profile one). */
const ONLY = new Set((process.env.WIRE_ONLY ?? 'upload,latency,getmedia').split(','));
/** WIRE_UPLOAD_CASES=plain,raw,put,whole: the upload paths timed (e.g. only one, to profile it). */
const UPLOAD_CASES = (process.env.WIRE_UPLOAD_CASES ?? 'plain,raw,put,whole').split(',');
const CHUNK = 64 * 1024;
const START_US = Date.now() * 1000;

let streamSeq = 0;
const newName = (what: string): string => `wire-${what}-${process.pid}-${++streamSeq}`;

/**
 * Per-round ratios in % of `base` (each path against the baseline run in the same round): the
 * median, the figure to compare since on a shared 2-core machine any single round can be off by
 * 2×, then the best round and the range.
 */
function medianRatio(xs: number[], base: number[]): string {
  const rs = xs.map((x, i) => (100 * x) / (base[i] ?? Number.NaN));
  if (rs.length === 0 || base.length === 0) return '—';
  const sorted = [...rs].sort((a, b) => a - b);
  return `${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(0)}, best ${fmt(rangeOf(rs))}`;
}

/** CPU per 100 MB per round: each process, and the share of its main thread (lib/threads.ts). */
interface Cpu {
  client: number[];
  server: number[];
  clientMain: number[];
  serverMain: number[];
}
const newCpu = (): Cpu => ({ client: [], server: [], clientMain: [], serverMain: [] });

function pushCpu(
  cpu: Cpu,
  m: { client: number; server: number; clientMain?: number; serverMain?: number },
  mb: number,
): void {
  cpu.client.push((m.client * 100) / mb);
  cpu.server.push((m.server * 100) / mb);
  if (m.clientMain !== undefined) cpu.clientMain.push((m.clientMain * 100) / mb);
  if (m.serverMain !== undefined) cpu.serverMain.push((m.serverMain * 100) / mb);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** The table's CPU columns: lowest [range], then the main threads' medians. */
function cpuColumns(cpu: Cpu, withServer: boolean): Record<string, string> {
  const main = (xs: number[]) => (xs.length === 0 ? '—' : median(xs).toFixed(0));
  return {
    'client CPU ms/100 MB': fmt(rangeOf(cpu.client, false)),
    'server CPU ms/100 MB': withServer ? fmt(rangeOf(cpu.server, false)) : '—',
    'main threads, median: client / server': `${main(cpu.clientMain)} / ${withServer ? main(cpu.serverMain) : '—'}`,
  };
}

/** Per-round figures on one line (WIRE_VERBOSE). */
const rounds = (xs: number[]): string => xs.map((x) => Math.round(x)).join(' ');

function cpuRounds(cpu: Cpu): string {
  return `client ${rounds(cpu.client)} (main ${rounds(cpu.clientMain)}) | server ${rounds(cpu.server)} (main ${rounds(cpu.serverMain)})`;
}

// ---------------------------------------------------------------------------------------------
// 1. Upload

/**
 * A chunked node:http POST of `bytes` in 64 KiB slices (no copy), each written once the previous
 * one left: what the baselines send. Returns the ms until the response ended, and its body.
 */
function chunkedPost(
  url: string,
  headers: Record<string, string>,
  bytes: Uint8Array,
): Promise<{ elapsed: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
      agent: false,
    });
    req.on('socket', (sock) => sock.setNoDelay(true));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ elapsed: performance.now() - started, body }));
    });
    req.flushHeaders();
    void (async () => {
      for (let off = 0; off < bytes.length; off += CHUNK) {
        if (!req.write(bytes.subarray(off, off + CHUNK)))
          await new Promise<void>((r) => {
            req.once('drain', r);
          });
      }
      req.end();
    })();
  });
}

/** The baseline: the same bytes as a plain chunked POST to the discard server. */
async function plainUpload(url: string, bytes: Uint8Array): Promise<number> {
  const { elapsed, body } = await chunkedPost(`${url}/upload`, { 'content-type': 'application/octet-stream' }, bytes);
  const got = (JSON.parse(body) as { bytes: number }).bytes;
  if (got !== bytes.length) throw new Error(`discard server got ${got} of ${bytes.length} bytes`);
  return elapsed;
}

/**
 * The same bytes as the same plain chunked POST to the emulator's PutMedia, signed: what the
 * emulator costs, without our transport. ms until the response ended after the last PERSISTED.
 */
async function rawPutMediaUpload(api: KinesisVideoApi, s: Servers, mkv: KvsMkv, all: Uint8Array, name: string) {
  const signed = await signPutMedia(putTarget(s, await createActiveStream(api, name), name, START_US));
  const { 'content-length': _, ...headers } = signed.headers;
  const { elapsed, body } = await chunkedPost(signed.url, headers, all);
  const persisted = body.split('"PERSISTED"').length - 1;
  if (persisted !== mkv.timecodes.length || body.includes('"ERROR"'))
    throw new Error(`raw PutMedia: ${persisted}/${mkv.timecodes.length} PERSISTED: ${body.slice(-300)}`);
  return elapsed;
}

/** The whole producer path: ms from the first putFrame to stopSync() (all PERSISTED), and the bytes sent. */
async function streamUpload(api: KinesisVideoApi, s: Servers, frames: number, name: string) {
  let stream: KinesisVideoStream<AwsCredentials> | undefined;
  let sent = 0;
  const errors: string[] = [];
  const service = new ApiStreamService(api, {
    putMedia: putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
      region: s.region,
      // The stream's own source, counting what the transport pulls.
      transport: (target, source: PutMediaSource, options) =>
        putMediaWithNodeHttp(
          target,
          {
            ...source,
            pull: (max) => {
              const r = source.pull(max);
              sent += r.data.length;
              return r;
            },
          },
          options,
        ),
      transportOptions: { onError: (e) => errors.push(e.message) },
    }),
  });
  stream = new KinesisVideoStream<AwsCredentials>({
    definition: {
      streamName: name,
      tracks: [H264_TRACK],
      nalAdaptationFlags: 0,
      retentionPeriod: 3_600_000_000,
      frameRate: 30,
    },
    store: new ContentStore({ storageSize: 64 * 1024 * 1024 }),
    service,
    clock: systemClock,
  });
  let persisted = 0;
  stream.on('ack', (ack) => {
    if (ack.ackType === FragmentAckType.PERSISTED) persisted++;
  });
  stream.on('error', (e) => errors.push(e.message));
  stream.on('droppedFrame', () => errors.push('dropped frame'));
  stream.start();
  for (let i = 0; stream.state !== StreamState.READY; i++) {
    if (i > 2000) throw new Error(`stream not READY: ${stream.state}`);
    await sleep(1);
  }
  const start = Date.now() * 1000;
  const started = performance.now();
  for (let i = 0; i < frames; i++) {
    const pts = start + i * FRAME_US;
    stream.putFrame({
      trackId: 1,
      pts,
      dts: pts,
      duration: FRAME_US,
      flags: i % GOP === 0 ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
      data: frameData(i),
    });
    // As fast as the transport takes it, a few MB ahead (a producer faster than the network).
    if (i % GOP === GOP - 1) {
      await new Promise((r) => setImmediate(r));
      while (stream.metrics().currentViewSize > 4 * 1024 * 1024) await sleep(1);
    }
  }
  await stream.stopSync(60_000_000);
  const elapsed = performance.now() - started;
  stream.free();
  const fragments = Math.ceil(frames / GOP);
  if (errors.length > 0 || persisted !== fragments)
    throw new Error(`stream: ${persisted}/${fragments} PERSISTED, ${errors.slice(0, 3).join('; ')}`);
  return { elapsed, sent };
}

async function upload(s: Servers, api: KinesisVideoApi, mkv: KvsMkv): Promise<void> {
  const all = concatPieces(mkv.pieces);
  const mb = all.length / 1e6;
  const cases = (['plain', 'raw', 'put', 'whole'] as const).filter((c) => UPLOAD_CASES.includes(c));
  const rate: Record<(typeof cases)[number], number[]> = { plain: [], raw: [], put: [], whole: [] };
  const cpu: Record<(typeof cases)[number], Cpu> = { plain: newCpu(), raw: newCpu(), put: newCpu(), whole: newCpu() };
  let wholeBytes = 0;
  // Warm-up rounds (JIT in both processes, sockets): every case, whole, untimed.
  for (let round = -WARMUP; round < ROUNDS; round++) {
    for (const c of cases) {
      const name = newName(c);
      const r = await withCpu(s, async () => {
        if (c === 'plain') return { elapsed: await plainUpload(s.discardUrl, all), sent: all.length };
        if (c === 'raw') return { elapsed: await rawPutMediaUpload(api, s, mkv, all, name), sent: all.length };
        if (c === 'put') return { elapsed: await putMediaUpload(s, api, mkv, START_US, name), sent: all.length };
        return streamUpload(api, s, mkv.frames, name);
      });
      if (c !== 'plain') await deleteByName(api, name); // the emulator keeps fragments in memory: free them
      if (round < 0) continue;
      if (c === 'whole') wholeBytes = r.value.sent;
      rate[c].push(r.value.sent / 1e6 / (r.value.elapsed / 1000));
      // CPU per 100 MB moved, so that the rows compare whatever the size.
      pushCpu(cpu[c], r, r.value.sent / 1e6);
    }
  }
  if (process.env.WIRE_VERBOSE) {
    for (const c of cases) console.log(`  ${c}: MB/s ${rounds(rate[c])} | ${cpuRounds(cpu[c])}`);
  }
  const cpuOf = (c: (typeof cases)[number]) => cpuColumns(cpu[c], true);
  console.log(
    `\n1. upload over 127.0.0.1, ${mb.toFixed(1)} MB of KVS MKV (${mkv.timecodes.length} fragments × 2 s, ${mkv.frames} frames), ${ROUNDS} rounds: best [range]`,
  );
  const names = {
    plain: 'plain chunked POST → discard server (baseline)',
    raw: 'plain chunked POST → emulator PutMedia',
    put: 'putMediaWithNodeHttp → emulator PutMedia',
    whole: 'KinesisVideoStream → putStreamWith → emulator',
  };
  printTable(
    cases.map((c) => ({
      path: names[c],
      'MB/s': fmt(rangeOf(rate[c])),
      '% of baseline: median, best [range]': c === 'plain' ? '100' : medianRatio(rate[c], rate.plain),
      ...cpuOf(c),
    })),
  );
  console.log(
    `  (the stream path sent ${(wholeBytes / 1e6).toFixed(1)} MB: its own MKV of the same frames; rates are bytes on the wire / time;`,
  );
  console.log('   CPU: user + system of the client process and of the servers process during the upload)');
}

// ---------------------------------------------------------------------------------------------
// 2. ACK latency

interface LatencyResult {
  received: number[];
  persisted: number[];
}

/**
 * One PutMedia connection; per fragment: its frames in one burst, a pause (30 ms) so that the
 * emulator has read and parsed them, then the bytes that end it (the next key frame's piece,
 * whose first bytes are the next Cluster; or with `eofr` the end-of-fragment tag), then a frame
 * interval before the next burst. Latency = ACK delivered by AckParser − that piece handed to
 * the transport.
 */
async function ackLatency(s: Servers, api: KinesisVideoApi, eofr: boolean): Promise<LatencyResult> {
  const name = newName(eofr ? 'lat-eofr' : 'lat');
  const endpoint = await createActiveStream(api, name);
  const mkv = makeKvsMkv(LATENCY_FRAGMENTS + 1, START_US, eofr);
  const index = new Map(mkv.timecodes.map((tc, k) => [tc, k]));
  // The piece whose arrival ends fragment k.
  const endPiece = (k: number): number => (eofr ? mkv.fragmentEnds[k] : mkv.fragmentStarts[k + 1]);
  const out: LatencyResult = { received: [], persisted: [] };
  const errors: string[] = [];
  const source = new PieceSource((ack: FragmentAck, at: number) => {
    if (ack.ackType === FragmentAckType.ERROR) errors.push(`ERROR ACK ${ack.result}`);
    if (ack.ackType !== FragmentAckType.RECEIVED && ack.ackType !== FragmentAckType.PERSISTED) return;
    const k = ack.timecode === undefined ? undefined : index.get(ack.timecode);
    if (k === undefined || k >= LATENCY_FRAGMENTS) return; // the last one is ended by the body's end
    const sentAt = source.pulledAt[endPiece(k)];
    if (sentAt === undefined) return errors.push(`ACK of fragment ${k} before its end was sent`);
    (ack.ackType === FragmentAckType.RECEIVED ? out.received : out.persisted).push(at - sentAt);
  });
  await putMediaWithNodeHttp(putTarget(s, endpoint, name, START_US), source, {
    onError: (e) => errors.push(e.message),
  });
  const starts = mkv.fragmentStarts;
  for (let k = 0; k <= LATENCY_FRAGMENTS; k++) {
    const from = starts[k];
    const to = k + 1 < starts.length ? starts[k + 1] : mkv.pieces.length;
    if (eofr) {
      source.push(...mkv.pieces.slice(from, to - 1));
      await sleep(30);
      source.push(mkv.pieces[to - 1]); // the EoFR tag: fragment k ends
      await sleep(33);
    } else {
      source.push(mkv.pieces[from]); // the key frame: its Cluster ends fragment k − 1
      await sleep(33);
      source.push(...mkv.pieces.slice(from + 1, to));
      await sleep(30);
    }
  }
  source.close();
  await source.ended;
  await deleteByName(api, name);
  if (errors.length > 0 || out.persisted.length !== LATENCY_FRAGMENTS || out.received.length !== LATENCY_FRAGMENTS)
    throw new Error(
      `latency: ${out.received.length} RECEIVED, ${out.persisted.length} PERSISTED of ${LATENCY_FRAGMENTS}; ${errors.join('; ')}`,
    );
  return out;
}

function latencyRow(name: string, r: LatencyResult): Record<string, string> {
  return {
    case: name,
    'RECEIVED p50': ms(quantile(r.received, 0.5)),
    p99: ms(quantile(r.received, 0.99)),
    max: ms(Math.max(...r.received)),
    'PERSISTED p50': ms(quantile(r.persisted, 0.5)),
    'p99 ': ms(quantile(r.persisted, 0.99)),
    'max ': ms(Math.max(...r.persisted)),
  };
}

// ---------------------------------------------------------------------------------------------
// 3. GetMedia

async function getMedia(s: Servers, api: KinesisVideoApi, mkv: KvsMkv): Promise<void> {
  const name = newName('get');
  await putMediaUpload(s, api, mkv, START_US, name);
  const mb = mkv.bytes / 1e6;
  const rows = (['node', 'fetch', 'raw', 'memory', 'disk', 'stream'] as const).filter(
    (r) => !process.env.WIRE_GET_ROWS || process.env.WIRE_GET_ROWS.split(',').includes(r),
  );
  const rate: Record<(typeof rows)[number], number[]> = {
    fetch: [],
    node: [],
    raw: [],
    memory: [],
    disk: [],
    stream: [],
  };
  const cpu: Record<(typeof rows)[number], Cpu> = {
    fetch: newCpu(),
    node: newCpu(),
    raw: newCpu(),
    memory: newCpu(),
    disk: newCpu(),
    stream: newCpu(),
  };
  let logBytes = 0;
  // Every read, GetMedia and baselines alike, runs in one clean reader process (lib/wire-reader.ts).
  const reader = await startReader({
    url: s.url,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    region: s.region,
    dataDir: s.dataDir,
    streamName: name,
    fragments: mkv.timecodes.length,
    startUs: START_US,
  });
  try {
    for (let round = -WARMUP; round < ROUNDS; round++) {
      for (const r of rows) {
        const server0 = await s.cpuSplit();
        const m = await reader.read(r);
        const server1 = await s.cpuSplit();
        if (r === 'disk') logBytes = m.bytes;
        if (round < 0) continue; // warm-up
        rate[r].push(mb / (m.elapsed / 1000));
        pushCpu(
          cpu[r],
          {
            client: m.cpuUs / 1000,
            clientMain: m.mainMs,
            server: (server1.us - server0.us) / 1000,
            serverMain:
              server0.mainMs === undefined || server1.mainMs === undefined
                ? undefined
                : server1.mainMs - server0.mainMs,
          },
          mb,
        );
      }
    }
  } finally {
    await reader.close();
  }
  if (process.env.WIRE_VERBOSE) {
    for (const r of rows) console.log(`  ${r}: MB/s ${rounds(rate[r])} | ${cpuRounds(cpu[r])}`);
  }
  const cpuOf = (r: (typeof rows)[number]) => cpuColumns(cpu[r], r !== 'memory' && r !== 'disk' && r !== 'stream');
  console.log(
    `\n3. GetMedia from EARLIEST to the last frame, ${mb.toFixed(1)} MB stored (${mkv.timecodes.length} fragments), ${ROUNDS} rounds, read in a process of their own; MB/s of the producer's MKV bytes`,
  );
  const names: Record<(typeof rows)[number], string> = {
    node: 'consumeGetMedia, body over nodeFetch (the Node default)',
    fetch: "consumeGetMedia, body over Node's fetch",
    raw: 'fetch GetMedia body read raw, not parsed',
    memory: 'baseline: readFragments, same MKV in memory',
    disk: `baseline: data-dir fragments.log (${(logBytes / 1e6).toFixed(1)} MB) read + parsed`,
    stream: 'baseline: the same log streamed (1 MiB reads) + parsed',
  };
  printTable(
    rows.map((r) => ({
      read: names[r],
      'MB/s': fmt(rangeOf(rate[r])),
      '% of memory parse: median, best': r === 'memory' ? '100' : medianRatio(rate[r], rate.memory),
      '% of data-dir parse: median, best': r === 'disk' ? '100' : medianRatio(rate[r], rate.disk),
      ...cpuOf(r),
    })),
  );
}

// ---------------------------------------------------------------------------------------------

const mkv = makeKvsMkv(FRAGMENTS, START_US);
const servers = await startServers();
const dataDir = await mkdtemp(join(tmpdir(), 'kvs-wire-'));
const diskServers = await startServers({ dataDir });
try {
  const api = apiOf(servers);
  const diskApi = apiOf(diskServers);
  console.log(`servers in a child process (emulator: memory store, persist delay 0); data dir ${dataDir} for the rest`);
  // GetMedia before the latency runs (the printed numbering stays): when the reads still ran in
  // this process, after the latency runs (~500 MB of short-lived pieces) they cost twice the CPU.
  // They now run in a reader process of their own (lib/wire-reader.ts).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (ONLY.has('upload')) await upload(servers, api, mkv);
  gc?.();
  if (ONLY.has('getmedia')) await getMedia(diskServers, diskApi, mkv);
  gc?.();
  if (ONLY.has('latency')) await latency(servers, api, diskServers, diskApi);
} finally {
  await servers.close();
  await diskServers.close();
  await rm(dataDir, { recursive: true, force: true });
}

async function latency(servers: Servers, api: KinesisVideoApi, diskServers: Servers, diskApi: KinesisVideoApi) {
  const rows = [];
  await ackLatency(servers, api, false); // warm-up
  for (let round = 0; round < 2; round++) {
    rows.push(
      latencyRow(`next cluster ends it, memory store (run ${round + 1})`, await ackLatency(servers, api, false)),
    );
    rows.push(latencyRow(`EoFR tag ends it, memory store (run ${round + 1})`, await ackLatency(servers, api, true)));
    rows.push(
      latencyRow(
        `next cluster ends it, data dir + fsync (run ${round + 1})`,
        await ackLatency(diskServers, diskApi, false),
      ),
    );
  }
  console.log(
    `\n2. fragment end → ACK delivered by the client's AckParser, ms, persist delay 0, ${LATENCY_FRAGMENTS} fragments of ~500 kB per case (ends sent ~65 ms apart)`,
  );
  printTable(rows);
}
