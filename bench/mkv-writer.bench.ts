// MKV writer throughput on two generated streams (frame bytes are synthetic AVCC / AAC-like, not
// real video), beside (same run): a plain memcpy of every frame (the limit of any one-copy
// writer), mediabunny's Matroska muxer, and the Annex-B → AVCC converter of @kvs-ts/codecs.
// Also reports the writer's heap growth per frame (run with --expose-gc for a clean figure).

import { annexBToAvcc, annexBToAvccSize } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { MkvWriter, NalAdaptation, type WriterTrackInfo } from '@kvs-ts/mkv-writer';
import {
  BufferTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  MkvOutputFormat,
  Output,
} from 'mediabunny';
import { Bench } from 'tinybench';
import { printTable } from './lib/report';

interface Shape {
  name: string;
  tracks: Array<{ fps: number; avgBytes: number; video: boolean }>;
  seconds: number;
}

const LARGE: Shape = {
  name: '1080p-like (~34 KB frames, 1 track, key every 50)',
  tracks: [{ fps: 25, avgBytes: 34_000, video: true }],
  seconds: 80,
};
const SMALL: Shape = {
  name: '360p + AAC-like (~1.6 KB frames, 2 tracks)',
  tracks: [
    { fps: 25, avgBytes: 2_700, video: true },
    { fps: 46.875, avgBytes: 1_000, video: false },
  ],
  seconds: 240,
};

// A real 1280x720 High avcC, and AAC-LC 48 kHz stereo, for the muxers' track headers.
const AVCC = Uint8Array.from([
  0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01,
  0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68,
  0xeb, 0xe3, 0xcb, 0x22, 0xc0,
]);
const ASC = Uint8Array.of(0x11, 0x90);

const EPOCH_US = 1_700_000_000_000_000;

interface Stream {
  shape: Shape;
  tracks: WriterTrackInfo[];
  /** AVCC / raw frames in timestamp order. */
  frames: Frame[];
  /** The same frames with Annex-B start codes instead of NAL lengths (video only). */
  annexB: Frame[];
  frameBytes: number;
  annexBBytes: number;
}

function build(shape: Shape): Stream {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const events: Array<{ us: number; track: number; size: number; key: boolean }> = [];
  shape.tracks.forEach((t, i) => {
    const n = Math.floor(t.fps * shape.seconds);
    for (let k = 0; k < n; k++) {
      events.push({
        us: Math.floor((k * 1e6) / t.fps),
        track: i,
        size: Math.max(16, Math.round(t.avgBytes * (0.5 + rand()))),
        key: t.video && k % 50 === 0,
      });
    }
  });
  events.sort((a, b) => a.us - b.us || a.track - b.track);
  const tracks: WriterTrackInfo[] = shape.tracks.map((t, i) =>
    t.video
      ? {
          trackId: i + 1,
          codecId: 'V_MPEG4/ISO/AVC',
          trackType: TrackType.VIDEO,
          codecPrivateData: AVCC,
          video: { width: 1280, height: 720 },
        }
      : { trackId: i + 1, codecId: 'A_AAC', trackType: TrackType.AUDIO, codecPrivateData: ASC },
  );
  // One backing buffer per form; frames are views, as a capture pipeline hands them over.
  let total = 0;
  for (const e of events) total += e.size;
  const avccBuf = new Uint8Array(total);
  const annexBuf = new Uint8Array(total);
  const frames: Frame[] = [];
  const annexB: Frame[] = [];
  let off = 0;
  let frameBytes = 0;
  let annexBBytes = 0;
  for (const e of events) {
    const avcc = avccBuf.subarray(off, off + e.size);
    const annex = annexBuf.subarray(off, off + e.size);
    // Payload bytes are never 0, so the Annex-B form has no emulation-prevention concerns.
    for (let i = 0; i < e.size; i++) avcc[i] = annex[i] = ((off + i) * 131) | 1;
    if (shape.tracks[e.track].video) {
      // One NAL unit per frame: 4-byte length / start code, then an IDR (0x65) or non-IDR (0x41) header.
      const len = e.size - 4;
      avcc.set([len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, e.key ? 0x65 : 0x41]);
      annex.set([0, 0, 0, 1, e.key ? 0x65 : 0x41]);
    }
    // Object literals of one shape, as a capture loop creates them.
    const flags = e.key ? FrameFlags.KEY_FRAME : 0;
    // Epoch-µs timestamps, as KVS producers send (absolute fragment times): doubles, not small ints.
    const us = EPOCH_US + e.us;
    frames.push({ trackId: e.track + 1, pts: us, dts: us, duration: 0, flags, data: avcc });
    annexB.push({
      trackId: e.track + 1,
      pts: us,
      dts: us,
      duration: 0,
      flags,
      data: shape.tracks[e.track].video ? annex : avcc,
    });
    frameBytes += e.size;
    annexBBytes += shape.tracks[e.track].video ? e.size : 0;
    off += e.size;
  }
  return { shape, tracks, frames, annexB, frameBytes, annexBBytes };
}

