/// <reference types="node" />
// Reliability (issue 9): a simulated hour with token rotation. KinesisVideoClient runs on a fake
// clock (its `clock` option: the stream's timers, token expirations and rotations, timestamps)
// that the test moves 500 ms per frame, while the network is real: the emulator (in a child
// process, so its copy of the media stays out of this process's memory) over loopback. The
// stream must rotate its PutMedia connection before its credentials expire — static
// credentials are handed out for 40 minutes (STATIC_TOKEN_LIFETIME_US in
// packages/api/src/stream-service.ts, PIC's MAX_ENFORCED_TOKEN_EXPIRATION_DURATION), a provider's
// temporary credentials until their `expiration` — so no connection lasts more than 40 minutes
// of simulated time; no frame may be lost or repeated by a rotation; and nothing leaks: heap
// after a full collection flat from the 10th to the 60th minute and back near where it started
// once the client is closed, and the same active handles (process.getActiveResourcesInfo) as
// before.
import {
  type AwsCredentials,
  FragmentAckType,
  KinesisVideoClient,
  type KinesisVideoClientOptions,
  realtimeStream,
} from '@kvs-ts/kvs';
import { type Clock, StreamState } from '@kvs-ts/stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChildEmulator,
  expectExactlyOnce,
  frameData,
  freePort,
  garbageCollector,
  heapUsed,
  KEYS,
  MIB,
  readBack,
  sleep,
} from './reliability-support';

const MINUTE = 60_000_000;
/** 2 frames per simulated second, a key frame (a new fragment) every 2 s. */
const FRAME_US = 500_000;
const KEY_EVERY = 4;
const DEBUG = process.env.KVS_DEBUG_RELIABILITY !== undefined;

/** A clock that moves only when told; due timers run in order (as packages/stream/test/fakes.ts). */
class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(start: number) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, delay: number): unknown {
    this.timers.set(++this.seq, { at: this.t + Math.max(0, delay), fn });
    return this.seq;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves `us` forward, running the timers that come due (in order, each at its time). */
  advance(us: number): void {
    const end = this.t + us;
    for (;;) {
      let id = -1;
      let at = Number.POSITIVE_INFINITY;
      for (const [k, v] of this.timers) if (v.at <= end && v.at < at) [id, at] = [k, v.at];
      if (id < 0) break;
      const timer = this.timers.get(id) as { fn: () => void };
      this.timers.delete(id);
      this.t = Math.max(this.t, at);
      timer.fn();
    }
    this.t = end;
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Resource kinds and counts (timers, sockets, …) of this process. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Waits (up to `ms`) for the process's active resources to come back to `before`. */
async function resourcesBackTo(before: Record<string, number>, ms: number): Promise<Record<string, number>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = resources();
    const grown = Object.keys(now).filter((k) => now[k] > (before[k] ?? 0));
    if (grown.length === 0 || Date.now() > deadline) return now;
    await sleep(100);
  }
}

type Credentials = 'static' | 'temporary (15 min)';

