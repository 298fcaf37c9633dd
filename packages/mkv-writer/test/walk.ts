// A minimal Matroska walker for the writer's tests, built on @kvs-ts/ebml's EbmlReader: enough
// to read back what the writer produces (header, tracks, clusters, SimpleBlocks, tags), with the
// element layout kept so tests can check where things sit.

import {
  EbmlReader,
  elementName,
  Id,
  readBigUint,
  readFloat,
  readString,
  readUint,
  readUtf8,
  UNKNOWN_SIZE,
} from '@kvs-ts/ebml';

export interface WalkedTrack {
  number: number;
  uid: bigint;
  type: number;
  name?: string;
  codecId?: string;
  codecPrivate?: Uint8Array;
  width?: number;
  height?: number;
  samplingFrequency?: number;
  channels?: number;
  bitDepth?: number;
}

export interface WalkedBlock {
  kind: 'block';
  track: number;
  relative: number;
  flags: number;
  data: Uint8Array;
  /** Absolute timecode: cluster timecode + relative. */
  timecode: number;
  cluster: number;
}

export interface WalkedCluster {
  kind: 'cluster';
  timecode: number;
  position: number | undefined;
  unknownSize: boolean;
  index: number;
}

export interface WalkedTag {
  targets: boolean;
  simple: { name: string; value: string }[];
}

export interface WalkedTags {
  kind: 'tags';
  tags: WalkedTag[];
  /** Depth at which the Tags element sat (1 = child of the Segment). */
  level: number;
}

export interface WalkedSegment {
  kind: 'segment';
  unknownSize: boolean;
}

export type WalkedItem = WalkedBlock | WalkedCluster | WalkedTags | WalkedSegment;

export interface Walked {
  docType?: string;
  segments: number;
  segmentUuid?: Uint8Array;
  timecodeScale?: number;
  title?: string;
  muxingApp?: string;
  writingApp?: string;
  tracks: WalkedTrack[];
  items: WalkedItem[];
  blocks: WalkedBlock[];
  clusters: WalkedCluster[];
  tags: WalkedTags[];
  /** Names of the elements seen at each depth, in order (for layout checks). */
  path: string[];
}

/** Walks a complete MKV byte stream. Throws on malformed EBML. */
export function walk(bytes: Uint8Array, chunkSize = bytes.length): Walked {
  const out: Walked = { segments: 0, tracks: [], items: [], blocks: [], clusters: [], tags: [], path: [] };
  let track: WalkedTrack | undefined;
  let cluster: WalkedCluster | undefined;
  let tags: WalkedTags | undefined;
  let tag: WalkedTag | undefined;
  let simple: { name: string; value: string } | undefined;
  let depth = 0;
  const reader = new EbmlReader({
    onMasterStart(id, size) {
      out.path.push(`${'  '.repeat(depth)}${elementName(id)}`);
      depth++;
      switch (id) {
        case Id.Segment: {
          out.segments++;
          const s: WalkedSegment = { kind: 'segment', unknownSize: size === UNKNOWN_SIZE };
          out.items.push(s);
          break;
        }
        case Id.TrackEntry:
          track = { number: 0, uid: 0n, type: 0 };
          out.tracks.push(track);
          break;
        case Id.Cluster:
          cluster = {
            kind: 'cluster',
            timecode: -1,
            position: undefined,
            unknownSize: size === UNKNOWN_SIZE,
            index: out.clusters.length,
          };
          out.clusters.push(cluster);
          out.items.push(cluster);
          break;
        case Id.Tags:
          tags = { kind: 'tags', tags: [], level: depth - 1 };
          out.tags.push(tags);
          out.items.push(tags);
          break;
        case Id.Tag:
          tag = { targets: false, simple: [] };
          tags?.tags.push(tag);
          break;
        case Id.Targets:
          if (tag) tag.targets = true;
          break;
        case Id.SimpleTag:
          simple = { name: '', value: '' };
          tag?.simple.push(simple);
          break;
      }
      return true;
    },
    onMasterEnd(id) {
      depth--;
      if (id === Id.Cluster) cluster = undefined;
      if (id === Id.Tags) tags = undefined;
    },
    onLeaf(id, data) {
      out.path.push(`${'  '.repeat(depth)}${elementName(id)}`);
      switch (id) {
        case Id.DocType:
          out.docType = readString(data);
          break;
        case Id.SegmentUUID:
          out.segmentUuid = data.slice();
          break;
        case Id.TimestampScale:
          out.timecodeScale = readUint(data);
          break;
        case Id.Title:
          out.title = readUtf8(data);
          break;
        case Id.MuxingApp:
          out.muxingApp = readUtf8(data);
          break;
        case Id.WritingApp:
          out.writingApp = readUtf8(data);
          break;
        case Id.TrackNumber:
          if (track) track.number = readUint(data);
          break;
        case Id.TrackUID:
          if (track) track.uid = readBigUint(data);
          break;
        case Id.TrackType:
          if (track) track.type = readUint(data);
          break;
        case Id.Name:
          if (track) track.name = readUtf8(data);
          break;
        case Id.CodecID:
          if (track) track.codecId = readString(data);
          break;
        case Id.CodecPrivate:
          if (track) track.codecPrivate = data.slice();
          break;
        case Id.PixelWidth:
          if (track) track.width = readUint(data);
          break;
        case Id.PixelHeight:
          if (track) track.height = readUint(data);
          break;
        case Id.SamplingFrequency:
          if (track) track.samplingFrequency = readFloat(data);
          break;
        case Id.Channels:
          if (track) track.channels = readUint(data);
          break;
        case Id.BitDepth:
          if (track) track.bitDepth = readUint(data);
          break;
        case Id.Timestamp:
          if (cluster) cluster.timecode = readUint(data);
          break;
        case Id.Position:
          if (cluster) cluster.position = readUint(data);
          break;
        case Id.SimpleBlock: {
          if (!cluster) throw new Error('SimpleBlock outside a cluster');
          if ((data[0] & 0x80) === 0) throw new Error('walker reads 1-byte track numbers only');
          const rel = ((data[1] << 24) >> 16) | data[2];
          const b: WalkedBlock = {
            kind: 'block',
            track: data[0] & 0x7f,
            relative: rel,
            flags: data[3],
            data: data.slice(4),
            timecode: cluster.timecode + rel,
            cluster: cluster.index,
          };
          out.blocks.push(b);
          out.items.push(b);
          break;
        }
        case Id.TagName:
          if (simple) simple.name = readUtf8(data);
          break;
        case Id.TagString:
          if (simple) simple.value = readUtf8(data);
          break;
      }
    },
  });
  for (let p = 0; p < bytes.length; p += chunkSize) reader.push(bytes.subarray(p, p + chunkSize));
  reader.end();
  return out;
}

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Hex string of bytes, space-separated (for readable failures). */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Bytes from a hex string (spaces ignored). */
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** ASCII bytes of a string, as hex. */
export function asciiHex(s: string): string {
  return hex(new TextEncoder().encode(s));
}
