// Test doubles: a fake clock with timers, a scriptable fake KVS service, and a mock consumer
// (PIC's MockConsumer) that pulls bytes per upload handle, parses them as MKV, and answers with
// ACKs for every fragment it saw.

import { ContentStore } from '@kvs-ts/content-store';
import { type FragmentAck, FragmentAckType, type KvsError, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { MkvParser } from '@kvs-ts/mkv-parser';
import {
  type Clock,
  KinesisVideoStream,
  type PutStreamRequest,
  type ServiceCallOutcome,
  type StreamDefinition,
  type StreamDescription,
  type StreamService,
} from '@kvs-ts/stream';

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock whose time moves only when told; timers run in order as it advances. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, Timer>();

  constructor(start = 1_700_000_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, delay: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, delay), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `us`, running due timers (and the promise callbacks they cause). */
  async advance(us: number): Promise<void> {
    const end = this.t + us;
    for (;;) {
      await settle();
      let next: Timer | undefined;
      for (const timer of this.timers.values())
        if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)))
          next = timer;
      if (!next) break;
      this.timers.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    await settle();
  }
}

type Outcome<X> = ServiceCallOutcome & X;
type Responder<A, X> = (arg: A, call: number) => Outcome<X> | Promise<Outcome<X>>;

/** A fake KVS control plane. Each call's answer can be scripted; calls are recorded. */
export class FakeService implements StreamService<string> {
  readonly calls: Array<{ api: string; arg: unknown; at: number }> = [];
  describe: Responder<string, { description?: StreamDescription }>;
  create: Responder<unknown, { streamArn?: string }> = () => ({
    result: R.OK,
    streamArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/test/1',
  });
  tag: Responder<unknown, object> = () => ({ result: R.OK });
  endpoint: Responder<unknown, { endpoint?: string }> = () => ({
    result: R.OK,
    endpoint: 'https://s-1234.kinesisvideo.us-west-2.amazonaws.com',
  });
  token: Responder<unknown, { token?: string; expiration?: number }>;
  put: Responder<PutStreamRequest<string>, object> = () => ({ result: R.OK });
  readonly opened: PutStreamRequest<string>[] = [];

  constructor(private readonly clock: FakeClock) {
    this.describe = (name) => ({
      result: R.OK,
      description: {
        streamName: name,
        streamArn: `arn:aws:kinesisvideo:us-west-2:123456789012:stream/${name}/1`,
        status: 'ACTIVE',
      },
    });
    this.token = () => ({ result: R.OK, token: 'token', expiration: this.clock.now() + 3_600_000_000 });
  }

  count(api: string): number {
    return this.calls.filter((c) => c.api === api).length;
  }

