// `kvs put`: a file or stdin (MKV, or an H.264/H.265 Annex-B elementary stream) into a KVS
// stream, through the SDK's whole producer path: frame reader → KinesisVideoClient's stream
// (state machine, writer, content store) → PutMedia, with ACKs read while it sends.

import { createReadStream } from 'node:fs';
import { isKvsError } from '@kvs-ts/core';
import { type FrameFormat, openFrameSource } from '@kvs-ts/frame-reader';
import { FrameFlags, KinesisVideoClient, offlineStream, realtimeStream } from '@kvs-ts/kvs';
import { AckStats, bufferLine } from './ack-stats';
import { type ConnectOptions, clientOptions } from './connect';
import type { TextSink } from './main';
import { Progress } from './progress';

/** Options of `kvs put`, as commander parses them. */
export interface PutOptions extends ConnectOptions {
  stream: string;
  format: FrameFormat | 'auto';
  fps: number;
  /** Pace frames to their timestamps (a camera's pace); false: as fast as the stream takes them. */
  realtime: boolean;
  /** Data retention for a stream that `put` creates, hours (0: none). */
  retentionHours: number;
  /** The content store's size, MiB. */
  storageMib: number;
  /** How long to wait for the last PERSISTED ACK at the end, seconds. */
  stopTimeout: number;
  progress?: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `kvs put`; resolves to the exit code. `input` is a path or `-` for stdin. */
export async function put(
  input: string,
  options: PutOptions,
  out: TextSink,
  err: TextSink,
  signal?: AbortSignal,
): Promise<number> {
  const bytes = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  const source = await openFrameSource(bytes as AsyncIterable<Uint8Array>, {
    format: options.format,
    frameRate: options.fps,
    startUs: Date.now() * 1000,
  });
  const client = new KinesisVideoClient({ ...clientOptions(options), storageSize: options.storageMib * 1024 * 1024 });
  const definition = {
    tracks: source.tracks,
    contentType: source.contentType,
    nalAdaptationFlags: source.nalAdaptationFlags,
    retentionPeriod: options.retentionHours * 3_600_000_000,
  };
  // OFFLINE makes putFrameAsync wait for room instead of dropping: what a file read faster than
  // real time needs (PIC's STREAMING_TYPE_OFFLINE).
  const stream = client.createStream(
    options.realtime ? realtimeStream(options.stream, definition) : offlineStream(options.stream, definition),
  );
  const stats = new AckStats();
  stream.on('ack', (ack) => stats.ack(ack));
  let fatal: unknown;
  stream.on('error', (e, details) => {
    stats.errorMessages.push(`${e.statusName}: ${e.message}`);
    if (details.fatal) fatal = e;
  });
  stream.on('droppedFrame', () => stats.dropped++);

  const progress = new Progress(err, options.progress ?? Boolean(process.stderr.isTTY));
  // The same live display as `kvs demo`'s producer part: ACKs and latency, then the buffer.
  const storageSize = options.storageMib * 1024 * 1024;
  progress.start(() =>
    [stats.line(source.format), bufferLine(stream.metrics(), client.store.allocatedSize, storageSize)].join('\n'),
  );
  const videoTrack = source.tracks[0].trackId;
  let code = 0;
  try {
    for await (const frame of source.frames) {
      if (signal?.aborted || fatal) break;
      if (options.realtime) {
        const wait = (frame.dts - Date.now() * 1000) / 1000;
        if (wait > 1) await sleep(wait);
      }
      const starts = (frame.flags & FrameFlags.KEY_FRAME) !== 0 && frame.trackId === videoTrack;
      if (options.realtime) stream.putFrame(frame);
      else await stream.putFrameAsync(frame);
      stats.framePut(starts ? Math.floor(frame.pts / 1000) : undefined);
    }
    stats.closeFragment();
    if (!fatal) await client.closeStream(stream, options.stopTimeout * 1_000_000);
  } catch (e) {
    stats.errorMessages.push(isKvsError(e) ? `${e.statusName}: ${e.message}` : String((e as Error).message ?? e));
    code = 1;
  } finally {
    progress.stop();
    await client.close(0);
  }
  if (fatal) code = 1;
  out.write(`${stats.line(source.format)}\n`);
  for (const e of stats.errorMessages.slice(0, 20)) err.write(`kvs put: ${e}\n`);
  return code;
}
