// Mutated and truncated MKV — AWS GetMedia captures and small streams built here — pushed in
// random chunkings: the parser only ever throws KvsError (with the byte offset), never hangs,
// gives the same events and error for every chunking, and never takes back an event: what a
// prefix of the input produced is a prefix of what the whole input produces.
import { KvsError } from '@kvs-ts/core';
import { EbmlBuilder, Id } from '@kvs-ts/ebml';
import { MkvParser, parseMkv } from '@kvs-ts/mkv-parser';
import { readTestVector, testVectorsAvailable } from '@kvs-ts/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbChunking,
  arbMkv,
  arbMutations,
  chunked,
  errorKey,
  eventLine,
  type Log,
  logHandler,
  logParse,
  mutate,
  structuralSpots,
} from './fuzz-support';

/** A parse that takes longer than this is taken for a hang (inputs here are ≤ 1.1 MB). */
const HANG_MS = 2000;
/**
 * Each property stops starting new runs (or shrinking) after this long, so that the file stays
 * within its time budget in slow runtimes and when a failure takes long to shrink.
 */
const BUDGET = { interruptAfterTimeLimit: 2000 };

/** The error must be a KvsError for a parse problem: a status other than INTERNAL_ERROR and an offset. */
function expectParseError(e: unknown): void {
  if (!(e instanceof KvsError)) throw new Error(`parser threw a non-KvsError: ${String(e)}`, { cause: e });
  expect(e.statusName, `${e.message}; cause: ${String(e.cause)}`).not.toBe('STATUS_INTERNAL_ERROR');
  expect(typeof e.offset, `offset of "${e.message}"`).toBe('number');
}

/** Parses `bytes` (chunked) within the time bound; checks the error kind. */
function timedParse(bytes: Uint8Array, chunks: Iterable<Uint8Array>): Log {
  const t0 = performance.now();
  const log = logParse(chunks);
  const ms = performance.now() - t0;
  expect(ms, `parse of ${bytes.length} bytes took ${ms.toFixed(0)} ms`).toBeLessThan(HANG_MS);
  if (log.error !== undefined) expectParseError(log.error);
  return log;
}

/**
 * The properties of one (possibly broken) input: KvsError only, in time; the same result for
 * whole-buffer and chunked pushes; and a cut at `cut` emits a prefix of the events (and, if
 * pushing the cut input already fails, the very same error).
 */
function checkInput(bytes: Uint8Array, chunking: { seed: number; max: number }, cut: number): void {
  const whole = timedParse(bytes, [bytes]);
  const parts = timedParse(bytes, chunked(bytes, chunking.seed, chunking.max));
  expect(parts.events).toEqual(whole.events);
  expect(parts.errorKey).toBe(whole.errorKey);

  const prefix = logParse(chunked(bytes.subarray(0, cut % (bytes.length + 1)), chunking.seed, chunking.max), false);
  expect(prefix.events).toEqual(whole.events.slice(0, prefix.events.length));
  if (prefix.error !== undefined) {
    expect(prefix.errorKey).toBe(whole.errorKey);
    expect(prefix.events).toEqual(whole.events);
  }
}

/**
 * A valid input cut at `cut` and ended: the events are the whole input's, up to the cut, plus
 * at most the closing of open unknown-size Clusters/Segments, and maybe STATUS_UNEXPECTED_EOF.
 */
function checkTruncation(bytes: Uint8Array, whole: Log, chunking: { seed: number; max: number }, cut: number): void {
  const at = cut % (bytes.length + 1);
  const log = timedParse(bytes, chunked(bytes.subarray(0, at), chunking.seed, chunking.max));
  const before = log.events.slice(0, log.pushed);
  expect(before).toEqual(whole.events.slice(0, before.length));
  if (log.error !== undefined) {
    // The offset is where the unfinished element (or its header) starts, at most the cut.
    const err = log.error as KvsError;
    if (at === bytes.length) expect(log.errorKey).toBe(whole.errorKey);
    else expect(err.statusName).toBe('STATUS_UNEXPECTED_EOF');
    expect(err.offset).toBeLessThanOrEqual(at);
  }
  // end() closes the open unknown-size masters (up to a sized one it then reports as cut). A
  // Cluster cut before its Timestamp is announced there too, with timecode 0: not a value of
  // the stream, but the parser's documented default for a Cluster without Timestamp.
  for (const e of log.events.slice(log.pushed)) expect(e).toMatch(/^([cs] |C \d+ 0 0 )/);
}

