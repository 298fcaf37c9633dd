// Early ICE candidates (../shared/spec/seeds-webrtc.md §7 step 9, §8): under any interleaving of
// several peers' candidates with their SDPs being applied, each peer's candidates reach it exactly
// once, in the order they arrived, and none before its SDP.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IceCandidateBuffer } from '../src/ice-buffer';

type Event = { kind: 'candidate'; peer: string; n: number } | { kind: 'sdp'; peer: string };

// Per peer: some candidates, and one SDP placed anywhere among them; peers interleaved at random.
const scenario = fc
  .array(
    fc.record({ peer: fc.constantFrom('MASTER', 'v1', 'v2', 'media-server'), candidates: fc.nat(8), sdpAt: fc.nat(8) }),
    { minLength: 1, maxLength: 4 },
  )
  .chain((peers) => {
    const unique = [...new Map(peers.map((p) => [p.peer, p])).values()];
    const lanes: Event[][] = unique.map((p) => {
      const lane: Event[] = [];
      for (let n = 0; n < p.candidates; n++) lane.push({ kind: 'candidate', peer: p.peer, n });
      lane.splice(Math.min(p.sdpAt, lane.length), 0, { kind: 'sdp', peer: p.peer });
      return lane;
    });
    const total = lanes.reduce((s, l) => s + l.length, 0);
    return fc.array(fc.nat(lanes.length - 1), { minLength: total, maxLength: total }).map((picks) => {
      const cursors = lanes.map(() => 0);
      const out: Event[] = [];
      for (const pick of picks) {
        // The picked lane, or the next one with events left.
        for (let k = 0; k < lanes.length; k++) {
          const lane = (pick + k) % lanes.length;
          if (cursors[lane] < lanes[lane].length) {
            out.push(lanes[lane][cursors[lane]++]);
            break;
          }
        }
      }
      return out;
    });
  });

describe('IceCandidateBuffer', () => {
  it('delivers every candidate once, in order, never before its peer SDP (any order of arrival)', () => {
    fc.assert(
      fc.property(scenario, (events) => {
        const buffer = new IceCandidateBuffer();
        const sdpApplied = new Set<string>();
        const delivered = new Map<string, number[]>();
        const deliver = (peer: string, n: number) => {
          expect(sdpApplied.has(peer)).toBe(true);
          delivered.set(peer, [...(delivered.get(peer) ?? []), n]);
        };
        for (const e of events) {
          if (e.kind === 'sdp') {
            sdpApplied.add(e.peer);
            for (const c of buffer.markReady(e.peer)) deliver(e.peer, Number(c.candidate));
          } else if (buffer.add(e.peer, { candidate: String(e.n) })) {
            deliver(e.peer, e.n);
          }
        }
        for (const e of events) {
          if (e.kind !== 'sdp') continue;
          const sent = events.filter((x) => x.kind === 'candidate' && x.peer === e.peer).length;
          expect(delivered.get(e.peer) ?? []).toEqual([...Array(sent).keys()]);
          expect(buffer.pending(e.peer)).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('holds a peer again while a new SDP is applied, and forgets deleted peers', () => {
    const buffer = new IceCandidateBuffer();
    buffer.markReady('v1');
    expect(buffer.add('v1', { candidate: 'a' })).toBe(true);
    buffer.markWaiting('v1');
    expect(buffer.add('v1', { candidate: 'b' })).toBe(false);
    expect(buffer.markReady('v1')).toEqual([{ candidate: 'b' }]);
    buffer.add('v2', { candidate: 'c' });
    buffer.delete('v2');
    expect(buffer.pending('v2')).toEqual([]);
  });

  it('bounds what it holds', () => {
    const buffer = new IceCandidateBuffer({ maxPerPeer: 2, maxPeers: 1 });
    for (const c of ['a', 'b', 'c']) buffer.add('v1', { candidate: c });
    buffer.add('v2', { candidate: 'd' });
    expect(buffer.pending('v1')).toHaveLength(2);
    expect(buffer.dropped).toBe(2);
  });
});
