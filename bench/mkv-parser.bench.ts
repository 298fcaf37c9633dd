// MKV parser throughput on two synthetic KVS streams fed as 64 KiB chunks, beside (same run):
// a bare EBML walk that copies each frame (the practical limit), mediabunny's demuxer reading
// from a ReadableStream, and the `ebml` npm decoder (on a prefix: it is slow).
import { createRequire } from 'node:module';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { ALL_FORMATS, EncodedPacketSink, Input, ReadableStreamSource } from 'mediabunny';
import { Bench } from 'tinybench';
import { type BuiltStream, buildStream, chunks, LARGE, SMALL } from './lib/kvs-streams';
import { printTable } from './lib/report';

const require = createRequire(import.meta.url);
const { Decoder: EbmlDecoder } = require('ebml') as { Decoder: new () => NodeJS.ReadWriteStream };

function ours(parts: Uint8Array[], complete = true): number {
  let frames = 0;
  let sink = 0;
  const p = new MkvParser({
    frame: (f) => {
      frames++;
      sink += f.data.length;
    },
  });
  for (const c of parts) p.push(c);
  if (complete) p.end();
  if (sink < 0) throw new Error('unreachable');
  return frames;
}

/** The practical limit: walk element headers, descend masters, copy every SimpleBlock. */
function copyWalk(bytes: Uint8Array): number {
  let pos = 0;
  let frames = 0;
  const n = bytes.length;
  while (pos < n) {
    const b0 = bytes[pos];
    const idLen = Math.clz32(b0) - 23;
    let id = b0;
    for (let i = 1; i < idLen; i++) id = id * 256 + bytes[pos + i];
    pos += idLen;
    const s0 = bytes[pos];
    const sl = Math.clz32(s0) - 23;
    let size = s0 & (0xff >> sl);
    let unknown = size === 0xff >> sl;
    for (let i = 1; i < sl; i++) {
      if (bytes[pos + i] !== 0xff) unknown = false;
      size = size * 256 + bytes[pos + i];
    }
    pos += sl;
    if (unknown || id === 0x18538067 || id === 0x1f43b675 || id === 0x1654ae6b || id === 0xae) continue; // masters: descend
    if (id === 0xa3) {
      bytes.slice(pos, pos + size);
      frames++;
    }
    pos += size;
  }
  return frames;
}

async function mediabunny(parts: Uint8Array[], total: number): Promise<number> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(p);
      controller.close();
    },
  });
  const input = new Input({
    source: new ReadableStreamSource(stream, { maxCacheSize: total + (1 << 20) }),
    formats: ALL_FORMATS,
  });
  let frames = 0;
  for (const track of await input.getTracks()) {
    const sink = new EncodedPacketSink(track);
    for await (const _ of sink.packets()) frames++;
  }
  input.dispose();
  return frames;
}

function ebmlNpm(parts: Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const d = new EbmlDecoder();
    let frames = 0;
    d.on('data', (chunk: [string, { name: string }]) => {
      if (chunk[1].name === 'SimpleBlock') frames++;
    });
    d.on('error', reject);
    d.on('finish', () => resolve(frames));
    for (const p of parts) d.write(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    d.end();
  });
}

const EBML_PREFIX = 4 << 20; // the ebml decoder runs on the first 4 MiB only

async function run(s: BuiltStream, label: string) {
  const parts = chunks(s.bytes);
  const prefix = chunks(s.bytes.subarray(0, EBML_PREFIX));
  const prefixFrames = ours(prefix, false); // the prefix ends inside a frame
  const checks = {
    ours: ours(parts),
    copyWalk: copyWalk(s.bytes),
    mediabunny: await mediabunny(parts, s.bytes.length),
  };
  for (const [k, v] of Object.entries(checks))
    if (v !== s.frames) throw new Error(`${k} saw ${v} frames, expected ${s.frames}`);
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add('kvs-ts MkvParser (64 KiB chunks)', () => {
      ours(parts);
    })
    .add('copy-walk limit (whole buffer)', () => {
      copyWalk(s.bytes);
    })
    .add('mediabunny demux (ReadableStream)', async () => {
      await mediabunny(parts, s.bytes.length);
    })
    .add('ebml npm Decoder (4 MiB prefix)', async () => {
      await ebmlNpm(prefix);
    });
  await bench.run();
  const rows = bench.tasks.map((t) => {
    const ms = t.result!.latency.mean;
    const isPrefix = t.name.includes('prefix');
    const bytes = isPrefix ? Math.min(EBML_PREFIX, s.bytes.length) : s.bytes.length;
    const frames = isPrefix ? prefixFrames : s.frames;
    return { name: t.name, ms: ms.toFixed(2), mbps: bytes / 1e6 / (ms / 1000), fps: frames / (ms / 1000) };
  });
  const oursRow = rows[0];
  console.log(`\n${label}: ${(s.bytes.length / 1e6).toFixed(1)} MB, ${s.frames} frames`);
  printTable(
    rows.map((r) => ({
      benchmark: r.name,
      'ms/run': r.ms,
      'MB/s': r.mbps.toFixed(0),
      'frames/s': `${(r.fps / 1000).toFixed(0)} k`,
      'kvs-ts is ×': (oursRow.mbps / r.mbps).toFixed(2),
    })),
  );
}

await run(buildStream(SMALL), SMALL.name);
await run(buildStream(LARGE), LARGE.name);
