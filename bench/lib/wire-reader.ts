// The reading side of the GetMedia benchmark (wire.bench.ts, part 3), in a process of its own: a
// consumer does not hold the producer's ~100 MB of MKV pieces and the benchmark's other state,
// and all reads, GetMedia and the baselines, run in the same clean process. It gets the servers
// and the stream in argv[2] (JSON), answers each line on stdin naming a read ("node", "fetch",
// "raw", "memory", "disk", "stream") with one JSON line: the read's ms, bytes and the CPU this
// process spent (all threads, and its main thread: lib/threads.ts). Closes when stdin ends.

import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KinesisVideoApi } from '@kvs-ts/api';
import { nodeFetch } from '@kvs-ts/api/node';
import { consumeGetMedia, FragmentAssembler, readFragments } from '@kvs-ts/getmedia';
import { mainThreadCpuMs } from './threads';
import { concatPieces, makeKvsMkv, sleep } from './wire';

/** What the reads must return: every frame, every byte of them. */
interface Expect {
  frames: number;
  frameBytes: number;
}

export interface ReaderSetup {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  dataDir: string;
  streamName: string;
  /** The stream's MKV as the producer sent it, rebuilt here for the in-memory baseline. */
  fragments: number;
  startUs: number;
}

const CHUNK = 64 * 1024;

/** consumeGetMedia from EARLIEST until the last frame: ms, after checking every frame came back. */
async function getMediaRead(api: KinesisVideoApi, name: string, mkv: Expect): Promise<number> {
  const abort = new AbortController();
  let frames = 0;
  let bytes = 0;
  const started = performance.now();
  for await (const f of consumeGetMedia(
    (start, signal) => api.getMedia({ streamName: name, startSelector: start }, { signal }).then((p) => p.body),
    { startSelectorType: 'EARLIEST' },
    { signal: abort.signal },
  )) {
    for (const frame of f.frames) {
      frames++;
      bytes += frame.data.length;
    }
    if (frames >= mkv.frames) abort.abort();
  }
  const elapsed = performance.now() - started;
  if (frames !== mkv.frames || bytes !== mkv.frameBytes)
    throw new Error(`GetMedia: ${frames}/${mkv.frames} frames, ${bytes}/${mkv.frameBytes} bytes`);
  return elapsed;
}

/**
 * The raw GetMedia body, not parsed: ms until `expect` bytes arrived. Without `expect`, reads
 * until the body has been quiet for 300 ms (GetMedia never ends by itself) and returns the size.
 */
async function getMediaRaw(api: KinesisVideoApi, name: string, expect?: number): Promise<number> {
  const abort = new AbortController();
  const started = performance.now();
  const payload = await api.getMedia(
    { streamName: name, startSelector: { startSelectorType: 'EARLIEST' } },
    { signal: abort.signal },
  );
  const reader = payload.body.getReader();
  let got = 0;
  while (expect === undefined || got < expect) {
    const next = reader.read();
    const r = expect === undefined ? await Promise.race([next, sleep(300).then(() => undefined)]) : await next;
    if (r === undefined || r.done) break;
    got += r.value.length;
  }
  const elapsed = performance.now() - started;
  abort.abort();
  await reader.cancel().catch(() => {});
  return expect === undefined ? got : elapsed;
}

/** Baseline: readFragments over the same MKV bytes in memory, 64 KiB chunks. */
async function parseFromMemory(all: Uint8Array, mkv: Expect): Promise<number> {
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < all.length; off += CHUNK) chunks.push(all.subarray(off, off + CHUNK));
  let frames = 0;
  const started = performance.now();
  for await (const f of readFragments(chunks)) frames += f.frames.length;
  const elapsed = performance.now() - started;
  if (frames !== mkv.frames) throw new Error(`readFragments: ${frames} frames`);
  return elapsed;
}

/** Baseline: the emulator's data-dir log read from disk (page cache) and its records' MKV parsed. */
async function parseDataDir(dataDir: string, name: string, mkv: Expect): Promise<{ elapsed: number; bytes: number }> {
  const started = performance.now();
  const log = await readFile(join(dataDir, 'streams', encodeURIComponent(name), 'fragments.log'));
  let frames = 0;
  const assembler = new FragmentAssembler({ fragment: (f) => (frames += f.frames.length) });
  // Records: u32 JSON length, the JSON head, then header + tags + cluster (disk-store.ts).
  for (let pos = 0; pos + 4 <= log.length; ) {
    const jsonLen = log.readUInt32BE(pos);
    const head = JSON.parse(log.toString('utf8', pos + 4, pos + 4 + jsonLen)) as {
      headerLen: number;
      tagsLen?: number;
      clusterLen: number;
    };
    const start = pos + 4 + jsonLen;
    const end = start + head.headerLen + (head.tagsLen ?? 0) + head.clusterLen;
    for (let off = start; off < end; off += CHUNK) assembler.push(log.subarray(off, Math.min(end, off + CHUNK)));
    pos = end;
  }
  assembler.end();
  const elapsed = performance.now() - started;
  if (frames !== mkv.frames) throw new Error(`data-dir log: ${frames} frames`);
  return { elapsed, bytes: log.length };
}

