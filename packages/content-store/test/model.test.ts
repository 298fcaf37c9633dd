// Model-based test: random puts, sends, ACKs of every kind, error ACKs, reconnects with rollback
// and header fix-up, persisted trims, drops under both overflow and both pressure policies, on
// several streams sharing one store — checked against test/model.ts after every command.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockSizeFor,
  ContentStore,
  ContentStorePressurePolicy,
  type ContentView,
  ContentViewOverflowPolicy,
  PressureSignal,
  type RemovedItem,
  RemoveReason,
  StreamingType,
  ViewItemFlags,
} from '../src/index';
import { FRAME, MIB } from './helpers';
import { ModelView, type ViewConfig } from './model';

const STORAGE_SIZE = 10 * MIB;
const { FRAGMENT_START, FRAGMENT_END, STREAM_START, BUFFERING_ACK, RECEIVED_ACK, PERSISTED_ACK, SKIP_ITEM } =
  ViewItemFlags;

interface Model {
  views: ModelView[];
  seed: number;
}

interface Real {
  store: ContentStore;
  views: ContentView[];
  logs: RemovedItem[][];
}

type Cmd = fc.Command<Model, Real>;

/** How often interesting situations came up, so a weak generator shows (printed per property). */
const seen = new Map<string, number>();
const bump = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

// Payload bytes: a 1021-byte pseudo-random period (prime, so misplaced blocks show) offset by seed.
const PERIOD = 1021;
const TABLE = (() => {
  const t = new Uint8Array(2 * PERIOD);
  let x = 12345;
  for (let i = 0; i < PERIOD; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    t[i] = t[i + PERIOD] = x >>> 24;
  }
  return t;
})();

function payload(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const start = (seed * 379) % PERIOD;
  out.set(TABLE.subarray(start, start + Math.min(length, PERIOD)));
  for (let filled = PERIOD; filled < length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, length - filled));
  return out;
}

function samePayload(bytes: Uint8Array, seed: number, length: number): boolean {
  if (bytes.length !== length) return false;
  const start = (seed * 379) % PERIOD;
  for (let i = 0; i < length; i++) if (bytes[i] !== TABLE[start + (i % PERIOD)]) return false;
  return true;
}

function statusOf(error: unknown): string {
  return error instanceof Error ? error.message.split(':')[0] : String(error);
}

/** Compares everything observable of every view with the model, and the store's own checks. */
function verify(m: Model, r: Real): void {
  r.store.checkConsistency();
  m.views.forEach((mv, i) => {
    const rv = r.views[i];
    expect([rv.tail, rv.current, rv.head, rv.inFlight]).toEqual([mv.tail, mv.current, mv.head, mv.pin]);
    for (const item of mv.items) {
      expect(rv.item(item.index)).toEqual({
        index: item.index,
        dts: item.dts,
        pts: item.pts,
        duration: item.duration,
        length: item.length,
        flags: item.flags,
      });
      expect(rv.itemOwnPts(item.index)).toBe(item.ownPts);
      expect(rv.itemFragment(item.index)).toBe(item.fragment);
      expect(rv.itemStream(item.index)).toBe(item.stream);
      expect(rv.streamStartHeader(item.index)?.length).toBe(item.header?.length);
    }
    expect(r.logs[i]).toEqual(mv.log);
    expect(rv.metrics()).toEqual(mv.metrics());
  });
}

class PutCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly length: number,
    readonly dtsStep: number,
    readonly ptsJitter: number,
    readonly duration: number,
    readonly kind: 'key' | 'delta' | 'eofr' | 'backwards',
    readonly shape: 'whole' | 'pieces' | 'reserve',
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    const cfg = mv.config;
    const nonEmpty = mv.items.length > 0;
    const backwards = this.kind === 'backwards' && nonEmpty && mv.lastDts > 0;
    const dts = backwards ? mv.lastDts - 1 : mv.lastDts + this.dtsStep;
    const pts = dts + this.ptsJitter;
    let flags = this.kind === 'key' ? FRAGMENT_START : this.kind === 'eofr' ? FRAGMENT_END : 0;
    if (mv.puts === 0) flags |= STREAM_START | FRAGMENT_START;
    const seed = m.seed++;
    const data = payload(seed, this.length);
    const need = blockSizeFor(this.length);
    const tooBig = this.length > r.store.maxItemSize;
    const canAlloc = !tooBig && r.store.heap.canAlloc(need);
    const fullBefore = mv.isFull();
    if (fullBefore && mv.pin === mv.tail) bump('overflow with the in-flight item at the tail');
    if (!canAlloc && !tooBig) bump(`no room, pressure policy ${cfg.pressurePolicy}`);
    const logStart = r.logs[i].length;
    let error: unknown;
    let signals = -1;
    try {
      if (this.shape === 'reserve') {
        rv.reserve(dts, pts, this.duration, flags, this.length).set(data);
        signals = rv.commit();
      } else if (this.shape === 'pieces') {
        const cut = Math.floor(this.length / 3);
        signals = rv.put(dts, pts, this.duration, flags, [data.subarray(0, cut), data.subarray(cut)]);
      } else {
        signals = rv.put(dts, pts, this.duration, flags, data);
      }
    } catch (e) {
      error = e;
    }
    const fresh = r.logs[i].slice(logStart);
    for (const x of fresh) bump(`removed, reason ${x.reason}, sent ${x.sent}`);
    const fail = (status: string) => {
      expect(statusOf(error)).toBe(status);
      expect(fresh).toEqual([]);
    };
    if (backwards) {
      fail('STATUS_CONTENT_VIEW_INVALID_TIMESTAMP');
      return;
    }
    if (tooBig) {
      fail('STATUS_INVALID_ALLOCATION_SIZE');
      return;
    }
    if (cfg.streamingType === StreamingType.OFFLINE && (fullBefore || !canAlloc)) {
      fail('STATUS_STORE_OUT_OF_MEMORY');
      return;
    }
    if (!canAlloc) {
      if (cfg.pressurePolicy === ContentStorePressurePolicy.OOM) {
        fail('STATUS_STORE_OUT_OF_MEMORY');
        return;
      }
      // The store decides how many eviction steps it took (fragmentation); the model checks
      // that each step removed exactly what the policy says.
      let seen = 0;
      while (seen < fresh.length && fresh[seen].reason === RemoveReason.STORAGE_PRESSURE) {
        const before = mv.log.length;
        expect(mv.trimTailItems(RemoveReason.STORAGE_PRESSURE)).toBeGreaterThan(0);
        seen += mv.log.length - before;
      }
      if (error !== undefined) {
        expect(statusOf(error)).toBe('STATUS_STORE_OUT_OF_MEMORY');
        expect(mv.evictable()).toBe(false);
        expect(seen).toBe(fresh.length);
        return;
      }
    } else {
      expect(fresh.some((x) => x.reason === RemoveReason.STORAGE_PRESSURE)).toBe(false);
    }
    expect(error).toBeUndefined();
    if (mv.isFull()) mv.trimTailItems(RemoveReason.VIEW_OVERFLOW);
    mv.append(dts, pts, this.duration, flags, this.length, seed);
    let expected = PressureSignal.NONE;
    if (cfg.streamingType !== StreamingType.OFFLINE) {
      const remaining = STORAGE_SIZE - r.store.allocatedSize;
      if (Math.floor((remaining / STORAGE_SIZE) * 100) <= 5) {
        expected |= PressureSignal.STORAGE;
        mv.counters.storagePressures++;
      }
      const left = Math.max(0, cfg.bufferDuration - mv.overallDuration());
      if (cfg.retentionPeriod !== 0 && Math.floor((left / cfg.bufferDuration) * 100) <= 5) {
        expected |= PressureSignal.BUFFER_DURATION;
        mv.counters.bufferPressures++;
      }
    }
    if (cfg.maxLatency !== 0 && mv.currentDuration() > cfg.maxLatency) {
      expected |= PressureSignal.LATENCY;
      mv.counters.latencyPressures++;
    }
    expect(signals).toBe(expected);
    verify(m, r);
  }

  toString(): string {
    return `put(v${this.v}, ${this.length} B, +${this.dtsStep}, ~${this.ptsJitter}, d${this.duration}, ${this.kind}, ${this.shape})`;
  }
}

class GetNextCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly toBoundary: boolean,
    readonly release: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    const got = rv.getNext(this.toBoundary);
    expect(got).toBe(mv.getNext(this.toBoundary));
    if (got !== -1) {
      const item = mv.at(got);
      expect(samePayload(rv.itemData(got), item.seed, item.length)).toBe(true);
      if (item.header !== null) {
        expect(samePayload(rv.streamStartHeader(got)!, item.header.seed, item.header.length)).toBe(true);
      }
    }
    if (this.release) {
      rv.releaseInFlight();
      mv.pin = -1;
    }
    verify(m, r);
  }

  toString(): string {
    return `getNext(v${this.v}${this.toBoundary ? ', boundary' : ''}${this.release ? ', release' : ''})`;
  }
}

class AckCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly kind: 'BUFFERING' | 'RECEIVED' | 'PERSISTED',
    readonly pick: number,
    readonly offset: number,
    readonly byPts: boolean,
    readonly trim: boolean,
    readonly sentOnly: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    let ts = this.offset;
    // ACKs mostly name fragments that were sent.
    const sent = mv.current - mv.tail;
    const span = this.sentOnly && sent > 0 ? sent : mv.items.length;
    if (span > 0) {
      const item = mv.items[this.pick % span];
      ts = (this.byPts ? item.pts : item.dts) + Math.round(this.offset * 0.001 * item.duration);
    }
    const found = rv.findItemByTimestamp(ts, this.byPts);
    expect(found).toBe(mv.find(ts, this.byPts));
    if (found !== -1) {
      const bit = this.kind === 'BUFFERING' ? BUFFERING_ACK : this.kind === 'RECEIVED' ? RECEIVED_ACK : PERSISTED_ACK;
      rv.setFlags(found, bit);
      mv.at(found).flags |= bit;
      if (this.trim && this.kind !== 'BUFFERING') {
        const trimmed = rv.trimToNextFragment(found);
        if (trimmed > 0) bump('trimmed after an ACK');
        expect(trimmed).toBe(mv.trimToNextFragment(found));
      }
    }
    verify(m, r);
  }

  toString(): string {
    return `ack(v${this.v}, ${this.kind}, #${this.pick}+${this.offset}‰, ${this.byPts ? 'pts' : 'dts'}${this.trim ? ', trim' : ''})`;
  }
}

class ErrorAckCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly pick: number,
    readonly back: number,
    readonly retriable: boolean,
  ) {}

  check(m: Readonly<Model>): boolean {
    return m.views[this.v % m.views.length].items.length > 0;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    const index = mv.tail + (this.pick % mv.items.length);
    if (this.retriable) {
      rv.setCurrent(index);
      mv.moveCurrent(index);
    } else {
      const startPts = this.back === 0 ? undefined : mv.at(Math.max(mv.tail, index - this.back)).pts;
      expect(rv.skipFragment(index, startPts)).toBe(mv.skipFragment(index, startPts));
    }
    verify(m, r);
  }

  toString(): string {
    return `errorAck(v${this.v}, #${this.pick}, back ${this.back}${this.retriable ? ', retriable' : ''})`;
  }
}

/**
 * Items given up outside the ERROR ACK path: one item dropped (a cut-off frame), orphans dropped up
 * to the next session start (from current, as a session start does, or anywhere), or a fragment
 * skipped for a connection that is not sending.
 */
class GiveUpCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly kind: 'drop' | 'orphans' | 'otherConnection',
    readonly pick: number,
    readonly fromCurrent: boolean,
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    const expected: [number, boolean][] = [];
    const got: [number, boolean][] = [];
    const report = (pts: number, fragmentStart: boolean) => got.push([pts, fragmentStart]);
    const skippedBefore = mv.counters.skippedFrames;
    if (this.kind === 'orphans') {
      const from = this.fromCurrent ? mv.current : mv.tail + (this.pick % (mv.head - mv.tail + 1));
      expect(rv.dropUntilFragmentStart(from, report)).toBe(mv.dropUntilFragmentStart(from, expected));
    } else if (mv.items.length > 0) {
      const index = mv.tail + (this.pick % mv.items.length);
      if (this.kind === 'drop') {
        expect(rv.dropItem(index, report)).toBe(mv.dropItem(index, expected));
      } else {
        rv.markFragmentSkipped(index);
        mv.markFragmentSkipped(index);
      }
    }
    if (got.length > 0 || mv.counters.skippedFrames > skippedBefore) bump(`given up by ${this.kind}`);
    expect(got).toEqual(expected);
    verify(m, r);
  }

  toString(): string {
    return `giveUp(v${this.v}, ${this.kind}, #${this.pick}${this.fromCurrent ? ', from current' : ''})`;
  }
}

class ReconnectCommand implements Cmd {
  constructor(
    readonly v: number,
    readonly replay: number,
    readonly hostAlive: boolean,
    readonly keyFrame: boolean,
    readonly headerLength: number,
  ) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    const mv = m.views[i];
    const rv = r.views[i];
    expect(rv.rollbackCurrent(this.replay, this.keyFrame, this.hostAlive)).toBe(
      mv.rollback(this.replay, this.keyFrame, this.hostAlive),
    );
    if (this.headerLength > 0 && mv.current < mv.head) {
      rv.clearStreamStartHeader();
      mv.clearHeader();
      const seed = m.seed++;
      const canAlloc = r.store.heap.canAlloc(blockSizeFor(this.headerLength));
      const ownStart = (mv.at(mv.current).flags & STREAM_START) !== 0;
      let result: boolean | undefined;
      let error: unknown;
      try {
        result = rv.setStreamStartHeader(mv.current, payload(seed, this.headerLength));
      } catch (e) {
        error = e;
      }
      if (ownStart) {
        expect(result).toBe(false);
      } else if (!canAlloc) {
        expect(statusOf(error)).toBe('STATUS_STORE_OUT_OF_MEMORY');
      } else {
        expect(result).toBe(mv.setHeader(mv.current, this.headerLength, seed));
      }
    }
    verify(m, r);
  }

  toString(): string {
    return `reconnect(v${this.v}, replay ${this.replay}, ${this.hostAlive ? 'alive' : 'dead'}${this.keyFrame ? '' : ', any item'}, header ${this.headerLength})`;
  }
}

class StalenessCommand implements Cmd {
  constructor(readonly v: number) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    expect(r.views[i].checkConnectionStaleness()).toBe(m.views[i].staleness());
    verify(m, r);
  }

  toString(): string {
    return `staleness(v${this.v})`;
  }
}

class RemoveAllCommand implements Cmd {
  constructor(readonly v: number) {}

  check(): boolean {
    return true;
  }

  run(m: Model, r: Real): void {
    const i = this.v % m.views.length;
    expect(r.views[i].removeAll()).toBe(m.views[i].removeAll());
    verify(m, r);
  }

  toString(): string {
    return `removeAll(v${this.v})`;
  }
}

const streamIndex = fc.nat({ max: 3 });

