/// <reference types="node" />
// Reliability (issue 9): the emulator is killed with SIGKILL in the middle of a stream and started
// again ~1 s later on the same port and data dir (`kvs emulator --port P --data-dir D`), while
// KinesisVideoClient keeps putting frames. Read back afterwards: every frame exactly once, in
// order, byte for byte (the client's getMedia drops the fragments replayed after the crash), but
// for frames the stream reported dropped; and every fragment ACKed PERSISTED before the kill is
// still there (what packages/emulator/test/storage.node.test.ts checks with raw PutMedia, here
// through the SDK).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FragmentAckType, KinesisVideoClient, realtimeStream } from '@kvs-ts/kvs';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildEmulator, expectExactlyOnce, frameData, freePort, readBack, sleep } from './reliability-support';

const FPS = 25;
const FRAME_US = 1_000_000 / FPS;
/** Frames are put this many times faster than their timestamps run. */
const SPEED = 2;
const DEBUG = process.env.KVS_DEBUG_RELIABILITY !== undefined;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('emulator kill -9 and restart with --data-dir', () => {
  it('loses no frame and no PERSISTED fragment', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kvs-reliability-crash-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const emu = new ChildEmulator(await freePort(), dir);
    cleanup.push(() => emu.kill());
    await emu.start();

    const client = new KinesisVideoClient(emu.options);
    cleanup.push(() => client.close(1));
    const name = 'crash';
    const stream = client.createStream(
      realtimeStream(name, {
        tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
        nalAdaptationFlags: 0,
      }),
    );
    const start = Math.floor(Date.now() / 1000) * 1_000_000;
    const t0 = Date.now();
    const indexOfPts = (pts: number) => Math.round((pts - start) / FRAME_US);
    const dropped = new Map<number, number>();
    stream.on('droppedFrame', (pts, reason) => dropped.set(indexOfPts(pts), reason));
    const errors: string[] = [];
    stream.on('error', (e, d) => errors.push(`${d.fatal ? 'fatal ' : ''}${e.statusName}`));
    let sessions = 0;
    stream.on('closed', () => sessions++);
    let killed = false;
    const persistedBeforeKill: string[] = [];
    let persistedAfter = 0;
    stream.on('ack', (a) => {
      if (a.ackType !== FragmentAckType.PERSISTED) return;
      if (killed) persistedAfter++;
      else persistedBeforeKill.push(a.fragmentNumber ?? '');
    });
    if (DEBUG) stream.on('stateChange', (s, p) => console.log('state', Date.now() - t0, p, '->', s));

    // 16 s of media, put in 8 s; the kill comes 3 s in (mid-fragment: fragments are 1 s of media,
    // 0.5 s of real time), the restart 1 s after the process is gone.
    const frames = 16 * FPS;
    const killAt = Math.round(3 * FPS * SPEED) + 7;
    let restarted: Promise<void> | undefined;
    let outageMs = 0;
    for (let i = 0; i < frames; i++) {
      const due = t0 + (i * FRAME_US) / 1000 / SPEED;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      if (i === killAt) {
        await emu.kill();
        killed = true;
        const down = Date.now();
        restarted = sleep(1000)
          .then(() => emu.start())
          .then(() => {
            outageMs = Date.now() - down;
          });
      }
      const pts = start + i * FRAME_US;
      stream.putFrame({
        trackId: 1,
        pts,
        dts: pts,
        duration: FRAME_US,
        flags: i % FPS === 0 ? 1 : 0,
        data: frameData(i),
      });
    }
    await restarted;
    await client.closeStream(stream, 30_000_000);
    const read = await readBack(emu.options, name);
    if (DEBUG)
      console.log(
        JSON.stringify({ outageMs, sessions, errors, dropped: [...dropped], persistedAfter, read: read.raw }),
      );

    expect(killed).toBe(true);
    expect(persistedBeforeKill.length).toBeGreaterThanOrEqual(4);
    expect(persistedAfter).toBeGreaterThan(0);
    // The stream lived through it: no fatal error.
    expect(errors.filter((e) => e.startsWith('fatal'))).toEqual([]);
    expectExactlyOnce(frames, dropped, read);
    // Every fragment the service said it PERSISTED before it died survived the SIGKILL.
    const stored = new Set(read.fragmentNumbers);
    expect(persistedBeforeKill.filter((n) => !stored.has(n))).toEqual([]);
    console.log(
      `kill -9: ${frames} frames put, ${read.stored.length} stored once, ${dropped.size} reported dropped, ` +
        `${read.raw.length} fragments stored (${read.raw.length - new Set(read.raw.map((f) => f[0])).size} replayed), ` +
        `${persistedBeforeKill.length} PERSISTED before the kill, outage ${outageMs} ms, ${sessions} connections`,
    );
  });
});
