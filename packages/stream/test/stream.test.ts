import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType, KvsError, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { KinesisVideoStream, StreamState as S, type StreamDefinition, UploadHandleState as U } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService, OPAQUE_TRACK, settle, setupStream, videoFrames } from './fakes';

const MiB = 1024 * 1024;

const setup = setupStream;

describe('KinesisVideoStream: the happy path', () => {
  it('describes, gets endpoint and token, becomes READY, opens a connection on the first frame, streams', async () => {
    const { clock, service, stream, states, consumer } = setup();
    let ready = 0;
    stream.on('ready', () => ready++);
    stream.start();
    await clock.advance(0);
    expect(states).toEqual([S.DESCRIBE, S.GET_ENDPOINT, S.GET_TOKEN, S.READY]);
    expect(ready).toBe(1);
    expect(service.count('put')).toBe(0);
    const frames = [...videoFrames(75)];
    for (const f of frames) stream.putFrame(f);
    await clock.advance(0);
    expect(stream.state).toBe(S.STREAMING);
    expect(service.opened[0]).toMatchObject({
      streamName: 'test',
      containerType: 'video/x-matroska',
      absoluteFragmentTimes: true,
      fragmentAcks: true,
    });
    consumer.pump();
    const s = consumer.sessions.get(1)!;
    expect(s.error).toBeUndefined();
    expect(s.ebmlHeaders).toBe(1);
    expect(s.clusters).toHaveLength(3);
    expect(s.frames.map((f) => f.ts)).toEqual(frames.map((f) => f.pts));
    // PERSISTED ACKs for the two finished fragments trim them.
    expect(stream.view.tail).toBe(50);
    expect(stream.metrics().persistedAcks).toBe(2);
  });

  it('creates the stream when DescribeStream says it does not exist, and tags it', async () => {
    const { clock, service, stream, states } = setup({ tags: { owner: 'tests' } });
    service.describe = () => ({ result: R.RESOURCE_NOT_FOUND });
    stream.start();
    // The 404 is a failed result: PIC's transition hook backs off before CREATE.
    await clock.advance(1_000_000);
    expect(states).toEqual([S.DESCRIBE, S.CREATE, S.TAG_STREAM, S.GET_ENDPOINT, S.GET_TOKEN, S.READY]);
    expect(service.calls.find((c) => c.api === 'create')?.arg).toMatchObject({
      streamName: 'test',
      contentType: 'video/x-matroska',
      retentionPeriod: 3_600_000_000,
    });
    expect(service.calls.find((c) => c.api === 'tag')?.arg).toMatchObject({ tags: { owner: 'tests' } });
    expect(stream.arn).toContain('stream/test');
  });

  it('fails with RESOURCE_NOT_FOUND when creation is not allowed', async () => {
    const { clock, service, stream, errors } = setup({ allowStreamCreation: false });
    service.describe = () => ({ result: R.RESOURCE_NOT_FOUND });
    stream.start();
    await clock.advance(0);
    expect(errors).toHaveLength(1);
    expect(errors[0].fatal).toBe(true);
    expect(errors[0].error.status).toBe(StatusCode.STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND_ERROR);
    expect(() => stream.putFrame([...videoFrames(1)][0])).toThrow(/the stream failed/);
  });

  it('polls DescribeStream with backoff while the stream is CREATING', async () => {
    const { clock, service, stream } = setup();
    service.describe = (name, n) => ({
      result: R.OK,
      description: { streamName: name, streamArn: 'arn:x', status: n < 3 ? 'CREATING' : 'ACTIVE' },
    });
    stream.start();
    await clock.advance(0);
    expect(service.count('describe')).toBe(1);
    await clock.advance(60_000_000);
    expect(service.count('describe')).toBe(3);
    expect(stream.state).toBe(S.READY);
    const at = service.calls.filter((c) => c.api === 'describe').map((c) => c.at - service.calls[0].at);
    // Full jitter at 0.5: half of 100 ms, then half of 200 ms.
    expect(at).toEqual([0, 50_000, 150_000]);
  });

  it('fails for good when the stream is DELETING', async () => {
    const { clock, service, stream, errors } = setup();
    service.describe = (name) => ({
      result: R.OK,
      description: { streamName: name, streamArn: 'arn:x', status: 'DELETING' },
    });
    stream.start();
    await clock.advance(0);
    expect(errors.map((e) => [e.error.statusName, e.fatal])).toEqual([['STATUS_STREAM_IS_BEING_DELETED_ERROR', true]]);
  });
});