/**
 * Baseline, streamed: the same log read with a file stream (1 MiB reads, each a fresh buffer, as
 * a socket's are) and parsed as it arrives: each record's MKV goes to the FragmentAssembler as
 * views of the reads; only a record head cut by a read is copied.
 */
async function streamDataDir(dataDir: string, name: string, mkv: Expect): Promise<{ elapsed: number; bytes: number }> {
  const started = performance.now();
  let frames = 0;
  let bytes = 0;
  const assembler = new FragmentAssembler({ fragment: (f) => (frames += f.frames.length) });
  let head = new Uint8Array(0); // the bytes of a record head not yet complete
  let mkvLeft = 0; // MKV bytes of the current record still to come
  const file = createReadStream(join(dataDir, 'streams', encodeURIComponent(name), 'fragments.log'), {
    highWaterMark: 1024 * 1024,
  });
  for await (const chunk of file as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (mkvLeft > 0) {
        const n = Math.min(mkvLeft, chunk.length - pos);
        assembler.push(chunk.subarray(pos, pos + n));
        pos += n;
        mkvLeft -= n;
        continue;
      }
      // A record head: u32 JSON length, then the JSON (disk-store.ts).
      const avail = chunk.subarray(pos);
      const buf = head.length > 0 ? concatPieces([head, avail]) : avail;
      if (buf.length < 4) {
        head = buf.slice();
        break;
      }
      const jsonLen = new DataView(buf.buffer, buf.byteOffset).getUint32(0);
      if (buf.length < 4 + jsonLen) {
        head = buf.slice();
        break;
      }
      const rec = JSON.parse(new TextDecoder().decode(buf.subarray(4, 4 + jsonLen))) as {
        headerLen: number;
        tagsLen?: number;
        clusterLen: number;
      };
      pos += 4 + jsonLen - head.length;
      head = new Uint8Array(0);
      mkvLeft = rec.headerLen + (rec.tagsLen ?? 0) + rec.clusterLen;
    }
  }
  assembler.end();
  const elapsed = performance.now() - started;
  if (frames !== mkv.frames) throw new Error(`data-dir log, streamed: ${frames} frames`);
  return { elapsed, bytes };
}

const setup = JSON.parse(process.argv[2] ?? '{}') as ReaderSetup;
const credentials = { accessKeyId: setup.accessKeyId, secretAccessKey: setup.secretAccessKey };
// Node's fetch for everything (the global one), and the same with media bodies over nodeFetch:
// what KinesisVideoClient and `kvs get` use in Node.
const api = new KinesisVideoApi({ region: setup.region, endpoint: setup.url, credentials });
const nodeApi = new KinesisVideoApi({
  region: setup.region,
  endpoint: setup.url,
  credentials,
  mediaFetch: nodeFetch(),
});
const mkv = makeKvsMkv(setup.fragments, setup.startUs);
const all = concatPieces(mkv.pieces);
const expect: Expect = { frames: mkv.frames, frameBytes: mkv.frameBytes };
mkv.pieces.length = 0; // only `all` is kept
// The body's size (each fragment gets its MKV header and the service's tags): the raw read
// stops a little short of it, as MILLIS_BEHIND_NOW may be a digit shorter or longer later.
const bodySize = (await getMediaRaw(api, setup.streamName)) - 4 * mkv.timecodes.length;
const name = setup.streamName;

async function read(what: string): Promise<{ elapsed: number; bytes: number }> {
  const mb = all.length;
  if (what === 'node') return { elapsed: await getMediaRead(nodeApi, name, expect), bytes: mb };
  if (what === 'fetch') return { elapsed: await getMediaRead(api, name, expect), bytes: mb };
  if (what === 'raw') return { elapsed: await getMediaRaw(api, name, bodySize), bytes: mb };
  if (what === 'memory') return { elapsed: await parseFromMemory(all, expect), bytes: mb };
  if (what === 'disk') return parseDataDir(setup.dataDir, name, expect);
  if (what === 'stream') return streamDataDir(setup.dataDir, name, expect);
  throw new Error(`wire-reader: unknown read ${what}`);
}

console.log(JSON.stringify({ ready: true, mkvBytes: all.length }));
const input = createInterface({ input: process.stdin });
// One read at a time, in the order asked.
let queue = Promise.resolve();
input.on('line', (line) => {
  queue = queue.then(async () => {
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    try {
      const r = await read(line.trim());
      const cpu = process.cpuUsage(cpu0);
      const main1 = mainThreadCpuMs();
      const mainMs = main0 === undefined || main1 === undefined ? undefined : main1 - main0;
      console.log(JSON.stringify({ ...r, cpuUs: cpu.user + cpu.system, mainMs }));
    } catch (e) {
      console.log(JSON.stringify({ error: String(e) }));
    }
  });
});
input.on('close', () => void queue.then(() => process.exit(0)));
