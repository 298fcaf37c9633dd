// A wider model-based test of KinesisVideoStream than model.test.ts (see the review's §3, "the
// operations are too narrow"): token rotations within the run, stop()/stopSync() with frames
// still buffered, EoFRs and 20 s+ pauses with the intermittent producer, an A/V stream (opaque
// video + key-frame-only AAC), random read sizes from 1 byte to 64 KiB, retriable and
// non-retriable ERROR ACKs on random fragments of random connections, ACKs delayed and
// interleaved across connections, connection drops with random results on random handles (also
// during a rotation overlap, and before PutMedia answered), resetConnection, slow and failing
// PutMedia calls, retention 0 and no ACKs at all; REALTIME, NEAR_REALTIME and OFFLINE streams,
// both view overflow and both store pressure policies, absolute and relative fragment times,
// fragments per key frame or by duration. The harness is in model-support.ts.
//
// After every operation: nothing but KvsError escapes a public call (and nothing at all escapes a
// timer); every connection's bytes parse as MKV and start with their own EBML header; every frame
// on the wire carries the PTS it was put with (relative times: from its MKV stream's start); per track,
// timestamps on a connection strictly increase except where a new EBML header starts; the view's
// cursors keep tail ≤ current ≤ head. At the end, with the service answering everything, stopSync
// settles — it resolves, or rejects with a KvsError only when the stream failed — and every frame
// put was delivered on some connection, reported with 'droppedFrame', or belongs to a fragment
// the service refused for good (a non-retriable ERROR ACK the stream applied).
import { FragmentAckType, type Frame, FrameFlags, isKvsError, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { type StreamDefinition, StreamState, UploadHandleState } from '@kvs-ts/stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';
import {
  AAC_TRACK,
  arbConfig,
  arbOp,
  emptyStats,
  type Op,
  VIDEO_TRACK,
  type WideConfig,
  WideHarness,
} from './model-support';

/** How many runs saw each kind of event (so that the generators keep reaching them). */
type Coverage = Record<keyof WideHarness['stats'] | 'rotation' | 'av' | 'skippedFragment', number>;

/** Runs one op list; returns what went wrong (empty when every promise held). */
async function runModel(cfg: WideConfig, ops: readonly Op[], coverage?: Coverage): Promise<string[]> {
  const h = new WideHarness(cfg);
  try {
    await h.begin();
    for (const [i, o] of ops.entries()) {
      await h.run(o);
      const bad = h.check();
      if (bad.length > 0) return [`after op ${i} ${JSON.stringify(o)}:`, ...bad];
    }
    const end = await h.drain();
    const bad = h.check();
    if (bad.length > 0) return ['after the drain:', ...bad];
    if (end.threw !== undefined) return [`stopSync threw instead of returning a promise: ${String(end.threw)}`];
    if (!end.settled) return [`stopSync did not settle within ${end.rounds} rounds`, ...h.log.slice(-10)];
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (h.asyncPuts > 0) return [`${h.asyncPuts} putFrameAsync calls never settled`];
    for (const [i, p] of h.stopPromises.entries()) {
      if (!p.settled) return [`mid-run stopSync #${i} never settled`];
      // A stopSync that waited through a long stall may time out (PIC's 120 s stream-closed timeout).
      if (p.error !== undefined && !isKvsError(p.error))
        return [`mid-run stopSync #${i} rejected with a non-KvsError: ${String(p.error)}`];
    }
    if (end.error !== undefined) {
      const failure = h.stream.error;
      if (failure === undefined)
        return [`stopSync rejected although the stream did not fail: ${String(end.error)}`, ...h.log.slice(-10)];
      if (end.error !== failure) return [`stopSync rejected with ${String(end.error)}, not the stream's failure`];
      // The stream failed for good: what it had buffered is not expected to arrive.
      return [];
    }
    if (coverage) {
      for (const [k, v] of Object.entries(h.stats)) if (v > 0) coverage[k as keyof Coverage]++;
      if (h.service.count('token') > 1) coverage.rotation++;
      if (cfg.av) coverage.av++;
      if (h.skippedFragments.length > 0) coverage.skippedFragment++;
    }
    const lost = h.lostFrames();
    if (lost.length > 0) {
      return [
        `${lost.length} frames neither delivered nor reported dropped, e.g. ${lost
          .slice(0, 5)
          .map((f) => `track ${f.track} @ ${h.rel(f.pts)}`)
          .join(', ')}`,
        ...h.log.slice(-10),
      ];
    }
    return [];
  } finally {
    h.stream.free();
  }
}

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
// CI replays a fixed seed, so that a run is reproducible and never flaky; a search for new cases
// sets KVS_WIDE_MODEL=1 (a random seed, 2 000 runs), KVS_WIDE_RUNS and KVS_WIDE_SEED. What the
// searches found and how far they went: docs/reviews/stream-model-wide.md.
const SEARCH = env.KVS_WIDE_MODEL === '1';
const NUM_RUNS = Number(env.KVS_WIDE_RUNS ?? (SEARCH ? 2000 : 1000));
const SEED = env.KVS_WIDE_SEED !== undefined ? Number(env.KVS_WIDE_SEED) : SEARCH ? undefined : 20261121;

describe('KinesisVideoStream wide model', () => {
  it(
    'keeps its promises under rotations, stops, pauses, A/V, random reads, ERROR ACKs and drops',
    async () => {
      let runs = 0;
      const coverage: Coverage = { ...emptyStats(), rotation: 0, av: 0, skippedFragment: 0 };
      await fc.assert(
        fc.asyncProperty(
          arbConfig,
          fc.array(arbOp, { minLength: 5, maxLength: 80, size: 'medium' }),
          async (cfg, ops) => {
            runs++;
            expect(await runModel(cfg, ops, coverage)).toEqual([]);
          },
        ),
        // ~20 ms a run in Node (about 40 ops and 55 s of stream time on average).
        { numRuns: NUM_RUNS, seed: SEED },
      );
      expect(runs).toBeGreaterThanOrEqual(NUM_RUNS);
      // The runs reached what the test is about (rates seen over many seeds: rotations ~85 % of
      // runs, drops ~60 %, non-retriable ERRORs applied ~15 %, drops in a rotation overlap ~6 %,
      // ACKs interleaved across connections ~3 %, OFFLINE puts that waited for room ~4 %); the bounds are far below, so this is not flaky.
      const min = (k: keyof Coverage, fraction: number) =>
        expect({ [k]: coverage[k] >= fraction * NUM_RUNS }).toEqual({ [k]: true });
      min('rotation', 0.5);
      min('av', 0.3);
      min('drops', 0.3);
      min('midRunStops', 0.3);
      min('eofrs', 0.3);
      min('resets', 0.3);
      min('retriableErrorAcks', 0.05);
      min('nonRetriableErrorAcks', 0.05);
      min('skippedFragment', 0.03);
      min('rotationOverlapDrops', 0.01);
      min('multiHandleAcks', 0.005);
      min('offlineWaits', 0.005);
    },
    SEARCH ? 3_600_000 : 600_000,
  );
});

// ---------------------------------------------------------------------------------------------
// Counterexamples the property found, shrunk by hand (see /work/notes/stream-model-bugs.md).

const SECOND = 1_000_000;
const ACKS = [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED];

function setup(tokenSeconds = 3600, def: Partial<StreamDefinition> = {}) {
  const s = setupStream(def);
  s.service.token = () => ({ result: R.OK, token: 't', expiration: s.clock.now() + tokenSeconds * SECOND });
  const dropped = new Set<number>();
  s.stream.on('droppedFrame', (pts) => dropped.add(pts));
  return { ...s, dropped };
}

/** stopSync, then pump/ACK/advance for `seconds`; whether it resolved. */
async function stopAndDrain(
  s: ReturnType<typeof setup>,
  seconds = 10,
): Promise<{ resolved: boolean; rejected?: unknown }> {
  s.consumer.ackTypes = ACKS;
  const out: { resolved: boolean; rejected?: unknown } = { resolved: false };
  s.stream.stopSync().then(
    () => {
      out.resolved = true;
    },
    (e) => {
      out.rejected = e;
    },
  );
  for (let i = 0; i < seconds * 2 && !out.resolved && out.rejected === undefined; i++) {
    s.consumer.pump();
    await s.clock.advance(SECOND / 2);
  }
  return out;
}

describe('KinesisVideoStream wide model: shrunk counterexamples', () => {
  it('B1 a connection that ends with 200 before its PutMedia result arrives is replaced, not left STREAMING with no handle', async () => {
    const s = setup();
    // PutMedia answers after 0.5 s; meanwhile the transport reports that the connection ended cleanly.
    s.service.put = () => new Promise((resolve) => s.clock.setTimeout(() => resolve({ result: R.OK }), SECOND / 2));
    s.stream.start();
    await s.clock.advance(0);
    const frames = [...videoFrames(30, { start: s.clock.now() })];
    for (const f of frames) s.stream.putFrame(f);
    await s.clock.advance(0);
    expect(s.stream.uploadHandles).toEqual([{ handle: 1, state: UploadHandleState.NEW }]);
    s.stream.streamTerminated(1, R.OK);
    await s.clock.advance(SECOND);
    // fails: the late PutMedia OK moves PUT_STREAM → STREAMING although handle 1 is gone
    expect(s.stream.state === StreamState.STREAMING && s.stream.uploadHandles.length === 0).toBe(false);
    const end = await stopAndDrain(s);
    expect(end.resolved).toBe(true); // fails: nothing ever sends the 30 frames; stopSync times out after 120 s
    const delivered = new Set(s.consumer.allFrames().map((f) => f.ts));
    expect(frames.filter((f) => !delivered.has(f.pts) && !s.dropped.has(f.pts))).toEqual([]);
  });

  it('B2 stopSync during a rotation overlap, before the next key frame, resolves once the old connection is done', async () => {
    const s = setup(31); // rotation at 28 s
    s.stream.start();
    await s.clock.advance(0);
    const frames = videoFrames(10_000, { start: s.clock.now(), gop: 75 }); // key frames at 0, 3, …, 27, 30 s
    for (let i = 0; i < 712; i++) {
      s.stream.putFrame(frames.next().value!);
      await s.clock.advance(40_000);
      s.consumer.pump();
    }
    expect(s.service.count('put')).toBe(2); // handle 2 is open and waits for the new MKV stream
    const end = await stopAndDrain(s);
    // fails: handle 1 sends everything and ends; handle 2 (TERMINATING, never started) has nothing
    // to send and never reaches END_OF_STREAM, so stopSync rejects with STATUS_OPERATION_TIMED_OUT
    expect(end.resolved).toBe(true);
  });

  it('B3 a connection that drops while the stream waits in READY (after a rotation) is replayed, and stopSync resolves', async () => {
    const s = setup(31);
    s.stream.start();
    await s.clock.advance(0);
    s.consumer.ackTypes = []; // no ACK yet
    const frames = [...videoFrames(5, { start: s.clock.now() })];
    for (const f of frames) s.stream.putFrame(f);
    await s.clock.advance(0);
    s.consumer.pump();
    await s.clock.advance(28.5 * SECOND); // the rotation finds nothing new to send: READY, waiting for data
    expect(s.stream.state).toBe(StreamState.READY);
    const stopped = { resolved: false, rejected: undefined as unknown };
    s.stream.stopSync().then(
      () => {
        stopped.resolved = true;
      },
      (e) => {
        stopped.rejected = e;
      },
    );
    s.consumer.pump(); // the end-of-stream tags go out; handle 1 waits for the last PERSISTED ACK
    expect(s.stream.uploadHandles).toEqual([{ handle: 1, state: UploadHandleState.AWAITING_ACK }]);
    s.stream.streamTerminated(1, R.NETWORK_READ_TIMEOUT); // nothing was persisted: replay needed
    s.consumer.ackTypes = ACKS;
    for (let i = 0; i < 20 && !stopped.resolved && stopped.rejected === undefined; i++) {
      s.consumer.pump();
      await s.clock.advance(SECOND / 2);
    }
    // fails: streamTerminated counts READY as "reconnecting", and READY moves on only when a frame
    // is put, which never happens after stop(): no new connection, stopSync times out after 120 s
    expect(s.service.count('put')).toBe(2);
    expect(stopped.resolved).toBe(true);
  });

  it('B3b … and a stopSync called after that drop does not resolve before the replay', async () => {
    const s = setup(31);
    s.stream.start();
    await s.clock.advance(0);
    s.consumer.ackTypes = [];
    for (const f of videoFrames(5, { start: s.clock.now() })) s.stream.putFrame(f);
    await s.clock.advance(0);
    s.consumer.pump();
    await s.clock.advance(28.5 * SECOND);
    s.stream.stop();
    s.consumer.pump();
    s.stream.streamTerminated(1, R.NETWORK_READ_TIMEOUT);
    const end = await stopAndDrain(s);
    expect(end.resolved).toBe(true);
    // fails: checkStopped ignores the pending rollback, so stopSync resolves at once although the
    // 5 frames were never PERSISTED and are never sent again
    expect(s.service.count('put')).toBe(2);
  });
});

describe('KinesisVideoStream wide model: shrunk counterexamples (2)', () => {
  function avSetup() {
    const { clock, stream } = setupStream({ tracks: [VIDEO_TRACK, AAC_TRACK] });
    const dropped = new Set<number>();
    stream.on('droppedFrame', (pts) => dropped.add(pts));
    const S = clock.now();
    const video = (ms: number, key: boolean): Frame => ({
      trackId: 1,
      pts: S + ms * 1000,
      dts: S + ms * 1000,
      duration: 40_000,
      flags: key ? FrameFlags.KEY_FRAME : 0,
      data: new Uint8Array(100),
    });
    const audio = (ms: number): Frame => ({
      trackId: 2,
      pts: S + ms * 1000,
      dts: S + ms * 1000,
      duration: 20_000,
      flags: FrameFlags.KEY_FRAME,
      data: Uint8Array.of(0x21, 0x10, 0x04, 0x60),
    });
    return { clock, stream, dropped, S, video, audio };
  }

  it('B4 stop() with an A/V frame held by the frame-order coordinator that the writer rejects: no throw, the frame is reported', async () => {
    const { clock, stream, dropped, S, video, audio } = avSetup();
    stream.start();
    await clock.advance(0);
    // The producer paused 32.7 s inside a GOP (intermittent producer off). Every putFrame returns.
    for (const f of [video(0, true), audio(7), audio(27), video(32_760, false), audio(32_787)]) stream.putFrame(f);
    // audio(32 787) waits in the coordinator for the next video frame; it is 32 787 ticks after its
    // cluster start, one more than a SimpleBlock can say.
    let thrown: unknown;
    try {
      stream.stopSync().catch(() => {});
    } catch (e) {
      thrown = e;
    }
    // fails: stop() flushes the coordinator before it sets `stopping`; the writer's
    // STATUS_MKV_LARGE_FRAME_TIMECODE escapes stopSync() synchronously, the stream is not stopped,
    // and the frame the coordinator had already taken is gone without a 'droppedFrame'
    expect(thrown).toBeUndefined();
    expect(dropped.has(S + 32_787_000)).toBe(true);
  });

  it('B4b putFrame of a valid key frame does not fail (and lose an earlier frame) because the coordinator releases a held one the writer rejects', async () => {
    const { clock, stream, dropped, S, video, audio } = avSetup();
    stream.start();
    await clock.advance(0);
    for (const f of [video(0, true), audio(7), audio(27), video(32_760, false), audio(32_787)]) stream.putFrame(f);
    // fails: the key frame is fine, but putting it releases audio(32 787), whose writer error is
    // thrown from this putFrame; the audio frame is lost without a 'droppedFrame', and the key
    // frame the caller was told failed stays queued and is sent later
    expect(() => stream.putFrame(video(33_000, true))).not.toThrow();
    expect(dropped.has(S + 32_787_000)).toBe(true);
  });

  it('B5 a handle waiting for its last PERSISTED ACK is not stuck when a replay on a newer connection let its own ACKs trim the view', async () => {
    const s = setup(31); // rotation at 28 s
    s.stream.start();
    await s.clock.advance(0);
    s.consumer.ackTypes = []; // the service is slow to ACK
    const frames = videoFrames(5000, { start: s.clock.now(), gop: 25 });
    for (let i = 0; i < 738; i++) {
      s.stream.putFrame(frames.next().value!);
      await s.clock.advance(40_000);
      s.consumer.pump();
    }
    // Handle 1 carried 0–29 s and waits for its last PERSISTED ACK; handle 2 took the new MKV stream at 29 s.
    expect(s.stream.uploadHandles).toEqual([
      { handle: 1, state: UploadHandleState.AWAITING_ACK },
      { handle: 2, state: UploadHandleState.STREAMING },
    ]);
    s.stream.streamTerminated(2, R.NETWORK_READ_TIMEOUT); // handle 3 replays 40 s back: the fragments of handle 1 again
    await s.clock.advance(SECOND);
    s.consumer.pump();
    s.consumer.ackTypes = ACKS;
    // The service ACKs handle 3's copy first, then handle 1's: handle 1's first PERSISTED trims
    // past every fragment already flagged PERSISTED, so its later ACKs are "outside the buffer".
    s.consumer.ack(3, s.consumer.sessions.get(3)!, true);
    s.consumer.ack(1, s.consumer.sessions.get(1)!, true);
    // fails: handle 1 got a PERSISTED ACK for every fragment it sent and still waits in AWAITING_ACK
    expect(s.stream.uploadHandles.find((h) => h.handle === 1)?.state).not.toBe(UploadHandleState.AWAITING_ACK);
    const end = await stopAndDrain(s);
    expect(end.resolved).toBe(true); // fails: STATUS_OPERATION_TIMED_OUT after 120 s
  });

  it('B6 frames left over from a fragment whose start was evicted do not block the stream forever', async () => {
    const s = setup(3600, { bufferDuration: 20 * SECOND });
    s.stream.start();
    await s.clock.advance(0);
    const S = s.clock.now();
    const frame = (ms: number, key: boolean): Frame => ({
      trackId: 1,
      pts: S + ms * 1000,
      dts: S + ms * 1000,
      duration: 40_000,
      flags: key ? FrameFlags.KEY_FRAME : 0,
      data: new Uint8Array(200),
    });
    const put = [frame(0, true)];
    s.stream.putFrame(put[0]);
    await s.clock.advance(20 * SECOND); // nobody pulls (network down), intermittent producer off
    for (const ms of [20_040, 20_080]) {
      const f = frame(ms, false);
      s.stream.putFrame(f);
      put.push(f);
    }
    // The 20 s buffer evicts the key frame and, to the next fragment start, the frame after it;
    // the frame at 20.08 s is left without its fragment start.
    const end = await stopAndDrain(s);
    // fails: beginSession finds no fragment start and returns false without reporting the orphan,
    // so current < head forever: nothing is sent, stopSync rejects with STATUS_OPERATION_TIMED_OUT
    expect(end.resolved).toBe(true);
    const delivered = new Set(s.consumer.allFrames().map((f) => f.ts));
    expect(put.filter((f) => !delivered.has(f.pts) && !s.dropped.has(f.pts)).map((f) => f.pts - S)).toEqual([]);
    // Every drop is in the metrics too, the orphan given up at the session start included.
    expect(s.stream.metrics().droppedFrames).toBe(s.dropped.size);
  });

  it('B7 a frame cut off by a dropped connection and evicted before the replay is reported dropped', async () => {
    const s = setup(3600, { bufferDuration: 20 * SECOND });
    s.stream.start();
    await s.clock.advance(0);
    const S = s.clock.now();
    const first: Frame = {
      trackId: 1,
      pts: S,
      dts: S,
      duration: 40_000,
      flags: FrameFlags.KEY_FRAME,
      data: new Uint8Array(60_000),
    };
    s.stream.putFrame(first);
    await s.clock.advance(0);
    expect(s.stream.getStreamData(1, 5).status).toBe(StatusCode.STATUS_SUCCESS); // 5 bytes of it went out
    s.stream.streamTerminated(1, R.NETWORK_READ_TIMEOUT); // the connection died mid-frame: replay pending
    await s.clock.advance(20.5 * SECOND); // handle 2 is open, nobody pulls yet
    for (const ms of [20_500, 20_540]) {
      // the second one makes the view longer than 20 s: the first frame is evicted
      s.stream.putFrame({ ...first, pts: S + ms * 1000, dts: S + ms * 1000, data: new Uint8Array(100) });
    }
    const end = await stopAndDrain(s);
    expect(end.resolved).toBe(true);
    const delivered = new Set(s.consumer.allFrames().map((f) => f.ts));
    // fails: the evicted frame still counts as "sent" (HANDED_OUT) although the rollback was
    // pending, so no 'droppedFrame' is emitted for a frame of which 5 bytes ever left
    expect(delivered.has(S) || s.dropped.has(S)).toBe(true);
  });

  it('B8 a connection in the middle of a fragment whose start gets evicted does not send its other frames under the previous cluster', async () => {
    const h = new WideHarness({
      av: false,
      gop: 4, // key frames every 160 ms
      frameSize: 20,
      intermittentProducer: false,
      acks: 'persisted',
      bufferSeconds: 20,
      replaySeconds: 1,
      storeKiB: 10 * 1024,
      tokenLifetimes: [3600],
      callDelays: [0],
      putResults: [],
      seed: 0,
    });
    try {
      await h.begin();
      await h.run({ op: 'put', n: 72 }); // 0 – 2.84 s
      // Pull until a frame is half sent: the 2.56 s key frame stays in flight (pinned).
      await h.run({ op: 'pump', pick: 0, budget: 3245, sizes: 'tiny', seed: 0 });
      expect(h.stream.view.current).toBe(65);
      await h.run({ op: 'pause', us: 20 * SECOND });
      await h.run({ op: 'acks', n: 48, seed: 0 });
      await h.run({ op: 'put', n: 4 }); // 22.88 (key), 22.92, 22.96, 23.00 s: the 20 s buffer evicts
      expect(h.check()).toEqual([]);
      h.pump(0, 0, 'mixed', 1);
      // fails: "handle 1: the frame put at 23.000s went out as 2.680s (track 1)". The view keeps the
      // in-flight item as its tail, so the next eviction also takes the new fragment's key frame
      // (ContentView.trimTailItems counts stepping over the pin as "nothing dropped yet"); current
      // lands on a non-start item, and the still-open session sends the frame put at 23.000 s into
      // the 2.56 s cluster, where its relative timecode makes it 2.680 s
      expect(h.check()).toEqual([]);
    } finally {
      h.stream.free();
    }
  });
  // The property's own shrunk counterexamples, replayed through the harness.
  const base: WideConfig = {
    av: false,
    gop: 2,
    frameSize: 20_000,
    intermittentProducer: true,
    acks: 'persisted',
    bufferSeconds: 20,
    replaySeconds: 1,
    storeKiB: 10 * 1024,
    tokenLifetimes: [31],
    callDelays: [0],
    putResults: [],
    seed: 0,
  };

  it('B9 a frame half sent on a connection that dropped, which the replay does not reach, is reported dropped', async () => {
    // 0.000 s goes out whole; 0.040 s is in flight when 20 s of buffer evict around it (it stays,
    // pinned, without its fragment start). The connection drops; the 1 s replay starts at 20.16 s.
    const ops: Op[] = [
      { op: 'put', n: 2 },
      { op: 'pause', us: 20 * SECOND },
      { op: 'pump', pick: 0, budget: 60_236, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 3 },
      { op: 'drop', pick: 0, result: 200 },
      { op: 'acks', n: 1, seed: 0 },
      { op: 'pump', pick: 0, budget: 0, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 1 },
      { op: 'pump', pick: 0, budget: 0, sizes: 'tiny', seed: 0 },
    ];
    // fails without the cut-item check in beginSession: "1 frames neither delivered nor reported
    // dropped, e.g. track 1 @ 0.040s"
    expect(await runModel(base, ops)).toEqual([]);
  });

  it('B10 after a reset, a frame of a newer fragment next to the re-inserted in-flight item does not go out under its cluster', async () => {
    // The first key frame is in flight (1 byte sent) when the overflow evicts everything after
    // it, the 23.04 s key frame included, and moves it into the slot right before the 23.16 s
    // frame. The reset's replay resends it; 23.16 s follows it in the ring but not in the stream.
    const cfg: WideConfig = { ...base, gop: 4, acks: 'received', tokenLifetimes: [3600] };
    const ops: Op[] = [
      { op: 'put', n: 1 },
      { op: 'put', n: 6 },
      { op: 'pause', us: 22_720_000 },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 5 },
      { op: 'reset' },
      { op: 'put', n: 1 },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 1 },
      { op: 'acks', n: 100, seed: 0 },
    ];
    // fails with the index-adjacency guard: "handle 2: the frame put at 23.160s went out as 0.120s"
    expect(await runModel(cfg, ops)).toEqual([]);
  });
  it('B11 a connection that replays the re-inserted in-flight item as its only fragment ends once that fragment is PERSISTED', async () => {
    // The 0 s key frame is in flight (1 byte) when the overflow moves it into the slot of the
    // 23.28 s frame. After the drop the replay sends it (its cluster says 0 s) and skips the
    // orphans after it; the PERSISTED ACK for 0 s is outside the window by slot times.
    const cfg: WideConfig = { ...base, gop: 7, frameSize: 20 };
    const ops: Op[] = [
      { op: 'put', n: 1 },
      { op: 'pause', us: 20 * SECOND },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'advance', us: 2_960_000 },
      { op: 'put', n: 9 },
      { op: 'drop', pick: 0, result: 200 },
      { op: 'acks', n: 1, seed: 0 },
      { op: 'put', n: 3 },
      { op: 'advance', us: 0 },
    ];
    // fails when the connection's last fragment is taken by slot PTS (23.28 s) rather than the
    // PTS on the wire: "stopSync rejected although the stream did not fail: STATUS_OPERATION_TIMED_OUT"
    expect(await runModel(cfg, ops)).toEqual([]);
  });
  // Found once the model also varied streaming type, policies, relative times and fragmenting.
  const relative: WideConfig = {
    ...base,
    gop: 1,
    frameSize: 20_000,
    streamingType: 'realtime',
    overflowPolicy: 'fragment',
    pressurePolicy: 'dropTail',
    relativeTimes: true,
    fragmentSeconds: 0,
  };

  it('B12 relative times: a connection opened before the writer starts a new MKV stream maps its ACKs with its own stream start', async () => {
    // The reset opens connection 2 while 37 frames of the first MKV stream wait; two more frames
    // start a new MKV stream (the reset asks for one) before connection 2 sends anything.
    const ops: Op[] = [
      { op: 'pause', us: 26_520_000 },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 37 },
      { op: 'reset' },
      { op: 'put', n: 2 },
      { op: 'acks', n: 1, seed: 0 },
    ];
    // fails with the session start taken from the writer when the first byte goes out:
    // STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW for every fragment, "1 frames neither delivered nor
    // reported dropped, e.g. track 1 @ 28.000s"
    expect(await runModel(relative, ops)).toEqual([]);
  });

  it('B13 relative times: stop() during a rotation that waits for the next key frame still sends what is buffered', async () => {
    // The token (31 s) rotates at 28 s; with relative times the new connection waits for the
    // next MKV stream, i.e. the next key frame, which never comes: the drain stops the stream.
    const ops: Op[] = [
      { op: 'put', n: 1 },
      { op: 'acks', n: 1, seed: 0 },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'pause', us: 27_640_000 },
      { op: 'put', n: 8 },
      { op: 'reset' },
    ];
    // fails without the stop() release: stopSync times out with 7 frames never sent
    expect(await runModel(relative, ops)).toEqual([]);
  });

  it('B14 an evicted STREAM_START item does not let the old connection send the new MKV stream', async () => {
    // The rotation's new MKV stream starts at 40.04 s; the overflow evicts that item (the
    // in-flight 20 s frame takes its slot). The old connection must stop at 40.08 s, which
    // belongs to the new stream, instead of sending it with the new stream's relative timecode.
    const ops: Op[] = [
      { op: 'pause', us: 20 * SECOND },
      { op: 'put', n: 1 },
      { op: 'pause', us: 20 * SECOND },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 2 },
      { op: 'errorAck', pick: 0, fragment: 0, result: 4000, immediate: false },
      { op: 'pump', pick: 0, budget: 0, sizes: 'tiny', seed: 0 },
    ];
    // fails when only a STREAM_START flag ends a session: "handle 1: the frame put at 40.080s
    // went out as 20.040s"
    expect(await runModel({ ...relative, acks: 'received' }, ops)).toEqual([]);
  });
  it('B16 a connection still starts when a full store has no room for its MKV header slot', async () => {
    // 40 kB frames (120 kB key frames) fill the 10 MiB store; after the drop, the replay's first
    // item needs a stream header and the store cannot hold the 204 bytes of the header slot.
    const cfg: WideConfig = {
      ...relative,
      gop: 10,
      frameSize: 39_999,
      intermittentProducer: false,
      tokenLifetimes: [31],
      relativeTimes: false,
      fragmentSeconds: 1,
    };
    const ops: Op[] = [
      { op: 'put', n: 11 },
      { op: 'put', n: 37 },
      { op: 'put', n: 21 },
      { op: 'put', n: 31 },
      { op: 'pump', pick: 0, budget: 0, sizes: 'tiny', seed: 0 },
      { op: 'put', n: 10 },
      { op: 'put', n: 7 },
      { op: 'put', n: 40 },
      { op: 'drop', pick: 0, result: 200 },
      { op: 'put', n: 25 },
      { op: 'put', n: 26 },
      { op: 'put', n: 10 },
      { op: 'stop', sync: false },
      { op: 'pump', pick: 0, budget: 1, sizes: 'tiny', seed: 0 },
      { op: 'acks', n: 1, seed: 0 },
      { op: 'put', n: 1 },
      { op: 'put', n: 1 },
    ];
    // fails when the header slot's STATUS_STORE_OUT_OF_MEMORY escapes getStreamData: the new
    // connection never starts and stopSync times out
    expect(await runModel(cfg, ops)).toEqual([]);
  });
  it('B17 stopSync resolves when the connection it waits for is a rotation whose PutMedia fails after the old one sent everything', async () => {
    // PutMedia answers after 1.5 s; the second one (the rotation at 28 s, during the pause) fails
    // with 500 while the first connection has already sent and persisted everything.
    const cfg: WideConfig = {
      ...relative,
      frameSize: 20,
      intermittentProducer: false,
      callDelays: [1500],
      putResults: [200, 500],
      relativeTimes: false,
    };
    const ops: Op[] = [
      { op: 'put', n: 7 },
      { op: 'pause', us: 33080000 },
      { op: 'eofr' },
      { op: 'pump', pick: 0, budget: 0, sizes: 'tiny', seed: 0 },
      { op: 'acks', n: 1, seed: 0 },
      { op: 'put', n: 11 },
      { op: 'put', n: 5 },
    ];
    // fails without a stop check when a PutMedia call fails: stopSync times out after 120 s
    expect(await runModel(cfg, ops)).toEqual([]);
  });
});
