/// <reference types="node" />
// Reliability: a known sequence of frames (each carries its index and a hash of its bytes) goes
// through KinesisVideoClient into the emulator while the emulator misbehaves; then GetMedia reads
// the stream back. Every frame put must be stored exactly once, in order, byte for byte, except
// frames the SDK reported dropped (each with its reason).
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import { FragmentAckType, KinesisVideoClient, realtimeStream } from '@kvs-ts/kvs';
import { afterEach, describe, expect, it } from 'vitest';
import { expectExactlyOnce, frameData, type ReadBack, readBack } from './reliability-support';

const FPS = 25;
const FRAME_US = 1_000_000 / FPS;
/** Frames are put this many times faster than their timestamps run (the tests stay short). */
const SPEED = 2;

interface Outcome extends ReadBack {
  put: number;
  /** Indexes of the frames the stream reported dropped, with the reasons. */
  dropped: Map<number, string>;
  errors: string[];
  persisted: number;
  /** PutMedia connections that ended (the last one with the stop). */
  sessions: number;
}

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/**
 * Streams `frames` frames into `name` while `during(t)` is called every 100 ms with the elapsed
 * fraction t (0…1) to inject faults; stops, then reads the stream back.
 */
async function run(
  emu: Emulator,
  name: string,
  frames: number,
  during: (t: number) => void,
  stopTimeoutUs = 30_000_000,
): Promise<Outcome> {
  const options = {
    region: emu.region,
    endpoint: emu.url,
    credentials: { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey },
  };
  const client = new KinesisVideoClient(options);
  const stream = client.createStream(
    realtimeStream(name, {
      tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
      nalAdaptationFlags: 0,
    }),
  );
  const start = Math.floor(Date.now() / 1000) * 1_000_000;
  const t0 = Date.now();
  const indexOfPts = (pts: number) => Math.round((pts - start) / FRAME_US);
  const dropped = new Map<number, string>();
  stream.on('droppedFrame', (pts, reason) => dropped.set(indexOfPts(pts), String(reason)));
  const errors: string[] = [];
  stream.on('error', (e, d) => errors.push(`${d.fatal ? 'fatal ' : ''}${e.statusName}`));
  let persisted = 0;
  let sessions = 0;
  stream.on('closed', () => sessions++);
  stream.on('ack', (a) => {
    if (a.ackType === FragmentAckType.PERSISTED) persisted++;
  });
  const total = (frames * FRAME_US) / 1000 / SPEED;
  const faults = setInterval(() => during(Math.min(1, (Date.now() - t0) / total)), 100);
  try {
    for (let i = 0; i < frames; i++) {
      const due = t0 + (i * FRAME_US) / 1000 / SPEED;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
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
  } finally {
    clearInterval(faults);
  }
  emu.admin.clearFaults();
  await client.closeStream(stream, stopTimeoutUs).catch((e: Error) => errors.push(`stop: ${e.message}`));
  await client.close();

  // Read everything back: the stream has ended.
  return { put: frames, dropped, ...(await readBack(options, name)), errors, persisted, sessions };
}

describe('no frame lost under faults', () => {
  it('connections cut mid-fragment every ~1.5 s, ACKs delayed, an ERROR ACK, 500s and throttling, an expired token', {
    timeout: 120_000,
  }, async () => {
    const emu = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
    emulator = emu;
    // The first control calls fail (500, then throttling): the stream retries them.
    emu.admin.failControlCalls(2);
    emu.admin.throttleControlCalls(2);
    const armed = new Set<string>();
    const once = (key: string, arm: () => void) => {
      if (!armed.has(key)) {
        armed.add(key);
        arm();
      }
    };
    const o = await run(emu, 'faults', 16 * FPS, (t) => {
      // Cuts of the open connection, wherever it is in its fragment; the faults armed between
      // them apply to the connections that follow.
      if (t > 0.15) once('cut1', () => emu.admin.dropPutMediaConnections());
      if (t > 0.2) once('delay', () => emu.admin.putMediaFault({ ackDelayMs: 400, dropAfterBytes: 60_000 }));
      if (t > 0.45) once('cut2', () => emu.admin.dropPutMediaConnections());
      if (t > 0.5) once('error', () => emu.admin.putMediaFault({ errorAck: { fragmentIndex: 1, errorId: 5000 } }));
      if (t > 0.6) once('cut3', () => emu.admin.dropPutMediaConnections());
      if (t > 0.65) once('token', () => emu.admin.expireTokens(1));
      if (t > 0.7) once('cut4', () => emu.admin.dropPutMediaConnections());
      if (t > 0.85) once('cut5', () => emu.admin.dropPutMediaConnections());
    });
    expectExactlyOnce(o.put, o.dropped, o);
    // Everything that was not dropped arrived; the faults were really hit: the cuts, the byte
    // limit and the expired token each cost a connection.
    expect(o.sessions).toBeGreaterThanOrEqual(6);
    expect(o.stored.length + o.dropped.size).toBe(o.put);
  });

  it('withheld PERSISTED ACKs: the stream keeps going and stores everything', { timeout: 120_000 }, async () => {
    const emu = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
    emulator = emu;
    emu.admin.putMediaFault({ withholdAcks: ['PERSISTED'], connections: 1 });
    // The stop waits for the last PERSISTED ACK, which never comes: 3 s, not the default 30.
    const o = await run(emu, 'withheld', 6 * FPS, () => {}, 3_000_000);
    expectExactlyOnce(o.put, o.dropped, o);
    expect(o.stored.length).toBe(o.put);
  });
});