const UUID = new Uint8Array(16).fill(0x42);

/** Pieces form: header view + frame data view per frame; nothing copied. */
function pieces(s: Stream, frames = s.frames, nal: number = NalAdaptation.NONE): number {
  const w = new MkvWriter({ tracks: s.tracks, segmentUuid: UUID, nalAdaptationFlags: nal });
  let bytes = 0;
  for (let i = 0; i < frames.length; i++) {
    const p = w.packageFrame(frames[i]);
    bytes += p.header.length + p.data.length;
  }
  return bytes;
}

/** Two-phase form: prepare + write every frame into one preallocated store. */
function twoPhase(s: Stream, store: Uint8Array, frames = s.frames, nal: number = NalAdaptation.NONE): number {
  const w = new MkvWriter({ tracks: s.tracks, segmentUuid: UUID, nalAdaptationFlags: nal });
  const plan = w.newPlan();
  let pos = 0;
  for (let i = 0; i < frames.length; i++) {
    w.prepare(frames[i], plan);
    pos += w.write(plan, store, pos);
  }
  return pos;
}

/** The limit of a one-copy writer: copy every frame, no MKV at all. */
function memcpy(s: Stream, store: Uint8Array): number {
  let pos = 0;
  for (const f of s.frames) {
    store.set(f.data, pos);
    pos += f.data.length;
  }
  return pos;
}

/** Annex-B → AVCC conversion of every video frame into a store (codecs). */
function convert(s: Stream, store: Uint8Array): number {
  let pos = 0;
  for (const f of s.annexB) if (f.trackId === 1) pos += annexBToAvcc(f.data, store, pos);
  return pos;
}

/** mediabunny's Matroska muxer into a BufferTarget. */
async function mediabunny(s: Stream): Promise<number> {
  const output = new Output({ format: new MkvOutputFormat({ appendOnly: true }), target: new BufferTarget() });
  const sources = s.shape.tracks.map((t) =>
    t.video ? new EncodedVideoPacketSource('avc') : new EncodedAudioPacketSource('aac'),
  );
  s.shape.tracks.forEach((t, i) => {
    const src = sources[i];
    if (src instanceof EncodedVideoPacketSource) output.addVideoTrack(src);
    else output.addAudioTrack(src as EncodedAudioPacketSource);
    void t;
  });
  await output.start();
  const first = s.shape.tracks.map(() => true);
  for (const f of s.frames) {
    const i = f.trackId - 1;
    const packet = new EncodedPacket(
      f.data,
      f.flags & FrameFlags.KEY_FRAME || !s.shape.tracks[i].video ? 'key' : 'delta',
      f.pts / 1e6,
      0.02,
    );
    const src = sources[i];
    if (src instanceof EncodedVideoPacketSource) {
      await src.add(
        packet,
        first[i]
          ? { decoderConfig: { codec: 'avc1.64001f', codedWidth: 1280, codedHeight: 720, description: AVCC } }
          : undefined,
      );
    } else {
      await (src as EncodedAudioPacketSource).add(
        packet,
        first[i]
          ? { decoderConfig: { codec: 'mp4a.40.2', sampleRate: 48000, numberOfChannels: 2, description: ASC } }
          : undefined,
      );
    }
    first[i] = false;
  }
  await output.finalize();
  return (output.target as BufferTarget).buffer?.byteLength ?? 0;
}

/**
 * Heap growth per frame over `count` frames (the stream repeated with shifted times, built before
 * measuring), packaged by `run` after a warm-up pass and a GC. A young-generation GC inside the
 * measured loop would hide allocations, so the figure is only meaningful with --expose-gc and a
 * count that fits the young generation even at a few dozen bytes per frame.
 */
