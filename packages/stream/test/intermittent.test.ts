// The intermittent producer: when frames stop coming, the open fragment is closed with an
// end-of-fragment tag (EoFR) after 20 s, and only once.
import { describe, expect, it } from 'vitest';
import { setupStream, videoFrames } from './fakes';

const SECOND = 1_000_000;

const setup = setupStream;

describe('intermittent producer', () => {
  it('closes the open fragment with an EoFR after 20 s without frames', async () => {
    const { clock, stream, consumer } = setup({}, { intermittentProducer: true });
    stream.start();
    await clock.advance(0);
    for (const f of videoFrames(10, { start: clock.now() })) stream.putFrame(f);
    await clock.advance(19 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).not.toContain('AWS_KINESISVIDEO_END_OF_FRAGMENT');
    await clock.advance(10 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).toEqual(['AWS_KINESISVIDEO_END_OF_FRAGMENT']);
    // Only once.
    await clock.advance(30 * SECOND);
    consumer.pump();
    expect(consumer.sessions.get(1)!.tagNames).toHaveLength(1);
  });
});
