// Properties: random track sets, frame sequences and metadata → write → walk back gives the same
// tracks, frames, timestamps (after timecode rounding), flags, clusters and tags; the two
// packaging forms give the same bytes; rejected frames change nothing.

import { type Frame, FrameFlags, isKvsError, TrackType } from '@kvs-ts/core';
import { MkvParser } from '@kvs-ts/mkv-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvsTagName, MkvWriter, type MkvWriterOptions, type WriterTrackInfo } from '../src/index';
import { concat, hex, type WalkedItem, walk } from './walk';

const trackArb = fc.record({
  kind: fc.constantFrom('video', 'audio', 'opaque'),
  name: fc.option(fc.string({ maxLength: 32, unit: fc.constantFrom(...'abcdefgh_ 12') }), { nil: undefined }),
  cpd: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
});

const scenarioArb = fc.record({
  tracks: fc.array(trackArb, { minLength: 1, maxLength: 3 }),
  ids: fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 3, maxLength: 3 }),
  scale: fc.constantFrom(1_000_000, 100_000, 10_000_000, 1000, 100),
  kff: fc.boolean(),
  absolute: fc.boolean(),
  fragmentS: fc.integer({ min: 1, max: 30 }),
  base: fc.integer({ min: 0, max: 2 ** 44 }),
  ops: fc.array(
    fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record({
          op: fc.constant('frame' as const),
          track: fc.nat(2),
          dt: fc.integer({ min: 0, max: 60_000 }),
          key: fc.boolean(),
          disc: fc.boolean(),
          invis: fc.boolean(),
          data: fc.uint8Array({ minLength: 1, maxLength: 48 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('meta' as const),
          name: fc.constantFrom('alpha', 'beta', 'gamma', 'δέλτα'),
          value: fc.string({ maxLength: 12 }),
          persistent: fc.boolean(),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('eofr' as const) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('bad' as const), kind: fc.nat(3) }) },
    ),
    { minLength: 1, maxLength: 80 },
  ),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

const CODEC: Record<string, string> = { video: 'V_MS/VFW/FOURCC', audio: 'A_OPUS', opaque: 'S_KLV' };
const TYPE: Record<string, TrackType> = { video: TrackType.VIDEO, audio: TrackType.AUDIO, opaque: TrackType.COMPLEX };

function options(s: Scenario): MkvWriterOptions {
  const tracks: WriterTrackInfo[] = s.tracks.map((t, i) => ({
    trackId: s.ids[i],
    trackType: TYPE[t.kind],
    codecId: CODEC[t.kind],
    trackName: t.name,
    codecPrivateData: t.cpd,
  }));
  return {
    tracks,
    timecodeScaleNs: s.scale,
    keyFrameFragmentation: s.kff,
    absoluteFragmentTimes: s.absolute,
    fragmentDurationUs: s.fragmentS * 1_000_000,
    segmentUuid: new Uint8Array(16).fill(7),
  };
}

interface ExpectedBlock {
  track: number;
  flags: number;
  data: string;
  tick: bigint;
}

/** PIC's decisions, restated independently of the writer. */
class Model {
  started = false;
  eofr = false;
  clusterPts = 0n;
  clusterDts = 0n;
  streamStart = 0n;
  items: (
    | { kind: 'segment' }
    | { kind: 'cluster'; tick: bigint }
    | { kind: 'block'; b: ExpectedBlock }
    | { kind: 'tags'; simple: [string, string][] }
  )[] = [];
  meta: { name: string; value: string; persistent: boolean; applied: boolean }[] = [];
  constructor(
    readonly s: Scenario,
    readonly hasVideo: boolean,
  ) {}

  ticks(us: number): bigint {
    return (BigInt(us) * 1000n) / BigInt(this.s.scale);
  }

  put(name: string, value: string, persistent: boolean): void {
    if (persistent) {
      const i = this.meta.findIndex((m) => m.persistent && m.name === name);
      if (i >= 0) {
        this.meta.splice(i, 1);
        if (value === '') return;
      }
    }
    this.meta.push({ name, value, persistent, applied: false });
  }

  private emitTags(notSentOnly: boolean): void {
    for (const m of this.meta)
      if (!(notSentOnly && m.applied)) this.items.push({ kind: 'tags', simple: [[m.name, m.value]] });
    this.meta = this.meta.filter((m) => m.persistent);
    for (const m of this.meta) m.applied = true;
  }