describe('a simulated hour with token rotation', () => {
  it.each<Credentials>(['static', 'temporary (15 min)'])(
    '%s credentials: connections rotate within 40 min, no frame lost, no leak',
    { timeout: 120_000 },
    async (kind) => {
      const emu = new ChildEmulator(await freePort());
      cleanup.push(() => emu.kill());
      await emu.start();
      const gcAvailable = garbageCollector() !== undefined;

      const handlesBefore = resources();
      const heapBefore = await heapUsed();
      const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1_000_000);
      // A provider as @aws-sdk/credential-providers gives: temporary keys that expire 15 min
      // (of the fake clock) after they are fetched.
      let fetched = 0;
      const credentials: KinesisVideoClientOptions['credentials'] =
        kind === 'static'
          ? { ...KEYS }
          : async (): Promise<AwsCredentials> => {
              fetched++;
              return { ...KEYS, expiration: new Date((clock.now() + 15 * MINUTE) / 1000) };
            };
      let client: KinesisVideoClient | undefined = new KinesisVideoClient({
        ...emu.options,
        credentials,
        clock,
        storageSize: 10 * MIB,
      });
      cleanup.push(async () => {
        // The stop's timeout runs on the fake clock.
        const closing = client?.close(1);
        clock.advance(1000);
        await closing;
      });
      const name = `hour-${kind === 'static' ? 'static' : 'temporary'}`;
      const stream = client.createStream(
        realtimeStream(name, {
          tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
          nalAdaptationFlags: 0,
        }),
      );
      const start = clock.now();
      const dropped = new Map<number, number>();
      stream.on('droppedFrame', (pts, reason) => dropped.set(Math.round((pts - start) / FRAME_US), reason));
      const errors: string[] = [];
      stream.on('error', (e, d) => errors.push(`${d.fatal ? 'fatal ' : ''}${e.statusName}`));
      let persisted = 0;
      let wake: (() => void) | undefined;
      const persistedOn = new Map<number, number>();
      stream.on('ack', (a, handle) => {
        if (a.ackType !== FragmentAckType.PERSISTED) return;
        persistedOn.set(handle, (persistedOn.get(handle) ?? 0) + 1);
        persisted++;
        wake?.();
      });
      // Each connection's life on the fake clock: seen first in uploadHandles, ended by `closed`.
      const opened = new Map<number, number>();
      const closed = new Map<number, number>();
      const closedTwice: number[] = [];
      stream.on('closed', (h) => {
        if (closed.has(h)) closedTwice.push(h);
        else closed.set(h, clock.now());
      });
      const watchHandles = () => {
        for (const { handle } of stream.uploadHandles) if (!opened.has(handle)) opened.set(handle, clock.now());
      };

      const frames = (60 * MINUTE) / FRAME_US;
      const heapAt: Record<string, number> = {};
      const t0 = Date.now();
      for (let i = 0; i < frames; i++) {
        const key = i % KEY_EVERY === 0;
        const pts = start + i * FRAME_US;
        stream.putFrame({ trackId: 1, pts, dts: pts, duration: FRAME_US, flags: key ? 1 : 0, data: frameData(i) });
        watchHandles();
        clock.advance(FRAME_US);
        watchHandles();
        // Let the network run. Simulated time must not outrun it (a control call or a connection
        // that takes a few real ms must not take 15 simulated seconds, the stream's call
        // timeout): while the stream is between states (describing, fetching a token, opening a
        // connection) the clock waits, and at each new fragment it waits until the service has
        // persisted all but the last two. Not more than 100 ms of real time, though: the stream
        // may be waiting for one of its own timers (a backoff), and then time and frames go on.
        await new Promise((r) => setImmediate(r));
        const fragment = key ? i / KEY_EVERY : 0;
        const waitStart = Date.now();
        while (stream.state !== StreamState.STREAMING || persisted < fragment - 2) {
          if (Date.now() - waitStart > 100) break;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, 2);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
          wake = undefined;
        }
        if (i === (10 * MINUTE) / FRAME_US) heapAt['10 min'] = await heapUsed();
      }
      heapAt['60 min'] = await heapUsed();
      // Stop: the last fragments' ACKs come over the network; the fake clock moves meanwhile so
      // that the stop's own timeout could fire if they never did.
      let stopped = false;
      const stopping = client.closeStream(stream, 60_000_000).finally(() => {
        stopped = true;
      });
      while (!stopped) {
        await sleep(5);
        clock.advance(100_000);
      }
      await stopping;
      const endOfRun = clock.now();
      const realMs = Date.now() - t0;
      await client.close();
      client = undefined;

      const read = await readBack(emu.options, name);
      const handlesAfter = await resourcesBackTo(handlesBefore, 10_000);
      const heapAfter = await heapUsed();

      // Every connection reported `closed` once, while the stream ran (the last one at the stop).
      expect(closedTwice).toEqual([]);
      expect([...opened.keys()].filter((h) => !closed.has(h))).toEqual([]);
      // The connections that carried fragments, and how long each lived (simulated minutes).
      // The others were refused: the emulator takes one PutMedia connection per stream
      // (docs/decisions/putmedia-transport.md), so the one a rotation opens while the old one
      // finishes gets ConnectionLimitExceededException and the stream opens another.
      const carrying = [...opened].filter(([h]) => persistedOn.has(h));
      const lives = carrying.map(([h, at]) => ((closed.get(h) ?? endOfRun) - at) / MINUTE);
      const refused = opened.size - carrying.length;
      if (DEBUG) console.log(JSON.stringify({ kind, lives, refused, errors: errors.slice(0, 20), fetched, heapAt }));
      // Not one error: each rotation got a usable token at the first try.
      expect(errors).toEqual([]);
      // Rotations: every connection under 40 min of simulated time; static credentials rotate
      // once in the hour (at 37–40 min: PIC's jitter and 3 s grace), 15-min ones at least 3 times.
      expect(Math.max(...lives)).toBeLessThanOrEqual(40);
      expect(lives.length).toBeGreaterThanOrEqual(kind === 'static' ? 2 : 4);
      // No frame lost or repeated by a rotation (nothing was dropped, no connection broke).
      expect([...dropped]).toEqual([]);
      expectExactlyOnce(frames, dropped, read);
      expect(read.raw.length).toBe(frames / KEY_EVERY);
      // No leak: the stream's heap flat over 50 simulated minutes (6000 frames), back near the
      // start once closed, and no timer, socket or handle left behind.
      const drift = heapAt['60 min'] - heapAt['10 min'];
      if (gcAvailable) {
        expect(drift).toBeLessThan(4 * MIB);
        expect(heapAfter - heapBefore).toBeLessThan(12 * MIB);
      }
      expect(handlesAfter).toEqual(handlesBefore);
      expect(clock.pending).toBe(0);
      console.log(
        `simulated hour (${kind}): ${frames} frames in ${frames / KEY_EVERY} fragments, ${read.stored.length} stored ` +
          `once, 0 dropped; ${lives.length} connections of ${lives.map((m) => m.toFixed(1)).join(', ')} min ` +
          `(+${refused} refused at a rotation)` +
          `${kind === 'static' ? '' : `, ${fetched} credential fetches`}; heap (gc ${gcAvailable ? 'on' : 'off'}) ` +
          `10→60 min ${(drift / MIB).toFixed(2)} MiB, after close ${((heapAfter - heapBefore) / MIB).toFixed(2)} MiB; ` +
          `handles ${JSON.stringify(handlesAfter)}; ${realMs} ms real`,
      );
    },
  );
});