function putCommand(length: fc.Arbitrary<number>): fc.Arbitrary<Cmd> {
  return fc
    .record({
      v: streamIndex,
      length,
      dtsStep: fc.constantFrom(FRAME, FRAME, FRAME, 0, 3 * FRAME),
      ptsJitter: fc.constantFrom(0, 0, 0, FRAME, 3 * FRAME),
      duration: fc.constantFrom(FRAME, FRAME, 0, 2 * FRAME),
      kind: fc.constantFrom('key', 'key', 'delta', 'delta', 'delta', 'delta', 'delta', 'delta', 'eofr', 'backwards'),
      shape: fc.constantFrom('whole', 'whole', 'pieces', 'reserve'),
    })
    .map((c) => new PutCommand(c.v, c.length, c.dtsStep, c.ptsJitter, c.duration, c.kind, c.shape));
}

const getNextCommand: fc.Arbitrary<Cmd> = fc
  .record({
    v: streamIndex,
    toBoundary: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
    release: fc.boolean(),
  })
  .map((c) => new GetNextCommand(c.v, c.toBoundary, c.release));

const ackCommand: fc.Arbitrary<Cmd> = fc
  .record({
    v: streamIndex,
    kind: fc.constantFrom('BUFFERING', 'RECEIVED', 'PERSISTED'),
    pick: fc.nat(),
    offset: fc.constantFrom(0, 0, 500, 1000, 1500, -100),
    byPts: fc.boolean(),
    trim: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
    sentOnly: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
  })
  .map((c) => new AckCommand(c.v, c.kind, c.pick, c.offset, c.byPts, c.trim, c.sentOnly));

const errorAckCommand: fc.Arbitrary<Cmd> = fc
  .record({ v: streamIndex, pick: fc.nat(), back: fc.nat({ max: 3 }), retriable: fc.boolean() })
  .map((c) => new ErrorAckCommand(c.v, c.pick, c.back, c.retriable));

const giveUpCommand: fc.Arbitrary<Cmd> = fc
  .record({
    v: streamIndex,
    kind: fc.constantFrom('drop', 'orphans', 'orphans', 'otherConnection'),
    pick: fc.nat(),
    fromCurrent: fc.boolean(),
  })
  .map((c) => new GiveUpCommand(c.v, c.kind, c.pick, c.fromCurrent));

const reconnectCommand: fc.Arbitrary<Cmd> = fc
  .record({
    v: streamIndex,
    replay: fc.constantFrom(0, FRAME, 5 * FRAME, 20 * FRAME, 100 * FRAME),
    hostAlive: fc.boolean(),
    keyFrame: fc.integer({ min: 0, max: 4 }).map((n) => n !== 0),
    headerLength: fc.constantFrom(0, 0, 40, 700),
  })
  .map((c) => new ReconnectCommand(c.v, c.replay, c.hostAlive, c.keyFrame, c.headerLength));

const stalenessCommand: fc.Arbitrary<Cmd> = streamIndex.map((v) => new StalenessCommand(v));
const removeAllCommand: fc.Arbitrary<Cmd> = streamIndex.map((v) => new RemoveAllCommand(v));

/** fc.commands picks arbitraries uniformly: repeating one weights it. */
function weighted(entries: [fc.Arbitrary<Cmd>, number][]): fc.Arbitrary<Cmd>[] {
  return entries.flatMap(([arb, n]) => Array<fc.Arbitrary<Cmd>>(n).fill(arb));
}

function viewConfig(pressurePolicies: ContentStorePressurePolicy[]): fc.Arbitrary<ViewConfig> {
  return fc.record({
    itemCount: fc.integer({ min: 11, max: 30 }),
    bufferDuration: fc.integer({ min: 8, max: 60 }).map((n) => n * FRAME),
    overflowPolicy: fc.constantFrom(
      ContentViewOverflowPolicy.DROP_TAIL_VIEW_ITEM,
      ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
    ),
    pressurePolicy: fc.constantFrom(...pressurePolicies),
    streamingType: fc.constantFrom(
      StreamingType.REALTIME,
      StreamingType.REALTIME,
      StreamingType.NEAR_REALTIME,
      StreamingType.OFFLINE,
    ),
    maxLatency: fc.constantFrom(0, 5 * FRAME, 20 * FRAME),
    connectionStalenessDuration: fc.constantFrom(0, 5 * FRAME),
    retentionPeriod: fc.constantFrom(0, 3600_000_000),
  });
}

