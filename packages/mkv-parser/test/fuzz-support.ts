// Support for fuzz.test.ts: an event log that makes two parses comparable, small MKV streams
// built with EbmlBuilder (every element kind the parser decodes), and byte-level mutations.
import { isKvsError } from '@kvs-ts/core';
import { EbmlBuilder, EbmlReader, Id } from '@kvs-ts/ebml';
import {
  type EbmlHeader,
  type MkvEvent,
  type MkvFrame,
  type MkvHandler,
  MkvParser,
  type MkvSimpleTag,
  type MkvTag,
  type MkvTrack,
  type SegmentInfo,
} from '@kvs-ts/mkv-parser';
import fc from 'fast-check';

// ---- Event log ----

const sample = (d: Uint8Array) => (d.length === 0 ? '' : `${d[0]}.${d[d.length >> 1]}.${d[d.length - 1]}`);
const tagText = (t: MkvSimpleTag): string =>
  `${t.name}=${t.value ?? ''}/${t.binary?.length ?? '-'}/${t.language ?? ''}/${t.isDefault ?? ''}(${t.children.map(tagText).join(',')})`;

/** One line per event, with everything the event carries (frame data as length + a byte sample). */
export const line = {
  ebmlHeader: (h: EbmlHeader) =>
    `H ${h.offset} ${h.docType} ${h.version}/${h.readVersion}/${h.maxIdLength}/${h.maxSizeLength}/${h.docTypeVersion}/${h.docTypeReadVersion}`,
  segmentStart: (offset: number, unknown: boolean) => `S ${offset} ${unknown}`,
  segmentEnd: (offset: number) => `s ${offset}`,
  info: (i: SegmentInfo) =>
    `I ${i.timecodeScale} ${i.durationUs} ${i.title} ${i.muxingApp} ${i.writingApp} ${i.dateUtc?.getTime()} ${i.segmentUid?.length}`,
  tracks: (ts: MkvTrack[]) =>
    `T ${ts
      .map(
        (t) =>
          `${t.number}:${t.uid}:${t.type}:${t.typeName}:${t.codecId}:${t.codecPrivate?.length}:${t.defaultDurationNs}:${t.codecDelayNs}:` +
          `${t.name}:${t.language}:${JSON.stringify(t.video)}:${JSON.stringify(t.audio)}`,
      )
      .join(' ')}`,
  clusterStart: (c: { timecode: number; timestampUs: number; offset: number; unknownSize: boolean }) =>
    `C ${c.offset} ${c.timecode} ${c.timestampUs} ${c.unknownSize}`,
  clusterEnd: (offset: number) => `c ${offset}`,
  frame: (f: MkvFrame) =>
    `F ${f.offset} ${f.trackNumber} ${f.timestampUs} ${f.relativeTimecode} ${+f.keyFrame}${+f.discardable}${+f.invisible} ` +
    `${f.laceIndex}/${f.laceCount} ${+f.fromBlockGroup} ${f.durationUs} [${f.references.join(',')}] ${f.data.length} ${sample(f.data)}`,
  tags: (tags: MkvTag[], offset: number) =>
    `G ${offset} ${tags
      .map((t) => `${t.targets.typeValue}:${t.targets.trackUids.join(',')}:${t.simpleTags.map(tagText).join(';')}`)
      .join(' | ')}`,
};

/** A handler that appends {@link line}s to `out`. */
export function logHandler(out: string[]): MkvHandler {
  return {
    ebmlHeader: (h) => out.push(line.ebmlHeader(h)),
    segmentStart: (o, u) => out.push(line.segmentStart(o, u)),
    segmentEnd: (o) => out.push(line.segmentEnd(o)),
    info: (i) => out.push(line.info(i)),
    tracks: (t) => out.push(line.tracks(t)),
    clusterStart: (c) => out.push(line.clusterStart(c)),
    clusterEnd: (o) => out.push(line.clusterEnd(o)),
    frame: (f) => out.push(line.frame(f)),
    tags: (t, o) => out.push(line.tags(t, o)),
  };
}

