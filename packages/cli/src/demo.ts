// `kvs demo`: packages the ffmpeg-made sample in test-vectors/ (Annex-B H.264 + ADTS AAC with
// their frame indexes) as KVS-layout MKV — what a camera would send in PutMedia — and inspects
// the result. A later issue turns this into the full streaming demo against the emulator.

import { createReadStream } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adtsToAudioSpecificConfig, CodecId, parseAdtsHeader } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import {
  FrameOrderCoordinator,
  FrameOrderMode,
  MkvWriter,
  NalAdaptation,
  type WriterTrackInfo,
} from '@kvs-ts/mkv-writer';
import { formatReport, inspect } from './inspect';
import type { TextSink } from './main';

interface IndexEntry {
  ptsUs: number;
  dtsUs?: number;
  durationUs: number;
  key: boolean;
  offset: number;
  size: number;
}

const VIDEO = 'h264-baseline-320x240-25fps.h264';
const AUDIO = 'aac-lc-48khz-mono.aac';

/** The repository's test-vectors/ folder (dist/ and src/ sit at the same depth). */
function vectorsDir(): string {
  return fileURLToPath(new URL('../../../test-vectors/', import.meta.url));
}

async function load(dir: string, name: string): Promise<{ bytes: Uint8Array; frames: IndexEntry[] }> {
  const bytes = new Uint8Array(await readFile(join(dir, name)));
  const index = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as { frames: IndexEntry[] };
  return { bytes, frames: index.frames };
}

/** Runs the demo; `args[0]` may name the output file. */
export async function demo(out: TextSink, err: TextSink, args: string[] = []): Promise<number> {
  const dir = vectorsDir();
  const target = args[0] ? resolve(process.env.INIT_CWD ?? process.cwd(), args[0]) : join(tmpdir(), 'kvs-demo.mkv');
  let video: Awaited<ReturnType<typeof load>>;
  let audio: Awaited<ReturnType<typeof load>>;
  try {
    video = await load(dir, VIDEO);
    audio = await load(dir, AUDIO);
  } catch (e) {
    err.write(`kvs demo: cannot read the sample in ${dir}: ${(e as Error).message}\n`);
    return 1;
  }
  const adts = parseAdtsHeader(audio.bytes, 0);
  const tracks: WriterTrackInfo[] = [
    // No codec private data: the writer takes SPS/PPS from the first key frame, as PIC does.
    { trackId: 1, codecId: CodecId.H264, trackName: 'video', trackType: TrackType.VIDEO },
    {
      trackId: 2,
      codecId: CodecId.AAC,
      trackName: 'audio',
      trackType: TrackType.AUDIO,
      codecPrivateData: adtsToAudioSpecificConfig(adts),
      audio: { samplingFrequency: adts.samplingFrequency, channels: adts.channelConfiguration },
    },
  ];
  const writer = new MkvWriter({
    tracks,
    nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
  });
  await mkdir(dirname(target), { recursive: true });
  const file = await open(target, 'w');
  let bytes = 0;
  try {
    const pending: Uint8Array[] = [];
    const order = new FrameOrderCoordinator({ tracks, mode: FrameOrderMode.MULTI_TRACK_AV }, (frame) => {
      const p = writer.packageFrame(frame);
      // The header is a view of writer memory, reused by the next call: copy it before queueing.
      pending.push(p.header.slice(), p.data);
    });
    // Producer timestamps: now, in whole milliseconds, plus the sample's own times.
    const base = Math.floor(Date.now()) * 1000;
    const frames: Frame[] = [];
    for (const f of video.frames) {
      const pts = base + f.ptsUs;
      frames.push({
        trackId: 1,
        pts,
        dts: base + (f.dtsUs ?? f.ptsUs),
        duration: f.durationUs,
        flags: f.key ? FrameFlags.KEY_FRAME : 0,
        data: video.bytes.subarray(f.offset, f.offset + f.size),
      });
    }
    for (const f of audio.frames) {
      const header = parseAdtsHeader(audio.bytes, f.offset).headerLength;
      frames.push({
        trackId: 2,
        pts: base + f.ptsUs,
        dts: base + f.ptsUs,
        duration: f.durationUs,
        flags: FrameFlags.KEY_FRAME,
        data: audio.bytes.subarray(f.offset + header, f.offset + f.size),
      });
    }
    // A producer delivers each track in order; the coordinator interleaves them.
    frames.sort((a, b) => a.dts - b.dts || a.trackId - b.trackId);
    for (const frame of frames) {
      order.put(frame);
      for (const piece of pending) {
        await file.write(piece);
        bytes += piece.length;
      }
      pending.length = 0;
    }
    order.flush();
    pending.push(writer.finish());
    for (const piece of pending) {
      await file.write(piece);
      bytes += piece.length;
    }
  } finally {
    await file.close();
  }
  out.write(
    `wrote ${target} (${bytes} bytes): ${video.frames.length} H.264 frames (Annex-B → AVCC) + ${audio.frames.length} AAC frames, KVS layout\n\n`,
  );
  const report = await inspect(createReadStream(target, { highWaterMark: 1 << 20 }));
  out.write(`${formatReport(target, report)}\n`);
  return report.error ? 1 : 0;
}