describe('MkvParser under fuzzing: built streams', () => {
  it('valid streams parse without error, the same for every chunking', () => {
    fc.assert(
      fc.property(arbMkv, arbChunking, (bytes, chunking) => {
        const whole = timedParse(bytes, [bytes]);
        expect(whole.error).toBeUndefined();
        expect(timedParse(bytes, chunked(bytes, chunking.seed, chunking.max)).events).toEqual(whole.events);
      }),
      { ...BUDGET, numRuns: 60 },
    );
  });

  it('mutated streams: KvsError with an offset only, no hang, chunking-independent, events never taken back', () => {
    fc.assert(
      fc.property(arbMkv, arbMutations, arbChunking, fc.nat(), (input, mutations, chunking, cut) => {
        checkInput(mutate(input, mutations, structuralSpots(input)), chunking, cut);
      }),
      { ...BUDGET, numRuns: 400 },
    );
  });

  it('truncated streams: a prefix of the events, then the closes of unknown-size masters or UNEXPECTED_EOF', () => {
    fc.assert(
      fc.property(arbMkv, arbChunking, fc.nat(), (bytes, chunking, cut) => {
        checkTruncation(bytes, logParse([bytes]), chunking, cut);
      }),
      { ...BUDGET, numRuns: 150 },
    );
  });

  it('parseMkv yields what the handler API emits, then throws the same error', async () => {
    await fc.assert(
      fc.asyncProperty(arbMkv, arbMutations, arbChunking, async (input, mutations, chunking) => {
        const bytes = mutate(input, mutations, structuralSpots(input));
        const want = logParse(chunked(bytes, chunking.seed, chunking.max));
        const got: string[] = [];
        let error: unknown;
        try {
          for await (const e of parseMkv(streamOf(chunked(bytes, chunking.seed, chunking.max)))) got.push(eventLine(e));
        } catch (e) {
          error = e;
        }
        expect(got).toEqual(want.events);
        expect(errorKey(error)).toBe(want.errorKey);
      }),
      { ...BUDGET, numRuns: 100 },
    );
  });
});

function streamOf(chunks: Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
}

const available = await testVectorsAvailable();

/**
 * A small capture with 10 back-to-back segments and tags, and the first two GetMedia fragments
 * of output_get_media.mkv (cut where the third EBML header starts).
 */
async function loadCaptures(): Promise<Record<string, Uint8Array>> {
  const mixed = (await readTestVector('aws-parser-library/test_mixed_tags.mkv'))!;
  const getMedia = (await readTestVector('aws-parser-library/output_get_media.mkv'))!;
  const third = nthIndexOf(getMedia, [0x1a, 0x45, 0xdf, 0xa3], 3);
  return { 'test_mixed_tags.mkv': mixed, 'output_get_media.mkv (2 fragments)': getMedia.subarray(0, third) };
}
const captures = available ? await loadCaptures() : {};

describe.skipIf(!available)(
  'MkvParser under fuzzing: AWS captures (skipped: ../shared/test-vectors absent and KVS_TEST_VECTORS unset)',
  () => {
    for (const [name, bytes] of Object.entries(captures)) {
      const whole = logParse([bytes]);
      const spots = structuralSpots(bytes);

      it(`${name}: parses whole, with frames and no error`, () => {
        expect(whole.error).toBeUndefined();
        expect(whole.events.filter((e) => e.startsWith('F ')).length).toBeGreaterThan(50);
      });

      it(`${name}: mutated — KvsError with an offset only, no hang, chunking-independent, events never taken back`, () => {
        fc.assert(
          fc.property(arbMutations, arbChunking, fc.nat(), (mutations, chunking, cut) => {
            checkInput(mutate(bytes, mutations, spots), { ...chunking, max: Math.max(chunking.max, 512) }, cut);
          }),
          { ...BUDGET, numRuns: name.startsWith('test_') ? 150 : 40 },
        );
      });

      it(`${name}: truncated anywhere — a prefix of the events, then closes or UNEXPECTED_EOF`, () => {
        fc.assert(
          fc.property(arbChunking, fc.nat(), (chunking, cut) => {
            checkTruncation(bytes, whole, { ...chunking, max: Math.max(chunking.max, 512) }, cut);
          }),
          { ...BUDGET, numRuns: name.startsWith('test_') ? 100 : 20 },
        );
      });
    }
  },
);

