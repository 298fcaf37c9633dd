// StreamDefinition: its validation, with PIC's statuses, and the AWS SDK defaults it fills in.
import { ContentStore } from '@kvs-ts/content-store';
import { KinesisVideoStream, type StreamDefinition } from '@kvs-ts/stream';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService, OPAQUE_TRACK, setupStream } from './fakes';

const MiB = 1024 * 1024;

const setup = setupStream;

describe('StreamDefinition', () => {
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
