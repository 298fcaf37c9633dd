// Shared by the on-the-wire benchmarks (wire.bench.ts, emulator-capacity.bench.ts): a KVS MKV
// stream made by @kvs-ts/mkv-writer (2 Mbps-ish, 30 fps, a key frame every 2 s, synthetic frame
// bytes), a PutMediaSource over pre-made pieces that notes when each piece is handed to the
// transport, the servers and the GetMedia reader in child processes (lib/wire-server.ts,
// lib/wire-reader.ts), and percentiles.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type FragmentAck, FrameFlags, StatusCode } from '@kvs-ts/core';
import { MkvWriter } from '@kvs-ts/mkv-writer';
import type { PutMediaSource } from '@kvs-ts/putmedia';
import type { StreamData } from '@kvs-ts/stream';

export const FPS = 30;
export const FRAME_US = Math.round(1_000_000 / FPS);
/** A key frame (so a fragment) every 2 s. */
export const GOP = 60;
/** ~2 Mbps: 500 kB per 2 s fragment, a 45 kB key frame and 59 P frames of ~7.7 kB (±25 %). */
export const KEY_BYTES = 45_000;
export const P_BYTES = Math.round((250_000 * 2 - KEY_BYTES) / (GOP - 1));
/** A real H.264 SPS/PPS (1280x720 High) as avcC: the Tracks element looks like a camera's. */
export const AVCC = Uint8Array.from([
  0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01,
  0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68,
  0xeb, 0xe3, 0xcb, 0x22, 0xc0,
]);
export const H264_TRACK = {
  trackId: 1,
  codecId: 'V_MPEG4/ISO/AVC',
  trackName: 'kinesis_video',
  trackType: 1 as const,
  codecPrivateData: AVCC,
};

/** Frame payloads are views of this pool of pseudo-random bytes (the emulator does not decode them). */
const POOL = (() => {
  const pool = new Uint8Array(256 * 1024);
  let x = 0x12345678;
  for (let i = 0; i < pool.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pool[i] = x & 0xff;
  }
  return pool;
})();

/** Size of frame `i` (deterministic, ~2 Mbps on average). */
export function frameSize(i: number): number {
  if (i % GOP === 0) return KEY_BYTES;
  const wobble = (((i * 7919) % 101) - 50) / 200; // −25 % … +25 %
  return Math.round(P_BYTES * (1 + wobble));
}

/** Payload of frame `i`: a view of the pool (no copy; putFrame and the writer copy it). */
export function frameData(i: number): Uint8Array {
  const size = frameSize(i);
  const start = (i * 4099) % (POOL.length - size);
  return POOL.subarray(start, start + size);
}

export interface KvsMkv {
  /** One piece per frame (the first carries the stream header), plus EoFR tags when asked. */
  pieces: Uint8Array[];
  /** Index in `pieces` of each fragment's first piece (its cluster starts there). */
  fragmentStarts: number[];
  /** With `eofr`: index of the EoFR tag piece that ends each fragment. */
  fragmentEnds: number[];
  /** Cluster timecode (ms, the ACKs' FragmentTimecode) of each fragment. */
  timecodes: number[];
  frames: number;
  frameBytes: number;
  bytes: number;
}

/**
 * `fragments` × 2 s of KVS MKV as a KinesisVideoStream's MkvWriter packages it (stream header, an
 * unknown-size cluster per key frame, 8-byte SimpleBlock sizes). With `eofr`, each fragment is
 * followed by an AWS_KINESISVIDEO_END_OF_FRAGMENT tag, as AWS's C producer sends it.
 */
