// GetMedia fragments into one playable MKV: each fragment arrives as an MKV stream of its own
// (EBML header, Segment, Tracks), which players stop at; consecutive fragments with the same
// tracks become one Segment, as the Java parser library's OutputSegmentMerger does. When the
// tracks change (a new codec private data, another resolution, other tracks) a new Segment
// starts, since one Tracks element cannot describe both. The frames are written again by
// mkv-writer (clusters at key frames, SimpleBlocks, the frames' own timestamps), not spliced, so
// the output is a clean KVS-layout MKV whatever the input's clusters looked like.

import { KvsError, type TrackType, usToDecimalSeconds } from '@kvs-ts/core';
import type { MkvTrack } from '@kvs-ts/mkv-parser';
import { MkvWriter, type WriterTrackInfo } from '@kvs-ts/mkv-writer';
import type { MediaFragment } from './fragments';

/** Where merged bytes go (a file, a WritableStream writer, an array in tests). */
export type MkvSink = (bytes: Uint8Array) => void | Promise<void>;

/** Options of {@link SegmentMerger}. */
export interface SegmentMergerOptions {
  /**
   * Keep the service's per-fragment facts as MKV tags FRAGMENT_NUMBER and PRODUCER_TIMESTAMP (the
   * AWS_ prefix is the service's own and a writer may not use it). Default false.
   */
  keepFragmentTags?: boolean;
}

/** What {@link SegmentMerger} counted. */
export interface MergeStats {
  fragments: number;
  frames: number;
  /** Segments written (1 + the number of track changes). */
  segments: number;
  bytes: number;
}

/** Merges fragments into MKV, in order. */
export class SegmentMerger {
  private writer: MkvWriter | undefined;
  private tracks: readonly MkvTrack[] = [];
  private readonly stats: MergeStats = { fragments: 0, frames: 0, segments: 0, bytes: 0 };

  constructor(
    private readonly sink: MkvSink,
    private readonly options: SegmentMergerOptions = {},
  ) {}

  /** Adds a fragment's frames (fragments without frames, such as an error report, add nothing). */
  async add(fragment: MediaFragment): Promise<void> {
    if (fragment.frames.length === 0) return;
    if (this.writer === undefined || !sameTracks(this.tracks, fragment.tracks)) await this.startSegment(fragment);
    const writer = this.writer as MkvWriter;
    if (this.options.keepFragmentTags) {
      if (fragment.fragmentNumber !== undefined)
        writer.putFragmentMetadata('FRAGMENT_NUMBER', fragment.fragmentNumber, false);
      if (fragment.producerTimestamp !== undefined)
        writer.putFragmentMetadata(
          'PRODUCER_TIMESTAMP',
          usToDecimalSeconds(fragment.producerTimestamp) ?? '0.000',
          false,
        );
    }
    for (const f of fragment.frames) {
      const packaged = writer.packageFrame({
        trackId: f.trackNumber,
        pts: f.timestamp,
        dts: f.timestamp,
        duration: f.duration ?? 0,
        flags: f.key ? 1 : 0,
        data: f.data,
      });
      // The header is writer memory reused by the next call: the sink gets its own copy.
      await this.write(packaged.header.slice());
      await this.write(packaged.data);
      this.stats.frames++;
    }
    this.stats.fragments++;
  }

  /** Closes the last segment (its end-of-stream tags). Returns what was written. */
  async end(): Promise<MergeStats> {
    if (this.writer !== undefined) {
      const tail = this.writer.finish();
      if (tail.length > 0) await this.write(tail);
    }
    return { ...this.stats };
  }

  private async startSegment(fragment: MediaFragment): Promise<void> {
    if (this.writer !== undefined) {
      const tail = this.writer.finish();
      if (tail.length > 0) await this.write(tail);
    }
    this.tracks = fragment.tracks;
    const timecodeScaleNs = fragment.info.timecodeScale;
    this.writer = new MkvWriter({
      tracks: fragment.tracks.map(writerTrack),
      timecodeScaleNs,
      title: fragment.info.title,
      muxingApp: fragment.info.muxingApp ?? 'kvs-ts',
      writingApp: 'kvs-ts segment merger',
      tagTargets: true,
    });
    this.stats.segments++;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    this.stats.bytes += bytes.length;
    await this.sink(bytes);
  }
}

/** A track of the input as the writer takes it (its number becomes its ID, so numbers stay). */
function writerTrack(t: MkvTrack): WriterTrackInfo {
  if (!(t.number > 0)) throw new KvsError('STATUS_INVALID_ARG', `track number ${t.number}`);
  const info: WriterTrackInfo = {
    trackId: t.number,
    codecId: t.codecId,
    trackName: t.name ?? '',
    trackType: t.type as TrackType,
  };
  if (t.codecPrivate !== undefined && t.codecPrivate.length > 0) info.codecPrivateData = t.codecPrivate;
  if (t.video) info.video = { width: t.video.pixelWidth, height: t.video.pixelHeight };
  if (t.audio)
    info.audio = {
      samplingFrequency: t.audio.samplingFrequency,
      channels: t.audio.channels,
      bitDepth: t.audio.bitDepth,
    };
  return info;
}

/** Whether two Tracks describe the same tracks (numbers, codecs, codec private data, geometry). */
export function sameTracks(a: readonly MkvTrack[], b: readonly MkvTrack[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.number !== y.number || x.codecId !== y.codecId || x.type !== y.type) return false;
    if (!sameBytes(x.codecPrivate, y.codecPrivate)) return false;
    if (x.video?.pixelWidth !== y.video?.pixelWidth || x.video?.pixelHeight !== y.video?.pixelHeight) return false;
    if (x.audio?.samplingFrequency !== y.audio?.samplingFrequency || x.audio?.channels !== y.audio?.channels)
      return false;
  }
  return true;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Merges every fragment of `fragments` into `sink` (see {@link SegmentMerger}). */
export async function saveMkv(
  fragments: AsyncIterable<MediaFragment> | Iterable<MediaFragment>,
  sink: MkvSink,
  options?: SegmentMergerOptions,
): Promise<MergeStats> {
  const merger = new SegmentMerger(sink, options);
  for await (const f of fragments) await merger.add(f);
  return merger.end();
}