  /** Returns 'skip', 'ok' or the status the writer must throw. */
  frame(trackIndex: number, us: number, flags: number, data: Uint8Array): string {
    const t = this.s.tracks[trackIndex];
    const key = (flags & FrameFlags.KEY_FRAME) !== 0;
    const fragKey = key && (t.kind === 'video' || !this.hasVideo);
    if (!fragKey && (!this.started || this.eofr)) return 'skip';
    const pts = this.ticks(us);
    const cluster =
      !this.started ||
      (fragKey && (this.s.kff || this.eofr || pts - this.clusterPts >= this.ticks(this.s.fragmentS * 1_000_000)));
    if (!cluster && pts - this.clusterPts > 32767n) return 'STATUS_MKV_LARGE_FRAME_TIMECODE';
    if (!this.started) {
      this.items.push({ kind: 'segment' });
      this.started = true;
      this.streamStart = pts;
    }
    if (cluster) {
      this.emitTags(false);
      this.clusterPts = pts;
      this.clusterDts = pts;
      this.eofr = false;
      this.items.push({ kind: 'cluster', tick: this.s.absolute ? pts : pts - this.streamStart });
    }
    let blockFlags = key ? 0x80 : 0;
    if (flags & FrameFlags.DISCARDABLE) blockFlags |= 0x01;
    if (flags & FrameFlags.INVISIBLE) blockFlags |= 0x08;
    this.items.push({ kind: 'block', b: { track: trackIndex + 1, flags: blockFlags, data: hex(data), tick: pts } });
    return 'ok';
  }

  endOfFragment(): string {
    if (!this.s.kff || !this.started) return 'STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE';
    if (this.eofr) return 'STATUS_MULTIPLE_CONSECUTIVE_EOFR';
    this.emitTags(true);
    this.items.push({ kind: 'tags', simple: [[KvsTagName.END_OF_FRAGMENT, '']] });
    this.eofr = true;
    return 'ok';
  }
}

function attempt(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isKvsError(e)) return e.statusName;
    throw e;
  }
}

function run(s: Scenario): void {
  const opts = options(s);
  const pieces = new MkvWriter(opts);
  const twoPhase = new MkvWriter(opts);
  const clean = new MkvWriter(opts);
  const model = new Model(
    s,
    s.tracks.some((t) => t.kind === 'video'),
  );
  const outPieces: Uint8Array[] = [];
  const outTwo: Uint8Array[] = [];
  const outClean: Uint8Array[] = [];
  let t = s.base;

  const send = (f: Frame): string => {
    const p = attempt(() => {
      const r = pieces.packageFrame(f);
      outPieces.push(concat([r.header, r.data]));
    });
    const q = attempt(() => {
      const l = twoPhase.prepare(f);
      const dst = new Uint8Array(l.size);
      expect(twoPhase.write(l, dst)).toBe(l.size);
      outTwo.push(dst);
    });
    const c = attempt(() => {
      const r = clean.packageFrame(f);
      outClean.push(concat([r.header, r.data]));
    });
    expect(q).toBe(p);
    expect(c).toBe(p);
    return p;
  };

  for (const op of s.ops) {
    if (op.op === 'frame') {
      if (op.track >= s.tracks.length) continue;
      t += op.dt;
      const flags =
        (op.key ? FrameFlags.KEY_FRAME : 0) |
        (op.disc ? FrameFlags.DISCARDABLE : 0) |
        (op.invis ? FrameFlags.INVISIBLE : 0);
      const f: Frame = { trackId: s.ids[op.track], pts: t, dts: t, duration: 0, flags, data: op.data };
      const expected = model.frame(op.track, t, flags, op.data);
      const got = send(f);
      if (expected === 'skip') {
        expect(got).toBe('ok');
        expect(outPieces.at(-1)?.length).toBe(0);
      } else {
        expect(got).toBe(expected);
      }
    } else if (op.op === 'meta') {
      const results = [pieces, twoPhase, clean].map((w) =>
        attempt(() => w.putFragmentMetadata(op.name, op.value, op.persistent)),
      );
      expect(new Set(results).size).toBe(1);
      if (results[0] === 'ok') model.put(op.name, op.value, op.persistent);
      else expect(results[0]).toBe('STATUS_MAX_FRAGMENT_METADATA_COUNT');
    } else if (op.op === 'eofr') {
      const expected = model.endOfFragment();
      const got = send({
        trackId: 0,
        pts: 0,
        dts: 0,
        duration: 0,
        flags: FrameFlags.END_OF_FRAGMENT,
        data: new Uint8Array(0),
      });
      expect(got).toBe(expected);
    } else {
      // Bad frames go to the pieces and two-phase writers only: the clean one never sees them.
      // A track whose key frames start fragments, so that the bad frame is never merely skipped.
      const lead =
        s.ids[
          Math.max(
            0,
            s.tracks.findIndex((x) => x.kind === 'video'),
          )
        ];
      const bad: Frame[] = [
        { trackId: 0, pts: t, dts: t, duration: 0, flags: FrameFlags.KEY_FRAME, data: new Uint8Array(1) },
        { trackId: lead, pts: t, dts: t, duration: 0, flags: FrameFlags.KEY_FRAME, data: new Uint8Array(0) },
        { trackId: lead, pts: -1, dts: -1, duration: 0, flags: FrameFlags.KEY_FRAME, data: new Uint8Array(1) },
        {
          trackId: lead,
          pts: Number.POSITIVE_INFINITY,
          dts: 0,
          duration: 0,
          flags: FrameFlags.KEY_FRAME,
          data: new Uint8Array(1),
        },
      ];
      const f = bad[op.kind];
      expect(attempt(() => pieces.packageFrame(f))).not.toBe('ok');
      expect(attempt(() => twoPhase.prepare(f))).not.toBe('ok');
    }
  }

  const bytes = concat(outPieces);
  expect(hex(concat(outTwo))).toBe(hex(bytes));
  expect(hex(concat(outClean))).toBe(hex(bytes));
  if (bytes.length === 0) {
    expect(model.items.length).toBe(0);
    return;
  }
  // Output without a started stream would be nothing at all: header comes with the first key frame.
  const w = walk(bytes);
  expect(w.docType).toBe('matroska');
  expect(w.segments).toBe(1);
  expect(w.timecodeScale).toBe(s.scale);
  expect(
    w.tracks.map((x) => [x.number, x.uid, x.type, x.codecId, x.name, x.codecPrivate && hex(x.codecPrivate)]),
  ).toEqual(
    s.tracks.map((x, i) => [
      i + 1,
      BigInt(s.ids[i]),
      TYPE[x.kind],
      CODEC[x.kind],
      x.name || undefined,
      x.cpd && hex(x.cpd),
    ]),
  );
  const got = w.items.map((it: WalkedItem) => {
    switch (it.kind) {
      case 'segment':
        return { kind: 'segment' };
      case 'cluster':
        expect(it.unknownSize).toBe(true);
        expect(it.position).toBe(0);
        return { kind: 'cluster', tick: BigInt(it.timecode) };
      case 'block': {
        const start = s.absolute ? 0n : model.streamStart;
        return {
          kind: 'block',
          b: { track: it.track, flags: it.flags, data: hex(it.data), tick: BigInt(it.timecode) + start },
        };
      }
      default:
        expect(it.level).toBe(1);
        expect(it.tags.length).toBe(1);
        return { kind: 'tags', simple: it.tags[0].simple.map((x) => [x.name, x.value]) };
    }
  });
  expect(got).toEqual(model.items);
  crossCheck(bytes, w, s.scale);
}

