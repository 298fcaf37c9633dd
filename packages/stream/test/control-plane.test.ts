// The control plane: how a stream gets from NEW to READY (DescribeStream, CreateStream,
// TagResource, GetDataEndpoint, GetStreamingToken) and on to its first PutMedia, and how each of
// these calls is retried with backoff (5 times per state), times out, or fails the stream.
import { ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { StreamState as S } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';

const setup = setupStream;

describe('the happy path', () => {
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

describe('retries (5 per state) and failures', () => {
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

describe('retry rows of the service states', () => {
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
});
