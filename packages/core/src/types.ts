/** Frame flags, bit for bit PIC's `FRAME_FLAGS`. */
export const FrameFlags = {
  NONE: 0,
  /** A key frame (IDR): may start a fragment. */
  KEY_FRAME: 0x1,
  /** May be dropped by a decoder (MKV SimpleBlock discardable flag). */
  DISCARDABLE: 0x2,
  /** Decoded but not shown (MKV SimpleBlock invisible flag). */
  INVISIBLE: 0x4,
  /** An explicit end-of-fragment marker carrying no data (EoFR). */
  END_OF_FRAGMENT: 0x8,
} as const;
export type FrameFlags = number;

/**
 * One media frame. Times are microseconds. `data` is kept as a view: producers never copy
 * it before it reaches the content store.
 */
export interface Frame {
  /** The track this frame belongs to: a {@link TrackInfo.trackId}. */
  trackId: number;
  /** Decoding timestamp, µs. */
  dts: number;
  /** Presentation timestamp, µs. */
  pts: number;
  /** Duration, µs (0 when unknown). */
  duration: number;
  /** {@link FrameFlags} bits. */
  flags: FrameFlags;
  /** The encoded frame bytes. */
  data: Uint8Array;
  /** Caller's frame index, carried through for diagnostics. */
  index?: number;
}

/** MKV track types, with Matroska's numbers. */
export const TrackType = {
  VIDEO: 1,
  AUDIO: 2,
  COMPLEX: 3,
  LOGO: 0x10,
  SUBTITLE: 0x11,
  BUTTONS: 0x12,
  CONTROL: 0x20,
  METADATA: 0x21,
} as const;
export type TrackType = (typeof TrackType)[keyof typeof TrackType];

/** Video parameters of a track. */
export interface VideoTrackInfo {
  width: number;
  height: number;
}

/** Audio parameters of a track. */
export interface AudioTrackInfo {
  /** Samples per second. */
  samplingFrequency: number;
  channels: number;
  /** Bits per sample, when known. */
  bitDepth?: number;
}

/** A track of a stream, as PIC's `TrackInfo`. */
export interface TrackInfo {
  /** The producer's track ID (≠ 0); becomes the MKV TrackUID. */
  trackId: number;
  /** Matroska CodecID, e.g. `V_MPEG4/ISO/AVC` (≤ 32 characters). */
  codecId: string;
  /** Track name (≤ 32 characters). */
  trackName?: string;
  trackType: TrackType;
  /** Codec private data (avcC, hvcC, AudioSpecificConfig, WAVEFORMATEX…), ≤ 1 MiB. */
  codecPrivateData?: Uint8Array;
  video?: VideoTrackInfo;
  audio?: AudioTrackInfo;
}