function heapPerFrame(s: Stream, run: (w: MkvWriter, f: Frame) => void, count = 100_000): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const span = s.frames[s.frames.length - 1].pts - EPOCH_US + 1_000_000;
  const list: Frame[] = [];
  for (let i = 0; list.length < 3 * count; i++) {
    const f = s.frames[i % s.frames.length];
    const shift = Math.floor(i / s.frames.length) * span;
    list.push({
      trackId: f.trackId,
      pts: f.pts + shift,
      dts: f.dts + shift,
      duration: 0,
      flags: f.flags,
      data: f.data,
    });
  }
  const w = new MkvWriter({ tracks: s.tracks, segmentUuid: UUID });
  for (let i = 0; i < count; i++) run(w, list[i]);
  // Two measured passes; the smaller one is reported (one-off JIT and IC work can land in either).
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 1; pass <= 2; pass++) {
    gc?.();
    gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = pass * count; i < (pass + 1) * count; i++) run(w, list[i]);
    best = Math.min(best, (process.memoryUsage().heapUsed - before) / count);
  }
  return best;
}

async function report(s: Stream) {
  const store = new Uint8Array(s.frameBytes + s.frames.length * 64 + (1 << 20));
  // Sanity: both forms write the same number of bytes; Annex-B conversion keeps sizes (4-byte start codes).
  const a = pieces(s);
  const b = twoPhase(s, store);
  if (a !== b) throw new Error(`pieces ${a} ≠ two-phase ${b}`);
  let annexSize = 0;
  for (const f of s.annexB) if (f.trackId === 1) annexSize += annexBToAvccSize(f.data);
  if (annexSize !== s.annexBBytes) throw new Error('Annex-B sizing mismatch');
  const mkvBytes = await mediabunny(s);

  const fast = new Bench({ time: 1500, warmupTime: 1000, iterations: 8 });
  fast
    .add('kvs-ts writer: packageFrame (pieces)', () => void pieces(s))
    .add('kvs-ts writer: prepare+write into store', () => void twoPhase(s, store))
    .add(
      'kvs-ts writer: Annex-B in, prepare+write (converts into store)',
      () => void twoPhase(s, store, s.annexB, NalAdaptation.ANNEXB_NALS),
    )
    .add(
      'kvs-ts writer: Annex-B in, packageFrame (converts into scratch)',
      () => void pieces(s, s.annexB, NalAdaptation.ANNEXB_NALS),
    )
    .add('memcpy of every frame (one-copy limit)', () => void memcpy(s, store))
    .add('codecs annexBToAvcc (video frames only)', () => void convert(s, store));
  await fast.run();
  const slow = new Bench({ time: 0, warmupTime: 0, warmupIterations: 1, iterations: 3 });
  slow.add('mediabunny MkvOutputFormat + BufferTarget', async () => void (await mediabunny(s)));
  await slow.run();

  const rows = [...fast.tasks, ...slow.tasks].map((t) => {
    const ms = (t.result as { latency?: { mean: number } } | undefined)?.latency?.mean ?? Number.NaN;
    const video = t.name.startsWith('codecs');
    const frames = video ? s.annexB.filter((f) => f.trackId === 1).length : s.frames.length;
    const bytes = video ? s.annexBBytes : s.frameBytes;
    return { name: t.name, ms, fps: frames / (ms / 1000), mbps: bytes / 1e6 / (ms / 1000) };
  });
  const mb = rows.find((r) => r.name.startsWith('mediabunny')) as (typeof rows)[number];
  console.log(
    `\n${s.shape.name}: ${s.frames.length} frames, ${(s.frameBytes / 1e6).toFixed(1)} MB of frame data` +
      ` (mediabunny's file: ${(mkvBytes / 1e6).toFixed(1)} MB, ours: ${(a / 1e6).toFixed(1)} MB)`,
  );
  printTable(
    rows.map((r) => ({
      benchmark: r.name,
      'ms/run': r.ms.toFixed(2),
      'frames/s': r.fps >= 1e6 ? `${(r.fps / 1e6).toFixed(2)} M` : `${(r.fps / 1e3).toFixed(0)} k`,
      'MB/s (frame data)': r.mbps.toFixed(0),
      '× mediabunny': (r.mbps / mb.mbps).toFixed(1),
    })),
  );
  const piecesHeap = heapPerFrame(s, (w, f) => void w.packageFrame(f));
  const scratch = new Uint8Array(store.length);
  let pos = 0;
  const twoHeap = heapPerFrame(s, (w, f) => {
    const l = w.prepare(f);
    if (pos + l.size > scratch.length) pos = 0;
    pos += w.write(l, scratch, pos);
  });
  console.log(
    `heap growth per frame (AVCC/opaque, ${(globalThis as { gc?: unknown }).gc ? 'after gc()' : 'no --expose-gc'}): ` +
      `packageFrame ${piecesHeap.toFixed(2)} B, prepare+write ${twoHeap.toFixed(2)} B`,
  );
}

await report(build(SMALL));
await report(build(LARGE));