/** The {@link line} of a {@link parseMkv} event. */
export function eventLine(e: MkvEvent): string {
  switch (e.type) {
    case 'ebmlHeader':
      return line.ebmlHeader(e.header);
    case 'segmentStart':
      return line.segmentStart(e.offset, e.unknownSize);
    case 'segmentEnd':
      return line.segmentEnd(e.offset);
    case 'info':
      return line.info(e.info);
    case 'tracks':
      return line.tracks(e.tracks);
    case 'clusterStart':
      return line.clusterStart(e.cluster);
    case 'clusterEnd':
      return line.clusterEnd(e.offset);
    case 'frame':
      return line.frame(e.frame);
    case 'tags':
      return line.tags(e.tags, e.offset);
  }
}

/** What one parse produced: its events, and the error that ended it (if any). */
export interface Log {
  events: string[];
  /** Events emitted by `push` alone (before `end`). */
  pushed: number;
  error?: unknown;
  /** `STATUS_NAME@offset` of a KvsError, for comparing two parses. */
  errorKey?: string;
}

export const errorKey = (e: unknown): string | undefined =>
  e === undefined ? undefined : isKvsError(e) ? `${e.statusName}@${e.offset}` : `not a KvsError: ${String(e)}`;

/** Pushes `chunks` into a fresh MkvParser, then calls `end()` unless `end` is false. */
export function logParse(chunks: Iterable<Uint8Array>, end = true): Log {
  const events: string[] = [];
  const parser = new MkvParser(logHandler(events));
  let pushed = 0;
  try {
    for (const chunk of chunks) parser.push(chunk);
    pushed = events.length;
    if (end) parser.end();
  } catch (e) {
    if (pushed === 0) pushed = events.length;
    return { events, pushed, error: e, errorKey: errorKey(e) };
  }
  return { events, pushed };
}

/** Chunks of pseudo-random sizes from 1 byte to `max` (a copy of each, as a network would hand them). */
export function* chunked(bytes: Uint8Array, seed: number, max: number): Iterable<Uint8Array> {
  let s = seed | 0 || 1;
  for (let i = 0; i < bytes.length; ) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const n = 1 + ((s >>> 0) % max);
    yield bytes.slice(i, i + n);
    i += n;
  }
}

export const arbChunking = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  max: fc.constantFrom(1, 3, 16, 200, 4096, 1 << 20),
});

// ---- Small MKV streams ----

type Lacing = 0 | 1 | 2 | 3; // none, Xiph, fixed, EBML (the flag bits >> 1)

interface BlockSpec {
  track: number;
  relative: number;
  flags: number;
  lacing: Lacing;
  frames: number[];
  group?: { duration?: number; refs: number[] };
}

function blockPayload(b: BlockSpec): Uint8Array {
  const out = new EbmlBuilder(64);
  out.size(b.track);
  const head = new Uint8Array(3);
  new DataView(head.buffer).setInt16(0, b.relative);
  head[2] = (b.flags & 0xf9) | (b.lacing << 1);
  out.bytes(head);
  const frames = b.lacing === 2 ? b.frames.map(() => b.frames[0]) : b.frames;
  if (b.lacing !== 0) {
    out.bytes(Uint8Array.of(frames.length - 1));
    for (let i = 0; i < frames.length - 1 && b.lacing !== 2; i++) {
      if (b.lacing === 1) {
        let n = frames[i];
        for (; n >= 255; n -= 255) out.bytes(Uint8Array.of(255));
        out.bytes(Uint8Array.of(n));
      } else if (i === 0) {
        out.size(frames[0]);
      } else {
        // Signed difference, as a 2-byte vint with bias 2^13 − 1 (frames here are < 2^12).
        out.size(frames[i] - frames[i - 1] + 8191, 2);
      }
    }
  }
  frames.forEach((n, i) => {
    out.bytes(Uint8Array.from({ length: n }, (_, k) => (k * 13 + i) & 0xff));
  });
  return out.toBytes();
}

