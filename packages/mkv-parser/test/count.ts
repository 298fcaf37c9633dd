// Counts what a parse reports, for comparing against independent tools.
import { isKvsError, type KvsError } from '@kvs-ts/core';
import { MkvParser, type MkvSimpleTag } from '@kvs-ts/mkv-parser';

export interface Counts {
  segments: number;
  ebmlHeaders: number;
  clusters: number;
  frames: number;
  keyFrames: number;
  simpleTags: number;
  tagNames: string[];
  tracks: string[];
  /** A digest of every frame (track, timestamp, flags, length, a byte sample) in order. */
  digest: number;
  error?: KvsError;
}

export function count(chunks: Iterable<Uint8Array>): Counts {
  const c: Counts = {
    segments: 0,
    ebmlHeaders: 0,
    clusters: 0,
    frames: 0,
    keyFrames: 0,
    simpleTags: 0,
    tagNames: [],
    tracks: [],
    digest: 0,
  };
  const walk = (tags: MkvSimpleTag[]) => {
    for (const t of tags) {
      c.simpleTags++;
      c.tagNames.push(t.name);
      walk(t.children);
    }
  };
  const mix = (v: number) => {
    c.digest = (Math.imul(c.digest ^ v, 0x9e3779b1) + 0x7f4a7c15) | 0;
  };
  const parser = new MkvParser({
    ebmlHeader: () => c.ebmlHeaders++,
    segmentStart: () => c.segments++,
    clusterStart: () => c.clusters++,
    tracks: (tracks) => {
      for (const t of tracks) c.tracks.push(`${t.number}:${t.typeName}:${t.codecId}`);
    },
    frame: (f) => {
      c.frames++;
      if (f.keyFrame) c.keyFrames++;
      mix(f.trackNumber);
      mix(Math.round(f.timestampUs));
      mix((f.keyFrame ? 1 : 0) | (f.invisible ? 2 : 0) | (f.discardable ? 4 : 0));
      mix(f.data.length);
      if (f.data.length > 0) mix(f.data[0] | (f.data[f.data.length - 1] << 8) | (f.data[f.data.length >> 1] << 16));
    },
    tags: (tags) => {
      for (const t of tags) walk(t.simpleTags);
    },
  });
  try {
    for (const chunk of chunks) parser.push(chunk);
    parser.end();
  } catch (e) {
    if (!isKvsError(e)) throw e;
    c.error = e;
  }
  return c;
}

export function* split(bytes: Uint8Array, size: number): Iterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Chunks of pseudo-random sizes from 1 byte to `max`, from a seed. */
export function* randomSplit(bytes: Uint8Array, seed: number, max: number): Iterable<Uint8Array> {
  let s = seed | 0 || 1;
  for (let i = 0; i < bytes.length; ) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const n = 1 + ((s >>> 0) % max);
    yield bytes.subarray(i, i + n);
    i += n;
  }
}
