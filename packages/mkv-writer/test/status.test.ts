// Every validation failure maps to its PIC status and leaves the writer as it was.

import { type Frame, FrameFlags, isKvsError, type StatusName, TrackType } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import {
  FrameOrderCoordinator,
  MkvWriter,
  type MkvWriterOptions,
  NalAdaptation,
  StreamEventType,
  type WriterTrackInfo,
} from '../src/index';
import { concat, fromHex, hex } from './walk';

const UUID = fromHex('01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10');
const H264: WriterTrackInfo = { trackId: 1, codecId: 'V_MPEG4/ISO/AVC', trackType: TrackType.VIDEO };
const AAC: WriterTrackInfo = {
  trackId: 2,
  codecId: 'A_AAC',
  trackType: TrackType.AUDIO,
  audio: { samplingFrequency: 48000, channels: 2 },
};

function writer(o: Partial<MkvWriterOptions> = {}): MkvWriter {
  return new MkvWriter({ segmentUuid: UUID, tracks: [H264], ...o });
}

function frame(pts: number, flags = 0, data = fromHex('00 00 00 01 65'), trackId = 1, dts = pts): Frame {
  return { trackId, pts, dts, duration: 0, flags, data };
}

const EOFR: Frame = {
  trackId: 0,
  pts: 0,
  dts: 0,
  duration: 0,
  flags: FrameFlags.END_OF_FRAGMENT,
  data: new Uint8Array(0),
};

