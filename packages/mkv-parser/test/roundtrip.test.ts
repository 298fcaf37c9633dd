// Random MKV streams built here (independently of mkv-writer) with every block form — plain,
// Xiph-, EBML- and fixed-laced SimpleBlocks, BlockGroups with and without references — parse
// back to exactly the frames, tracks and tags that went in, under any chunking.
import { EbmlBuilder, Id } from '@kvs-ts/ebml';
import { type MkvEvent, type MkvFrame, MkvParser, type MkvSimpleTag, type MkvTag, parseMkv } from '@kvs-ts/mkv-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomSplit } from './count';

interface TrackSpec {
  number: number;
  type: 1 | 2 | 0x11;
  codecId: string;
  defaultDurationNs?: number;
}
type Lacing = 'none' | 'xiph' | 'ebml' | 'fixed';
interface BlockSpec {
  track: number;
  relative: number;
  key: boolean;
  invisible: boolean;
  discardable: boolean;
  group: boolean;
  durationTicks?: number;
  lacing: Lacing;
  frames: Uint8Array[];
}
interface ClusterSpec {
  timecode: number;
  unknown: boolean;
  blocks: BlockSpec[];
}
interface SimpleTagSpec {
  name: string;
  value: string;
  children: SimpleTagSpec[];
}
interface StreamSpec {
  scale: number;
  segmentUnknown: boolean;
  tracks: TrackSpec[];
  clusters: ClusterSpec[];
  tags: SimpleTagSpec[][];
}

const arbTracks = fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 3 }).chain((numbers) =>
  fc.tuple(
    ...numbers.map((number) =>
      fc.record({
        number: fc.constant(number),
        type: fc.constantFrom(1 as const, 2 as const, 0x11 as const),
        codecId: fc.constantFrom('V_MPEG4/ISO/AVC', 'A_AAC', 'A_OPUS', 'S_TEXT/UTF8', 'V_VP9'),
        defaultDurationNs: fc.option(fc.integer({ min: 1000, max: 40_000_000 }), { nil: undefined }),
      }),
    ),
  ),
);

const arbBlock = (tracks: TrackSpec[]): fc.Arbitrary<BlockSpec> =>
  fc
    .record({
      track: fc.constantFrom(...tracks.map((t) => t.number)),
      relative: fc.integer({ min: -32768, max: 32767 }),
      key: fc.boolean(),
      invisible: fc.boolean(),
      discardable: fc.boolean(),
      group: fc.boolean(),
      durationTicks: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
      lacing: fc.constantFrom<Lacing>('none', 'none', 'xiph', 'ebml', 'fixed'),
      size: fc.integer({ min: 0, max: 700 }),
      sizes: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 8 }),
      count: fc.integer({ min: 1, max: 6 }),
      fill: fc.integer({ min: 0, max: 255 }),
    })
    .map((b) => {
      let sizes: number[];
      if (b.lacing === 'none') sizes = [b.size];
      else if (b.lacing === 'fixed') sizes = Array(b.count).fill(b.size % 120);
      else sizes = b.sizes;
      const frames = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (b.fill + i * 31 + k * 7) & 0xff));
      return { ...b, frames };
    });

const arbSimpleTag: fc.Arbitrary<SimpleTagSpec> = fc.letrec((tie) => ({
  tag: fc.record({
    name: fc.string({ minLength: 1, maxLength: 12 }),
    value: fc.string({ maxLength: 20 }),
    children: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<SimpleTagSpec[]>([]),
      fc.array(tie('tag') as fc.Arbitrary<SimpleTagSpec>, { maxLength: 2 }),
    ),
  }),
})).tag;