const arbBlock = (tracks: number[]): fc.Arbitrary<BlockSpec> =>
  fc.record(
    {
      track: fc.constantFrom(...tracks),
      relative: fc.integer({ min: -32768, max: 32767 }),
      flags: fc.integer({ min: 0, max: 255 }),
      lacing: fc.constantFrom<Lacing>(0, 0, 1, 2, 3),
      frames: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }),
      group: fc.option(
        fc.record({
          duration: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
          refs: fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 2 }),
        }),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['track', 'relative', 'flags', 'lacing', 'frames'] },
  );

const arbTrack = fc.record({
  type: fc.constantFrom(1, 2, 17),
  codecId: fc.constantFrom('V_MPEG4/ISO/AVC', 'A_AAC', 'A_OPUS', 'S_TEXT/UTF8'),
  defaultDurationNs: fc.option(fc.integer({ min: 1, max: 100_000_000 }), { nil: undefined }),
  privateLen: fc.integer({ min: 0, max: 40 }),
});

const arbSimpleTag: fc.Arbitrary<{ name: string; value: string; children: unknown[] }> = fc.letrec((tie) => ({
  tag: fc.record({
    name: fc.string({ maxLength: 8 }),
    value: fc.string({ maxLength: 8 }),
    children: fc.oneof({ depthSize: 'small' }, fc.constant([]), fc.array(tie('tag'), { maxLength: 2 })),
  }),
})).tag as fc.Arbitrary<{ name: string; value: string; children: unknown[] }>;

const arbSegment = fc.uniqueArray(fc.integer({ min: 1, max: 127 }), { minLength: 1, maxLength: 3 }).chain((numbers) =>
  fc.record({
    unknownSize: fc.boolean(),
    scale: fc.constantFrom(1_000_000, 1000, 100_000),
    durationLen: fc.constantFrom<4 | 8>(4, 8),
    numbers: fc.constant(numbers),
    tracks: fc.array(arbTrack, { minLength: numbers.length, maxLength: numbers.length }),
    tags: fc.array(arbSimpleTag, { maxLength: 3 }),
    clusters: fc.array(
      fc.record({
        unknownSize: fc.boolean(),
        crc: fc.boolean(),
        timecode: fc.integer({ min: 0, max: 2 ** 41 }),
        blocks: fc.array(arbBlock(numbers), { maxLength: 5 }),
      }),
      { maxLength: 4 },
    ),
    cues: fc.boolean(),
  }),
);

function writeSimpleTag(b: EbmlBuilder, t: { name: string; value: string; children: unknown[] }): void {
  b.start(Id.SimpleTag, { sizeLen: 2 }).string(Id.TagName, t.name).string(Id.TagString, t.value);
  b.string(Id.TagLanguage, 'und').uint(Id.TagDefault, 1).binary(Id.TagBinary, Uint8Array.of(1, 2));
  for (const c of t.children) writeSimpleTag(b, c as { name: string; value: string; children: unknown[] });
  b.end();
}

