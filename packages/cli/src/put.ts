// `kvs put`: a file or stdin (MKV, or an H.264/H.265 Annex-B elementary stream) into a KVS
// stream, through the SDK's whole producer path: frame reader → KinesisVideoStream (state
// machine, writer, content store) → PutMedia over node:http, with ACKs read while it sends.

import { createReadStream } from 'node:fs';
import { ApiStreamService, type AwsCredentials } from '@kvs-ts/api';
import { ContentStore, StreamingType } from '@kvs-ts/content-store';
import { type FragmentAck, FragmentAckType, type Frame, FrameFlags, isKvsError } from '@kvs-ts/core';
import { type FrameFormat, openFrameSource } from '@kvs-ts/frame-reader';
import { putStreamWith } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { KinesisVideoStream, systemClock } from '@kvs-ts/stream';
import { type ConnectOptions, connect } from './connect';
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

/** What a put did, for the summary line and the tests. */
export interface PutSummary {
  frames: number;
  skipped: number;
  fragments: number;
  acks: Record<'buffering' | 'received' | 'persisted' | 'errors', number>;
  dropped: number;
  errors: string[];
  /** Fragment end → PERSISTED, ms, for each persisted fragment whose end was seen. */
  latenciesMs: number[];
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
  const api = connect(options);
  const bytes = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  const startUs = Date.now() * 1000;
  const source = await openFrameSource(bytes as AsyncIterable<Uint8Array>, {
    format: options.format,
    frameRate: options.fps,
    startUs,
  });

  const summary: PutSummary = {
    frames: 0,
    skipped: 0,
    fragments: 0,
    acks: { buffering: 0, received: 0, persisted: 0, errors: 0 },
    dropped: 0,
    errors: [],
    latenciesMs: [],
  };
  // Wall time at which each fragment ended (the next key frame was put), by fragment ordinal:
  // PERSISTED ACKs come back in fragment order.
  const fragmentEnds: number[] = [];
  let stream: KinesisVideoStream<AwsCredentials> | undefined;
  const service = new ApiStreamService(api, {
    putMedia: putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
      region: api.region,
      transport: putMediaWithNodeHttp,
      transportOptions: { onError: (e) => summary.errors.push(`PutMedia: ${e.message}`) },
    }),
  });
  stream = new KinesisVideoStream<AwsCredentials>({
    definition: {
      streamName: options.stream,
      tracks: source.tracks,
      contentType: source.contentType,
      nalAdaptationFlags: source.nalAdaptationFlags,
      retentionPeriod: options.retentionHours * 3_600_000_000,
      // OFFLINE makes putFrameAsync wait for room instead of dropping: what a file read faster
      // than real time needs (PIC's STREAMING_TYPE_OFFLINE).
      streamingType: options.realtime ? StreamingType.REALTIME : StreamingType.OFFLINE,
    },
    store: new ContentStore({ storageSize: options.storageMib * 1024 * 1024 }),
    service,
    clock: systemClock,
  });
  const kvs = stream;
  kvs.on('ack', (ack: Readonly<FragmentAck>) => {
    switch (ack.ackType) {
      case FragmentAckType.BUFFERING:
        summary.acks.buffering++;
        break;
      case FragmentAckType.RECEIVED:
        summary.acks.received++;
        break;
      case FragmentAckType.PERSISTED: {
        const end = fragmentEnds[summary.acks.persisted];
        if (end !== undefined) summary.latenciesMs.push(Date.now() - end);
        summary.acks.persisted++;
        break;
      }
      case FragmentAckType.ERROR:
        summary.acks.errors++;
        summary.errors.push(`ERROR ACK ${ack.errorId ?? ''} ${ack.errorCode ?? ''}`.trim());
        break;
    }
  });
  let fatal: unknown;
  kvs.on('error', (e, details) => {
    summary.errors.push(`${e.statusName}: ${e.message}`);
    if (details.fatal) fatal = e;
  });
  kvs.on('droppedFrame', () => summary.dropped++);

  const progress = new Progress(err, options.progress ?? Boolean((process.stderr as { isTTY?: boolean }).isTTY));
  const line = () => progressLine(summary, source.format);
  progress.start(line);
  let code = 0;
  try {
    kvs.start();
    for await (const frame of source.frames as AsyncIterable<Frame>) {
      if (signal?.aborted || fatal) break;
      if (options.realtime) {
        const wait = (frame.dts - Date.now() * 1000) / 1000;
        if (wait > 1) await sleep(wait);
      }
      if ((frame.flags & FrameFlags.KEY_FRAME) !== 0 && frame.trackId === source.tracks[0].trackId) {
        if (summary.fragments > 0) fragmentEnds.push(Date.now());
        summary.fragments++;
      }
      if (options.realtime) kvs.putFrame(frame);
      else await kvs.putFrameAsync(frame);
      summary.frames++;
    }
    summary.skipped = source.skippedFrames;
    if (!fatal) {
      fragmentEnds.push(Date.now());
      await kvs.stopSync(options.stopTimeout * 1_000_000);
    }
  } catch (e) {
    summary.errors.push(isKvsError(e) ? `${e.statusName}: ${e.message}` : String((e as Error).message ?? e));
    code = 1;
  } finally {
    progress.stop();
    kvs.free();
  }
  if (fatal) code = 1;
  out.write(`${line()}\n`);
  for (const e of summary.errors.slice(0, 20)) err.write(`kvs put: ${e}\n`);
  return code;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

/** One line: frames, fragments, ACKs by kind, latency. */
export function progressLine(s: PutSummary, format: string): string {
  const sorted = [...s.latenciesMs].sort((a, b) => a - b);
  const latency =
    sorted.length > 0
      ? `, fragment end → PERSISTED p50 ${percentile(sorted, 0.5)} ms, max ${sorted[sorted.length - 1]} ms`
      : '';
  const dropped = s.dropped > 0 ? `, ${s.dropped} dropped` : '';
  return (
    `${format}: ${s.frames} frames, ${s.fragments} fragments; ACKs: ${s.acks.buffering} buffering, ` +
    `${s.acks.received} received, ${s.acks.persisted} persisted, ${s.acks.errors} errors${dropped}${latency}`
  );
}
