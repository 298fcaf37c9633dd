// `kvs demo`: a camera's producer path without the network. The ffmpeg-made sample in
// test-vectors/ (Annex-B H.264 + ADTS AAC, with their frame indexes) goes frame by frame into a
// KinesisVideoStream, which orders the two tracks (its frame-order coordinator), packages them
// as KVS-layout MKV (its writer) and buffers them (a content store). The bytes its PutMedia
// connection pulls go to a file instead of the service, and the file is then inspected. The
// service calls are answered locally, all with 200.

import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adtsToAudioSpecificConfig, CodecId, parseAdtsHeader } from '@kvs-ts/codecs';
import { ContentStore } from '@kvs-ts/content-store';
import { type Frame, FrameFlags, type KvsError, ServiceCallResult, StatusCode, TrackType } from '@kvs-ts/core';
import { NalAdaptation, type WriterTrackInfo } from '@kvs-ts/mkv-writer';
import { type Clock, KinesisVideoStream, type StreamService, systemClock, type UploadConnection } from '@kvs-ts/stream';
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

/** A sample file and its frame index. */
interface Sample {
  bytes: Uint8Array;
  frames: IndexEntry[];
}

async function load(dir: string, name: string): Promise<Sample> {
  const bytes = new Uint8Array(await readFile(join(dir, name)));
  const index = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as { frames: IndexEntry[] };
  return { bytes, frames: index.frames };
}

/** Runs the demo; `args[0]` may name the output file. */
export async function demo(out: TextSink, err: TextSink, args: string[] = []): Promise<number> {
  const dir = vectorsDir();
  const target = args[0] ? resolve(process.env.INIT_CWD ?? process.cwd(), args[0]) : join(tmpdir(), 'kvs-demo.mkv');
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
  await mkdir(dirname(target), { recursive: true });
  const file = await open(target, 'w');
  let bytes: number;
  try {
    bytes = await stream(video, audio, tracks, file);
  } catch (e) {
    err.write(`kvs demo: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await file.close();
  }
  out.write(
    `wrote ${target} (${bytes} bytes from the stream's PutMedia connection): ${video.frames.length} H.264 frames ` +
      `(Annex-B → AVCC) + ${audio.frames.length} AAC frames through KinesisVideoStream, KVS layout\n\n`,
  );
  const report = await inspect(createReadStream(target, { highWaterMark: 1 << 20 }));
  out.write(`${formatReport(target, report)}\n`);
  return report.error ? 1 : 0;
}

/** The sample's frames, each track in its own order (as a producer delivers them). */
function sampleFrames(video: Sample, audio: Sample, base: number): Frame[] {
  const frames: Frame[] = [];
  for (const f of video.frames) {
    frames.push({
      trackId: 1,
      pts: base + f.ptsUs,
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
  return frames;
}

/** The KVS control plane, answered locally: every call succeeds; PutMedia connections go to `connections`. */
function localService(clock: Clock, connections: UploadConnection[]): StreamService<string> {
  const ok = ServiceCallResult.OK;
  const arn = (name: string) => `arn:aws:kinesisvideo:local:000000000000:stream/${name}/0`;
  return {
    describeStream: async (streamName) => ({
      result: ok,
      description: { streamName, streamArn: arn(streamName), status: 'ACTIVE' },
    }),
    createStream: async (request) => ({ result: ok, streamArn: arn(request.streamName) }),
    tagStream: async () => ({ result: ok }),
    getDataEndpoint: async () => ({ result: ok, endpoint: 'https://localhost' }),
    getStreamingToken: async () => ({ result: ok, token: 'demo', expiration: clock.now() + 3_600_000_000 }),
    putStream: async (request) => {
      connections.push(request.connection);
      return { result: ok };
    },
  };
}

/**
 * The transport's side: pulls each open connection dry into `file`, ending a connection (as a
 * finished PutMedia request) when the stream says END_OF_STREAM. Returns the bytes written.
 */
async function drain(connections: UploadConnection[], file: FileHandle): Promise<number> {
  let bytes = 0;
  while (connections.length > 0) {
    const connection = connections[0];
    const r = connection.pull(1 << 16);
    if (r.status === StatusCode.STATUS_SUCCESS) {
      // A view of the stream's buffer, valid until the next pull: written before pulling again.
      await file.write(r.data);
      bytes += r.data.length;
    } else if (r.status === StatusCode.STATUS_END_OF_STREAM || r.status === StatusCode.STATUS_UPLOAD_HANDLE_ABORTED) {
      connections.shift();
      connection.end(ServiceCallResult.OK);
    } else {
      break; // nothing to send yet
    }
  }
  return bytes;
}

/** Puts the sample through a KinesisVideoStream and writes what its connection pulls to `file`. */
async function stream(video: Sample, audio: Sample, tracks: WriterTrackInfo[], file: FileHandle): Promise<number> {
  const clock = systemClock;
  const connections: UploadConnection[] = [];
  const kvs = new KinesisVideoStream<string>({
    definition: {
      streamName: 'kvs-demo',
      tracks,
      contentType: 'video/h264,audio/aac',
      nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
      // The file stands in for the service: no fragment ACKs come back.
      fragmentAcks: false,
    },
    store: new ContentStore({ storageSize: 16 * 1024 * 1024 }),
    service: localService(clock, connections),
    clock,
  });
  let failure: KvsError | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    kvs.once('ready', resolve);
    kvs.on('error', (e, details) => {
      if (!details.fatal) return;
      failure = e;
      reject(e);
    });
  });
  let bytes = 0;
  try {
    kvs.start();
    await ready;
    // Producer timestamps: now, in whole milliseconds, plus the sample's own times. Each track in
    // order; the stream's frame-order coordinator interleaves them.
    const frames = sampleFrames(video, audio, Math.floor(clock.now() / 1000) * 1000);
    frames.sort((a, b) => a.dts - b.dts || a.trackId - b.trackId);
    for (const frame of frames) {
      kvs.putFrame(frame);
      bytes += await drain(connections, file);
    }
    // Stop: the held frames, the rest of the buffer and the end-of-stream tags go out, then the
    // connection ends.
    let stopped = false;
    const stop = kvs.stopSync().then(() => {
      stopped = true;
    });
    stop.catch(() => {
      stopped = true;
    });
    while (!stopped && failure === undefined) {
      bytes += await drain(connections, file);
      await new Promise((next) => setImmediate(next));
    }
    await stop;
    if (failure) throw failure;
    return bytes;
  } finally {
    kvs.free();
  }
}
