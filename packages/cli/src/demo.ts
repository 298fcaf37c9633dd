// `kvs demo`: the whole SDK in one command. It starts the embedded emulator on loopback (or, with
// --region and no --endpoint, uses real KVS), creates a stream through KinesisVideoClient, streams
// the ffmpeg-made sample in test-vectors/ (H.264 Annex-B + AAC, looped) at real time or faster,
// tails the stream with getMedia at the same time, shows a live display, and ends with a summary
// and a playable MKV merged from what GetMedia returned.

import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adtsToAudioSpecificConfig, CodecId, parseAdtsHeader } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import {
  KinesisVideoClient,
  type KinesisVideoStream,
  type MediaFragment,
  NalAdaptation,
  offlineStream,
  realtimeStream,
  saveMkv,
} from '@kvs-ts/kvs';
import type { WriterTrackInfo } from '@kvs-ts/mkv-writer';
import { AckStats, bufferLine } from './ack-stats';
import { clientOptions } from './connect';
import { formatReport, inspect } from './inspect';
import type { TextSink } from './main';
import { Progress } from './progress';

/** Options of `kvs demo`. */
export interface DemoOptions {
  /** Seconds of video to stream (the 10 s sample, looped). */
  seconds: number;
  /** As fast as the stream takes frames (an OFFLINE stream) instead of real time. */
  fast: boolean;
  /** The merged MKV written from GetMedia. */
  out: string;
  stream?: string;
  region?: string;
  endpoint?: string;
  profile?: string;
  progress?: boolean;
}

interface IndexEntry {
  ptsUs: number;
  dtsUs?: number;
  durationUs: number;
  key: boolean;
  offset: number;
  size: number;
}

interface Sample {
  bytes: Uint8Array;
  frames: IndexEntry[];
}

const VIDEO = 'h264-baseline-320x240-25fps.h264';
const AUDIO = 'aac-lc-48khz-mono.aac';
/** The sample's length: 250 video frames at 25 fps. */
const SAMPLE_US = 10_000_000;

/** The repository's test-vectors/ folder (dist/ and src/ sit at the same depth). */
function vectorsDir(): string {
  return fileURLToPath(new URL('../../../test-vectors/', import.meta.url));
}

async function load(dir: string, name: string): Promise<Sample> {
  const bytes = new Uint8Array(await readFile(join(dir, name)));
  const index = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as { frames: IndexEntry[] };
  return { bytes, frames: index.frames };
}

/** The sample's frames from `base` µs, looped until `seconds`, both tracks in DTS order. */
function* sampleFrames(video: Sample, audio: Sample, base: number, seconds: number): Generator<Frame> {
  const loops = Math.ceil((seconds * 1e6) / SAMPLE_US);
  const end = base + seconds * 1e6;
  for (let loop = 0; loop < loops; loop++) {
    const at = base + loop * SAMPLE_US;
    const frames: Frame[] = [];
    for (const f of video.frames) {
      frames.push({
        trackId: 1,
        pts: at + f.ptsUs,
        dts: at + (f.dtsUs ?? f.ptsUs),
        duration: f.durationUs,
        flags: f.key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
        data: video.bytes.subarray(f.offset, f.offset + f.size),
      });
    }
    for (const f of audio.frames) {
      // The sample's AAC runs a little past 10 s; the next loop starts at exactly 10 s.
      if (f.ptsUs + f.durationUs > SAMPLE_US) break;
      const header = parseAdtsHeader(audio.bytes, f.offset).headerLength;
      frames.push({
        trackId: 2,
        pts: at + f.ptsUs,
        dts: at + f.ptsUs,
        duration: f.durationUs,
        flags: FrameFlags.KEY_FRAME,
        data: audio.bytes.subarray(f.offset + header, f.offset + f.size),
      });
    }
    frames.sort((a, b) => a.dts - b.dts || a.trackId - b.trackId);
    for (const f of frames) {
      if (f.dts >= end) return;
      yield f;
    }
  }
}

