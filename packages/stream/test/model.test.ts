// Model-based test of the whole producer stream: random frames, pumps, ACKs, connection drops
// with every kind of result, connection resets, retriable ERROR ACKs and time passing. Whatever
// happens, every connection carries valid MKV that starts with its own header, frames within a
// connection move forward, nothing but KvsError is thrown, and at the end every frame put was
// delivered or reported dropped.
import { ContentStore } from '@kvs-ts/content-store';
import { FragmentAckType, KvsError, ServiceCallResult as R } from '@kvs-ts/core';
import { KinesisVideoStream } from '@kvs-ts/stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService, MockConsumer, OPAQUE_TRACK, videoFrames } from './fakes';

type Op =
  | { op: 'put'; n: number }
  | { op: 'pump' }
  | { op: 'drop'; result: number }
  | { op: 'errorAck' }
  | { op: 'reset' }
  | { op: 'advance'; us: number }
  | { op: 'ackMode'; on: boolean };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('put' as const), n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 4, arbitrary: fc.constant({ op: 'pump' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      result: fc.constantFrom(
        R.OK,
        R.REQUEST_TIMEOUT,
        R.NETWORK_READ_TIMEOUT,
        R.NOT_AUTHORIZED,
        R.INTERNAL_ERROR,
        R.RESOURCE_IN_USE,
        R.CLIENT_LIMIT,
        R.ACK_STREAM_READ_ERROR,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'errorAck' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), us: fc.integer({ min: 0, max: 5_000_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ackMode' as const), on: fc.boolean() }) },
);

describe('KinesisVideoStream model', () => {
  it('keeps its promises under random faults', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { minLength: 5, maxLength: 60 }), async (ops) => {
        const clock = new FakeClock();
        const service = new FakeService(clock);
        const stream = new KinesisVideoStream({
          definition: {
            streamName: 'model',
            tracks: [OPAQUE_TRACK],
            nalAdaptationFlags: 0,
            bufferDuration: 60_000_000,
            replayDuration: 20_000_000,
          },
          store: new ContentStore({ storageSize: 12 * 1024 * 1024 }),
          service,
          clock,
          random: () => 0.3,
          intermittentProducer: false,
        });
        const dropped = new Set<number>();
        stream.on('droppedFrame', (pts) => dropped.add(pts));
        stream.on('error', (e) => {
          if (!(e instanceof KvsError)) throw new Error('non-KvsError reported');
        });
        const consumer = new MockConsumer(stream as KinesisVideoStream<unknown>);
        stream.start();
        await clock.advance(0);
        const source = videoFrames(100_000, { gop: 15, size: 300, start: clock.now() });
        const put: number[] = [];
        for (const o of ops) {
          switch (o.op) {
            case 'put':
              for (let k = 0; k < o.n; k++) {
                const f = source.next().value!;
                stream.putFrame(f);
                put.push(f.pts);
              }
              break;
            case 'pump':
              consumer.pump();
              break;
            case 'drop': {
              const h = stream.uploadHandles.find((x) => x.state === 0x04 || x.state === 0x02);
              if (h) stream.streamTerminated(h.handle, o.result);
              break;
            }
            case 'errorAck': {
              const h = stream.uploadHandles.find((x) => x.state === 0x04);
              const s = h && consumer.sessions.get(h.handle);
              if (h && s && s.clusters.length > 0) {
                stream.fragmentAck(h.handle, {
                  ackType: FragmentAckType.ERROR,
                  timecode: s.clusters.at(-1)!,
                  result: R.ACK_STREAM_READ_ERROR,
                });
              }
              break;
            }
            case 'reset':
              stream.resetConnection();
              break;
            case 'advance':
              await clock.advance(o.us);
              break;
            case 'ackMode':
              consumer.ackTypes = o.on
                ? [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED]
                : [];
              break;
          }
          for (const s of consumer.sessions.values()) {
            expect(s.error).toBeUndefined();
            if (s.bytes > 0) expect(s.headersAt[0]).toBe(0);
            for (let i = 1; i < s.frames.length; i++)
              if (!s.headersAt.includes(i)) expect(s.frames[i].ts).toBeGreaterThan(s.frames[i - 1].ts);
          }
        }
        // Drain: ACKs on, stop, let the state machine reconnect as needed and the consumer pull.
        consumer.ackTypes = [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED];
        const stopped = stream.stopSync();
        let settled = false;
        stopped.then(
          () => (settled = true),
          () => (settled = true),
        );
        for (let round = 0; round < 200 && !settled; round++) {
          consumer.pump();
          await clock.advance(1_000_000);
        }
        expect(settled).toBe(true);
        await stopped;
        const delivered = new Set(consumer.allFrames().map((f) => f.ts));
        const lost = put.filter((ts) => !delivered.has(ts) && !dropped.has(ts));
        expect(lost).toEqual([]);
        stream.free();
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