  private record<A, X>(api: string, r: Responder<A, X>, arg: A): Promise<Outcome<X>> {
    this.calls.push({ api, arg, at: this.clock.now() });
    try {
      return Promise.resolve(r(arg, this.count(api)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  describeStream(streamName: string) {
    return this.record('describe', this.describe, streamName);
  }
  createStream(req: unknown) {
    return this.record('create', this.create, req);
  }
  tagStream(req: unknown) {
    return this.record('tag', this.tag, req);
  }
  getDataEndpoint(req: unknown) {
    return this.record('endpoint', this.endpoint, req);
  }
  getStreamingToken(req: unknown) {
    return this.record('token', this.token, req);
  }
  putStream(req: PutStreamRequest<string>) {
    this.opened.push(req);
    return this.record('put', this.put, req);
  }
}

/** What the consumer saw on one connection. */
export interface Session {
  handle: number;
  bytes: number;
  ebmlHeaders: number;
  /** Cluster timecodes (ticks) in order. */
  clusters: number[];
  frames: Array<{ track: number; ts: number; key: boolean; size: number }>;
  tagNames: string[];
  /** Frame counts at which EBML headers appeared. */
  headersAt: number[];
  /** CodecPrivate of track 1 in each Tracks element seen (undefined: none). */
  codecPrivates: Array<Uint8Array | undefined>;
  ended: boolean;
  error?: unknown;
}

/**
 * Pulls every open upload handle dry, parses each connection's bytes as MKV, and (optionally)
 * sends BUFFERING, RECEIVED and PERSISTED ACKs for each fragment whose end it has seen.
 */
export class MockConsumer {
  readonly sessions = new Map<number, Session>();
  private readonly parsers = new Map<number, MkvParser>();
  private readonly acked = new Map<number, number>();
  /** ACK types to send for each fragment; empty for none. */
  ackTypes: number[] = [FragmentAckType.BUFFERING, FragmentAckType.RECEIVED, FragmentAckType.PERSISTED];
  /** Largest slice asked for per call. */
  chunk = 4096;

  constructor(private readonly stream: KinesisVideoStream<unknown>) {}

  session(handle: number): Session {
    let s = this.sessions.get(handle);
    if (!s) {
      s = {
        handle,
        bytes: 0,
        ebmlHeaders: 0,
        headersAt: [],
        codecPrivates: [],
        clusters: [],
        frames: [],
        tagNames: [],
        ended: false,
      };
      this.sessions.set(handle, s);
      const session = s;
      this.parsers.set(
        handle,
        new MkvParser({
          ebmlHeader: () => {
            session.ebmlHeaders++;
            session.headersAt.push(session.frames.length);
          },
          tracks: (tracks) => session.codecPrivates.push(tracks.find((t) => t.number === 1)?.codecPrivate?.slice()),
          clusterStart: (c) => session.clusters.push(c.timecode),
          frame: (f) =>
            session.frames.push({ track: f.trackNumber, ts: f.timestampUs, key: f.keyFrame, size: f.data.length }),
          tags: (tags) => {
            for (const t of tags) for (const st of t.simpleTags) session.tagNames.push(st.name);
          },
        }),
      );
    }
    return s;
  }

  /** Drains every handle; returns the bytes pulled. */
  pump(): number {
    let total = 0;
    for (const { handle } of this.stream.uploadHandles) {
      const s = this.session(handle);
      const parser = this.parsers.get(handle)!;
      let awaited = false;
      for (let guard = 0; ; guard++) {
        if (guard > 1_000_000) throw new Error(`handle ${handle} never runs dry`);
        const r = this.stream.getStreamData(handle, this.chunk);
        if (r.status === StatusCode.STATUS_SUCCESS) {
          s.bytes += r.data.length;
          total += r.data.length;
          try {
            parser.push(r.data.slice());
          } catch (e) {
            s.error = e;
          }
          continue;
        }
        if (r.status === StatusCode.STATUS_END_OF_STREAM && !s.ended) {
          s.ended = true;
          this.stream.streamTerminated(handle, R.OK);
        }
        // The end-of-stream tags closed the last fragment: the service ACKs it.
        if (r.status === StatusCode.STATUS_AWAITING_PERSISTED_ACK && !awaited) {
          awaited = true;
          this.ack(handle, s, true);
          continue;
        }
        break;
      }
      this.ack(handle, s, false);
    }
    return total;
  }

  /** ACKs fragments that are complete (a later cluster began) or, with `all`, every one seen. */
  ack(handle: number, s: Session, all: boolean): void {
    if (this.ackTypes.length === 0) return;
    const done = this.acked.get(handle) ?? 0;
    const complete = all || s.ended ? s.clusters.length : s.clusters.length - 1;
    for (let i = done; i < complete; i++) {
      for (const type of this.ackTypes) {
        this.stream.fragmentAck(handle, {
          ackType: type as FragmentAck['ackType'],
          timecode: s.clusters[i],
          fragmentNumber: `${1000 + i}`,
          result: R.OK,
        });
      }
    }
    this.acked.set(handle, Math.max(done, complete));
  }

  /** ACKs everything seen so far on every handle. */
  ackAll(): void {
    for (const [handle, s] of this.sessions) this.ack(handle, s, true);
  }

  /** Every frame of every session, in session order. */
  allFrames(): Session['frames'] {
    return [...this.sessions.values()].flatMap((s) => s.frames);
  }
}

/** A 1-track H.264-ish stream: key frame every `gop` frames, `fps`, opaque AVCC payloads. */
export function* videoFrames(count: number, opts: { fps?: number; gop?: number; start?: number; size?: number } = {}) {
  const fps = opts.fps ?? 25;
  const gop = opts.gop ?? 25;
  const start = opts.start ?? 1_700_000_000_000_000;
  const size = opts.size ?? 200;
  for (let i = 0; i < count; i++) {
    const ts = start + Math.round((i * 1_000_000) / fps);
    const data = new Uint8Array(size);
    data[0] = i & 0xff;
    data[1] = (i >> 8) & 0xff;
    yield {
      trackId: 1,
      pts: ts,
      dts: ts,
      duration: Math.round(1_000_000 / fps),
      flags: i % gop === 0 ? 1 : 0,
      data,
      index: i,
    };
  }
}

/** An opaque video track (its frames need not be real video). */
export const OPAQUE_TRACK = { trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 as const };

/**
 * A stream on an opaque video track with a fake clock, fake service and mock consumer, and the
 * events tests look at (states, errors with and without details, dropped frames).
 */
export function setupStream(
  def: Partial<StreamDefinition> = {},
  opts: { intermittentProducer?: boolean; storageSize?: number } = {},
) {
  const clock = new FakeClock();
  const service = new FakeService(clock);
  const store = new ContentStore({ storageSize: opts.storageSize ?? 16 * 1024 * 1024 });
  const stream = new KinesisVideoStream({
    definition: { streamName: 'test', tracks: [OPAQUE_TRACK], nalAdaptationFlags: 0, ...def },
    store,
    service,
    clock,
    random: () => 0.5,
    intermittentProducer: opts.intermittentProducer ?? false,
  });
  const states: number[] = [];
  const errors: Array<{ error: KvsError; fatal: boolean }> = [];
  const errorNames: string[] = [];
  const dropped: number[] = [];
  stream.on('stateChange', (state) => states.push(state));
  stream.on('error', (error, d) => {
    errors.push({ error, fatal: d.fatal });
    errorNames.push(error.statusName);
  });
  stream.on('droppedFrame', (pts) => dropped.push(pts));
  const consumer = new MockConsumer(stream as KinesisVideoStream<unknown>);
  return { clock, service, store, stream, states, errors, errorNames, dropped, consumer };
}

/**
 * `setupStream`, with `errors` as the status names of the errors reported (the form the ACK and
 * token-rotation tests compare).
 */
export function setupStreamWithErrorNames(
  def: Partial<StreamDefinition> = {},
  opts: { intermittentProducer?: boolean; storageSize?: number } = {},
) {
  const s = setupStream(def, opts);
  return { ...s, errors: s.errorNames };
}