/** 1–3 back-to-back EBML header + Segment pairs (like GetMedia), using every element the parser reads. */
export const arbMkv: fc.Arbitrary<Uint8Array> = fc.array(arbSegment, { minLength: 1, maxLength: 3 }).map((segs) => {
  const b = new EbmlBuilder(1024);
  for (const s of segs) {
    b.start(Id.EBML, { sizeLen: 1 })
      .uint(Id.EBMLVersion, 1)
      .uint(Id.EBMLReadVersion, 1)
      .uint(Id.EBMLMaxIDLength, 4)
      .uint(Id.EBMLMaxSizeLength, 8)
      .string(Id.DocType, 'matroska')
      .uint(Id.DocTypeVersion, 4)
      .uint(Id.DocTypeReadVersion, 2)
      .end();
    b.start(Id.Segment, s.unknownSize ? { unknown: true, sizeLen: 8 } : { sizeLen: 8 });
    b.start(Id.SeekHead, { sizeLen: 1 }).start(Id.Seek, { sizeLen: 1 }).uint(Id.SeekPosition, 100).end().end();
    b.binary(Id.Void, new Uint8Array(5));
    b.start(Id.Info, { sizeLen: 2 })
      .uint(Id.TimestampScale, s.scale)
      .float(Id.Duration, 1234.5, s.durationLen)
      .binary(Id.SegmentUUID, new Uint8Array(16).fill(7))
      .string(Id.Title, 'fuzz')
      .string(Id.MuxingApp, 'kvs-ts')
      .string(Id.WritingApp, 'kvs-ts')
      .binary(Id.DateUTC, new Uint8Array(8).fill(1))
      .end();
    b.start(Id.Tracks, { sizeLen: 2 });
    s.tracks.forEach((t, i) => {
      b.start(Id.TrackEntry, { sizeLen: 2 })
        .uint(Id.TrackNumber, s.numbers[i])
        .bigUint(Id.TrackUID, BigInt(s.numbers[i]) << 40n)
        .uint(Id.TrackType, t.type)
        .string(Id.CodecID, t.codecId)
        .binary(Id.CodecPrivate, new Uint8Array(t.privateLen).fill(3))
        .string(Id.Name, 'n')
        .string(Id.Language, 'und')
        .uint(Id.CodecDelay, 6_500_000)
        .uint(Id.SeekPreRoll, 80_000_000);
      if (t.defaultDurationNs !== undefined) b.uint(Id.DefaultDuration, t.defaultDurationNs);
      if (t.type === 1) {
        b.start(Id.Video, { sizeLen: 1 })
          .uint(Id.PixelWidth, 320)
          .uint(Id.PixelHeight, 240)
          .uint(Id.DisplayWidth, 4)
          .uint(Id.DisplayHeight, 3)
          .end();
      } else if (t.type === 2) {
        b.start(Id.Audio, { sizeLen: 1 })
          .float(Id.SamplingFrequency, 48000, 4)
          .float(Id.OutputSamplingFrequency, 96000)
          .uint(Id.Channels, 2)
          .uint(Id.BitDepth, 16)
          .end();
      }
      b.end();
    });
    b.end();
    if (s.tags.length > 0) {
      b.start(Id.Tags, { sizeLen: 2 }).start(Id.Tag, { sizeLen: 2 });
      b.start(Id.Targets, { sizeLen: 1 }).uint(Id.TargetTypeValue, 50).string(Id.TargetType, 'MOVIE');
      b.uint(Id.TagTrackUID, 1).uint(Id.TagEditionUID, 2).uint(Id.TagChapterUID, 3).uint(Id.TagAttachmentUID, 4).end();
      for (const t of s.tags) writeSimpleTag(b, t);
      b.end().end();
    }
    for (const c of s.clusters) {
      b.start(Id.Cluster, c.unknownSize ? { unknown: true } : { sizeLen: 4 });
      if (c.crc) b.binary(Id.CRC32, new Uint8Array(4));
      b.uint(Id.Timestamp, c.timecode);
      for (const blk of c.blocks) {
        if (blk.group === undefined) {
          b.binary(Id.SimpleBlock, blockPayload(blk));
        } else {
          b.start(Id.BlockGroup, { sizeLen: 2 }).binary(Id.Block, blockPayload(blk));
          if (blk.group.duration !== undefined) b.uint(Id.BlockDuration, blk.group.duration);
          for (const r of blk.group.refs) b.int(Id.ReferenceBlock, r);
          b.end();
        }
      }
      if (!c.unknownSize) b.end();
    }
    if (s.cues) {
      b.start(Id.Cues, { sizeLen: 1 }).start(Id.CuePoint, { sizeLen: 1 }).uint(Id.CueTime, 0).end().end();
    }
    if (!s.unknownSize) b.end();
  }
  return b.toBytes();
});