const STORAGE_SIZE = 64 * 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the demo; resolves to the exit code. */
export async function demo(options: DemoOptions, out: TextSink, err: TextSink, signal?: AbortSignal): Promise<number> {
  const dir = vectorsDir();
  let video: Sample;
  let audio: Sample;
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

  // Real KVS when a region is given without an endpoint; else the embedded emulator.
  const real = options.endpoint === undefined && options.region !== undefined;
  let emulator: Emulator | undefined;
  if (!real && options.endpoint === undefined) {
    emulator = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
  }
  const connect = emulator
    ? {
        region: emulator.region,
        endpoint: emulator.url,
        credentials: { accessKeyId: emulator.accessKeyId, secretAccessKey: emulator.secretAccessKey },
      }
    : clientOptions(options);
  const where = emulator
    ? `the embedded emulator at ${emulator.url}`
    : `${connect.endpoint ?? 'KVS'} (${connect.region ?? 'region from the environment'})`;
  const streamName = options.stream ?? `kvs-demo-${Date.now()}`;
  out.write(`kvs demo: streaming ${options.seconds} s of the H.264 + AAC sample to ${where}, stream ${streamName}\n`);

  const client = new KinesisVideoClient({ ...connect, storageSize: STORAGE_SIZE });
  const definition = {
    tracks,
    contentType: 'video/h264,audio/aac',
    nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
    retentionPeriod: 3_600_000_000,
  };
  let stream: KinesisVideoStream<unknown>;
  try {
    stream = client.createStream(
      options.fast ? offlineStream(streamName, definition) : realtimeStream(streamName, definition),
    ) as KinesisVideoStream<unknown>;
  } catch (e) {
    err.write(`kvs demo: ${(e as Error).message}\n`);
    await client.close(0);
    await emulator?.close();
    return 1;
  }
  const stats = new AckStats();
  stream.on('ack', (ack) => stats.ack(ack));
  let fatal: Error | undefined;
  stream.on('error', (e, d) => {
    stats.errorMessages.push(`${e.statusName}: ${e.message}`);
    if (d.fatal) fatal = e;
  });
  stream.on('droppedFrame', () => stats.dropped++);
  const ready = new Promise<void>((r) => stream.once('ready', () => r()));

  // The consumer: GetMedia from the stream's start, merged into one MKV as fragments arrive.
  const target = resolve(process.env.INIT_CWD ?? process.cwd(), options.out);
  await mkdir(dirname(target), { recursive: true });
  const file = await open(target, 'w');
  const tail = { fragments: 0, frames: 0, lagMs: 0 };
  const stopTail = new AbortController();
  const tailing = (async () => {
    await ready;
    const fragments = client.getMedia({
      streamName,
      start: { startSelectorType: 'EARLIEST' },
      signal: stopTail.signal,
    });
    async function* counted(): AsyncGenerator<MediaFragment> {
      for await (const f of fragments) {
        tail.fragments++;
        tail.frames += f.frames.length;
        if (f.millisBehindNow !== undefined) tail.lagMs = f.millisBehindNow;
        yield f;
      }
    }
    return saveMkv(counted(), (bytes) => file.write(bytes).then(() => undefined));
  })();

  const progress = new Progress(err, options.progress ?? Boolean(process.stderr.isTTY));
  const display = () => {
    return [
      stats.line('producer'),
      bufferLine(stream.metrics(), client.store.allocatedSize, STORAGE_SIZE),
      `consumer (GetMedia): ${tail.fragments} fragments, ${tail.frames} frames, ${tail.lagMs} ms behind`,
    ].join('\n');
  };
  progress.start(display);
  const started = Date.now();
  let code = 0;
  try {
    // Producer timestamps from now, in whole milliseconds (the MKV timecode scale).
    const base = Math.floor(Date.now() / 1000) * 1_000_000;
    for (const frame of sampleFrames(video, audio, base, options.seconds)) {
      if (signal?.aborted || fatal) break;
      if (!options.fast) {
        const wait = (frame.dts - Date.now() * 1000) / 1000;
        if (wait > 1) await sleep(wait);
        stream.putFrame(frame);
      } else {
        await stream.putFrameAsync(frame);
      }
      const starts = frame.trackId === 1 && (frame.flags & FrameFlags.KEY_FRAME) !== 0;
      stats.framePut(starts ? Math.floor(frame.pts / 1000) : undefined);
    }
    stats.closeFragment();
    await client.closeStream(stream as KinesisVideoStream<never>, 30_000_000);
    // The consumer has everything once it holds as many fragments as were persisted.
    const deadline = Date.now() + 15_000;
    while (tail.fragments < stats.persisted && Date.now() < deadline) await sleep(50);
  } catch (e) {
    stats.errorMessages.push((e as Error).message);
    code = 1;
  } finally {
    stopTail.abort();
  }
  let merged: Awaited<typeof tailing> | undefined;
  try {
    merged = await tailing;
  } catch (e) {
    stats.errorMessages.push(`GetMedia: ${(e as Error).message}`);
    code = 1;
  }
  progress.stop();
  await file.close();
  await client.close(0);
  await emulator?.close();
  if (fatal) code = 1;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  out.write(`${display()}\n`);
  for (const e of stats.errorMessages.slice(0, 20)) err.write(`kvs demo: ${e}\n`);
  if (merged) {
    out.write(
      `\n${stats.frames} frames put in ${seconds} s; GetMedia returned ${merged.fragments} fragments, ${merged.frames} frames; ` +
        `wrote ${options.out} (${merged.segments} segment(s), ${merged.bytes} bytes)\n\n`,
    );
    const { createReadStream } = await import('node:fs');
    const report = await inspect(createReadStream(target, { highWaterMark: 1 << 20 }));
    out.write(`${formatReport(options.out, report)}\n`);
    if (report.error) code = 1;
    if (merged.frames !== stats.frames) {
      err.write(`kvs demo: ${stats.frames} frames were put but ${merged.frames} came back\n`);
      code = 1;
    }
  }
  return code;
}