/** The drop counters agree with the removal log: unsent, not SKIP, not trimmed by an ACK. */
function dropCountersMatchLog(rv: ContentView, _mv: ModelView, log: RemovedItem[]): void {
  const dropped = log.filter((x) => !x.sent && !(x.flags & SKIP_ITEM) && x.reason !== RemoveReason.ACKED);
  const metrics = rv.metrics();
  expect(metrics.droppedFrames + metrics.droppedFragments).toBe(dropped.length);
}

/** The same, plus the items dropItem counted when it gave them up (SKIP when they leave). */
function dropCountersMatchLogAndWalks(rv: ContentView, mv: ModelView, log: RemovedItem[]): void {
  const dropped = log.filter((x) => !x.sent && !(x.flags & SKIP_ITEM) && x.reason !== RemoveReason.ACKED);
  const metrics = rv.metrics();
  expect(metrics.droppedFrames + metrics.droppedFragments).toBe(dropped.length + mv.givenUpDropped);
}

/** Runs command sequences on a fresh store and its views, then tears every view down. */
// CI runs these properties from a fixed seed so that a run is reproducible (as the stream's wide
// model does); KVS_STORE_MODEL_SEED picks another, KVS_STORE_MODEL_SEED=random a fresh one, and
// KVS_STORE_MODEL_RUNS multiplies the number of runs for a longer search. To replay a failure, pass
// fast-check's seed, its `path` as KVS_STORE_MODEL_PATH and the commands' `replayPath` (printed
// after the counterexample) as KVS_STORE_MODEL_REPLAY. Seed 682654469 found the view losing a
// BUFFERING_ACK that moved with the in-flight item (docs/reviews/content-store-staleness.md).
const ENV = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
const SEED_ENV = ENV.KVS_STORE_MODEL_SEED;
const SEED = SEED_ENV === 'random' ? undefined : Number(SEED_ENV ?? 20261203);
const RUNS_FACTOR = Number(ENV.KVS_STORE_MODEL_RUNS ?? 1);
const REPLAY_PATH = ENV.KVS_STORE_MODEL_PATH;
const REPLAY_COMMANDS = ENV.KVS_STORE_MODEL_REPLAY;

/** The generator reached a situation at least once (not checked when replaying one case). */
function seenSome(stats: Map<string, number>, what: string): void {
  if (REPLAY_PATH === undefined) expect(stats.get(what) ?? 0, what).toBeGreaterThan(0);
}

function modelProperty(
  views: fc.Arbitrary<ViewConfig[]>,
  commands: fc.Arbitrary<Cmd>[],
  numRuns: number,
  dropCheck = dropCountersMatchLog,
): Map<string, number> {
  seen.clear();
  const setupArb = fc.record({ arenaSize: fc.constantFrom(undefined, undefined, 1 * MIB, 3 * MIB), views });
  fc.assert(
    fc.property(
      setupArb,
      fc.commands(commands, { maxCommands: 250, size: 'max', replayPath: REPLAY_COMMANDS }),
      (config, cmds) => {
        const store = new ContentStore({ storageSize: STORAGE_SIZE, arenaSize: config.arenaSize });
        const logs: RemovedItem[][] = config.views.map(() => []);
        const real: Real = {
          store,
          logs,
          views: config.views.map((cfg, id) =>
            store.createView({ ...cfg, onRemove: (item) => logs[id].push({ ...item }) }),
          ),
        };
        const model: Model = { views: config.views.map((cfg, id) => new ModelView(id, cfg)), seed: 0 };
        fc.modelRun(() => ({ model, real }), cmds);

        // Every frame put is reported exactly once — delivered (sent, or trimmed after an ACK),
        // skipped, or dropped — its bytes were intact to the end, and the drop counters agree.
        real.views.forEach((rv, i) => {
          const mv = model.views[i];
          for (const item of mv.items) expect(samePayload(rv.itemData(item.index), item.seed, item.length)).toBe(true);
          rv.removeAll();
          mv.removeAll();
          expect(logs[i]).toEqual(mv.log);
          expect(logs[i].length).toBe(mv.puts);
          dropCheck(rv, mv, logs[i]);
        });
        store.checkConsistency();
        expect(store.allocatedSize).toBe(0);
      },
    ),
    {
      numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)),
      seed: SEED,
      ...(REPLAY_PATH ? { path: REPLAY_PATH, endOnFailure: true } : {}),
    },
  );
  return new Map(seen);
}