describe('KinesisVideoStream: retries (5 per state) and failures', () => {
  it('gives up DESCRIBE after 5 retries, reports it, and starts over from NEW (restart on error)', async () => {
    const { clock, service, stream, errors, states } = setup();
    service.describe = (name, n) =>
      n <= 6
        ? { result: R.REQUEST_TIMEOUT }
        : { result: R.OK, description: { streamName: name, streamArn: 'arn:x', status: 'ACTIVE' } };
    stream.start();
    await clock.advance(120_000_000);
    expect(errors[0].error.statusName).toBe('STATUS_DESCRIBE_STREAM_CALL_FAILED');
    expect(errors[0].fatal).toBe(false);
    expect(states).toContain(S.NEW);
    expect(stream.state).toBe(S.READY);
    expect(service.count('describe')).toBe(7);
  });

  it('treats a timed-out call as REQUEST_TIMEOUT', async () => {
    const { clock, service, stream } = setup();
    let n = 0;
    service.endpoint = () => (n++ === 0 ? new Promise(() => {}) : { result: R.OK, endpoint: 'https://x' });
    stream.start();
    await clock.advance(14_000_000);
    expect(stream.state).toBe(S.GET_ENDPOINT);
    await clock.advance(2_000_000);
    expect(stream.state).toBe(S.READY);
    expect(service.count('endpoint')).toBe(2);
  });

  it('fails at once on a result that is not worth retrying (403 on GetDataEndpoint)', async () => {
    const { clock, service, stream, errors } = setup();
    service.endpoint = () => ({ result: R.FORBIDDEN });
    stream.start();
    await clock.advance(1_000_000);
    expect(service.count('endpoint')).toBe(1);
    expect(errors.map((e) => [e.error.statusName, e.fatal])).toEqual([
      ['STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR', true],
    ]);
  });

  it('goes on without tags when TagResource keeps failing (non-fatal)', async () => {
    const { clock, service, stream, errors } = setup({ tags: { a: 'b' } });
    service.tag = () => ({ result: R.INTERNAL_ERROR });
    stream.start();
    await clock.advance(60_000_000);
    expect(service.count('tag')).toBe(6);
    expect(errors.map((e) => [e.error.statusName, e.fatal])).toEqual([['STATUS_TAG_STREAM_CALL_FAILED', false]]);
    expect(stream.state).toBe(S.READY);
  });

  it('retries a token whose expiration is too close, with STATUS_INVALID_TOKEN_EXPIRATION', async () => {
    const { clock, service, stream, errors } = setup();
    service.token = (_a, n) => ({
      result: R.OK,
      token: 't',
      expiration: clock.now() + (n === 1 ? 10_000_000 : 3_600_000_000),
    });
    stream.start();
    await clock.advance(1_000_000);
    expect(errors[0].error.statusName).toBe('STATUS_INVALID_TOKEN_EXPIRATION');
    expect(stream.state).toBe(S.READY);
  });
});

describe('KinesisVideoStream: retry rows of the service states', () => {
  const retryRows: Array<[string, 'create' | 'tag' | 'endpoint' | 'token', number]> = [
    ['CREATE', 'create', S.CREATE],
    ['TAG_STREAM', 'tag', S.TAG_STREAM],
    ['GET_ENDPOINT', 'endpoint', S.GET_ENDPOINT],
    ['GET_TOKEN', 'token', S.GET_TOKEN],
  ];
  for (const [name, api, state] of retryRows) {
    it(`${name} retries a failed call with backoff and moves on when it succeeds`, async () => {
      const { clock, service, stream, states } = setup({ tags: { k: 'v' } });
      service.describe = () => ({ result: R.RESOURCE_NOT_FOUND });
      const ok = service[api];
      service[api] = ((arg: never, n: number) => (n <= 2 ? { result: R.SERVICE_UNAVAILABLE } : ok(arg, n))) as never;
      stream.start();
      await clock.advance(10_000_000);
      expect(service.count(api)).toBe(3);
      // Two re-entries of the state, then on.
      expect(states.filter((s) => s === state)).toHaveLength(1);
      expect(stream.state).toBe(S.READY);
      expect(stream.metrics().streamApiCallRetryCount).toBe(2);
    });
  }

  it('READY moves to PUT_STREAM only once there is data, and STREAMING stays put', async () => {
    const { clock, service, stream } = setup();
    stream.start();
    await clock.advance(60_000_000);
    expect(stream.state).toBe(S.READY);
    expect(service.count('put')).toBe(0);
    stream.putFrame([...videoFrames(1)][0]);
    await clock.advance(0);
    expect(stream.state).toBe(S.STREAMING);
    await clock.advance(60_000_000);
    expect(stream.state).toBe(S.STREAMING);
    expect(service.count('put')).toBe(1);
  });

  it('emits metrics periodically when asked', async () => {
    const clock = new FakeClock();
    const stream = new KinesisVideoStream({
      definition: { streamName: 'm', tracks: [OPAQUE_TRACK], nalAdaptationFlags: 0 },
      store: new ContentStore({ storageSize: 16 * MiB }),
      service: new FakeService(clock),
      clock,
      intermittentProducer: false,
      metricsInterval: 10_000_000,
    });
    const seen: string[] = [];
    stream.on('metrics', (m) => seen.push(m.state));
    stream.start();
    await clock.advance(35_000_000);
    expect(seen).toEqual(['READY', 'READY', 'READY']);
    stream.free();
    await clock.advance(35_000_000);
    expect(seen).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });
});

