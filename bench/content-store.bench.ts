// Content store: the put → send → PERSISTED cycle a stream runs for every frame (1 KB and 50 KB
// frames, a fragment per 25 frames, each fragment acknowledged once the next one is sent),
// beside a naive store in the same run (an array of objects holding a `slice()` copy, shifted
// off on PERSISTED). Then the heap over a million frames, with forced GC before each reading.
import {
  ContentStore,
  ContentStorePressurePolicy,
  type ContentView,
  ContentViewOverflowPolicy,
  ViewItemFlags,
} from '@kvs-ts/content-store';
import { Bench } from 'tinybench';
import { heapNow, mib, printTable } from './lib/report';

const FRAME_US = 40_000;
const GOP = 25;
const BATCH = 2_500;
const { FRAGMENT_START, PERSISTED_ACK } = ViewItemFlags;

interface Cycle {
  /** Runs `count` frames through put → send → ACK; returns bytes handed to the "network". */
  run(count: number): number;
  /** Throws unless the cycle stayed in steady state (trimmed by ACKs, nothing dropped). */
  check(): void;
}

/** The real thing, the way the stream package drives it. */
class StoreCycle implements Cycle {
  private readonly view: ContentView;
  private n = 0;
  private fragmentStart = -1;

  constructor(private readonly frame: Uint8Array) {
    const store = new ContentStore({ storageSize: 128 * 1024 * 1024 });
    this.view = store.createView({
      bufferDuration: 120_000_000,
      frameRate: 25,
      overflowPolicy: ContentViewOverflowPolicy.DROP_UNTIL_FRAGMENT_START,
      pressurePolicy: ContentStorePressurePolicy.DROP_TAIL_ITEM,
    });
  }

  run(count: number): number {
    const view = this.view;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const n = this.n++;
      const t = n * FRAME_US;
      const key = n % GOP === 0;
      view.put(t, t, FRAME_US, key ? FRAGMENT_START : 0, this.frame);
      if (key && this.fragmentStart !== -1) {
        // The next fragment has begun: PERSISTED for the previous one (match its timecode, flag, trim).
        const acked = view.findItemByTimestamp(view.itemPts(this.fragmentStart));
        view.setFlags(acked, PERSISTED_ACK);
        view.trimToNextFragment(acked);
      }
      const index = view.getNext();
      if (key) this.fragmentStart = index;
      sent += view.itemData(index).length;
    }
    return sent;
  }

  /** Items kept and frames dropped: the cycle must stay ACK-trimmed, never overflow. */
  check(): void {
    const m = this.view.metrics();
    if (m.overallViewItemCount > 2 * GOP || m.droppedFrames !== 0) throw new Error(`not steady: ${JSON.stringify(m)}`);
  }
}

interface NaiveItem {
  dts: number;
  pts: number;
  duration: number;
  flags: number;
  data: Uint8Array;
}

/** What one would write first: objects in an array, a copy per frame, shift() to trim. */
class NaiveCycle implements Cycle {
  private readonly items: NaiveItem[] = [];
  private current = 0;
  private bytes = 0;
  private n = 0;
  private fragmentStart: NaiveItem | undefined;

  constructor(private readonly frame: Uint8Array) {}

  run(count: number): number {
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const n = this.n++;
      const t = n * FRAME_US;
      const key = n % GOP === 0;
      const data = this.frame.slice();
      this.items.push({ dts: t, pts: t, duration: FRAME_US, flags: key ? FRAGMENT_START : 0, data });
      this.bytes += data.length;
      if (key && this.fragmentStart !== undefined) {
        const acked = this.items.indexOf(this.fragmentStart);
        this.items[acked].flags |= PERSISTED_ACK;
        let boundary = acked + 1;
        while (boundary < this.items.length && !(this.items[boundary].flags & FRAGMENT_START)) boundary++;
        if (boundary < this.items.length) {
          for (let k = 0; k < boundary; k++) this.bytes -= this.items.shift()!.data.length;
          this.current -= boundary;
        }
      }
      const item = this.items[this.current++];
      if (key) this.fragmentStart = item;
      sent += item.data.length;
    }
    return sent;
  }

  check(): void {
    if (this.items.length > 2 * GOP) throw new Error(`not steady: ${this.items.length} items`);
  }
}

function frameOf(size: number): Uint8Array {
  const frame = new Uint8Array(size);
  for (let i = 0; i < size; i++) frame[i] = (i * 31) & 0xff;
  return frame;
}

async function throughput(): Promise<void> {
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  const cases: Array<{ name: string; size: number; make: (f: Uint8Array) => Cycle }> = [];
  for (const size of [1000, 50_000]) {
    cases.push({ name: `content-store, ${size / 1000} KB`, size, make: (f) => new StoreCycle(f) });
    cases.push({ name: `naive array,   ${size / 1000} KB`, size, make: (f) => new NaiveCycle(f) });
  }
  let sink = 0;
  const cycles: Cycle[] = [];
  for (const c of cases) {
    const cycle = c.make(frameOf(c.size));
    cycles.push(cycle);
    bench.add(c.name, () => {
      sink += cycle.run(BATCH);
    });
  }
  await bench.run();
  if (sink < 0) throw new Error('unreachable');
  for (const cycle of cycles) cycle.check();
  const rows = bench.tasks.map((task, i) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    const framesPerSecond = (BATCH * 1000) / result.period;
    return {
      case: task.name,
      'frames/s': Math.round(framesPerSecond).toLocaleString('en-US'),
      'MB/s': ((framesPerSecond * cases[i].size) / 1e6).toFixed(0),
      'ns/frame': ((result.period * 1e6) / BATCH).toFixed(0),
    };
  });
  console.log('\nput → send → PERSISTED, one stream, fragment per 25 frames');
  printTable(rows);
}

function heapGrowth(): void {
  const FRAMES = 1_000_000;
  const rows: Array<Record<string, string>> = [];
  for (const [name, make] of [
    ['content-store', (f: Uint8Array) => new StoreCycle(f)],
    ['naive array', (f: Uint8Array) => new NaiveCycle(f)],
  ] as const) {
    const cycle = make(frameOf(1000));
    cycle.run(10 * BATCH); // warm up: JIT and, for the store, its first arena pages
    const before = heapNow();
    let peak = before;
    const started = performance.now();
    for (let done = 0; done < FRAMES; done += 100_000) {
      cycle.run(100_000);
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
    }
    const elapsed = performance.now() - started;
    cycle.check();
    const after = heapNow();
    rows.push({
      case: `${name}, 1 KB`,
      'heap+buffers before': mib(before),
      'after (GC)': mib(after),
      growth: `${((after - before) / 1024).toFixed(0)} KiB`,
      'peak between GCs': mib(peak),
      'frames/s': Math.round((FRAMES * 1000) / elapsed).toLocaleString('en-US'),
    });
  }
  console.log(
    `\nheap over ${FRAMES.toLocaleString('en-US')} frames (heapUsed + arrayBuffers${gc ? ', after gc()' : ', no --expose-gc'})`,
  );
  printTable(rows);
}

await throughput();
heapGrowth();