export function makeKvsMkv(fragments: number, startUs: number, eofr = false): KvsMkv {
  const writer = new MkvWriter({ tracks: [H264_TRACK], nalAdaptationFlags: 0 });
  const out: KvsMkv = {
    pieces: [],
    fragmentStarts: [],
    fragmentEnds: [],
    timecodes: [],
    frames: 0,
    frameBytes: 0,
    bytes: 0,
  };
  const add = (header: Uint8Array, data: Uint8Array): void => {
    const piece = new Uint8Array(header.length + data.length);
    piece.set(header, 0);
    piece.set(data, header.length);
    out.pieces.push(piece);
    out.bytes += piece.length;
  };
  for (let i = 0; i < fragments * GOP; i++) {
    const pts = startUs + i * FRAME_US;
    const key = i % GOP === 0;
    if (key) {
      out.fragmentStarts.push(out.pieces.length);
      out.timecodes.push(Math.floor(pts / 1000));
    }
    const data = frameData(i);
    const p = writer.packageFrame({
      trackId: 1,
      pts,
      dts: pts,
      duration: FRAME_US,
      flags: key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
      data,
    });
    add(p.header, p.data);
    out.frames++;
    out.frameBytes += data.length;
    if (eofr && i % GOP === GOP - 1) {
      const e = writer.packageFrame({
        trackId: 1,
        pts: pts + FRAME_US,
        dts: pts + FRAME_US,
        duration: 0,
        flags: FrameFlags.END_OF_FRAGMENT,
        data: new Uint8Array(0),
      });
      out.fragmentEnds.push(out.pieces.length);
      add(e.header, e.data);
    }
  }
  return out;
}

/** The pieces as one buffer. */
export function concatPieces(pieces: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of pieces) size += p.length;
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/**
 * A PutMediaSource over pieces pushed by the benchmark: what a stream's upload connection would
 * hand out, minus the stream. `pulledAt[i]` is when piece i's first byte went to the transport
 * (PutMediaConnection copies it into its chunk, and node.ts writes that chunk to the socket a
 * microtask later).
 */
export class PieceSource implements PutMediaSource {
  private readonly pieces: Uint8Array[] = [];
  private head = 0;
  private offset = 0;
  private closed = false;
  private waiters = new Set<() => void>();
  readonly pulledAt: number[] = [];
  pulledBytes = 0;
  endResult: number | undefined;
  readonly ended: Promise<number>;
  private resolveEnded!: (result: number) => void;

  /** What pull returns: one object, reused, as a stream's getStreamData does. */
  private readonly result: StreamData = { status: StatusCode.STATUS_SUCCESS, data: EMPTY };

