// The whole producer path of one stream: putFrame (MKV packaging into the content store) →
// getStreamData (the upload handle drained in ≤ 64 KiB slices, as a transport would) → a
// PERSISTED ACK per fragment (its cluster timecode, computed from the key frame's PTS), for
// 1 KB and 50 KB frames of one opaque video track, a key frame every 25 frames. Beside it, in
// the same run, a naive pipeline: an array of `slice()` copies, sliced to 64 KiB on the way
// out, shift()ed off on PERSISTED (no MKV at all, so it is a floor, not a rival). Then the heap
// and RSS over a million 1 KB frames in steady state, against the store's storageSize.
//
// The stream runs on a fake clock that never moves and a fake service whose calls succeed at
// once, so nothing but the data path is timed; no timer ever fires during the measurement.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ContentStore } from '@kvs-ts/content-store';
import { type FragmentAck, FragmentAckType, FrameFlags, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { type Clock, KinesisVideoStream, type StreamService, StreamState } from '@kvs-ts/stream';
import { Bench } from 'tinybench';
import { heapNow, mib, printTable } from './lib/report';

const FRAME_US = 40_000; // 25 fps
const GOP = 25; // a key frame, so a fragment, per second
const BATCH = 2_500;
const MAX_SLICE = 64 * 1024;
const START_US = 1_700_000_000_000_000;
/** Default timecode scale of a stream definition: 1 ms ticks, in µs. */
const TICK_US = 1000;
const STORAGE_SIZE = 128 * 1024 * 1024;

/** A clock that stays put: timers are kept and never run (no timer is due while we measure). */
class StillClock implements Clock {
  private seq = 0;
  private readonly timers = new Set<number>();
  now(): number {
    return START_US;
  }
  setTimeout(_fn: () => void, _delay: number): unknown {
    const id = ++this.seq;
    this.timers.add(id);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
}

/** A control plane whose every call succeeds at once; the token outlives the benchmark. */
const service: StreamService<string> = {
  describeStream: async (streamName) => ({
    result: R.OK,
    description: {
      streamName,
      streamArn: `arn:aws:kinesisvideo:us-west-2:123456789012:stream/${streamName}/1`,
      status: 'ACTIVE',
    },
  }),
  createStream: async () => ({ result: R.OK, streamArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/b/1' }),
  tagStream: async () => ({ result: R.OK }),
  getDataEndpoint: async () => ({ result: R.OK, endpoint: 'https://s-1234.kinesisvideo.us-west-2.amazonaws.com' }),
  getStreamingToken: async () => ({ result: R.OK, token: 'token', expiration: START_US + 3_600_000_000 }),
  putStream: async () => ({ result: R.OK }),
};

async function microtasks(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

interface Cycle {
  /** Runs `count` frames through put → drain → PERSISTED; returns the bytes handed to the "network". */
  run(count: number): number;
  /** Throws unless the cycle stayed in steady state (trimmed by ACKs, nothing dropped or rejected). */
  check(): void;
}

/** The real thing: a KinesisVideoStream over a ContentStore, its upload handle drained after every frame. */
class StreamCycle implements Cycle {
  readonly store = new ContentStore({ storageSize: STORAGE_SIZE });
  readonly stream: KinesisVideoStream<string>;
  private handle = -1;
  private n = 0;
  private lastKeyPts = -1;
  private badAcks = 0;
  private dropped = 0;
  /** Every byte pulled, for the one-off MKV check (off while timing). */
  record: Uint8Array[] | undefined;

  private constructor(private readonly frame: Uint8Array) {
    this.stream = new KinesisVideoStream({
      definition: { streamName: 'bench', tracks: [OPAQUE_TRACK], nalAdaptationFlags: 0 },
      store: this.store,
      service,
      clock: new StillClock(),
      random: () => 0.5,
      intermittentProducer: false,
    });
    this.stream.on('droppedFrame', () => this.dropped++);
  }

  /** A started stream with its first connection open (the first frame is already sent). */
  static async open(frame: Uint8Array, record = false): Promise<StreamCycle> {
    const c = new StreamCycle(frame);
    if (record) c.record = [];
    c.stream.start();
    await microtasks();
    if (c.stream.state !== StreamState.READY) throw new Error(`not READY: ${c.stream.state}`);
    c.put(); // data opens the PutMedia connection
    await microtasks();
    const handles = c.stream.uploadHandles;
    const state = c.stream.state as StreamState; // it moved on since the check above; TS keeps that narrowing
    if (state !== StreamState.STREAMING || handles.length !== 1)
      throw new Error(`no connection: state ${state}, ${handles.length} handles`);
    c.handle = handles[0].handle;
    c.drain();
    return c;
  }

  private put(): boolean {
    const n = this.n++;
    const pts = START_US + n * FRAME_US;
    const key = n % GOP === 0;
    this.stream.putFrame({
      trackId: 1,
      pts,
      dts: pts,
      duration: FRAME_US,
      flags: key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
      data: this.frame,
    });
    if (!key) return false;
    const previous = this.lastKeyPts;
    this.lastKeyPts = pts;
    return previous >= 0;
  }

  private drain(): number {
    const stream = this.stream;
    let sent = 0;
    for (;;) {
      const r = stream.getStreamData(this.handle, MAX_SLICE);
      if (r.status !== StatusCode.STATUS_SUCCESS) break;
      sent += r.data.length;
      this.record?.push(r.data.slice());
    }
    return sent;
  }

  run(count: number): number {
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const fragmentDone = this.put();
      sent += this.drain();
      if (fragmentDone) {
        // The previous fragment is complete and sent: the service persists it and says so.
        const previousKeyPts = this.lastKeyPts - GOP * FRAME_US;
        const ack: FragmentAck = {
          ackType: FragmentAckType.PERSISTED,
          timecode: previousKeyPts / TICK_US,
          fragmentNumber: '91343852333181432392682062607743920146264510231',
          result: R.OK,
        };
        if (this.stream.fragmentAck(this.handle, ack) !== StatusCode.STATUS_SUCCESS) this.badAcks++;
      }
    }
    return sent;
  }

  check(): void {
    const m = this.stream.metrics();
    const problems: string[] = [];
    if (m.overallViewItemCount > 2 * GOP) problems.push(`${m.overallViewItemCount} items buffered`);
    if (m.droppedFrames !== 0 || this.dropped !== 0) problems.push(`${m.droppedFrames + this.dropped} dropped`);
    if (this.badAcks !== 0) problems.push(`${this.badAcks} ACKs not applied`);
    if (m.persistedAcks < Math.floor(this.n / GOP) - 1) problems.push(`${m.persistedAcks} PERSISTED ACKs`);
    if (this.stream.error) problems.push(`failed: ${this.stream.error.message}`);
    if (problems.length > 0) throw new Error(`stream not steady: ${problems.join(', ')}`);
  }
}

const OPAQUE_TRACK = { trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 as const };

interface NaiveItem {
  pts: number;
  key: boolean;
  data: Uint8Array;
}

/** What one would write first: objects in an array, a copy per frame, 64 KiB subarrays out, shift() to trim. */
class NaiveCycle implements Cycle {
  private readonly items: NaiveItem[] = [];
  private current = 0;
  private n = 0;
  private lastKeyPts = -1;

  constructor(private readonly frame: Uint8Array) {}

  run(count: number): number {
    const items = this.items;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const n = this.n++;
      const pts = START_US + n * FRAME_US;
      const key = n % GOP === 0;
      items.push({ pts, key, data: this.frame.slice() });
      for (; this.current < items.length; this.current++) {
        const data = items[this.current].data;
        for (let off = 0; off < data.length; off += MAX_SLICE)
          sent += data.subarray(off, Math.min(data.length, off + MAX_SLICE)).length;
      }
      if (key && this.lastKeyPts >= 0) {
        // PERSISTED for the previous fragment: find its start by PTS, drop it and what follows up to the next start.
        const timecode = this.lastKeyPts / TICK_US;
        let acked = 0;
        while (acked < items.length && items[acked].pts !== timecode * TICK_US) acked++;
        let boundary = acked + 1;
        while (boundary < items.length && !items[boundary].key) boundary++;
        if (boundary < items.length) {
          for (let k = 0; k < boundary; k++) items.shift();
          this.current -= boundary;
        }
      }
      if (key) this.lastKeyPts = pts;
    }
    return sent;
  }

  check(): void {
    if (this.items.length > 2 * GOP) throw new Error(`naive not steady: ${this.items.length} items`);
  }
}

function frameOf(size: number): Uint8Array {
  const frame = new Uint8Array(size);
  for (let i = 0; i < size; i++) frame[i] = (i * 31) & 0xff;
  return frame;
}

/** Before timing anything: the bytes pulled are an MKV stream whose clusters carry the timecodes we ACK. */
async function verify(): Promise<void> {
  const frames = 3 * GOP + 1;
  const c = await StreamCycle.open(frameOf(1000), true);
  c.run(frames - 1);
  c.check();
  const clusters: number[] = [];
  let seen = 0;
  const parser = new MkvParser({
    clusterStart: (cluster) => clusters.push(cluster.timecode),
    frame: () => seen++,
  });
  for (const bytes of c.record ?? []) parser.push(bytes);
  const expected = [0, 1, 2, 3].map((k) => (START_US + k * GOP * FRAME_US) / TICK_US);
  if (JSON.stringify(clusters) !== JSON.stringify(expected) || seen !== frames)
    throw new Error(`unexpected MKV: clusters ${clusters}, ${seen} frames`);
  c.stream.free();
}

async function throughput(): Promise<void> {
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  const cases: Array<{ name: string; size: number; cycle: Cycle }> = [];
  for (const size of [1000, 50_000]) {
    cases.push({ name: `stream, ${size / 1000} KB`, size, cycle: await StreamCycle.open(frameOf(size)) });
    cases.push({ name: `naive array, ${size / 1000} KB`, size, cycle: new NaiveCycle(frameOf(size)) });
  }
  let sink = 0;
  for (const c of cases)
    bench.add(c.name, () => {
      sink += c.cycle.run(BATCH);
    });
  await bench.run();
  if (sink < 0) throw new Error('unreachable');
  for (const c of cases) c.cycle.check();
  const fps = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    return (BATCH * 1000) / result.period;
  });
  const rows = cases.map((c, i) => {
    const naive = i % 2 === 0 ? fps[i + 1] : fps[i];
    return {
      case: c.name,
      'frames/s': Math.round(fps[i]).toLocaleString('en-US'),
      'MB/s': ((fps[i] * c.size) / 1e6).toFixed(0),
      'ns/frame': (1e9 / fps[i]).toFixed(0),
      'vs naive': `${(fps[i] / naive).toFixed(2)}×`,
    };
  });
  console.log(`\nputFrame → getStreamData (≤ 64 KiB) → PERSISTED per fragment, one stream, key frame every ${GOP}`);
  printTable(rows);
}

interface HeapRow {
  before: number;
  after: number;
  peak: number;
  rssStart: number;
  rssPeak: number;
  maxRss: number;
  reserved: number;
  framesPerSecond: number;
}

const HEAP_FRAMES = 1_000_000;
const HEAP_STEP = 100_000;

/** One heap case, alone in this process so that its RSS is its own. */
async function heapCase(name: string): Promise<HeapRow> {
  const rssStart = process.memoryUsage().rss;
  const frame = frameOf(1000);
  const cycle: Cycle = name === 'stream' ? await StreamCycle.open(frame) : new NaiveCycle(frame);
  cycle.run(10 * BATCH); // warm up: JIT, and for the stream its first arena pages
  const before = heapNow();
  let peak = before;
  let rssPeak = process.memoryUsage().rss;
  const started = performance.now();
  for (let done = 0; done < HEAP_FRAMES; done += HEAP_STEP) {
    cycle.run(HEAP_STEP);
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
    rssPeak = Math.max(rssPeak, m.rss);
  }
  const elapsed = performance.now() - started;
  cycle.check();
  return {
    before,
    after: heapNow(),
    peak,
    rssStart,
    rssPeak,
    maxRss: process.resourceUsage().maxRSS * 1024,
    reserved: cycle instanceof StreamCycle ? cycle.store.reservedSize : 0,
    framesPerSecond: (HEAP_FRAMES * 1000) / elapsed,
  };
}

/** Runs each heap case in a fresh process (same flags) and prints them side by side. */
function heapGrowth(): void {
  const rows: Array<Record<string, string>> = [];
  let reserved = 0;
  for (const name of ['stream', 'naive array']) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), HEAP_FLAG, name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`heap case ${name} failed (${child.status})`);
    const r = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as HeapRow;
    if (r.reserved > 0) reserved = r.reserved;
    rows.push({
      case: `${name}, 1 KB`,
      'heap+buffers before': mib(r.before),
      'after (GC)': mib(r.after),
      growth: `${((r.after - r.before) / 1024).toFixed(0)} KiB`,
      'peak between GCs': mib(r.peak),
      'RSS at start': mib(r.rssStart),
      'peak RSS': mib(r.rssPeak),
      'max RSS': mib(r.maxRss),
      'frames/s': Math.round(r.framesPerSecond).toLocaleString('en-US'),
    });
  }
  console.log(
    `\nheap over ${HEAP_FRAMES.toLocaleString('en-US')} frames, each case in its own process (heapUsed + arrayBuffers${gc ? ', after gc()' : ', no --expose-gc'}; RSS sampled every ${HEAP_STEP.toLocaleString('en-US')} frames; max RSS from getrusage)`,
  );
  printTable(rows);
  console.log(`stream's store: storageSize ${mib(STORAGE_SIZE)}, arenas reserved ${mib(reserved)}`);
}

const HEAP_FLAG = '--heap-case';

const heapFlag = process.argv.indexOf(HEAP_FLAG);
if (heapFlag !== -1) {
  console.log(JSON.stringify(await heapCase(process.argv[heapFlag + 1])));
} else {
  await verify();
  await throughput();
  heapGrowth();
}
