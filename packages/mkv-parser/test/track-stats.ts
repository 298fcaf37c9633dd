// Per-track view of one parse (frame and key-frame counts, timestamps and flags in file
// order), shaped like ffprobe's per-stream view so the two can be compared.
import { isKvsError, type KvsError } from '@kvs-ts/core';
import type { MkvEvent, MkvFrame, MkvHandler, MkvTrack } from '@kvs-ts/mkv-parser';
import { MkvParser } from '@kvs-ts/mkv-parser';

/** What one track's frames looked like. */
export interface TrackFrames {
  frames: number;
  keyFrames: number;
  /** Per frame, in file order. */
  timestampsUs: number[];
  keys: boolean[];
  /** Position of each frame in its laced block (0 when not laced). */
  laceIndexes: number[];
  /** Frames that came out of a laced block (laceCount > 1). */
  lacedFrames: number;
  /** Frames that came from a BlockGroup. */
  groupFrames: number;
  /** BlockGroup frames with at least one ReferenceBlock. */
  groupFramesWithRefs: number;
  /** BlockGroup frames with a BlockDuration. */
  groupFramesWithDuration: number;
}

/** A whole parse, per track. */
export interface TrackStats {
  segments: number;
  unknownSizeSegments: number;
  clusters: number;
  unknownSizeClusters: number;
  /** Byte offset of every Cluster. */
  clusterOffsets: number[];
  /** The tracks of the first segment (ffprobe numbers its streams after these). */
  tracks: MkvTrack[];
  byTrack: Map<number, TrackFrames>;
  error?: KvsError;
}

function emptyTrack(): TrackFrames {
  return {
    frames: 0,
    keyFrames: 0,
    timestampsUs: [],
    keys: [],
    laceIndexes: [],
    lacedFrames: 0,
    groupFrames: 0,
    groupFramesWithRefs: 0,
    groupFramesWithDuration: 0,
  };
}

/** A handler that fills a {@link TrackStats}. */
export function statsCollector(): { handler: MkvHandler; stats: TrackStats } {
  const stats: TrackStats = {
    segments: 0,
    unknownSizeSegments: 0,
    clusters: 0,
    unknownSizeClusters: 0,
    clusterOffsets: [],
    tracks: [],
    byTrack: new Map(),
  };
  let tracksSeen = false;
  const handler: MkvHandler = {
    segmentStart: (_offset, unknownSize) => {
      stats.segments++;
      if (unknownSize) stats.unknownSizeSegments++;
    },
    tracks: (tracks) => {
      if (tracksSeen) return;
      tracksSeen = true;
      stats.tracks = [...tracks];
    },
    clusterStart: (c) => {
      stats.clusters++;
      stats.clusterOffsets.push(c.offset);
      if (c.unknownSize) stats.unknownSizeClusters++;
    },
    frame: (f: MkvFrame) => {
      let t = stats.byTrack.get(f.trackNumber);
      if (t === undefined) {
        t = emptyTrack();
        stats.byTrack.set(f.trackNumber, t);
      }
      t.frames++;
      if (f.keyFrame) t.keyFrames++;
      t.timestampsUs.push(f.timestampUs);
      t.keys.push(f.keyFrame);
      t.laceIndexes.push(f.laceIndex);
      if (f.laceCount > 1) t.lacedFrames++;
      if (f.fromBlockGroup) {
        t.groupFrames++;
        if (f.references.length > 0) t.groupFramesWithRefs++;
        if (f.durationUs !== undefined) t.groupFramesWithDuration++;
      }
    },
  };
  return { handler, stats };
}

/** Parses `chunks` with {@link MkvParser}; a KvsError ends the parse and is kept in `error`. */
export function trackStats(chunks: Iterable<Uint8Array>): TrackStats {
  const { handler, stats } = statsCollector();
  const parser = new MkvParser(handler);
  try {
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
  } catch (e) {
    if (!isKvsError(e)) throw e;
    stats.error = e;
  }
  return stats;
}

/** The same from {@link parseMkv} events (errors propagate). */
export async function trackStatsFromEvents(events: AsyncIterable<MkvEvent>): Promise<TrackStats> {
  const { handler, stats } = statsCollector();
  for await (const e of events) {
    switch (e.type) {
      case 'segmentStart':
        handler.segmentStart?.(e.offset, e.unknownSize);
        break;
      case 'tracks':
        handler.tracks?.(e.tracks, e.endOffset);
        break;
      case 'clusterStart':
        handler.clusterStart?.(e.cluster);
        break;
      case 'frame':
        handler.frame?.(e.frame);
        break;
    }
  }
  return stats;
}