function nthIndexOf(bytes: Uint8Array, pattern: number[], n: number): number {
  let found = 0;
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    if (pattern.every((p, k) => bytes[i + k] === p) && ++found === n) return i;
  }
  return bytes.length;
}

// Inputs that broke the parser, kept as plain examples.
describe('MkvParser: inputs found by fuzzing', () => {
  const head = () => new EbmlBuilder().start(Id.EBML, { sizeLen: 1 }).string(Id.DocType, 'matroska').end();
  const parse = (b: EbmlBuilder): Log => logParse([b.toBytes()]);

  it('a TrackEntry inside a TrackEntry is skipped as misplaced, not a TypeError', () => {
    // Misplaced known elements inside sized masters are skipped, as Matroska readers do.
    const b = head().start(Id.Segment, { unknown: true }).start(Id.Tracks, { sizeLen: 2 });
    b.start(Id.TrackEntry, { sizeLen: 1 }).uint(Id.TrackNumber, 1);
    b.start(Id.TrackEntry, { sizeLen: 1 }).uint(Id.TrackNumber, 2).end();
    b.end().end();
    const log = parse(b);
    expect(log.error).toBeUndefined();
    expect(log.events.filter((l) => l.startsWith('T '))).toEqual([
      'T 1:undefined:0:unknown::undefined:undefined:undefined:undefined:undefined:undefined:undefined',
    ]);
  });

  it('malformed leaf values fail with the offset of the element', () => {
    const seg = () => head().start(Id.Segment, { unknown: true });
    const cases: [string, EbmlBuilder][] = [
      [
        '9-byte TimestampScale',
        seg().start(Id.Info, { sizeLen: 1 }).binary(Id.TimestampScale, new Uint8Array(9)).end(),
      ],
      ['TimestampScale 0', seg().start(Id.Info, { sizeLen: 1 }).uint(Id.TimestampScale, 0).end()],
      ['3-byte Duration', seg().start(Id.Info, { sizeLen: 1 }).binary(Id.Duration, new Uint8Array(3)).end()],
      ['5-byte DateUTC', seg().start(Id.Info, { sizeLen: 1 }).binary(Id.DateUTC, new Uint8Array(5)).end()],
      [
        'TrackNumber ≥ 2^53',
        seg()
          .start(Id.Tracks, { sizeLen: 1 })
          .start(Id.TrackEntry, { sizeLen: 1 })
          .binary(Id.TrackNumber, new Uint8Array(8).fill(0xff))
          .end()
          .end(),
      ],
      ['9-byte Cluster Timestamp', seg().start(Id.Cluster, { unknown: true }).binary(Id.Timestamp, new Uint8Array(9))],
      [
        '9-byte ReferenceBlock',
        seg()
          .start(Id.Cluster, { unknown: true })
          .start(Id.BlockGroup, { sizeLen: 1 })
          .binary(Id.ReferenceBlock, new Uint8Array(9))
          .end(),
      ],
    ];
    for (const [what, b] of cases) {
      const log = parse(b);
      expect(log.error, what).toBeInstanceOf(KvsError);
      expect((log.error as KvsError).offset, `${what}: ${(log.error as KvsError).message}`).toBeTypeOf('number');
    }
  });

  it('parseMkv yields the frames before an error in the same chunk', async () => {
    const b = head().start(Id.Segment, { unknown: true }).start(Id.Cluster, { unknown: true }).uint(Id.Timestamp, 0);
    for (let i = 0; i < 3; i++) b.binary(Id.SimpleBlock, Uint8Array.of(0x81, 0, i, 0x80, 0xaa));
    b.bytes(Uint8Array.of(0x00)); // not an element ID
    const bytes = b.toBytes();
    const handlerFrames: string[] = [];
    const parser = new MkvParser(logHandler(handlerFrames));
    expect(() => parser.push(bytes)).toThrow(KvsError);
    expect(handlerFrames.filter((e) => e.startsWith('F '))).toHaveLength(3);

    let frames = 0;
    await expect(
      (async () => {
        for await (const e of parseMkv([bytes])) if (e.type === 'frame') frames++;
      })(),
    ).rejects.toThrow(KvsError);
    expect(frames).toBe(3);
  });
});