function expectStatus(fn: () => unknown, status: StatusName): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${status}`).toBeDefined();
  if (!isKvsError(thrown, status)) throw thrown;
}

function out(w: MkvWriter, f: Frame): string {
  const p = w.packageFrame(f);
  return hex(concat([p.header, p.data]));
}

/**
 * Runs `before` on two writers, feeds `bad` to one (it must throw `status`), then `after` to both:
 * their bytes must match, so the rejected call changed nothing.
 */
function rejectedChangesNothing(
  make: () => MkvWriter,
  before: (w: MkvWriter) => void,
  bad: (w: MkvWriter) => unknown,
  status: StatusName,
  after: Frame[],
): void {
  const a = make();
  const b = make();
  before(a);
  before(b);
  expectStatus(() => bad(a), status);
  for (const f of after) expect(out(a, f)).toBe(out(b, f));
  expect(hex(a.finish())).toBe(hex(b.finish()));
}

describe('construction statuses', () => {
  it('track list', () => {
    expectStatus(() => writer({ tracks: [] }), 'STATUS_TRACK_INFO_MISSING');
    const four = [1, 2, 3, 4].map((id) => ({ ...H264, trackId: id }));
    expectStatus(() => writer({ tracks: four }), 'STATUS_MAX_TRACK_COUNT_EXCEEDED');
    expectStatus(() => writer({ tracks: [H264, { ...AAC, trackId: 1 }] }), 'STATUS_DUPLICATE_TRACK_ID_FOUND');
    expectStatus(() => writer({ tracks: [{ ...H264, trackId: 0 }] }), 'STATUS_MKV_INVALID_TRACK_UID');
    expectStatus(() => writer({ tracks: [{ ...H264, trackId: -3 }] }), 'STATUS_MKV_INVALID_TRACK_UID');
  });

  it('codec ID, track name and CPD lengths at their limits', () => {
    writer({ tracks: [{ ...H264, codecId: 'V'.repeat(32), trackName: 'n'.repeat(32) }] });
    expectStatus(
      () => writer({ tracks: [{ ...H264, codecId: 'V'.repeat(33) }] }),
      'STATUS_MKV_INVALID_CODEC_ID_LENGTH',
    );
    expectStatus(
      () => writer({ tracks: [{ ...H264, trackName: 'é'.repeat(17) }] }),
      'STATUS_MKV_INVALID_TRACK_NAME_LENGTH',
    );
    const opaque = { trackId: 5, codecId: 'S_OPAQUE', trackType: TrackType.COMPLEX };
    writer({ tracks: [{ ...opaque, codecPrivateData: new Uint8Array(1024 * 1024) }] });
    expectStatus(
      () => writer({ tracks: [{ ...opaque, codecPrivateData: new Uint8Array(1024 * 1024 + 1) }] }),
      'STATUS_MKV_INVALID_CODEC_PRIVATE_LENGTH',
    );
  });

  it('cluster duration only matters without key-frame fragmentation', () => {
    writer({ keyFrameFragmentation: true, fragmentDurationUs: 0 });
    writer({ keyFrameFragmentation: false, fragmentDurationUs: 1_000_000 });
    writer({ keyFrameFragmentation: false, fragmentDurationUs: 30_000_000 });
    expectStatus(
      () => writer({ keyFrameFragmentation: false, fragmentDurationUs: 999_999 }),
      'STATUS_MKV_INVALID_CLUSTER_DURATION',
    );
    expectStatus(
      () => writer({ keyFrameFragmentation: false, fragmentDurationUs: 30_000_001 }),
      'STATUS_MKV_INVALID_CLUSTER_DURATION',
    );
  });

  it('timecode scale 100 ns … 1 s', () => {
    writer({ timecodeScaleNs: 100 });
    writer({ timecodeScaleNs: 1_000_000_000 });
    for (const s of [0, 99, 1_000_000_001, 1.5]) {
      expectStatus(() => writer({ timecodeScaleNs: s }), 'STATUS_MKV_INVALID_TIMECODE_SCALE');
    }
  });

  it('NAL adaptation, segment UUID, client ID', () => {
    expectStatus(
      () => writer({ nalAdaptationFlags: NalAdaptation.ANNEXB_NALS | NalAdaptation.AVCC_NALS }),
      'STATUS_MKV_BOTH_ANNEXB_AND_AVCC_SPECIFIED',
    );
    expectStatus(() => writer({ segmentUuid: new Uint8Array(15).fill(1) }), 'STATUS_MKV_INVALID_SEGMENT_UUID');
    expectStatus(() => writer({ segmentUuid: new Uint8Array(16) }), 'STATUS_MKV_INVALID_SEGMENT_UUID');
    writer({ clientId: 'c'.repeat(64) });
    expectStatus(() => writer({ clientId: 'c'.repeat(65) }), 'STATUS_MKV_INVALID_CLIENT_ID_LENGTH');
  });

  it('bad Annex-B codec private data under ANNEXB_CPD_NALS', () => {
    expectStatus(
      () =>
        writer({
          nalAdaptationFlags: NalAdaptation.ANNEXB_CPD_NALS,
          tracks: [{ ...H264, codecPrivateData: fromHex('00 00 01 00 00 00 00 00 00 00 00 00') }],
        }),
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_CPD',
    );
  });

  it('a random segment UUID when none is given', () => {
    const a = new MkvWriter({ tracks: [H264] }).segmentUuid;
    const b = new MkvWriter({ tracks: [H264] }).segmentUuid;
    expect(a.length).toBe(16);
    expect(hex(a)).not.toBe(hex(b));
  });
});

describe('frame statuses leave the writer intact', () => {
  const started = (w: MkvWriter) => void w.packageFrame(frame(10_000_000, FrameFlags.KEY_FRAME));
  const after = [frame(10_040_000), frame(10_080_000, FrameFlags.KEY_FRAME), frame(10_120_000)];

  it('unknown track, empty data', () => {
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(10_020_000, 0, undefined, 9)),
      'STATUS_MKV_TRACK_INFO_NOT_FOUND',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(10_020_000, 0, new Uint8Array(0))),
      'STATUS_MKV_INVALID_FRAME_DATA',
      after,
    );
  });

  it('timestamps before the cluster start (PTS or DTS), negative, not finite', () => {
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(9_999_000)),
      'STATUS_MKV_INVALID_FRAME_TIMESTAMP',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(10_500_000, 0, undefined, 1, 9_000_000)),
      'STATUS_MKV_INVALID_FRAME_TIMESTAMP',
      after,
    );
    // A key frame may not reach back before the previous cluster either (PIC checks the last cluster).
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(9_000_000, FrameFlags.KEY_FRAME)),
      'STATUS_MKV_INVALID_FRAME_TIMESTAMP',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(-1)),
      'STATUS_MKV_INVALID_FRAME_TIMESTAMP',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame(frame(Number.NaN)),
      'STATUS_MKV_MAX_FRAME_TIMECODE',
      after,
    );
    // Within the same tick as the cluster start is fine: 9_999_999 µs → tick 9999 < 10000 is not.
    expectStatus(() => {
      const w = writer();
      started(w);
      w.packageFrame(frame(9_999_999));
    }, 'STATUS_MKV_INVALID_FRAME_TIMESTAMP');
  });

  it('block more than 32767 ticks after its cluster', () => {
    const w = writer();
    started(w);
    w.packageFrame(frame(10_000_000 + 32_767_999));
    rejectedChangesNothing(
      writer,
      started,
      (x) => x.packageFrame(frame(10_000_000 + 32_768_000)),
      'STATUS_MKV_LARGE_FRAME_TIMECODE',
      after,
    );
  });

  it('PTS ≠ DTS at a fragment start: accepted as current PIC does, rejected in strict mode', () => {
    const lenient = writer();
    const p = lenient.packageFrame(frame(1_040_000, FrameFlags.KEY_FRAME, undefined, 1, 1_000_000));
    expect(p.clusterStart).toBe(true);
    expect(p.clusterPtsUs).toBe(1_040_000);
    expect(p.clusterDtsUs).toBe(1_000_000);
    const strict = () => writer({ requirePtsEqualsDtsAtFragmentStart: true });
    rejectedChangesNothing(
      strict,
      () => {},
      (w) => w.packageFrame(frame(1_040_000, FrameFlags.KEY_FRAME, undefined, 1, 1_000_000)),
      'STATUS_MKV_PTS_DTS_ARE_NOT_SAME',
      [frame(1_000_000, FrameFlags.KEY_FRAME), frame(1_080_000, 0, undefined, 1, 1_040_000)],
    );
  });

  it('malformed Annex-B / AVCC frames under NAL adaptation', () => {
    const annexB = () =>
      writer({ nalAdaptationFlags: NalAdaptation.ANNEXB_NALS, tracks: [{ ...H264, codecPrivateData: fromHex('01') }] });
    const annexAfter = [
      frame(10_040_000, 0, fromHex('00 00 01 41 9a')),
      frame(10_080_000, FrameFlags.KEY_FRAME, fromHex('00 00 00 01 65 88')),
    ];
    rejectedChangesNothing(
      annexB,
      (w) => void w.packageFrame(frame(10_000_000, FrameFlags.KEY_FRAME, fromHex('00 00 01 65 88'))),
      (w) => w.packageFrame(frame(10_020_000, 0, fromHex('41 9a 00'))),
      'STATUS_MKV_INVALID_ANNEXB_NALU_IN_FRAME_DATA',
      annexAfter,
    );
    const avcc = () => writer({ nalAdaptationFlags: NalAdaptation.AVCC_NALS });
    rejectedChangesNothing(
      avcc,
      (w) => void w.packageFrame(frame(10_000_000, FrameFlags.KEY_FRAME, fromHex('00 00 00 01 65'))),
      (w) => w.packageFrame(frame(10_020_000, 0, fromHex('00 00 00 09 65'))),
      'STATUS_MKV_INVALID_AVCC_NALU_IN_FRAME_DATA',
      [frame(10_040_000, 0, fromHex('00 00 00 02 41 9a'))],
    );
  });

  it('EoFR rules', () => {
    expectStatus(
      () => writer({ keyFrameFragmentation: false }).packageFrame(EOFR),
      'STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE',
    );
    expectStatus(() => writer().packageFrame(EOFR), 'STATUS_END_OF_FRAGMENT_FRAME_INVALID_STATE');
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.packageFrame({ ...EOFR, flags: FrameFlags.END_OF_FRAGMENT | FrameFlags.KEY_FRAME }),
      'STATUS_SETTING_KEY_FRAME_FLAG_WHILE_USING_EOFR',
      after,
    );
    const eofrTwice = (w: MkvWriter) => {
      started(w);
      w.packageFrame(EOFR);
      // Non-key frames after an EoFR are skipped, and do not make a second EoFR legal.
      expect(w.packageFrame(frame(10_040_000)).skipped).toBe(true);
    };
    rejectedChangesNothing(writer, eofrTwice, (w) => w.packageFrame(EOFR), 'STATUS_MULTIPLE_CONSECUTIVE_EOFR', [
      frame(10_080_000, FrameFlags.KEY_FRAME),
      frame(10_120_000),
    ]);
  });

  it('two-phase misuse', () => {
    const w = writer();
    expectStatus(() => w.write(w.newPlan(), new Uint8Array(100)), 'STATUS_INVALID_OPERATION');
    const l = w.prepare(frame(0, FrameFlags.KEY_FRAME));
    expectStatus(() => w.write(l, new Uint8Array(l.size - 1)), 'STATUS_BUFFER_TOO_SMALL');
    expectStatus(() => w.write(l, new Uint8Array(l.size), 1), 'STATUS_BUFFER_TOO_SMALL');
    // Still prepared after a too-small buffer.
    expect(w.write(l, new Uint8Array(l.size))).toBe(l.size);
    expectStatus(() => w.write(l, new Uint8Array(l.size)), 'STATUS_INVALID_OPERATION');
    // A rejected prepare leaves nothing to write.
    w.prepare(frame(40_000));
    expectStatus(() => w.prepare(frame(-5)), 'STATUS_MKV_INVALID_FRAME_TIMESTAMP');
    expectStatus(() => w.write(l, new Uint8Array(1000)), 'STATUS_INVALID_OPERATION');
  });

  it('a plan is good for one write, on its writer, in the state it was made in', () => {
    const w = writer();
    const plan = w.prepare(frame(0, FrameFlags.KEY_FRAME), w.newPlan());
    expectStatus(() => writer().write(plan, new Uint8Array(plan.size)), 'STATUS_INVALID_OPERATION');
    expectStatus(() => w.prepare(frame(0, FrameFlags.KEY_FRAME), {} as never), 'STATUS_INVALID_ARG');
    w.write(plan, new Uint8Array(plan.size));
    // Every change of the writer makes earlier plans stale: their tags, header or times may be wrong.
    const changes: Array<(x: MkvWriter) => unknown> = [
      (x) => x.putFragmentMetadata('name', 'value'),
      (x) => x.putEventMetadata(StreamEventType.NOTIFICATION),
      (x) => x.setCodecPrivateData(1, fromHex('01 02')),
      (x) => x.packageFrame(frame(40_000)),
      (x) => x.finish(),
      (x) => x.reset(),
    ];
    for (const change of changes) {
      const stale = w.prepare(frame(80_000, FrameFlags.KEY_FRAME), w.newPlan());
      change(w);
      expectStatus(() => w.write(stale, new Uint8Array(stale.size)), 'STATUS_INVALID_OPERATION');
    }
  });

  it('two plans made in the same state: either may be written (Annex-B scanned again when needed)', () => {
    const annexB = () => writer({ nalAdaptationFlags: NalAdaptation.ANNEXB_NALS });
    const key = frame(0, FrameFlags.KEY_FRAME, fromHex('00 00 00 01 65 88 84'));
    const other = frame(0, FrameFlags.KEY_FRAME, fromHex('00 00 01 65 11 22 33 44'));
    const w = annexB();
    const first = w.prepare(key, w.newPlan());
    const second = w.prepare(other, w.newPlan());
    const dst = new Uint8Array(first.size);
    w.write(first, dst);
    expect(hex(dst)).toBe(out(annexB(), key));
    expectStatus(() => w.write(second, new Uint8Array(second.size)), 'STATUS_INVALID_OPERATION');
  });
});

describe('metadata statuses leave the queue intact', () => {
  const started = (w: MkvWriter) => {
    w.packageFrame(frame(0, FrameFlags.KEY_FRAME));
    w.putFragmentMetadata('keep', 'me', true);
  };
  const after = [frame(40_000, FrameFlags.KEY_FRAME), frame(80_000), frame(120_000, FrameFlags.KEY_FRAME)];

  it('names, lengths, count', () => {
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.putFragmentMetadata('AWS_X', 'v'),
      'STATUS_INVALID_METADATA_NAME',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.putFragmentMetadata('', 'v'),
      'STATUS_MKV_INVALID_TAG_NAME_LENGTH',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.putFragmentMetadata('n'.repeat(129), 'v'),
      'STATUS_MKV_INVALID_TAG_NAME_LENGTH',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      (w) => w.putFragmentMetadata('n', 'v'.repeat(257)),
      'STATUS_MKV_INVALID_TAG_VALUE_LENGTH',
      after,
    );
    const full = (w: MkvWriter) => {
      started(w);
      for (let i = 1; i < 25; i++) w.putFragmentMetadata(`m${i}`, 'x', false);
    };
    rejectedChangesNothing(
      writer,
      full,
      (w) => w.putFragmentMetadata('one-too-many', 'x', false),
      'STATUS_MAX_FRAGMENT_METADATA_COUNT',
      after,
    );
    // Replacing a persistent item does not need room.
    const w = writer();
    full(w);
    w.putFragmentMetadata('keep', 'new value', true);
    const limits = writer();
    started(limits);
    limits.putFragmentMetadata('n'.repeat(128), 'v'.repeat(256), true);
    limits.putFragmentMetadata('empty', '', false);
  });

  it('events', () => {
    expectStatus(() => writer().putEventMetadata(StreamEventType.NOTIFICATION), 'STATUS_STREAM_NOT_STARTED');
    const withEvent = (w: MkvWriter) => {
      started(w);
      w.putEventMetadata(StreamEventType.NOTIFICATION);
    };
    rejectedChangesNothing(
      writer,
      withEvent,
      (w) => w.putEventMetadata(StreamEventType.NOTIFICATION | StreamEventType.IMAGE_GENERATION),
      'STATUS_DUPLICATE_STREAM_EVENT_TYPE',
      after,
    );
    const ev = (m: Parameters<MkvWriter['putEventMetadata']>[1]) => (w: MkvWriter) =>
      w.putEventMetadata(StreamEventType.IMAGE_GENERATION, m);
    rejectedChangesNothing(
      writer,
      started,
      ev({ imagePrefix: 'p'.repeat(257) }),
      'STATUS_INVALID_IMAGE_PREFIX_LENGTH',
      after,
    );
    rejectedChangesNothing(writer, started, ev({ imagePrefix: 'AWSx' }), 'STATUS_INVALID_METADATA_NAME', after);
    rejectedChangesNothing(
      writer,
      started,
      ev({ pairs: { ['k'.repeat(129)]: 'v' } }),
      'STATUS_INVALID_IMAGE_METADATA_KEY_LENGTH',
      after,
    );
    rejectedChangesNothing(
      writer,
      started,
      ev({ pairs: { k: 'v'.repeat(257) } }),
      'STATUS_INVALID_IMAGE_METADATA_VALUE_LENGTH',
      after,
    );
    rejectedChangesNothing(writer, started, ev({ pairs: { AWS_K: 'v' } }), 'STATUS_INVALID_METADATA_NAME', after);
    rejectedChangesNothing(
      writer,
      started,
      ev({ pairs: [{ name: '', value: 'v' }] }),
      'STATUS_MKV_INVALID_TAG_NAME_LENGTH',
      after,
    );
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    rejectedChangesNothing(writer, started, ev({ pairs: eleven }), 'STATUS_INVALID_ARG', after);
    const nearlyFull = (w: MkvWriter) => {
      started(w);
      for (let i = 1; i < 23; i++) w.putFragmentMetadata(`m${i}`, 'x', false);
    };
    rejectedChangesNothing(
      writer,
      nearlyFull,
      ev({ imagePrefix: 'p', pairs: { a: 'b' } }),
      'STATUS_MAX_FRAGMENT_METADATA_COUNT',
      after,
    );
    // Event bits are free again once the fragment's tags are written.
    const w = writer();
    withEvent(w);
    w.packageFrame(frame(40_000, FrameFlags.KEY_FRAME));
    w.putEventMetadata(StreamEventType.NOTIFICATION);
  });
});

describe('frame order coordinator statuses', () => {
  it('unknown track and a track running too far ahead', () => {
    const c = new FrameOrderCoordinator({ tracks: [H264, AAC], maxFramesPerTrack: 3 }, () => {});
    expectStatus(() => c.put(frame(0, 0, undefined, 7)), 'STATUS_MKV_TRACK_INFO_NOT_FOUND');
    for (let i = 0; i < 3; i++) c.put(frame(i * 1000));
    expectStatus(() => c.put(frame(3000)), 'STATUS_MAX_FRAME_TIMESTAMP_DELTA_BETWEEN_TRACKS_EXCEEDED');
    expect(c.queued).toBe(3);
  });
});