describe('KinesisVideoStream: PUT_STREAM and STOPPED recovery rows', () => {
  const putRows: Array<[number, number]> = [
    [R.REQUEST_TIMEOUT, S.GET_ENDPOINT],
    [R.NETWORK_CONNECTION_TIMEOUT, S.GET_ENDPOINT],
    [R.NOT_AUTHORIZED, S.GET_TOKEN],
    [R.INTERNAL_ERROR, S.DESCRIBE],
  ];
  for (const [result, target] of putRows) {
    it(`a failed PutMedia (${result}) leads back to ${Object.entries(S).find(([, v]) => v === target)?.[0]}`, async () => {
      const { clock, service, stream, states } = setup();
      service.put = (_req, n) => (n === 1 ? { result } : { result: R.OK });
      stream.start();
      await clock.advance(0);
      for (const f of videoFrames(5)) stream.putFrame(f);
      await clock.advance(1_000_000);
      const after = states.slice(states.indexOf(S.PUT_STREAM) + 1);
      expect(after[0]).toBe(target);
      expect(stream.state).toBe(S.STREAMING);
      expect(stream.uploadHandles.map((h) => h.state)).toEqual([U.READY]);
    });
  }

  const stoppedRows: Array<[number, number]> = [
    [R.OK, S.GET_ENDPOINT],
    [R.CLIENT_LIMIT, S.GET_ENDPOINT],
    [R.STREAM_LIMIT, S.GET_ENDPOINT],
    [R.NOT_AUTHORIZED, S.GET_TOKEN],
    [R.RESOURCE_IN_USE, S.DESCRIBE],
    [R.UNKNOWN, S.DESCRIBE],
    [R.ACK_INTERNAL_ERROR, S.DESCRIBE],
    [R.RESOURCE_NOT_FOUND, S.DESCRIBE],
    [R.RESOURCE_DELETED, S.DESCRIBE],
    [R.REQUEST_TIMEOUT, S.READY],
    [R.NETWORK_READ_TIMEOUT, S.READY],
    [R.ACK_STREAM_READ_ERROR, S.NEW],
  ];
  for (const [result, target] of stoppedRows) {
    it(`a connection that ends with ${result} goes STOPPED → ${Object.entries(S).find(([, v]) => v === target)?.[0]} and streams again`, async () => {
      const { clock, stream, states, consumer } = setup();
      stream.start();
      await clock.advance(0);
      for (const f of videoFrames(30)) stream.putFrame(f);
      await clock.advance(0);
      consumer.pump();
      states.length = 0;
      stream.streamTerminated(1, result);
      await clock.advance(1_000_000);
      expect(states[0]).toBe(S.STOPPED);
      expect(states[1]).toBe(target);
      expect(stream.state).toBe(S.STREAMING);
      // The new connection starts with a fresh MKV header and replays from a fragment start.
      consumer.pump();
      const second = consumer.sessions.get(2)!;
      expect(second.ebmlHeaders).toBe(1);
      expect(second.error).toBeUndefined();
      expect(second.frames[0].key).toBe(true);
    });
  }

  it('without restart on error, a failed connection stops the stream with its status', async () => {
    const { clock, stream, errors, consumer } = setup({ restartOnError: false });
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    stream.streamTerminated(1, R.INTERNAL_ERROR);
    await clock.advance(0);
    expect(errors.map((e) => [e.error.statusName, e.fatal])).toEqual([['STATUS_SERVICE_CALL_UNKOWN_ERROR', true]]);
  });
});

