// The live display's numbers (kvs put and kvs demo): ACKs by kind, fragment end → PERSISTED
// latency matched by the ACK's timecode, and the buffer line.
import { FragmentAckType, ServiceCallResult } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { AckStats, bufferLine } from '../src/ack-stats';

describe('live display', () => {
  it('counts ACKs by kind and times each fragment from its end to its PERSISTED ACK', async () => {
    const s = new AckStats();
    s.framePut(1000); // fragment at 1000 ms starts
    s.framePut();
    s.framePut(2000); // the first ends now, the second starts
    const ack = (ackType: number, timecode: number) =>
      s.ack({ ackType: ackType as never, timecode, fragmentNumber: '1', result: ServiceCallResult.OK });
    ack(FragmentAckType.BUFFERING, 1000);
    ack(FragmentAckType.RECEIVED, 1000);
    await new Promise((r) => setTimeout(r, 30));
    ack(FragmentAckType.PERSISTED, 1000);
    ack(FragmentAckType.PERSISTED, 2000); // still open: no latency for it
    s.ack({ ackType: FragmentAckType.ERROR, timecode: 3000, result: 4004 as never, errorId: 4004, errorCode: 'X' });
    expect([s.frames, s.fragments, s.buffering, s.received, s.persisted, s.errors]).toEqual([3, 2, 1, 1, 2, 1]);
    expect(s.latenciesMs).toHaveLength(1);
    expect(s.latenciesMs[0]).toBeGreaterThanOrEqual(25);
    expect(s.line('h264')).toMatch(
      /^h264: 3 frames, 2 fragments; ACKs: 1 buffering, 1 received, 2 persisted, 1 errors, fragment end → PERSISTED p50 \d+ ms, p99 \d+ ms$/,
    );
    expect(s.errorMessages).toEqual(['ERROR ACK 4004 X']);
  });

  it('shows the buffer and the store', () => {
    expect(
      bufferLine({ currentViewDuration: 1_500_000, currentViewSize: 3 * 1024, state: 'STREAMING' }, 16 << 20, 64 << 20),
    ).toBe('buffer: 1.5 s, 3 KiB (store 25.0 % full), state STREAMING');
  });
});