// ---- Mutations ----

/** Byte values that mean something in EBML: vint markers, unknown sizes, IDs' first bytes. */
const INTERESTING = [0x00, 0x01, 0x02, 0x08, 0x10, 0x1f, 0x40, 0x7f, 0x80, 0x81, 0xa3, 0xa0, 0xae, 0xe7, 0xfe, 0xff];

export type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; from: number; len: number; to: number }
  | { kind: 'overwrite'; from: number; len: number; to: number }
  | { kind: 'truncate'; at: number };

/** 1–4 byte-level mutations; see {@link mutate} for how their positions are read. */
export const arbMutations = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.array(fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 12,
      }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 24 }) }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      from: fc.nat(),
      len: fc.integer({ min: 1, max: 400 }),
      to: fc.nat(),
    }),
    fc.record({
      kind: fc.constant('overwrite' as const),
      from: fc.nat(),
      len: fc.integer({ min: 1, max: 400 }),
      to: fc.nat(),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  ),
  { minLength: 1, maxLength: 4 },
);

/**
 * Applies `mutations` in turn. Each position (`at`, `from`, `to`) picks, by its value, either
 * a uniform position (odd values) or one of `spots`, exactly or shifted by up to ±8 bytes.
 */
export function mutate(input: Uint8Array, mutations: Mutation[], spots: number[]): Uint8Array {
  let b = input;
  const pos = (n: number, len: number) => {
    if (len === 0) return 0;
    const shift = n & 2 ? ((n >> 12) % 17) - 8 : 0;
    const p = n % 2 === 1 || spots.length === 0 ? n >> 1 : spots[(n >> 2) % spots.length] + shift;
    return Math.min(len - 1, Math.max(0, p % len));
  };
  for (const m of mutations) {
    const len = b.length;
    if (len === 0) break;
    switch (m.kind) {
      case 'flip': {
        b = b.slice();
        b[pos(m.at, len)] ^= m.mask;
        break;
      }
      case 'set': {
        b = b.slice();
        b[pos(m.at, len)] = m.value;
        break;
      }
      case 'insert': {
        const p = pos(m.at, len);
        b = concat(b.subarray(0, p), Uint8Array.from(m.bytes), b.subarray(p));
        break;
      }
      case 'delete': {
        const p = pos(m.at, len);
        b = concat(b.subarray(0, p), b.subarray(p + m.len));
        break;
      }
      case 'duplicate': {
        const from = pos(m.from, len);
        const to = pos(m.to, len);
        b = concat(b.subarray(0, to), b.subarray(from, from + m.len), b.subarray(to));
        break;
      }
      case 'overwrite': {
        const from = pos(m.from, len);
        const to = pos(m.to, len);
        const piece = b.slice(from, from + Math.min(m.len, len - to));
        b = b.slice();
        b.set(piece, to);
        break;
      }
      case 'truncate':
        b = b.slice(0, pos(m.at, len));
        break;
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Offsets worth mutating: where every EBML element of `bytes` starts (found with the bare
 * EbmlReader, so Void, Cues and the like count too), and every frame payload.
 */
export function structuralSpots(bytes: Uint8Array): number[] {
  const spots: number[] = [];
  // The next element starts where a master's data starts or an element ends.
  const reader = new EbmlReader({
    onMasterStart: (_id, _size, headerOffset, dataOffset) => {
      spots.push(headerOffset, dataOffset);
      return true;
    },
    onMasterEnd: (_id, end) => {
      spots.push(end);
    },
    onLeaf: (_id, data, dataOffset) => {
      spots.push(dataOffset, dataOffset + data.length);
    },
  });
  try {
    reader.push(bytes);
    reader.end();
  } catch {
    // A truncated capture: the spots found so far are enough.
  }
  return [...new Set(spots)].filter((s) => s < bytes.length).sort((a, b) => a - b);
}