/** The package's own MKV parser, fed in odd-sized chunks, must see what the walker saw. */
function crossCheck(bytes: Uint8Array, w: ReturnType<typeof walk>, scale: number): void {
  const frames: string[] = [];
  const tags: string[] = [];
  let tracks: string[] = [];
  const p = new MkvParser({
    tracks: (t) => {
      tracks = t.map((x) => `${x.number}:${x.uid}:${x.codecId}`);
    },
    frame: (f) => {
      frames.push(`${f.trackNumber}@${f.timestampUs}:${+f.keyFrame}${+f.discardable}${+f.invisible}:${hex(f.data)}`);
    },
    tags: (list) => {
      tags.push(list.map((t) => t.simpleTags.map((x) => `${x.name}=${x.value ?? ''}`).join(',')).join('|'));
    },
  });
  for (let i = 0; i < bytes.length; i += 997) p.push(bytes.subarray(i, i + 997));
  p.end();
  expect(tracks).toEqual(w.tracks.map((x) => `${x.number}:${x.uid}:${x.codecId}`));
  expect(frames).toEqual(
    w.blocks.map(
      (b) =>
        `${b.track}@${(b.timecode * scale) / 1000}:${+!!(b.flags & 0x80)}${+!!(b.flags & 0x01)}${+!!(b.flags & 0x08)}:${hex(b.data)}`,
    ),
  );
  expect(tags).toEqual(
    w.tags.map((t) => t.tags.map((x) => x.simple.map((y) => `${y.name}=${y.value}`).join(',')).join('|')),
  );
}

describe('round trip through the EBML walker', () => {
  it('random tracks, frames, metadata and EoFRs', () => {
    fc.assert(fc.property(scenarioArb, run), { numRuns: 300 });
  });

  it('reported µs timestamps are the frame times after timecode rounding', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1_000_000, 100_000, 1000, 100, 1_000_000_000),
        fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (scale, steps, base) => {
          const w = new MkvWriter({
            tracks: [{ trackId: 1, codecId: 'S_X', trackType: TrackType.COMPLEX }],
            timecodeScaleNs: scale,
          });
          let us = base;
          const out: Uint8Array[] = [];
          for (const [i, step] of steps.entries()) {
            us += step;
            // Key frames only: each starts a cluster, so no block is too far from its cluster.
            const r = w.packageFrame({
              trackId: 1,
              pts: us,
              dts: us,
              duration: 0,
              flags: FrameFlags.KEY_FRAME,
              data: new Uint8Array([i]),
            });
            const ticks = (BigInt(us) * 1000n) / BigInt(scale);
            expect(BigInt(Math.round((r.ptsUs * 1000) / scale))).toBe(ticks);
            expect(r.ptsUs).toBeLessThanOrEqual(us);
            expect(us - r.ptsUs).toBeLessThan(scale / 1000);
            out.push(concat([r.header, r.data]));
          }
          const walked = walk(concat(out), 7);
          expect(walked.blocks.length).toBe(steps.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
