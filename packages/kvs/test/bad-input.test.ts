// Bad input at every public entry of @kvs-ts/kvs (issue 9, "Reliability suite", last item):
// wrong types, out-of-range timestamps, frames after stop, a definition with 4 tracks, garbage
// Annex-B, empty data, an unknown track, bad fragment metadata and stream events. Each call must
// throw (or reject) a KvsError whose statusName is a PIC status, and the stream or client must
// stay usable: a valid frame put afterwards is accepted.
//
// Isomorphic (runs in Node, Chromium and Deno): no emulator. The client points at a dead
// endpoint and its `fetch` fails at once, and its clock is a fake that only moves when the test
// says, so no backoff timer ever waits for the network.
import {
  type Frame,
  isKvsError,
  KinesisVideoClient,
  type KinesisVideoStream,
  offlineStream,
  realtimeStream,
  StreamEventType,
} from '@kvs-ts/kvs';
import type { Clock } from '@kvs-ts/stream';
import { afterEach, describe, expect, it } from 'vitest';

/** A clock that moves only in {@link advance}; due timers run in order. */
class ManualClock implements Clock {
  private t = 1_700_000_000_000_000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
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
  async advance(us: number): Promise<void> {
    const end = this.t + us;
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      let id = -1;
      for (const [k, v] of this.timers) if (v.at <= end && (id < 0 || v.at < (this.timers.get(id)?.at ?? 0))) id = k;
      if (id < 0) break;
      const timer = this.timers.get(id) as { at: number; fn: () => void };
      this.timers.delete(id);
      this.t = Math.max(this.t, timer.at);
      timer.fn();
    }
    this.t = end;
  }
}

const VIDEO = { trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 as const };

let clock: ManualClock;
const clients: KinesisVideoClient[] = [];

function newClient(): KinesisVideoClient {
  const client = new KinesisVideoClient({
    region: 'us-west-2',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    storageSize: 10 * 1024 * 1024,
    clock,
    // Never reach the network: every API call fails at once, as on a host without a route.
    fetch: () => Promise.reject(new TypeError('offline (bad-input.test.ts)')),
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  // close() waits for each stream's stopSync, whose timeout runs on the fake clock: move it.
  const closing = Promise.all(clients.splice(0).map((c) => c.close(1_000_000)));
  await clock.advance(2_000_000);
  await closing;
});

/** The statusName of the KvsError `run` throws; fails the test if it throws anything else or nothing. */
function statusOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(isKvsError(e), `not a KvsError: ${String(e)}`).toBe(true);
    const name = (e as { statusName: string }).statusName;
    expect(name).toMatch(/^STATUS_/);
    return name;
  }
  throw new Error('no error thrown');
}

/** The same for a promise that must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    expect(isKvsError(e), `not a KvsError: ${String(e)}`).toBe(true);
    const name = (e as { statusName: string }).statusName;
    expect(name).toMatch(/^STATUS_/);
    return name;
  }
  throw new Error('no rejection');
}

/** Frames of one stream with increasing timestamps, so that a valid one is always next. */
class Feed {
  private i = 0;
  constructor(
    readonly stream: KinesisVideoStream,
    private readonly trackId = 1,
  ) {}
  /** The next valid frame (a key frame every 25). */
  next(data: Uint8Array = new Uint8Array([1, 2, 3, 4, 5, 6, 7, this.i & 0xff])): Frame {
    const pts = 1_700_000_000_000_000 + this.i * 40_000;
    const frame = { trackId: this.trackId, pts, dts: pts, duration: 40_000, flags: this.i % 25 === 0 ? 1 : 0, data };
    this.i++;
    return frame;
  }
  /** A valid frame goes in: the view holds one more item. */
  expectUsable(): void {
    const before = this.stream.view.metrics().overallViewItemCount;
    this.stream.putFrame(this.next());
    expect(this.stream.view.metrics().overallViewItemCount).toBe(before + 1);
  }
}

