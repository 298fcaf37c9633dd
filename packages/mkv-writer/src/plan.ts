// What the writer decides about one frame before it writes anything: the public description
// (FrameLayout), the plan that write() carries out (PlannedFrame) and the pieces packageFrame()
// hands back (PackagedFrame). The objects are reused frame after frame: no allocation per frame.

import type { ResolvedTrack } from './tracks';

export const EMPTY: Uint8Array = new Uint8Array(0);

/** What a planned frame becomes; ordered so that `kind >= CLUSTER` means "starts a cluster". */
export const PlanKind = {
  /** Nothing planned (or a failed plan). */
  NONE: 0,
  /** Dropped: a non-key frame before the first key frame or after an EoFR. */
  SKIP: 1,
  /** A SimpleBlock in the current cluster. */
  BLOCK: 2,
  /** A new Cluster, then the SimpleBlock. */
  CLUSTER: 3,
  /** Stream header, then a new Cluster, then the SimpleBlock. */
  STREAM: 4,
  /** An EoFR: Tags only. */
  END_OF_FRAGMENT: 5,
} as const;
export type PlanKind = (typeof PlanKind)[keyof typeof PlanKind];

/** How the payload is written. */
export const PayloadConversion = {
  AS_IS: 0,
  ANNEXB_TO_AVCC: 1,
  AVCC_TO_ANNEXB: 2,
} as const;
export type PayloadConversion = (typeof PayloadConversion)[keyof typeof PayloadConversion];

/** What packaging a frame produces, and why. */
export class FrameLayout {
  /** Total bytes: stream header + tags + cluster start + block header + payload. */
  size = 0;
  /** Bytes before the payload (where the frame data starts). */
  headerSize = 0;
  /** Frame payload bytes (after NAL adaptation). */
  payloadSize = 0;
  /** Bytes of EBML header + Segment + Info + Tracks at the front (PIC's dataOffset), 0 unless {@link streamStart}. */
  streamHeaderSize = 0;
  /** Bytes of Tags elements (fragment metadata, EoFR). */
  tagsSize = 0;
  /** The frame was dropped: a non-key frame before the stream's first key frame or after an EoFR. */
  skipped = false;
  /** Begins a new MKV stream (EBML header, Segment, Info, Tracks). */
  streamStart = false;
  /** Begins a new Cluster: a fragment start. */
  clusterStart = false;
  /** An EoFR: Tags only, ending the fragment. */
  endOfFragment = false;
  /** The frame carries the key-frame flag. */
  keyFrame = false;
  /** MKV TrackNumber of the block (0 for EoFR/skipped). */
  trackNumber = 0;
  /** Frame PTS / DTS after timecode rounding, µs (last frame's for an EoFR). */
  ptsUs = 0;
  dtsUs = 0;
  /** Frame duration after timecode rounding, µs. */
  durationUs = 0;
  /** PTS / DTS of the cluster the frame is in, µs. */
  clusterPtsUs = 0;
  clusterDtsUs = 0;
  /** PTS of the MKV stream's first frame, µs. */
  streamStartUs = 0;
}

/**
 * A frame prepared by `MkvWriter.prepare`: its {@link FrameLayout} plus everything `write` needs,
 * so that nothing about the frame stays hidden in the writer. The caller owns it (from
 * `MkvWriter.newPlan`) and reuses it frame after frame. It is valid for one `write`, and only
 * while the writer has not changed since `prepare`; a stale plan is refused.
 *
 * The fields below the layout belong to the writer: read them if you like, never set them.
 */
export class PlannedFrame extends FrameLayout {
  /** @internal The writer state the plan was made in (MkvWriter's sequence number); 0: none. */
  seq = 0;
  /** @internal */
  kind: PlanKind = PlanKind.NONE;
  /** @internal The frame data (the caller's view, kept until write). */
  source: Uint8Array = EMPTY;
  /** @internal Index of the frame's track in the writer's tracks. */
  trackIndex = 0;
  /** @internal PTS, DTS, in ticks. */
  pts = 0;
  dts = 0;
  /** @internal SimpleBlock timecode relative to its cluster, ticks. */
  relativeTimecode = 0;
  /** @internal SimpleBlock flags. */
  blockFlags = 0;
  /** @internal */
  conversion: PayloadConversion = PayloadConversion.AS_IS;
  /** @internal Which plan call scanned the Annex-B payload (the converter keeps the latest scan). */
  scan = 0;
  /** @internal Cluster Timestamp to write, ticks. */
  clusterTimecode = 0;
  /** @internal PTS of the MKV stream's first frame, ticks. */
  streamStartTicks = 0;
  /** @internal The track with codec private data taken from this key frame, to keep on write. */
  updatedTrack: ResolvedTrack | undefined = undefined;
  /** @internal Stream header bytes (at a stream start). */
  streamHeader: Uint8Array = EMPTY;
  /** @internal Tags bytes, and whether they are the not-yet-written items only (an EoFR). */
  tags: Uint8Array = EMPTY;
  tagsNotSentOnly = false;
}

/**
 * {@link FrameLayout} plus the bytes: `header` (a view of writer memory, valid until the next
 * call) and `data` (the caller's frame data, or converted bytes when NAL adaptation applies).
 * Sending `header` then `data` sends the frame.
 */
export class PackagedFrame extends PlannedFrame {
  header: Uint8Array = EMPTY;
  data: Uint8Array = EMPTY;
}