describe('KinesisVideoStream: frames, metadata and validation', () => {
  it('rejects bad frames with the writer status and keeps going', async () => {
    const { clock, stream } = setup();
    stream.start();
    await clock.advance(0);
    const [a, b] = [...videoFrames(2)];
    stream.putFrame(a);
    expect(() => stream.putFrame({ ...b, pts: a.pts - 1_000_000, dts: a.dts - 1_000_000 })).toThrow(KvsError);
    stream.putFrame(b);
    expect(stream.view.head).toBe(2);
    expect(stream.metrics().putFrameErrors).toBe(1);
  });

  it('rejects AWS-prefixed metadata names, and writes fragment metadata as tags', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    expect(() => stream.putFragmentMetadata('AWS_X', 'y', false)).toThrow(/STATUS_INVALID_METADATA_NAME/);
    const frames = [...videoFrames(50)];
    stream.putFrame(frames[0]);
    stream.putFragmentMetadata('motion', 'true', false);
    for (const f of frames.slice(1)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).toContain('motion');
  });

  it('refuses frames after stop()', () => {
    const { stream } = setup();
    stream.stop();
    expect(() => stream.putFrame([...videoFrames(1)][0])).toThrow(/STATUS_STREAM_HAS_BEEN_STOPPED/);
  });

  it('validates the definition with PIC statuses', () => {
    const make = (def: Partial<StreamDefinition>) => () =>
      new KinesisVideoStream({
        definition: { streamName: 'x', ...def },
        store: new ContentStore({ storageSize: 16 * MiB }),
        service: new FakeService(new FakeClock()),
        clock: new FakeClock(),
      });
    expect(make({ streamName: '' })).toThrow(/STATUS_INVALID_STREAM_NAME_LENGTH/);
    expect(make({ streamName: 'x'.repeat(257) })).toThrow(/STATUS_INVALID_STREAM_NAME_LENGTH/);
    expect(make({ retentionPeriod: 1000 })).toThrow(/STATUS_INVALID_RETENTION_PERIOD/);
    expect(make({ streamingType: 2, retentionPeriod: 0 })).toThrow(/STATUS_OFFLINE_MODE_WITH_ZERO_RETENTION/);
    expect(make({ bufferDuration: 1_000_000 })).toThrow(/STATUS_INVALID_CONTENT_VIEW_DURATION/);
    expect(make({ tracks: [] })).toThrow(/STATUS_TRACK_INFO_MISSING/);
    expect(
      make({
        tracks: [
          OPAQUE_TRACK,
          { ...OPAQUE_TRACK, trackId: 2 },
          { ...OPAQUE_TRACK, trackId: 3 },
          { ...OPAQUE_TRACK, trackId: 4 },
        ],
      }),
    ).toThrow(/STATUS_MAX_TRACK_COUNT_EXCEEDED/);
    expect(make({ contentType: 'x'.repeat(129) })).toThrow(/STATUS_MKV_INVALID_CONTENT_TYPE_LENGTH/);
  });

  it('has the AWS SDK defaults', () => {
    const { stream } = setup();
    const d = stream.definition;
    expect([
      d.fragmentDuration,
      d.bufferDuration,
      d.replayDuration,
      d.connectionStalenessDuration,
      d.timecodeScale,
    ]).toEqual([2_000_000, 120_000_000, 40_000_000, 30_000_000, 1000]);
    expect([d.keyFrameFragmentation, d.absoluteFragmentTimes, d.fragmentAcks, d.restartOnError, d.frameRate]).toEqual([
      true,
      true,
      true,
      true,
      25,
    ]);
  });
});