  /**
   * `timed`: note `pulledAt` for every piece (the latency cases); off for the upload rates, where
   * a clock read per frame would be the benchmark's cost counted as the transport's.
   */
  constructor(
    private readonly onAck: (ack: FragmentAck, at: number) => void = () => {},
    private readonly timed = true,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  push(...pieces: Uint8Array[]): void {
    for (const p of pieces) this.pieces.push(p);
    this.wake();
  }

  /** No more pieces: the transport ends the body once it has sent them. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  pull(maxBytes: number): StreamData {
    if (this.head < this.pieces.length) {
      const piece = this.pieces[this.head];
      if (this.timed && this.offset === 0) this.pulledAt[this.head] = performance.now();
      const n = Math.min(maxBytes, piece.length - this.offset);
      const data = piece.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === piece.length) {
        this.head++;
        this.offset = 0;
      }
      this.pulledBytes += n;
      this.result.status = StatusCode.STATUS_SUCCESS;
      this.result.data = data;
      return this.result;
    }
    this.result.status = this.closed ? StatusCode.STATUS_END_OF_STREAM : StatusCode.STATUS_NO_MORE_DATA_AVAILABLE;
    this.result.data = EMPTY;
    return this.result;
  }

  ack(ack: FragmentAck): number {
    this.onAck(ack, performance.now());
    return StatusCode.STATUS_SUCCESS;
  }

  end(result?: number): void {
    this.endResult = result ?? 0;
    this.wake();
    this.resolveEnded(this.endResult);
  }

  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

const EMPTY = new Uint8Array(0);

/** The child process with the emulator and the discard server (lib/wire-server.ts). */
export interface Servers {
  /** The emulator's base URL (control plane and data plane). */
  url: string;
  /** A node:http server that reads every request body and drops it. */
  discardUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  dataDir?: string;
  /** The child's CPU time so far, µs (user + system). */
  cpu(): Promise<number>;
  /** The same, with its main thread's share in ms (lib/threads.ts; undefined off Linux). */
  cpuSplit(): Promise<{ us: number; mainMs?: number }>;
  close(): Promise<void>;
}

/**
 * A child process running `script` (a TypeScript file beside this one, under tsx) that talks in
 * lines: it prints one JSON line when ready, then answers each line it reads on stdin with one
 * JSON line. Lines that are not JSON (e.g. --trace-gc output) go to stderr. Ends with stdin.
 */
async function jsonChild(script: string, arg: unknown, flags: string[] = [], pin?: string) {
  const path = join(dirname(fileURLToPath(import.meta.url)), script);
  const argv = [...flags, '--conditions=source', '--import', 'tsx', path, JSON.stringify(arg)];
  const child: ChildProcess = pin
    ? spawn('taskset', ['-c', pin, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const pending: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  lines.on('line', (line) =>
    line.startsWith('{') ? pending.shift()?.resolve(line) : process.stderr.write(`${line}\n`),
  );
  child.once('exit', (code) => {
    for (const p of pending.splice(0)) p.reject(new Error(`${script} exited (${code})`));
  });
  const next = <T>(): Promise<T> =>
    new Promise<string>((resolve, reject) => pending.push({ resolve, reject })).then((l) => JSON.parse(l) as T);
  const hello = next<Record<string, unknown>>();
  return {
    hello: await hello,
    ask<T>(line: string): Promise<T> {
      const reply = next<T>();
      child.stdin?.write(`${line}\n`);
      return reply;
    },
    async close(): Promise<void> {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      await exited;
      lines.close();
    },
  };
}

/** Starts lib/wire-server.ts in a child process (its own core) with these emulator options. */
export async function startServers(options: { dataDir?: string; persistDelayMs?: number } = {}): Promise<Servers> {
  // WIRE_SERVER_CPU_PROF=dir: a V8 CPU profile of the servers' process, written when it exits.
  const prof = process.env.WIRE_SERVER_CPU_PROF;
  const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  // WIRE_SERVER_FLAGS: more node flags for the servers' process (e.g. --trace-gc).
  flags.push(...(process.env.WIRE_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== ''));
  // WIRE_SERVER_CPU=n: the servers' process is pinned to CPU n (taskset), so that client and
  // server each have a core of their own and GC threads do not migrate between them (pin the
  // benchmark itself with `taskset -c m`).
  const child = await jsonChild('wire-server.ts', options, flags, process.env.WIRE_SERVER_CPU);
  const hello = child.hello as unknown as Omit<Servers, 'cpu' | 'cpuSplit' | 'close'>;
  const cpuSplit = async (): Promise<{ us: number; mainMs?: number }> => {
    const r = await child.ask<{ cpuUs: number; mainMs?: number }>('cpu');
    return { us: r.cpuUs, mainMs: r.mainMs };
  };
  return {
    ...hello,
    async cpu() {
      return (await cpuSplit()).us;
    },
    cpuSplit,
    close: () => child.close(),
  };
}

/** One read's figures from lib/wire-reader.ts: ms, bytes, and the reader's CPU (all threads µs, main thread ms). */
export interface ReadResult {
  elapsed: number;
  bytes: number;
  cpuUs: number;
  mainMs?: number;
}

/**
 * Starts lib/wire-reader.ts (the GetMedia benchmark's reads, in a clean process of their own)
 * for `setup` (lib/wire-reader.ts, ReaderSetup). WIRE_READER_FLAGS: node flags for it.
 */
export async function startReader(setup: Record<string, unknown>) {
  const flags = (process.env.WIRE_READER_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const child = await jsonChild('wire-reader.ts', setup, flags);
  return {
    async read(what: string): Promise<ReadResult> {
      const r = await child.ask<ReadResult & { error?: string }>(what);
      if (r.error !== undefined) throw new Error(`wire-reader ${what}: ${r.error}`);
      return r;
    },
    close: () => child.close(),
  };
}

/** The q-quantile (0…1) of `values` by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const ms = (v: number): string => (Number.isNaN(v) ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));

export const sleep = (msDelay: number): Promise<void> => new Promise((r) => setTimeout(r, msDelay));
