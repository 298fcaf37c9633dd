// MKV in (a file, or `ffmpeg … -f matroska -` on a pipe), frames out: the tracks as a stream
// definition wants them and each block as a Frame, with a decoding timestamp rebuilt from the
// presentation times Matroska keeps.

import { CodecId, ContentType } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, KvsError, StatusCode, type TrackInfo, TrackType } from '@kvs-ts/core';
import { type MkvFrame, MkvParser, type MkvTrack } from '@kvs-ts/mkv-parser';

/**
 * How many frames of a video track are held back to rebuild decoding times. Matroska stores only
 * presentation times; with B-frames they are out of decode order. Frame i's DTS is the i-th
 * smallest PTS of the track, less the reorder delay (the largest amount by which that would pass
 * a frame's PTS among the first frames): for x264's I P B B pattern this gives back exactly the
 * DTS its MP4 kept (test/mkv-frames.test.ts). The i-th smallest PTS is known once every frame
 * that can still come before it in display order is in, and no decoder reorders across more than
 * 16 frames (H.264's max_dec_frame_buffering bound). Tracks that never reorder hold nothing.
 */
export const REORDER_WINDOW = 16;

/** Tracks from an MKV header, as TrackInfo. */
export function tracksOfMkv(tracks: readonly MkvTrack[]): TrackInfo[] {
  return tracks.map((t) => {
    const info: TrackInfo = {
      trackId: t.number,
      codecId: t.codecId,
      trackName: (t.name ?? t.typeName ?? `track${t.number}`).slice(0, 32),
      trackType: t.type as TrackType,
    };
    if (t.codecPrivate) info.codecPrivateData = t.codecPrivate.slice();
    if (t.video) info.video = { width: t.video.pixelWidth, height: t.video.pixelHeight };
    if (t.audio) {
      info.audio = { samplingFrequency: t.audio.samplingFrequency, channels: t.audio.channels };
      if (t.audio.bitDepth !== undefined) info.audio.bitDepth = t.audio.bitDepth;
    }
    return info;
  });
}

/** The KVS content type for a set of tracks (`video/h264,audio/aac`), as CreateStream takes it. */
export function contentTypeOf(tracks: readonly TrackInfo[]): string {
  const types = tracks.map((t) => {
    switch (t.codecId) {
      case CodecId.H264:
        return ContentType.H264;
      case CodecId.H265:
        return ContentType.H265;
      case CodecId.AAC:
      case CodecId.AAC_MPEG4_MAIN:
        return ContentType.AAC;
      default:
        return t.trackType === TrackType.AUDIO ? ContentType.X_MKV_AUDIO : ContentType.X_MKV_VIDEO;
    }
  });
  return types.join(',');
}

/** Per track: frames held until their DTS is known. */
interface Pending {
  /** Held frames, in decode order. */
  frames: Frame[];
  /** Their PTS, ascending. */
  sorted: number[];
  window: number;
  /** The reorder delay, µs, set at the track's first release. */
  delay: number | undefined;
  lastDts: number;
}

/**
 * Turns MKV bytes into frames: push chunks, take the frames each push completed. Frame data is a
 * view of the pushed chunk (not copied): keep the chunk alive, or copy, while the frame is in use.
 */
export class MkvFrameReader {
  private readonly parser: MkvParser;
  private trackList: TrackInfo[] | undefined;
  private readonly pending = new Map<number, Pending>();
  private ready: Frame[] = [];
  private segments = 0;

  constructor() {
    this.parser = new MkvParser({
      segmentStart: () => {
        // A second segment (a GetMedia capture, concatenated files) may carry other tracks: its
        // Tracks element replaces the first's only when they agree, else it is refused.
        this.segments++;
      },
      tracks: (tracks) => this.onTracks(tracks),
      frame: (frame) => this.onFrame(frame),
    });
  }

  /** The tracks, once the header was read. */
  get tracks(): TrackInfo[] | undefined {
    return this.trackList;
  }

  /** Takes the next chunk; returns the frames whose timing is now known. */
  push(chunk: Uint8Array): Frame[] {
    this.parser.push(chunk);
    return this.take();
  }

  /** The input ended: the frames still held. */
  end(): Frame[] {
    this.parser.end();
    for (const p of this.pending.values()) {
      while (p.frames.length > 0) this.release(p);
    }
    return this.take();
  }

  private take(): Frame[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  private onTracks(tracks: MkvTrack[]): void {
    const infos = tracksOfMkv(tracks);
    if (this.trackList) {
      const same =
        infos.length === this.trackList.length &&
        infos.every((t, i) => t.trackId === this.trackList?.[i].trackId && t.codecId === this.trackList[i].codecId);
      if (!same) {
        throw new KvsError(
          StatusCode.STATUS_MKV_INVALID_TRACK_UID,
          `segment ${this.segments} has other tracks than the first; a stream keeps its tracks`,
        );
      }
      return;
    }
    this.trackList = infos;
    for (const t of infos) {
      const reorders = t.codecId === CodecId.H264 || t.codecId === CodecId.H265;
      this.pending.set(t.trackId, {
        frames: [],
        sorted: [],
        window: reorders ? REORDER_WINDOW : 0,
        delay: undefined,
        lastDts: -Infinity,
      });
    }
  }

  private onFrame(f: MkvFrame): void {
    const p = this.pending.get(f.trackNumber);
    if (!p) {
      throw new KvsError(StatusCode.STATUS_MKV_INVALID_TRACK_UID, `a block of track ${f.trackNumber}, not in Tracks`);
    }
    p.frames.push({
      trackId: f.trackNumber,
      pts: f.timestampUs,
      dts: f.timestampUs,
      duration: f.durationUs ?? 0,
      flags: f.keyFrame ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
      data: f.data,
    });
    const sorted = p.sorted;
    let at = sorted.length;
    while (at > 0 && sorted[at - 1] > f.timestampUs) at--;
    sorted.splice(at, 0, f.timestampUs);
    if (p.frames.length > p.window) this.release(p);
  }

  /** Releases the oldest held frame with its DTS (see {@link REORDER_WINDOW}). */
  private release(p: Pending): void {
    const { frames, sorted } = p;
    if (p.delay === undefined) {
      let delay = 0;
      for (let k = 0; k < frames.length; k++) delay = Math.max(delay, sorted[k] - frames[k].pts);
      p.delay = delay;
    }
    const frame = frames.shift() as Frame;
    // A deeper reorder later than the first frames showed: never past the PTS, never backwards.
    let dts = Math.min((sorted.shift() as number) - p.delay, frame.pts);
    if (dts < p.lastDts) dts = p.lastDts;
    p.lastDts = dts;
    frame.dts = dts;
    this.ready.push(frame);
  }
}
