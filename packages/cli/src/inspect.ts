// `kvs inspect`: one streamed pass over an MKV file or GetMedia capture, summarised.

import { isKvsError, type KvsError } from '@kvs-ts/core';
import { MkvParser, type MkvSimpleTag, type MkvTrack } from '@kvs-ts/mkv-parser';

/** A track as `kvs inspect --json` prints it. */
export interface InspectTrack {
  number: number;
  type: MkvTrack['typeName'];
  codecId: string;
  codecPrivateBytes?: number;
  width?: number;
  height?: number;
  samplingFrequency?: number;
  channels?: number;
}

/** What `kvs inspect --json` prints. */
export interface InspectReport {
  /** Segments (GetMedia sends one per fragment). */
  segments: number;
  /** Tracks, distinct by number and codec, in first-seen order. */
  tracks: InspectTrack[];
  clusters: number;
  /** Frames per track number (laced frames counted one by one). */
  frames: Record<string, number>;
  /** Key frames per track number (a BlockGroup frame is key when it has no ReferenceBlock). */
  keyFrames: Record<string, number>;
  /** Every SimpleTag in file order (nested ones after their parent). */
  tags: Array<{ name: string; value: string }>;
  /** Bytes read. */
  bytes: number;
  /** Set when the input ends inside an element (a cut GetMedia response, say). */
  truncated?: boolean;
  /** The error that stopped the parse, if any. */
  error?: { status: number; statusName: string; message: string; offset?: number };
}

/**
 * Parses `source` (chunks of an MKV stream) and summarises it. Malformed input does not throw:
 * the report carries the error and everything counted before it.
 */
export async function inspect(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<InspectReport> {
  const report: InspectReport = { segments: 0, tracks: [], clusters: 0, frames: {}, keyFrames: {}, tags: [], bytes: 0 };
  const seenTracks = new Set<string>();
  const addTags = (tags: MkvSimpleTag[]) => {
    for (const t of tags) {
      report.tags.push({ name: t.name, value: t.value ?? '' });
      addTags(t.children);
    }
  };
  const parser = new MkvParser({
    segmentStart: () => report.segments++,
    clusterStart: () => report.clusters++,
    tracks: (tracks) => {
      for (const t of tracks) {
        const key = `${t.number}\0${t.codecId}`;
        if (seenTracks.has(key)) continue;
        seenTracks.add(key);
        report.tracks.push(describeTrack(t));
      }
    },
    frame: (f) => {
      const k = String(f.trackNumber);
      report.frames[k] = (report.frames[k] ?? 0) + 1;
      if (f.keyFrame) report.keyFrames[k] = (report.keyFrames[k] ?? 0) + 1;
      else report.keyFrames[k] ??= 0;
    },
    tags: (tags) => {
      for (const t of tags) addTags(t.simpleTags);
    },
  });
  try {
    for await (const chunk of source) {
      parser.push(chunk);
      report.bytes += chunk.length;
    }
    parser.end();
  } catch (e) {
    if (!isKvsError(e)) throw e;
    report.error = errorInfo(e);
    if (e.statusName === 'STATUS_UNEXPECTED_EOF') report.truncated = true;
  }
  return report;
}

function describeTrack(t: MkvTrack): InspectTrack {
  const out: InspectTrack = { number: t.number, type: t.typeName, codecId: t.codecId };
  if (t.codecPrivate !== undefined) out.codecPrivateBytes = t.codecPrivate.length;
  if (t.video) {
    out.width = t.video.pixelWidth;
    out.height = t.video.pixelHeight;
  }
  if (t.audio) {
    out.samplingFrequency = t.audio.samplingFrequency;
    out.channels = t.audio.channels;
  }
  return out;
}

function errorInfo(e: KvsError): NonNullable<InspectReport['error']> {
  return { status: e.status, statusName: e.statusName, message: e.message, offset: e.offset };
}

/** The human-readable form of a report. */
export function formatReport(name: string, r: InspectReport): string {
  const lines: string[] = [];
  const mb = (r.bytes / 1e6).toFixed(2);
  lines.push(`${name}: ${mb} MB, ${r.segments} segment(s), ${r.clusters} cluster(s)`);
  lines.push('tracks:');
  for (const t of r.tracks) {
    const detail: string[] = [];
    if (t.width !== undefined) detail.push(`${t.width}x${t.height}`);
    if (t.samplingFrequency !== undefined) detail.push(`${t.samplingFrequency} Hz, ${t.channels} ch`);
    if (t.codecPrivateBytes !== undefined) detail.push(`codec private ${t.codecPrivateBytes} B`);
    const n = r.frames[String(t.number)] ?? 0;
    const k = r.keyFrames[String(t.number)] ?? 0;
    lines.push(
      `  #${t.number} ${t.type} ${t.codecId}${detail.length ? ` (${detail.join(', ')})` : ''}: ${n} frame(s), ${k} key`,
    );
  }
  for (const [track, n] of Object.entries(r.frames)) {
    if (!r.tracks.some((t) => String(t.number) === track)) lines.push(`  #${track} (no TrackEntry): ${n} frame(s)`);
  }
  if (r.tags.length > 0) {
    lines.push(`tags (${r.tags.length}):`);
    const width = Math.max(...r.tags.map((t) => t.name.length));
    for (const t of r.tags) lines.push(`  ${t.name.padEnd(width)}  ${t.value}`);
  }
  if (r.error) lines.push(`${r.truncated ? 'truncated' : 'error'}: ${r.error.message}`);
  return lines.join('\n');
}