describe('KinesisVideoStream: stop and reset', () => {
  it('stopSync drains, sends the end-of-fragment tag, and resolves on the last PERSISTED ACK', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(60)) stream.putFrame(f);
    await clock.advance(0);
    let done = false;
    const p = stream.stopSync().then(() => {
      done = true;
    });
    consumer.ackTypes = [];
    consumer.pump();
    await settle();
    expect(done).toBe(false);
    expect(stream.uploadHandles[0]?.state).toBe(U.AWAITING_ACK);
    consumer.ackTypes = [FragmentAckType.PERSISTED];
    consumer.ackAll();
    consumer.pump();
    await p;
    expect(done).toBe(true);
    const s = consumer.sessions.get(1)!;
    expect(s.tagNames.at(-1)).toBe('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    expect(s.frames).toHaveLength(60);
    expect(s.ended).toBe(true);
  });

  it('resetConnection keeps the data and replays it on a new connection', async () => {
    const { clock, stream, consumer } = setup();
    stream.start();
    await clock.advance(0);
    consumer.ackTypes = [];
    for (const f of videoFrames(40)) stream.putFrame(f);
    await clock.advance(0);
    consumer.pump();
    stream.resetConnection();
    await clock.advance(1_000_000);
    consumer.pump();
    const second = consumer.sessions.get(2)!;
    expect(second.frames[0].ts).toBe(consumer.sessions.get(1)!.frames[0].ts);
    expect(second.frames).toHaveLength(40);
  });

  it('resetStream drops buffered data and restarts from NEW', async () => {
    const { clock, stream, states } = setup();
    const dropped: number[] = [];
    stream.on('droppedFrame', (pts) => dropped.push(pts));
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10)) stream.putFrame(f);
    stream.resetStream();
    await clock.advance(0);
    expect(stream.view.head - stream.view.tail).toBe(0);
    expect(dropped).toHaveLength(10);
    expect(states.filter((s) => s === S.NEW)).toHaveLength(1);
    expect(stream.state).toBe(S.READY);
  });
});

describe('KinesisVideoStream: stopSync timeout and metrics', () => {
  it('stopSync fails with STATUS_OPERATION_TIMED_OUT when nothing drains it (no transport pulls)', async () => {
    const { clock, stream } = setup();
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10)) stream.putFrame(f);
    let error: unknown;
    const p = stream.stopSync(5_000_000).catch((e) => {
      error = e;
    });
    await clock.advance(6_000_000);
    await p;
    expect(String(error)).toContain('STATUS_OPERATION_TIMED_OUT');
    stream.free();
  });

  it('reports API latencies and session durations', async () => {
    const { clock, service, stream, consumer } = setup();
    service.describe = (name) =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => resolve({ result: R.OK, description: { streamName: name, streamArn: 'arn:x', status: 'ACTIVE' } }),
          200_000,
        ),
      );
    service.put = () => new Promise((resolve) => clock.setTimeout(() => resolve({ result: R.OK }), 50_000));
    stream.start();
    await clock.advance(1_000_000);
    for (const f of videoFrames(50)) stream.putFrame(f);
    await clock.advance(1_000_000);
    consumer.pump();
    await clock.advance(3_000_000);
    const p = stream.stopSync();
    consumer.pump();
    await p;
    const m = stream.metrics();
    // describe 200 ms, then endpoint and token at 0 ms: EMA 200 → 160 → 128 ms.
    expect(m.cplApiCallLatency).toBe(128_000);
    expect(m.dataApiCallLatency).toBe(50_000);
    expect(m.avgSessionDuration).toBeGreaterThanOrEqual(3_000_000);
    expect(m.totalSessions).toBe(1);
  });

  it('measures the frame rate from the frames’ timestamps', async () => {
    const { stream } = setup();
    for (const f of videoFrames(50, { fps: 30 })) stream.putFrame(f);
    expect(stream.metrics().currentFrameRate).toBeCloseTo(30, 0);
  });
});

