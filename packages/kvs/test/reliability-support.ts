/// <reference types="node" />
// Shared by the reliability-*.node.test.ts files (issue 9, "Reliability suite"): frames that carry
// their index and a hash (the pattern of reliability.node.test.ts), an emulator in a child process
// (test/fixtures/emulator-cli.ts, the `kvs emulator` command) that a test can SIGKILL and start
// again on the same port and data dir, reading a stream back with getMedia, and the exactly-once
// check.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KinesisVideoClient, type KinesisVideoClientOptions, type MediaFrame } from '@kvs-ts/kvs';
import { expect } from 'vitest';

export const REGION = 'us-west-2';
export const KEYS = { accessKeyId: 'AKIARELIABILITYTEST1', secretAccessKey: 'reliability/test/secret' };

/** Frame i: its index, an FNV-1a hash of the rest, and `size` bytes that depend on i. */
export function frameData(i: number, size = 600 + ((i * 37) % 700)): Uint8Array {
  const data = new Uint8Array(size);
  for (let k = 8; k < data.length; k++) data[k] = (i * 13 + k * 7) & 0xff;
  const view = new DataView(data.buffer);
  view.setUint32(0, i);
  view.setUint32(4, fnv(data.subarray(8)));
  return data;
}

function fnv(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** The index a stored frame claims, after checking its hash (-1: bytes that do not match). */
export function indexOf(f: MediaFrame): number {
  const view = new DataView(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  if (f.data.length < 8 || view.getUint32(4) !== fnv(f.data.subarray(8))) return -1;
  return view.getUint32(0);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port that was free a moment ago (the child binds it; a restart binds it again). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * `kvs emulator` in a child process on a fixed port (and data dir, if given). Faults go through
 * the loopback admin API (packages/emulator/src/admin-http.ts).
 */
export class ChildEmulator {
  private child: ChildProcess | undefined;
  readonly url: string;

  constructor(
    readonly port: number,
    readonly dataDir?: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Client options for this emulator. */
  get options(): KinesisVideoClientOptions {
    return { region: REGION, endpoint: this.url, credentials: { ...KEYS } };
  }

  /** Starts the child and resolves once it listens (a few seconds: tsx compiles the sources). */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--access-key', KEYS.accessKeyId, '--secret-key', KEYS.secretAccessKey];
    args.push('--region', REGION, ...(this.dataDir ? ['--data-dir', this.dataDir] : []));
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'fixtures', 'emulator-cli.ts'), ...args],
      // tsx is the emulator package's dev dependency: `--import tsx` resolves from its directory.
      { cwd: join(import.meta.dirname, '..', '..', 'emulator'), stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child = child;
    let err = '';
    child.stderr?.on('data', (d) => {
      err += d;
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`emulator did not start in 30 s: ${err}`)), 30_000);
      child.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`emulator exited ${code}: ${err}`));
      });
    });
    child.stdout?.resume();
  }

  /** SIGKILL, and wait for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  }

  /** POST /_admin/faults/{kind} (packages/emulator/src/admin-http.ts). */
  async fault(kind: string, body: Record<string, unknown> = {}): Promise<void> {
    const res = await fetch(`${this.url}/_admin/faults/${kind}`, { method: 'POST', body: JSON.stringify(body) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`admin ${kind}: HTTP ${res.status}`);
  }
}

/** What a read of a whole stream gave. */
export interface ReadBack {
  /** Frame indexes in order, repeats dropped by the client (keepRepeats false). */
  stored: number[];
  /** The same with repeats kept, one array per fragment. */
  raw: number[][];
  /** Fragment numbers of the raw read. */
  fragmentNumbers: string[];
}

/** Reads `name` from the start with getMedia, twice (without and with repeats); stops after 1 s without a fragment. */
export async function readBack(options: KinesisVideoClientOptions, name: string): Promise<ReadBack> {
  const reader = new KinesisVideoClient(options);
  const fragmentNumbers: string[] = [];
  const read = async (keepRepeats: boolean): Promise<number[][]> => {
    const fragments: number[][] = [];
    const abort = new AbortController();
    let idle = setTimeout(() => abort.abort(), 5000);
    for await (const f of reader.getMedia({
      streamName: name,
      start: { startSelectorType: 'EARLIEST' },
      signal: abort.signal,
      keepRepeats,
    })) {
      fragments.push(f.frames.map(indexOf));
      if (keepRepeats) fragmentNumbers.push(f.fragmentNumber ?? '');
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), 1000);
    }
    clearTimeout(idle);
    return fragments;
  };
  try {
    const stored = (await read(false)).flat();
    const raw = await read(true);
    return { stored, raw, fragmentNumbers };
  } finally {
    await reader.close();
  }
}

/**
 * Every frame of 0…put-1 stored once, in order, byte for byte, but for the reported drops; what
 * the service stored twice is whole fragments replayed after a connection broke (the raw read
 * without repeats is the client's read). A frame reported dropped was not stored, except one the
 * stream sent on a connection that was then cut before its ACK came, and evicted before a replay
 * (stream.ts onItemRemoved: its fate is unknown to the producer, so it is reported): such frames
 * must all have been put before `sentBefore`. Returns them.
 */
export function expectExactlyOnce(
  put: number,
  dropped: ReadonlyMap<number, unknown>,
  r: ReadBack,
  sentBefore = 0,
): number[] {
  expect(r.stored.filter((i) => i < 0)).toEqual([]);
  const seen = new Set<number>();
  const repeated: number[] = [];
  for (const i of r.stored) {
    if (seen.has(i)) repeated.push(i);
    seen.add(i);
  }
  expect(repeated).toEqual([]);
  expect(r.stored.filter((i, k) => k > 0 && i < r.stored[k - 1])).toEqual([]);
  const missing: number[] = [];
  for (let i = 0; i < put; i++) if (!seen.has(i) && !dropped.has(i)) missing.push(i);
  expect(missing, `lost without a report (dropped: ${[...dropped.keys()].join(',')})`).toEqual([]);
  const droppedButStored = [...dropped.keys()].filter((i) => seen.has(i));
  expect(droppedButStored.filter((i) => i >= sentBefore)).toEqual([]);
  // A repeat is a fragment whose first frame an earlier fragment started with.
  const firsts = new Set<number>();
  const unique = r.raw.filter((f) => {
    if (f.length > 0 && firsts.has(f[0])) return false;
    firsts.add(f[0]);
    return true;
  });
  expect(unique.flat()).toEqual(r.stored);
  return droppedButStored;
}

/**
 * The garbage collector, when this process can have it: `--expose-gc` set at run time, then
 * taken from a fresh context (V8 installs `gc` in contexts made after the flag is set). Vitest's
 * worker is not started with the flag.
 */
export function garbageCollector(): (() => void) | undefined {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') return g.gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Heap in use after a full collection (or as it is, without a collector). */
export async function heapUsed(): Promise<number> {
  const gc = garbageCollector();
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(10);
  }
  return process.memoryUsage().heapUsed;
}

export const MIB = 1024 * 1024;