describe('content store against the reference model', () => {
  it('matches the model for random streams sharing one store', () => {
    const lengths = fc.oneof(
      { weight: 10, arbitrary: fc.integer({ min: 1, max: 3000 }) },
      { weight: 4, arbitrary: fc.integer({ min: 3000, max: 400_000 }) },
      { weight: 6, arbitrary: fc.integer({ min: 400_000, max: 1_500_000 }) },
    );
    const commands = weighted([
      [putCommand(lengths), 5],
      [getNextCommand, 4],
      [ackCommand, 2],
      [errorAckCommand, 1],
      [reconnectCommand, 1],
      [stalenessCommand, 1],
      [removeAllCommand, 1],
    ]);
    const { OOM, DROP_TAIL_ITEM } = ContentStorePressurePolicy;
    const stats = modelProperty(
      fc.array(viewConfig([OOM, DROP_TAIL_ITEM]), { minLength: 1, maxLength: 4 }),
      commands,
      40,
    );
    console.log('mixed:', Object.fromEntries(stats));
    seenSome(stats, 'trimmed after an ACK');
    seenSome(stats, `removed, reason ${RemoveReason.VIEW_OVERFLOW}, sent true`);
  });

  it('matches the model when big frames keep the store under pressure', () => {
    const lengths = fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) },
      { weight: 4, arbitrary: fc.integer({ min: 200_000, max: 1_000_000 }) },
    );
    const commands = weighted([
      [putCommand(lengths), 8],
      [getNextCommand, 3],
      [ackCommand, 1],
      [reconnectCommand, 1],
    ]);
    const { OOM, DROP_TAIL_ITEM } = ContentStorePressurePolicy;
    const configs = fc.array(viewConfig([OOM, DROP_TAIL_ITEM, DROP_TAIL_ITEM]), { minLength: 2, maxLength: 3 });
    const stats = modelProperty(configs, commands, 30);
    console.log('pressure:', Object.fromEntries(stats));
    seenSome(stats, `removed, reason ${RemoveReason.STORAGE_PRESSURE}, sent false`);
    seenSome(stats, `no room, pressure policy ${OOM}`);
  });

  it('matches the model when items are dropped and skipped outside the ERROR ACK path', () => {
    const lengths = fc.integer({ min: 1, max: 3000 });
    const commands = weighted([
      [putCommand(lengths), 5],
      [getNextCommand, 3],
      [ackCommand, 2],
      [errorAckCommand, 1],
      [giveUpCommand, 2],
      [reconnectCommand, 1],
      [removeAllCommand, 1],
    ]);
    const { OOM, DROP_TAIL_ITEM } = ContentStorePressurePolicy;
    const configs = fc.array(viewConfig([OOM, DROP_TAIL_ITEM]), { minLength: 1, maxLength: 3 });
    const stats = modelProperty(configs, commands, 30, dropCountersMatchLogAndWalks);
    console.log('give up:', Object.fromEntries(stats));
    for (const kind of ['drop', 'orphans', 'otherConnection']) {
      seenSome(stats, `given up by ${kind}`);
    }
  });
});