describe('bad input: a KvsError with a PIC status, state intact', () => {
  it('the client constructor and createStream refuse bad options and definitions', () => {
    clock = new ManualClock();
    const base = { region: 'us-west-2', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, clock };
    const seen = {
      noRegion: statusOf(() => new KinesisVideoClient({ ...base, region: '' })),
      tinyStore: statusOf(() => new KinesisVideoClient({ ...base, storageSize: 2 * 1024 * 1024 })),
      nanStore: statusOf(() => new KinesisVideoClient({ ...base, storageSize: Number.NaN })),
      stringStore: statusOf(() => new KinesisVideoClient({ ...base, storageSize: '10' as never })),
    };
    const client = newClient();
    const four = [1, 2, 3, 4].map((trackId) => ({ ...VIDEO, trackId }));
    Object.assign(seen, {
      nullDefinition: statusOf(() => client.createStream(null as never)),
      noName: statusOf(() => client.createStream({} as never)),
      emptyName: statusOf(() => client.createStream(realtimeStream(''))),
      longName: statusOf(() => client.createStream(realtimeStream('x'.repeat(257)))),
      numberName: statusOf(() => client.createStream({ streamName: 42 } as never)),
      fourTracks: statusOf(() => client.createStream(realtimeStream('four', { tracks: four }))),
      noTracks: statusOf(() => client.createStream(realtimeStream('none', { tracks: [] }))),
      tracksNotArray: statusOf(() => client.createStream(realtimeStream('obj', { tracks: VIDEO as never }))),
      negativeRetention: statusOf(() => client.createStream(realtimeStream('r', { retentionPeriod: -1 }))),
      nanBuffer: statusOf(() => client.createStream(realtimeStream('b', { bufferDuration: Number.NaN }))),
      shortBuffer: statusOf(() => client.createStream(realtimeStream('b', { bufferDuration: 1_000_000 }))),
      badStreamingType: statusOf(() => client.createStream({ streamName: 's', streamingType: 9 as never })),
      offlineNoRetention: statusOf(() => client.createStream(offlineStream('o', { retentionPeriod: 0 }))),
      negativeFragment: statusOf(() => client.createStream(realtimeStream('f', { fragmentDuration: -5 }))),
      hugeTimecodeScale: statusOf(() => client.createStream(realtimeStream('t', { timecodeScale: 2e6 }))),
    });
    // Every refusal left the client as it was: no stream was made, and a good one still is.
    expect(client.store.viewCount).toBe(0);
    const feed = new Feed(client.createStream(realtimeStream('good', { tracks: [VIDEO], nalAdaptationFlags: 0 })));
    feed.expectUsable();
    expect(client.store.viewCount).toBe(1);
    expect(seen).toEqual({
      noRegion: 'STATUS_INVALID_ARG',
      tinyStore: 'STATUS_INVALID_STORAGE_SIZE', // the store's minimum is 10 MiB
      nanStore: 'STATUS_INVALID_STORAGE_SIZE',
      stringStore: 'STATUS_INVALID_STORAGE_SIZE',
      nullDefinition: 'STATUS_NULL_ARG',
      noName: 'STATUS_INVALID_STREAM_NAME_LENGTH',
      emptyName: 'STATUS_INVALID_STREAM_NAME_LENGTH',
      longName: 'STATUS_INVALID_STREAM_NAME_LENGTH',
      numberName: 'STATUS_INVALID_STREAM_NAME_LENGTH',
      fourTracks: 'STATUS_MAX_TRACK_COUNT_EXCEEDED',
      noTracks: 'STATUS_TRACK_INFO_MISSING',
      tracksNotArray: 'STATUS_TRACK_INFO_MISSING',
      negativeRetention: 'STATUS_INVALID_RETENTION_PERIOD',
      nanBuffer: 'STATUS_INVALID_CONTENT_VIEW_DURATION',
      shortBuffer: 'STATUS_INVALID_CONTENT_VIEW_DURATION',
      badStreamingType: 'STATUS_INVALID_ARG',
      offlineNoRetention: 'STATUS_OFFLINE_MODE_WITH_ZERO_RETENTION',
      negativeFragment: 'STATUS_INVALID_ARG',
      hugeTimecodeScale: 'STATUS_MKV_INVALID_TIMECODE_SCALE',
    });
  });

  it('refused definitions leave no view behind: 200 of them, then a good stream', () => {
    // A definition the MKV writer refuses (4 tracks) used to keep its content view: after 128
    // such calls the store had no slot left (STATUS_MAX_STREAM_COUNT) for any stream.
    clock = new ManualClock();
    const client = newClient();
    const four = [1, 2, 3, 4].map((trackId) => ({ ...VIDEO, trackId }));
    for (let i = 0; i < 200; i++)
      expect(statusOf(() => client.createStream(realtimeStream(`four-${i}`, { tracks: four })))).toBe(
        'STATUS_MAX_TRACK_COUNT_EXCEEDED',
      );
    expect(client.store.viewCount).toBe(0);
    expect(client.store.allocatedSize).toBe(0);
    new Feed(client.createStream(realtimeStream('good', { tracks: [VIDEO], nalAdaptationFlags: 0 }))).expectUsable();
  });

  it('putFrame refuses wrong types, bad timestamps, empty data and unknown tracks; the stream goes on', async () => {
    clock = new ManualClock();
    const client = newClient();
    const stream = client.createStream(realtimeStream('frames', { tracks: [VIDEO], nalAdaptationFlags: 0 }));
    const feed = new Feed(stream);
    feed.expectUsable();
    const bad: Record<string, (f: Frame) => unknown> = {
      nullFrame: () => null,
      stringFrame: () => 'frame',
      negativePts: (f) => ({ ...f, pts: -1, dts: -1 }),
      nanPts: (f) => ({ ...f, pts: Number.NaN, dts: Number.NaN }),
      infinitePts: (f) => ({ ...f, pts: Number.POSITIVE_INFINITY, dts: Number.POSITIVE_INFINITY }),
      beyond2pow53: (f) => ({ ...f, pts: 2 ** 53 + 2, dts: 2 ** 53 + 2 }),
      stringPts: (f) => ({ ...f, pts: String(f.pts), dts: String(f.dts) }),
      emptyData: (f) => ({ ...f, data: new Uint8Array(0) }),
      stringData: (f) => ({ ...f, data: 'abc' }),
      arrayData: (f) => ({ ...f, data: [1, 2, 3] }),
      unknownTrack: (f) => ({ ...f, trackId: 7 }),
      dtsBackwards: (f) => ({ ...f, pts: f.pts - 10_000_000, dts: f.dts - 10_000_000 }),
    };
    const seen: Record<string, string> = {};
    for (const [name, make] of Object.entries(bad)) {
      seen[name] = statusOf(() => stream.putFrame(make(feed.next()) as Frame));
      feed.expectUsable();
      seen[`${name} (async)`] = await rejectionOf(stream.putFrameAsync(make(feed.next()) as Frame));
      feed.expectUsable();
    }
    expect(stream.metrics().putFrameErrors).toBeGreaterThanOrEqual(Object.keys(bad).length);
    expect(stream.error).toBeUndefined();
    const both = (status: string) => [status, status];
    expect(Object.keys(bad).map((k) => [seen[k], seen[`${k} (async)`]])).toEqual([
      both('STATUS_NULL_ARG'), // null
      both('STATUS_NULL_ARG'), // a string
      both('STATUS_MKV_INVALID_FRAME_TIMESTAMP'), // negative
      both('STATUS_MKV_MAX_FRAME_TIMECODE'), // NaN
      both('STATUS_MKV_MAX_FRAME_TIMECODE'), // Infinity
      both('STATUS_MKV_MAX_FRAME_TIMECODE'), // > 2^53
      both('STATUS_MKV_MAX_FRAME_TIMECODE'), // a string timestamp
      both('STATUS_MKV_INVALID_FRAME_DATA'), // empty data
      both('STATUS_MKV_INVALID_FRAME_DATA'), // a string as data
      both('STATUS_MKV_INVALID_FRAME_DATA'), // an array as data
      both('STATUS_MKV_TRACK_INFO_NOT_FOUND'), // unknown trackId
      both('STATUS_MKV_INVALID_FRAME_TIMESTAMP'), // DTS going back
    ]);
  });

  it('garbage Annex-B on an H.264 track is refused, and the next real frame goes in', () => {
    clock = new ManualClock();
    const client = newClient();
    // The default definition: one H.264 track, Annex-B frames converted to AVCC.
    const stream = client.createStream(realtimeStream('annexb'));
    // A key frame with SPS, PPS and an IDR slice, so the stream starts (and gets its CPD).
    const sps = [0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8];
    const pps = [0x68, 0xce, 0x3c, 0x80];
    const idr = [0x65, 0x88, 0x84, 0x00, 0x33, 0xff];
    const key = new Uint8Array([0, 0, 0, 1, ...sps, 0, 0, 0, 1, ...pps, 0, 0, 0, 1, ...idr]);
    const feed = new Feed(stream);
    stream.putFrame(feed.next(key));
    const seen: Record<string, string> = {};
    const garbage: Record<string, Uint8Array> = {
      onlyStartCode: new Uint8Array([0, 0, 0, 1]),
      startCodes: new Uint8Array([0, 0, 1, 0, 0, 1, 0, 0, 0, 1]),
      zeros: new Uint8Array(64),
    };
    for (const [name, data] of Object.entries(garbage)) {
      try {
        stream.putFrame(feed.next(data));
        seen[name] = 'accepted';
      } catch (e) {
        expect(isKvsError(e)).toBe(true);
        seen[name] = (e as { statusName: string }).statusName;
      }
      const slice = new Uint8Array([0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x04]);
      const before = stream.view.metrics().overallViewItemCount;
      stream.putFrame(feed.next(slice));
      expect(stream.view.metrics().overallViewItemCount).toBe(before + 1);
    }
    expect(stream.error).toBeUndefined();
    expect(seen).toEqual({
      onlyStartCode: 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
      startCodes: 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
      zeros: 'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
    });
  });

  it('fragment metadata and stream events refuse bad names and values', () => {
    clock = new ManualClock();
    const client = newClient();
    const stream = client.createStream(realtimeStream('metadata', { tracks: [VIDEO], nalAdaptationFlags: 0 }));
    const feed = new Feed(stream);
    const seen: Record<string, string> = {
      // Before any frame: no MKV stream to attach an event to.
      eventBeforeStart: statusOf(() => stream.putEventMetadata(StreamEventType.NOTIFICATION)),
    };
    feed.expectUsable();
    const calls: Record<string, () => void> = {
      awsName: () => stream.putFragmentMetadata('AWS_KINESISVIDEO_X', 'v'),
      awsPrefix: () => stream.putFragmentMetadata('AWSsomething', 'v'),
      emptyName: () => stream.putFragmentMetadata('', 'v'),
      longName: () => stream.putFragmentMetadata('n'.repeat(200), 'v'),
      longValue: () => stream.putFragmentMetadata('name', 'v'.repeat(300)),
      numberName: () => stream.putFragmentMetadata(1 as never, 'v'),
      nullValue: () => stream.putFragmentMetadata('name', null as never),
      eventZero: () => stream.putEventMetadata(0),
      eventUnknownBit: () => stream.putEventMetadata(4),
      eventNegative: () => stream.putEventMetadata(-1),
      eventFraction: () => stream.putEventMetadata(1.5),
      eventNaN: () => stream.putEventMetadata(Number.NaN),
      eventAwsPair: () => stream.putEventMetadata(StreamEventType.NOTIFICATION, { pairs: { AWS_X: 'v' } } as never),
      eventAwsPrefix: () => stream.putEventMetadata(StreamEventType.IMAGE_GENERATION, { imagePrefix: 'AWS' }),
    };
    for (const [name, call] of Object.entries(calls)) {
      seen[name] = statusOf(call);
      feed.expectUsable();
    }
    // The good calls still work after all that.
    stream.putFragmentMetadata('camera', 'front-door');
    stream.putEventMetadata(StreamEventType.NOTIFICATION);
    seen.duplicateEvent = statusOf(() => stream.putEventMetadata(StreamEventType.NOTIFICATION));
    feed.expectUsable();
    expect(seen).toEqual({
      eventBeforeStart: 'STATUS_STREAM_NOT_STARTED',
      awsName: 'STATUS_INVALID_METADATA_NAME',
      awsPrefix: 'STATUS_INVALID_METADATA_NAME',
      emptyName: 'STATUS_MKV_INVALID_TAG_NAME_LENGTH',
      longName: 'STATUS_MKV_INVALID_TAG_NAME_LENGTH',
      longValue: 'STATUS_MKV_INVALID_TAG_VALUE_LENGTH',
      numberName: 'STATUS_NULL_ARG',
      nullValue: 'STATUS_NULL_ARG',
      eventZero: 'STATUS_INVALID_ARG',
      eventUnknownBit: 'STATUS_INVALID_ARG',
      eventNegative: 'STATUS_INVALID_ARG',
      eventFraction: 'STATUS_INVALID_ARG',
      eventNaN: 'STATUS_INVALID_ARG',
      eventAwsPair: 'STATUS_INVALID_METADATA_NAME',
      eventAwsPrefix: 'STATUS_INVALID_METADATA_NAME',
      duplicateEvent: 'STATUS_DUPLICATE_STREAM_EVENT_TYPE',
    });
  });

  it('after stop(): frames, metadata and events are refused with STATUS_STREAM_HAS_BEEN_STOPPED', async () => {
    clock = new ManualClock();
    const client = newClient();
    const stream = client.createStream(realtimeStream('stopped', { tracks: [VIDEO], nalAdaptationFlags: 0 }));
    const feed = new Feed(stream);
    feed.expectUsable();
    stream.stop();
    expect(statusOf(() => stream.putFrame(feed.next()))).toBe('STATUS_STREAM_HAS_BEEN_STOPPED');
    expect(await rejectionOf(stream.putFrameAsync(feed.next()))).toBe('STATUS_STREAM_HAS_BEEN_STOPPED');
    expect(statusOf(() => stream.putFragmentMetadata('a', 'b'))).toBe('STATUS_STREAM_HAS_BEEN_STOPPED');
    expect(statusOf(() => stream.putEventMetadata(1))).toBe('STATUS_STREAM_HAS_BEEN_STOPPED');
    stream.stop(); // idempotent
    // The client is not affected: another stream takes frames.
    new Feed(client.createStream(realtimeStream('next', { tracks: [VIDEO], nalAdaptationFlags: 0 }))).expectUsable();
  });

  it('a closed client refuses new streams and reads', async () => {
    clock = new ManualClock();
    const client = newClient();
    const closing = client.close(1_000_000);
    await clock.advance(2_000_000);
    await closing;
    expect(statusOf(() => client.createStream(realtimeStream('late')))).toBe('STATUS_INVALID_OPERATION');
    expect(statusOf(() => client.getMedia({ streamName: 'late' }))).toBe('STATUS_INVALID_OPERATION');
    // A fresh client works.
    new Feed(
      newClient().createStream(realtimeStream('fresh', { tracks: [VIDEO], nalAdaptationFlags: 0 })),
    ).expectUsable();
  });
});
