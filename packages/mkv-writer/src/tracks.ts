// Track validation and resolution: what PIC's createMkvGenerator checks, plus the codec private
// data adaptation (Annex-B → avcC/hvcC, AAC/G.711 built from parameters) and the Video/Audio
// parameters read back from the CPD.

import {
  AacObjectType,
  adaptAnnexBCpd,
  buildAudioSpecificConfig,
  buildG711WaveFormatEx,
  CodecId,
  nalCodecOfCodecId,
  parseAudioSpecificConfig,
  parseWaveFormatEx,
  startsWithStartCode,
  videoSizeFromCodecPrivate,
  WaveFormatTag,
} from '@kvs-ts/codecs';
import {
  type AudioTrackInfo,
  KvsError,
  type StatusName,
  type TrackInfo,
  TrackType,
  type VideoTrackInfo,
} from '@kvs-ts/core';
import {
  byteLength,
  MAX_SUPPORTED_TRACK_COUNT_PER_STREAM,
  MKV_MAX_CODEC_ID_LEN,
  MKV_MAX_CODEC_PRIVATE_LEN,
  MKV_MAX_TRACK_NAME_LEN,
  NalAdaptation,
} from './constants';

/** A track as the writer takes it: core's {@link TrackInfo} plus how to build missing audio CPD. */
export interface WriterTrackInfo extends TrackInfo {
  /**
   * A_AAC without codec private data: the audio object type of the AudioSpecificConfig built
   * from {@link TrackInfo.audio} (default 2, AAC-LC).
   */
  aacObjectType?: number;
  /** A_MS/ACM without codec private data: the G.711 law of the WAVEFORMATEX built from `audio`. */
  g711?: 'alaw' | 'mulaw';
}

/** A track after validation and CPD adaptation: what goes into the Tracks element. */
export interface ResolvedTrack {
  /** The producer's track ID, written as TrackUID. */
  readonly trackId: number;
  /** MKV TrackNumber: index + 1. */
  readonly trackNumber: number;
  readonly trackType: TrackType;
  readonly codecId: string;
  readonly trackName: string;
  /** CodecPrivate as written (after adaptation), if known. */
  codecPrivateData: Uint8Array | undefined;
  /** Video element contents, when known (explicit, or from the SPS / BITMAPINFOHEADER). */
  video: VideoTrackInfo | undefined;
  /** Audio element contents, when known (explicit, or from the AudioSpecificConfig / WAVEFORMATEX). */
  audio: AudioTrackInfo | undefined;
  /** 'h264'/'h265' for NAL-based video tracks, which get NAL adaptation and CPD extraction. */
  readonly nal: 'h264' | 'h265' | undefined;
  /** Whether this track's key frames may start a fragment (video tracks, or any track without video). */
  readonly startsFragments: boolean;
  /** Whether the explicit `video` came from the caller (then the SPS does not override it). */
  readonly explicitVideo: boolean;
  /** Whether the explicit `audio` came from the caller. */
  readonly explicitAudio: boolean;
}

function fail(status: StatusName, message: string): never {
  throw new KvsError(status, message);
}

/** Validates the track list (PIC order) and resolves each track's CPD and parameters. */
export function resolveTracks(tracks: readonly WriterTrackInfo[], nalFlags: number): ResolvedTrack[] {
  if (!Array.isArray(tracks) || tracks.length === 0)
    fail('STATUS_TRACK_INFO_MISSING', 'a stream needs at least one track');
  if (tracks.length > MAX_SUPPORTED_TRACK_COUNT_PER_STREAM) {
    fail(
      'STATUS_MAX_TRACK_COUNT_EXCEEDED',
      `${tracks.length} tracks (at most ${MAX_SUPPORTED_TRACK_COUNT_PER_STREAM})`,
    );
  }
  const seen = new Set<number>();
  for (const t of tracks) {
    if (typeof t.codecId !== 'string' || byteLength(t.codecId) > MKV_MAX_CODEC_ID_LEN) {
      fail('STATUS_MKV_INVALID_CODEC_ID_LENGTH', `codec ID longer than ${MKV_MAX_CODEC_ID_LEN} bytes`);
    }
    if (
      t.trackName !== undefined &&
      (typeof t.trackName !== 'string' || byteLength(t.trackName) > MKV_MAX_TRACK_NAME_LEN)
    ) {
      fail('STATUS_MKV_INVALID_TRACK_NAME_LENGTH', `track name longer than ${MKV_MAX_TRACK_NAME_LEN} bytes`);
    }
    if (t.codecPrivateData !== undefined) {
      if (!(t.codecPrivateData instanceof Uint8Array))
        fail('STATUS_MKV_CODEC_PRIVATE_NULL', 'codec private data is not bytes');
      if (t.codecPrivateData.length > MKV_MAX_CODEC_PRIVATE_LEN) {
        fail(
          'STATUS_MKV_INVALID_CODEC_PRIVATE_LENGTH',
          `codec private data of ${t.codecPrivateData.length} bytes (max 1 MiB)`,
        );
      }
    }
    if (!Number.isSafeInteger(t.trackId) || t.trackId <= 0) {
      fail('STATUS_MKV_INVALID_TRACK_UID', `track ID ${t.trackId} must be a positive integer`);
    }
    if (seen.has(t.trackId)) fail('STATUS_DUPLICATE_TRACK_ID_FOUND', `track ID ${t.trackId} used twice`);
    seen.add(t.trackId);
    if (!Number.isInteger(t.trackType) || t.trackType < 1 || t.trackType > 0xfe) {
      fail('STATUS_INVALID_ARG', `track type ${t.trackType} is not a Matroska track type`);
    }
    checkVideo(t.video);
    checkAudio(t.audio);
  }
  const hasVideo = tracks.some((t) => t.trackType === TrackType.VIDEO);
  return tracks.map((t, i) => {
    const isVideo = t.trackType === TrackType.VIDEO;
    const r: ResolvedTrack = {
      trackId: t.trackId,
      trackNumber: i + 1,
      trackType: t.trackType,
      codecId: t.codecId,
      trackName: t.trackName ?? '',
      codecPrivateData: undefined,
      video: t.video ? { width: t.video.width, height: t.video.height } : undefined,
      audio: t.audio ? { ...t.audio } : undefined,
      nal: isVideo ? nalCodecOfCodecId(t.codecId) : undefined,
      startsFragments: isVideo || !hasVideo,
      explicitVideo: t.video !== undefined,
      explicitAudio: t.audio !== undefined,
    };
    const cpd = t.codecPrivateData ?? buildAudioCpd(t);
    return cpd !== undefined && cpd.length > 0 ? withCodecPrivateData(r, cpd, nalFlags) : r;
  });
}

