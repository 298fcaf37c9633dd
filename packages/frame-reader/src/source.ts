// One entry for every input `kvs put` takes: sniff the first bytes (MKV's EBML magic, or an
// Annex-B start code), then read frames with the matching reader.

import { CodecId } from '@kvs-ts/codecs';
import {
  type ByteSource,
  chunksOf,
  type Frame,
  FrameFlags,
  KvsError,
  StatusCode,
  type TrackInfo,
  TrackType,
} from '@kvs-ts/core';
import { NalAdaptation } from '@kvs-ts/mkv-writer';
import { AccessUnitSplitter } from './access-units';
import { contentTypeOf, MkvFrameReader } from './mkv-frames';

/** What a byte stream holds. */
export type FrameFormat = 'mkv' | 'h264' | 'h265';

/** Options of {@link openFrameSource}. */
export interface FrameSourceOptions {
  /** The input's format; default: sniffed (MKV or Annex-B, which is taken as H.264 unless `h265`). */
  format?: FrameFormat | 'auto';
  /** Frames per second of an Annex-B stream (it carries no timestamps); default 25. */
  frameRate?: number;
  /** Added to every timestamp, µs (e.g. the wall clock at start, for a realtime stream); default 0. */
  startUs?: number;
}

/** Frames and what a stream definition needs to describe them. */
export interface FrameSource {
  format: FrameFormat;
  tracks: TrackInfo[];
  /** The KVS content type of the tracks (`video/h264,audio/aac`). */
  contentType: string;
  /** The writer's NAL adaptation for these frames (Annex-B input is converted to AVCC). */
  nalAdaptationFlags: number;
  /**
   * The frames in input order (decode order per track), timestamps in µs from `startUs`. Leading
   * frames before a track's first key frame are skipped: a stream starts at a key frame.
   */
  frames: AsyncIterable<Frame>;
  /** Frames skipped so far because no key frame came before them. */
  readonly skippedFrames: number;
}

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];

/** The format the first bytes suggest, or undefined when they are neither MKV nor Annex-B. */
export function sniffFormat(head: Uint8Array): 'mkv' | 'annexb' | undefined {
  if (head.length >= 4 && EBML_MAGIC.every((b, i) => head[i] === b)) return 'mkv';
  if (head.length >= 3 && head[0] === 0 && head[1] === 0 && (head[2] === 1 || (head[2] === 0 && head[3] === 1))) {
    return 'annexb';
  }
  return undefined;
}

/**
 * Opens a byte stream (a ReadableStream, Node's stdin or a file stream, any iterable of chunks) as
 * frames. Resolves once the tracks are known (MKV: its Tracks element; Annex-B: the first bytes).
 * Bad input rejects, or throws from the frame iterator, with a KvsError.
 */
export async function openFrameSource(source: ByteSource, options: FrameSourceOptions = {}): Promise<FrameSource> {
  const chunks = chunksOf(source)[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) throw new KvsError(StatusCode.STATUS_INVALID_ARG, 'the input is empty');
  const head = first.value;
  let format = options.format ?? 'auto';
  if (format === 'auto') {
    const sniffed = sniffFormat(head);
    if (!sniffed) {
      throw new KvsError(StatusCode.STATUS_INVALID_ARG, 'the input is neither MKV nor an Annex-B elementary stream');
    }
    format = sniffed === 'mkv' ? 'mkv' : 'h264';
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield head;
    for (;;) {
      const r = await chunks.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return format === 'mkv' ? openMkv(rest(), options.startUs ?? 0) : openAnnexB(rest(), format, options);
}

async function openAnnexB(
  chunks: AsyncGenerator<Uint8Array>,
  codec: 'h264' | 'h265',
  options: FrameSourceOptions,
): Promise<FrameSource> {
  const frameRate = options.frameRate ?? 25;
  if (!(frameRate > 0 && frameRate <= 1000)) {
    throw new KvsError(StatusCode.STATUS_INVALID_ARG, `frame rate ${frameRate}: expected 0 < fps ≤ 1000`);
  }
  const startUs = options.startUs ?? 0;
  const track: TrackInfo = {
    trackId: 1,
    codecId: codec === 'h264' ? CodecId.H264 : CodecId.H265,
    trackName: 'video',
    trackType: TrackType.VIDEO,
  };
  const state = { skipped: 0 };
  async function* frames(): AsyncGenerator<Frame> {
    const splitter = new AccessUnitSplitter(codec);
    let index = 0;
    let started = false;
    // An elementary stream has no timestamps: frame i is at i / fps, in decode order (PTS = DTS;
    // see docs/guides/put.md for streams with B-frames).
    const make = (data: Uint8Array, key: boolean): Frame | undefined => {
      if (!started && !key) {
        state.skipped++;
        return undefined;
      }
      started = true;
      const t = startUs + Math.round((index * 1_000_000) / frameRate);
      const next = startUs + Math.round(((index + 1) * 1_000_000) / frameRate);
      index++;
      return {
        trackId: 1,
        pts: t,
        dts: t,
        duration: next - t,
        flags: key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
        data,
      };
    };
    for await (const chunk of chunks) {
      for (const unit of splitter.push(chunk)) {
        const f = make(unit.data, unit.key);
        if (f) yield f;
      }
    }
    const last = splitter.end();
    if (last) {
      const f = make(last.data, last.key);
      if (f) yield f;
    }
    if (index === 0) {
      throw new KvsError(StatusCode.STATUS_INVALID_ARG, `no ${codec.toUpperCase()} key frame in the input`);
    }
  }
  return {
    format: codec,
    tracks: [track],
    contentType: contentTypeOf([track]),
    // No codec private data: the writer takes the parameter sets from the first key frame, as PIC does.
    nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS,
    frames: frames(),
    get skippedFrames() {
      return state.skipped;
    },
  };
}

async function openMkv(chunks: AsyncGenerator<Uint8Array>, startUs: number): Promise<FrameSource> {
  const reader = new MkvFrameReader();
  const early: Frame[] = [];
  // Read until the Tracks element (frames cannot come before it).
  while (!reader.tracks) {
    const r = await chunks.next();
    if (r.done) {
      early.push(...reader.end());
      if (!reader.tracks) throw new KvsError(StatusCode.STATUS_MKV_INVALID_TRACK_UID, 'the MKV input has no Tracks');
      break;
    }
    early.push(...reader.push(r.value));
  }
  const tracks = reader.tracks as TrackInfo[];
  const state = { skipped: 0 };
  async function* frames(): AsyncGenerator<Frame> {
    const keyed = new Set<number>();
    let first: number | undefined;
    // Timestamps start at `startUs`: the file's first frame is at its own time 0.
    const emit = (f: Frame): boolean => {
      if (!keyed.has(f.trackId)) {
        if ((f.flags & FrameFlags.KEY_FRAME) === 0) {
          state.skipped++;
          return false;
        }
        keyed.add(f.trackId);
      }
      if (first === undefined) first = f.dts;
      f.pts += startUs - first;
      f.dts += startUs - first;
      return true;
    };
    for (const f of early) if (emit(f)) yield f;
    for (;;) {
      const r = await chunks.next();
      const out = r.done ? reader.end() : reader.push(r.value);
      for (const f of out) if (emit(f)) yield f;
      if (r.done) return;
    }
  }
  return {
    format: 'mkv',
    tracks,
    contentType: contentTypeOf(tracks),
    nalAdaptationFlags: NalAdaptation.NONE,
    frames: frames(),
    get skippedFrames() {
      return state.skipped;
    },
  };
}