describe('KinesisVideoStream: a connection starting inside an older MKV stream', () => {
  it('sends that stream’s header (its tracks and codec private data), not the newest one', async () => {
    const SEC = 1_000_000;
    const s = setupStream({ replayDuration: 5 * SEC });
    s.consumer.ackTypes = []; // nothing is acknowledged: the replay finds every frame still buffered
    s.service.token = () => ({ result: R.OK, token: 't', expiration: s.clock.now() + 40 * SEC });
    s.stream.writer.setCodecPrivateData(1, Uint8Array.of(1, 2, 3));
    s.stream.start();
    await s.clock.advance(0);
    const start = s.clock.now();
    const frames = [...videoFrames(1200, { start, gop: 25 })];
    let k = 0;
    const run = async (untilUs: number) => {
      for (; frames[k].pts < start + untilUs; k++) {
        s.stream.putFrame(frames[k]);
        s.consumer.pump();
        await s.clock.advance(40_000);
      }
    };
    await run(36 * SEC);
    // The format changes; the rotation at 37 s starts MKV stream 2, which carries the new CPD.
    s.stream.writer.setCodecPrivateData(1, Uint8Array.of(4, 5, 6));
    await run(40 * SEC);
    const second = s.stream.uploadHandles.at(-1)?.handle ?? 0;
    expect(second).toBe(2);
    expect(s.consumer.session(2).codecPrivates).toEqual([Uint8Array.of(4, 5, 6)]);
    // Connection 2 drops; the 5 s replay reaches back into MKV stream 1 (before 37 s).
    s.stream.streamTerminated(2, R.NETWORK_READ_TIMEOUT);
    await run(42 * SEC);
    const third = s.consumer.session(3);
    expect(third.frames[0].ts).toBeLessThan(start + 37 * SEC);
    // Its first header is MKV stream 1's (CPD 1 2 3); stream 2 follows on a connection of its own.
    expect(third.codecPrivates[0]).toEqual(Uint8Array.of(1, 2, 3));
    expect(third.codecPrivates).toEqual([Uint8Array.of(1, 2, 3)]);
    expect(s.consumer.session(4).codecPrivates[0]).toEqual(Uint8Array.of(4, 5, 6));
  });
});

describe('KinesisVideoStream: stop() during a rotation with relative fragment times', () => {
  it('opens no extra connection while the old one still sends what is buffered', async () => {
    const s = setupStream({ absoluteFragmentTimes: false });
    s.service.token = () => ({ result: R.OK, token: 't', expiration: s.clock.now() + 31_000_000 });
    s.stream.start();
    await s.clock.advance(0);
    const frames = [...videoFrames(2000, { start: s.clock.now(), gop: 250 })]; // a key frame every 10 s
    // 29 s of frames: the rotation at 28 s waits for the next MKV stream (the key frame at 30 s);
    // the last second is still buffered when the stream stops.
    for (let k = 0; k < 29 * 25; k++) {
      s.stream.putFrame(frames[k]);
      if (k < 28 * 25) s.consumer.pump();
      await s.clock.advance(40_000);
    }
    expect(s.service.count('put')).toBe(1);
    const stop = s.stream.stopSync();
    for (let r = 0; r < 50; r++) {
      s.consumer.pump();
      await s.clock.advance(100_000);
    }
    await stop;
    expect(s.service.count('put')).toBe(1);
    expect(s.consumer.allFrames().length).toBe(29 * 25);
  });
});

describe('KinesisVideoStream: listeners that call back', () => {
  it('a putFrame from a droppedFrame listener inside getStreamData gets STATUS_INVALID_OPERATION; the pull goes on', async () => {
    const SEC = 1_000_000;
    const s = setupStream({ bufferDuration: 20 * SEC });
    s.stream.start();
    await s.clock.advance(0);
    const start = s.clock.now();
    const frame = (ms: number, key: boolean) => ({
      trackId: 1,
      pts: start + ms * 1000,
      dts: start + ms * 1000,
      duration: 40_000,
      flags: key ? 1 : 0,
      data: new Uint8Array(200),
    });
    s.stream.putFrame(frame(0, true));
    await s.clock.advance(20 * SEC); // nobody pulls
    // The 20 s buffer evicts the key frame and 20.04 s; 20.08 s is left without its fragment start.
    s.stream.putFrame(frame(20_040, false));
    s.stream.putFrame(frame(20_080, false));
    s.stream.putFrame(frame(20_120, true));
    const seen: string[] = [];
    s.stream.on('droppedFrame', (pts) => {
      if (pts !== start + 20_080_000) return;
      try {
        s.stream.putFrame(frame(20_160, false));
        seen.push('taken');
      } catch (e) {
        seen.push(e instanceof KvsError ? e.statusName : String(e));
      }
    });
    // The session start gives up on the orphan (a droppedFrame from inside getStreamData).
    const r = s.stream.getStreamData(1, 1 << 20);
    expect(seen).toEqual(['STATUS_INVALID_OPERATION']);
    expect(r.status).toBe(StatusCode.STATUS_SUCCESS);
    // Afterwards puts work again.
    s.stream.putFrame(frame(20_160, false));
    s.consumer.pump();
    expect(s.consumer.allFrames().map((f) => (f.ts - start) / 1000)).toEqual([20_120, 20_160]);
  });
});
