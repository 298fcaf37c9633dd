// Putting frames: a frame the MKV writer rejects (a timestamp going back) throws with the writer's
// status and the stream goes on; fragment metadata goes out as MKV tags, and AWS-prefixed names
// are refused.
import { KvsError } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';

const setup = setupStream;

describe('frames and metadata', () => {
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
});
