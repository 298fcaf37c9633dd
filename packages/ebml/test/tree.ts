// Random Matroska-shaped element trees for property tests: serialised with EbmlBuilder,
// with the exact event list a correct reader must produce.
import { EbmlBuilder, type EbmlHandler, Id, UNKNOWN_SIZE } from '@kvs-ts/ebml';
import fc from 'fast-check';

export type Node =
  | { kind: 'master'; id: number; unknown: boolean; sizeLen: number; children: Node[] }
  | { kind: 'leaf'; id: number; data: Uint8Array; sizeLen?: number };

export type Event = string;

const leaf = (id: number, data: fc.Arbitrary<Uint8Array>) =>
  fc.record({
    kind: fc.constant('leaf' as const),
    id: fc.constant(id),
    data,
    sizeLen: fc.option(fc.integer({ min: 4, max: 8 }), { nil: undefined }),
  });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const master = (id: number, children: fc.Arbitrary<Node[]>, unknownAllowed: boolean) =>
  fc.record({
    kind: fc.constant('master' as const),
    id: fc.constant(id),
    unknown: unknownAllowed ? fc.boolean() : fc.constant(false),
    sizeLen: fc.integer({ min: 4, max: 8 }),
    children,
  });

// An ID that is in no Matroska table: readers must skip it silently.
export const FOREIGN_ID = 0x4abc;

/**
 * One to three EBML header + Segment pairs back to back, as GetMedia sends; Segments and
 * Clusters may have unknown sizes when `unknown` is set.
 */
export function makeArbStream(unknown: boolean): fc.Arbitrary<Node[]> {
  const simpleBlock = leaf(Id.SimpleBlock, bytes(300));
  const blockGroup = master(
    Id.BlockGroup,
    fc.tuple(leaf(Id.Block, bytes(100)), leaf(Id.BlockDuration, bytes(2))).map((t) => [...t] as Node[]),
    false,
  );
  const cluster = master(
    Id.Cluster,
    fc
      .tuple(
        leaf(Id.Timestamp, bytes(8)),
        fc.array(fc.oneof(simpleBlock, simpleBlock, blockGroup, leaf(Id.Void, bytes(5))), { maxLength: 8 }),
      )
      .map(([t, rest]) => [t, ...rest] as Node[]),
    unknown,
  );
  const tags = master(
    Id.Tags,
    fc
      .array(
        master(
          Id.Tag,
          fc
            .array(
              master(
                Id.SimpleTag,
                fc.tuple(leaf(Id.TagName, bytes(10)), leaf(Id.TagString, bytes(10))).map((t) => [...t] as Node[]),
                false,
              ),
              {
                maxLength: 3,
              },
            )
            .map((x) => x as Node[]),
          false,
        ),
        { maxLength: 2 },
      )
      .map((x) => x as Node[]),
    false,
  );
  const info = master(
    Id.Info,
    fc
      .tuple(leaf(Id.TimestampScale, bytes(4)), leaf(Id.Title, bytes(20)), leaf(FOREIGN_ID, bytes(20)))
      .map((t) => [...t] as Node[]),
    false,
  );
  const tracks = master(
    Id.Tracks,
    fc
      .array(
        master(
          Id.TrackEntry,
          fc
            .tuple(leaf(Id.TrackNumber, bytes(1)), leaf(Id.CodecID, bytes(16)), leaf(Id.CodecPrivate, bytes(64)))
            .map((t) => [...t] as Node[]),
          false,
        ),
        { minLength: 1, maxLength: 3 },
      )
      .map((x) => x as Node[]),
    false,
  );
  const segment = master(
    Id.Segment,
    fc
      .tuple(info, tracks, fc.array(fc.oneof(cluster, cluster, tags), { maxLength: 5 }))
      .map(([i, t, rest]) => [i, t, ...rest] as Node[]),
    unknown,
  );
  const ebmlHeader = master(
    Id.EBML,
    fc.tuple(leaf(Id.EBMLVersion, bytes(1)), leaf(Id.DocType, bytes(8))).map((t) => [...t] as Node[]),
    false,
  );

  return fc.array(fc.tuple(ebmlHeader, segment), { minLength: 1, maxLength: 3 }).map((pairs) => pairs.flat() as Node[]);
}

/** Streams with unknown-size Segments and Clusters allowed. */
export const arbStream: fc.Arbitrary<Node[]> = makeArbStream(true);

const hex = (d: Uint8Array) => Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');

/** Serialises `nodes`; returns the bytes and the events a reader must report. */
export function serialise(
  nodes: Node[],
  skip: ReadonlySet<number> = new Set(),
): { bytes: Uint8Array; events: Event[] } {
  const b = new EbmlBuilder(1024);
  const events: Event[] = [];
  const walk = (n: Node, muted: boolean) => {
    const headerOffset = b.length;
    if (n.kind === 'leaf') {
      b.binary(n.id, n.data, n.sizeLen);
      if (!muted && !skip.has(n.id) && n.id !== FOREIGN_ID)
        events.push(`leaf ${n.id.toString(16)} @${b.length - n.data.length} ${hex(n.data)}`);
      return;
    }
    const m = muted || skip.has(n.id);
    b.start(n.id, n.unknown ? { unknown: true } : { sizeLen: n.sizeLen });
    const size = n.unknown ? UNKNOWN_SIZE : -2; // patched below for sized masters
    const startIndex = events.length;
    if (!m) events.push(`start ${n.id.toString(16)} @${headerOffset}`);
    for (const c of n.children) walk(c, m);
    if (!n.unknown) b.end();
    if (!m) {
      const dataOffset = headerOffset + (b.length - headerOffset) - contentLength(n);
      events[startIndex] =
        `start ${n.id.toString(16)} @${headerOffset} size ${size === UNKNOWN_SIZE ? 'unknown' : b.length - dataOffset} data@${dataOffset}`;
      events.push(`end ${n.id.toString(16)} @${b.length}`);
    }
  };
  for (const n of nodes) walk(n, false);
  return { bytes: b.toBytes(), events };
}

function contentLength(n: Node): number {
  if (n.kind === 'leaf') return 0;
  let total = 0;
  for (const c of n.children) total += nodeLength(c);
  return total;
}

function nodeLength(n: Node): number {
  const idLen = n.id < 0x100 ? 1 : n.id < 0x10000 ? 2 : n.id < 0x1000000 ? 3 : 4;
  if (n.kind === 'leaf') {
    let sl = n.sizeLen ?? 1;
    if (n.sizeLen === undefined) while (sl < 8 && n.data.length >= 2 ** (7 * sl) - 1) sl++;
    return idLen + sl + n.data.length;
  }
  return idLen + (n.unknown ? 1 : n.sizeLen) + contentLength(n);
}

/** A handler that records events in the same notation. */
export function recorder(): { handler: EbmlHandler; events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    handler: {
      onMasterStart(id, size, headerOffset, dataOffset) {
        events.push(
          `start ${id.toString(16)} @${headerOffset} size ${size === UNKNOWN_SIZE ? 'unknown' : size} data@${dataOffset}`,
        );
        return true;
      },
      onMasterEnd(id, end) {
        events.push(`end ${id.toString(16)} @${end}`);
      },
      onLeaf(id, data, dataOffset) {
        events.push(`leaf ${id.toString(16)} @${dataOffset} ${hex(data)}`);
      },
    },
  };
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
export function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