const arbStream: fc.Arbitrary<StreamSpec> = arbTracks.chain((tracks) =>
  fc.record({
    scale: fc.constantFrom(1_000_000, 100_000, 1000, 1_000_000_000),
    segmentUnknown: fc.boolean(),
    tracks: fc.constant(tracks),
    clusters: fc.array(
      fc.record({
        timecode: fc.integer({ min: 0, max: 2 ** 40 }),
        unknown: fc.boolean(),
        blocks: fc.array(arbBlock(tracks), { maxLength: 6 }),
      }),
      { maxLength: 5 },
    ),
    tags: fc.array(fc.array(arbSimpleTag, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
  }),
);

function writeSimpleTag(b: EbmlBuilder, t: SimpleTagSpec): void {
  b.start(Id.SimpleTag, { sizeLen: 4 }).string(Id.TagName, t.name).string(Id.TagString, t.value);
  for (const c of t.children) writeSimpleTag(b, c);
  b.end();
}

function blockPayload(blk: BlockSpec): Uint8Array {
  const b = new EbmlBuilder();
  b.size(blk.track); // track number is a vint
  const head = new Uint8Array(3);
  new DataView(head.buffer).setInt16(0, blk.relative);
  const lacingBits = { none: 0, xiph: 0x02, fixed: 0x04, ebml: 0x06 }[blk.lacing];
  head[2] =
    lacingBits |
    (blk.invisible ? 0x08 : 0) |
    (!blk.group && blk.key ? 0x80 : 0) |
    (!blk.group && blk.discardable ? 0x01 : 0);
  b.bytes(head);
  const frames = blk.frames;
  if (blk.lacing !== 'none') {
    b.bytes(Uint8Array.of(frames.length - 1));
    if (blk.lacing === 'xiph') {
      for (const f of frames.slice(0, -1)) {
        let n = f.length;
        while (n >= 255) {
          b.bytes(Uint8Array.of(255));
          n -= 255;
        }
        b.bytes(Uint8Array.of(n));
      }
    } else if (blk.lacing === 'ebml' && frames.length > 1) {
      b.size(frames[0].length);
      for (let i = 1; i < frames.length - 1; i++) {
        const diff = frames[i].length - frames[i - 1].length;
        // Signed vint: the smallest length whose range holds diff, biased by 2^(7·len−1) − 1.
        let len = 1;
        while (Math.abs(diff) > 2 ** (7 * len - 1) - 2) len++;
        b.size(diff + 2 ** (7 * len - 1) - 1, len);
      }
    }
  }
  for (const f of frames) b.bytes(f);
  return b.toBytes();
}

function encode(s: StreamSpec): Uint8Array {
  const b = new EbmlBuilder(4096);
  b.start(Id.EBML, { sizeLen: 1 }).uint(Id.EBMLVersion, 1).string(Id.DocType, 'matroska').end();
  b.start(Id.Segment, s.segmentUnknown ? { unknown: true } : { sizeLen: 8 });
  b.start(Id.Info, { sizeLen: 2 }).uint(Id.TimestampScale, s.scale).string(Id.MuxingApp, 'test').end();
  b.start(Id.Tracks, { sizeLen: 4 });
  for (const t of s.tracks) {
    b.start(Id.TrackEntry, { sizeLen: 4 })
      .uint(Id.TrackNumber, t.number)
      .uint(Id.TrackUID, t.number * 1000)
      .uint(Id.TrackType, t.type);
    b.string(Id.CodecID, t.codecId);
    if (t.defaultDurationNs !== undefined) b.uint(Id.DefaultDuration, t.defaultDurationNs);
    b.end();
  }
  b.end();
  for (const tagList of s.tags) {
    b.start(Id.Tags, { sizeLen: 4 })
      .start(Id.Tag, { sizeLen: 4 })
      .start(Id.Targets, { sizeLen: 1 })
      .uint(Id.TargetTypeValue, 50)
      .end();
    for (const t of tagList) writeSimpleTag(b, t);
    b.end().end();
  }
  for (const c of s.clusters) {
    b.start(Id.Cluster, c.unknown ? { unknown: true } : { sizeLen: 8 }).uint(Id.Timestamp, c.timecode, 8);
    for (const blk of c.blocks) {
      if (blk.group) {
        b.start(Id.BlockGroup, { sizeLen: 4 }).binary(Id.Block, blockPayload(blk));
        if (blk.durationTicks !== undefined) b.uint(Id.BlockDuration, blk.durationTicks);
        if (!blk.key) b.int(Id.ReferenceBlock, -1);
        b.end();
      } else {
        b.binary(Id.SimpleBlock, blockPayload(blk), 8);
      }
    }
    if (!c.unknown) b.end();
  }
  if (!s.segmentUnknown) b.end();
  return b.toBytes();
}

interface FrameOut {
  track: number;
  ts: number;
  key: boolean;
  invisible: boolean;
  discardable: boolean;
  durationUs: number | undefined;
  lace: string;
  data: number[];
}

function expected(s: StreamSpec): FrameOut[] {
  const out: FrameOut[] = [];
  for (const c of s.clusters) {
    for (const blk of c.blocks) {
      const t = s.tracks.find((x) => x.number === blk.track)!;
      const base = (c.timecode + blk.relative) * (s.scale / 1000);
      blk.frames.forEach((data, i) => {
        out.push({
          track: blk.track,
          ts: base + (blk.frames.length > 1 || blk.lacing !== 'none' ? (i * (t.defaultDurationNs ?? 0)) / 1000 : 0),
          key: blk.key,
          invisible: blk.invisible,
          discardable: !blk.group && blk.discardable,
          durationUs: blk.group && blk.durationTicks !== undefined ? blk.durationTicks * (s.scale / 1000) : undefined,
          lace: `${i}/${blk.lacing === 'none' ? 1 : blk.frames.length}`,
          data: Array.from(data),
        });
      });
    }
  }
  return out;
}

function parse(chunks: Iterable<Uint8Array>) {
  const frames: FrameOut[] = [];
  const tags: MkvTag[] = [];
  const tracks: string[] = [];
  const clusters: number[] = [];
  const parser = new MkvParser({
    tracks: (ts) => tracks.push(...ts.map((t) => `${t.number}/${t.uid}/${t.type}/${t.codecId}/${t.defaultDurationNs}`)),
    clusterStart: (c) => clusters.push(c.timecode),
    frame: (f: MkvFrame) =>
      frames.push({
        track: f.trackNumber,
        ts: f.timestampUs,
        key: f.keyFrame,
        invisible: f.invisible,
        discardable: f.discardable,
        durationUs: f.durationUs,
        lace: `${f.laceIndex}/${f.laceCount}`,
        data: Array.from(f.data),
      }),
    tags: (t) => tags.push(...t),
  });
  for (const c of chunks) parser.push(c);
  parser.end();
  return { frames, tags, tracks, clusters };
}

const plainTag = (t: MkvSimpleTag): SimpleTagSpec => ({
  name: t.name,
  value: t.value ?? '',
  children: t.children.map(plainTag),
});

describe('MkvParser round trip', () => {
  it('gives back every frame, track, cluster and tag that went in, for any chunking', () => {
    fc.assert(
      fc.property(
        arbStream,
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 1, max: 5000 }),
        (spec, seed, max) => {
          const bytes = encode(spec);
          const whole = parse([bytes]);
          expect(whole.frames).toEqual(expected(spec));
          expect(whole.clusters).toEqual(spec.clusters.map((c) => c.timecode));
          expect(whole.tracks).toEqual(
            spec.tracks.map((t) => `${t.number}/${t.number * 1000}/${t.type}/${t.codecId}/${t.defaultDurationNs}`),
          );
          expect(whole.tags.map((t) => t.simpleTags.map(plainTag))).toEqual(spec.tags);
          expect(whole.tags.every((t) => t.targets.typeValue === 50)).toBe(true);
          expect(parse(randomSplit(bytes, seed, max))).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('frameData false: one blockHead per SimpleBlock, agreeing with its frames, for any chunking', () => {
    // What a SimpleBlock's frames say about the block: first frame's time, flags, bytes after
    // its header (4 bytes, or 5 from track 127, whose one-byte vint would be all ones);
    // BlockGroups still come as frames.
    const heads = (chunks: Iterable<Uint8Array>) => {
      const out: string[] = [];
      let groupFrames = 0;
      const parser = new MkvParser(
        {
          blockHead: (h) =>
            out.push(
              `${h.trackNumber} ${h.timestampUs} ${h.relativeTimecode} ${h.keyFrame} ${h.invisible} ${h.discardable} ${h.lacing} ${h.size}`,
            ),
          frame: (f) => {
            expect(f.fromBlockGroup).toBe(true);
            groupFrames++;
          },
        },
        { frameData: false },
      );
      for (const c of chunks) parser.push(c);
      parser.end();
      return { out, groupFrames };
    };
    const LACING = { none: 0, xiph: 1, fixed: 2, ebml: 3 };
    fc.assert(
      fc.property(
        arbStream,
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 1, max: 5000 }),
        (spec, seed, max) => {
          const bytes = encode(spec);
          const want: string[] = [];
          let groupFrames = 0;
          for (const c of spec.clusters) {
            for (const blk of c.blocks) {
              if (blk.group) {
                groupFrames += blk.frames.length;
                continue;
              }
              const ts = (c.timecode + blk.relative) * (spec.scale / 1000);
              want.push(
                `${blk.track} ${ts} ${blk.relative} ${blk.key} ${blk.invisible} ${blk.discardable} ${LACING[blk.lacing]} ${blockPayload(blk).length - (blk.track < 127 ? 4 : 5)}`,
              );
            }
          }
          expect(heads([bytes])).toEqual({ out: want, groupFrames });
          expect(heads(randomSplit(bytes, seed, max))).toEqual({ out: want, groupFrames });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects lacing that does not add up', () => {
    const bad = (payload: number[]) => {
      const b = new EbmlBuilder();
      b.start(Id.Segment, { unknown: true })
        .start(Id.Cluster, { unknown: true })
        .uint(Id.Timestamp, 0)
        .binary(Id.SimpleBlock, Uint8Array.from(payload));
      return () => parse([b.toBytes()]);
    };
    expect(bad([0x81, 0, 0, 0x84, 2, 1, 2, 3, 4])).toThrow(/4 bytes do not split into 3/); // fixed
    expect(bad([0x81, 0, 0, 0x82, 1, 255])).toThrow(/Xiph sizes run past/);
    expect(bad([0x81, 0, 0, 0x82, 1, 9, 1])).toThrow(/lace sizes exceed/);
    expect(bad([0x81, 0, 0, 0x86, 2, 0x85, 0x00])).toThrow(/invalid EBML lace size/);
    expect(bad([0x81, 0])).toThrow(/malformed SimpleBlock/);
  });
});

describe('MkvParser: what was reported stays as reported', () => {
  it('ignores header and Info fields outside their elements (found by fuzzing in Deno)', async () => {
    const b = new EbmlBuilder()
      .start(Id.EBML, { sizeLen: 1 })
      .uint(Id.DocTypeVersion, 4)
      .string(Id.DocType, 'matroska')
      .end()
      .uint(Id.DocTypeVersion, 66) // stray, at the top level
      .start(Id.Segment, { sizeLen: 8 })
      .start(Id.Info, { sizeLen: 1 })
      .uint(Id.TimestampScale, 1000)
      .end()
      .uint(Id.TimestampScale, 5) // misplaced in a sized Segment: skipped
      .end();
    const bytes = b.toBytes();
    const events: MkvEvent[] = [];
    for await (const e of parseMkv([bytes])) events.push(e);
    const header = events.find((e) => e.type === 'ebmlHeader');
    const info = events.find((e) => e.type === 'info');
    expect(header?.type === 'ebmlHeader' && header.header.docTypeVersion).toBe(4);
    expect(info?.type === 'info' && info.info.timecodeScale).toBe(1000);
  });

  it('ignores BlockGroup children outside a BlockGroup (found by fuzzing)', async () => {
    const b = new EbmlBuilder()
      .start(Id.Segment, { unknown: true })
      .start(Id.Cluster, { sizeLen: 8 })
      .uint(Id.Timestamp, 0)
      .start(Id.BlockGroup, { sizeLen: 1 })
      .binary(Id.Block, Uint8Array.of(0x81, 0, 0, 0, 7))
      .end()
      .end()
      .int(Id.ReferenceBlock, -1) // stray, after the cluster
      .toBytes();
    const events: MkvEvent[] = [];
    for await (const e of parseMkv([b])) events.push(e);
    const frame = events.find((e) => e.type === 'frame');
    expect(frame?.type === 'frame' && [...frame.frame.references]).toEqual([]);
    expect(frame?.type === 'frame' && frame.frame.keyFrame).toBe(true);
  });
});