function checkVideo(v: VideoTrackInfo | undefined): void {
  if (v === undefined) return;
  for (const n of [v.width, v.height]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) fail('STATUS_INVALID_ARG', `video size ${n} does not fit 16 bits`);
  }
}

function checkAudio(a: AudioTrackInfo | undefined): void {
  if (a === undefined) return;
  if (!(a.samplingFrequency >= 0) || !Number.isFinite(a.samplingFrequency)) {
    fail('STATUS_INVALID_ARG', `sampling frequency ${a.samplingFrequency}`);
  }
  if (!Number.isInteger(a.channels) || a.channels < 0 || a.channels > 0xff)
    fail('STATUS_INVALID_ARG', `channels ${a.channels}`);
  if (a.bitDepth !== undefined && (!Number.isInteger(a.bitDepth) || a.bitDepth < 0 || a.bitDepth > 0xff)) {
    fail('STATUS_INVALID_ARG', `bit depth ${a.bitDepth}`);
  }
}

function isAac(codecId: string): boolean {
  return codecId === CodecId.AAC || codecId === CodecId.AAC_MPEG4_MAIN;
}

/** AAC/G.711 codec private data built from the track's audio parameters, when it has none. */
function buildAudioCpd(t: WriterTrackInfo): Uint8Array | undefined {
  if (t.trackType !== TrackType.AUDIO || t.audio === undefined) return undefined;
  if (isAac(t.codecId)) {
    return buildAudioSpecificConfig({
      objectType: t.aacObjectType ?? AacObjectType.AAC_LC,
      samplingFrequency: t.audio.samplingFrequency,
      channelConfiguration: t.audio.channels,
    });
  }
  if (t.codecId === CodecId.MS_ACM && t.g711 !== undefined) {
    const tag = t.g711 === 'alaw' ? WaveFormatTag.ALAW : WaveFormatTag.MULAW;
    return buildG711WaveFormatEx(tag, t.audio.samplingFrequency, t.audio.channels);
  }
  return undefined;
}

/**
 * A copy of `track` with `cpd` as its codec private data, adapted as PIC's
 * mkvgenAdaptCodecPrivateData does: Annex-B H.264/H.265 CPD becomes avcC/hvcC under
 * ANNEXB_CPD_NALS (CPD already in record form is kept), then the picture size or audio
 * parameters are read back from it unless the caller gave them. A CPD that cannot be read for
 * parameters is still written (PIC only warns). Throws for CPD that cannot be adapted.
 */
export function withCodecPrivateData(track: ResolvedTrack, cpd: Uint8Array, nalFlags: number): ResolvedTrack {
  let out: Uint8Array;
  if (track.nal !== undefined && (nalFlags & NalAdaptation.ANNEXB_CPD_NALS) !== 0 && startsWithStartCode(cpd)) {
    out = adaptAnnexBCpd(track.codecId, cpd);
  } else {
    // Copy: the caller may reuse its buffer (PIC copies the CPD bits too).
    out = cpd.slice();
  }
  if (out.length > MKV_MAX_CODEC_PRIVATE_LEN) {
    fail('STATUS_MKV_INVALID_CODEC_PRIVATE_LENGTH', `codec private data of ${out.length} bytes (max 1 MiB)`);
  }
  const next: ResolvedTrack = { ...track, codecPrivateData: out };
  readParameters(next, out);
  return next;
}

function readParameters(track: ResolvedTrack, cpd: Uint8Array): void {
  try {
    if (track.trackType === TrackType.VIDEO && !track.explicitVideo) {
      if (track.nal !== undefined || track.codecId === CodecId.FOURCC) {
        const size = videoSizeFromCodecPrivate(track.codecId, cpd);
        if (size.width <= 0xffff && size.height <= 0xffff) track.video = size;
      }
    } else if (track.trackType === TrackType.AUDIO && !track.explicitAudio) {
      if (isAac(track.codecId)) {
        const asc = parseAudioSpecificConfig(cpd);
        track.audio = { samplingFrequency: asc.samplingFrequency, channels: asc.channels };
      } else if (track.codecId === CodecId.MS_ACM) {
        const w = parseWaveFormatEx(cpd);
        if (w.channels <= 0xff && w.bitsPerSample <= 0xff) {
          track.audio = { samplingFrequency: w.samplesPerSec, channels: w.channels, bitDepth: w.bitsPerSample };
        }
      }
    }
  } catch {
    // PIC logs a warning and writes no Video/Audio element: the CPD still goes out as given.
  }
}
