// The per-request mode's cutter: a session's KVS-layout MKV cut into whole-fragment request
// bodies, each a complete MKV stream (the session's header first), however the bytes arrive.
import { FrameFlags } from '@kvs-ts/core';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { MkvWriter } from '@kvs-ts/mkv-writer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FragmentCutter } from '../src/per-request';

const FPS = 10;

/** A session's bytes: `fragments` fragments of FPS frames, metadata before fragment `metadataAt`, EoFR tags after `eofrAfter`. */
function session(fragments: number, metadataAt = -1, eofrAfter = -1): Uint8Array {
  const writer = new MkvWriter({
    tracks: [{ trackId: 1, codecId: 'V_KVS_TEST', trackName: 'video', trackType: 1 }],
    keyFrameFragmentation: true,
  });
  const parts: Uint8Array[] = [];
  for (let i = 0; i < fragments * FPS; i++) {
    if (i === metadataAt * FPS) writer.putFragmentMetadata('camera', `fragment ${metadataAt}`, false);
    const pts = 1_000_000 + i * 100_000;
    const plan = writer.prepare({
      trackId: 1,
      pts,
      dts: pts,
      duration: 100_000,
      flags: i % FPS === 0 ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
      data: new Uint8Array(50).fill(i & 0xff),
    });
    const buf = new Uint8Array(plan.size);
    writer.write(plan, buf);
    parts.push(buf);
    if (i === eofrAfter * FPS + FPS - 1) {
      const eofr = writer.prepare({
        trackId: 1,
        pts,
        dts: pts,
        duration: 0,
        flags: FrameFlags.END_OF_FRAGMENT,
        data: new Uint8Array(0),
      });
      const tags = new Uint8Array(eofr.size);
      writer.write(eofr, tags);
      parts.push(tags);
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What a request body holds, as the service would read it. */
function read(body: Uint8Array) {
  const summary = { headers: 0, clusters: 0, frames: [] as number[], tags: [] as string[] };
  new MkvParser({
    ebmlHeader: () => summary.headers++,
    clusterStart: () => summary.clusters++,
    frame: (f) => summary.frames.push(f.data[0]),
    tags: (tags) => summary.tags.push(...tags.flatMap((t) => t.simpleTags.map((s) => `${s.name}@${summary.clusters}`))),
  }).push(body);
  return summary;
}

function cut(bytes: Uint8Array, cuts: number[], perRequest: number): Uint8Array[] {
  const c = new FragmentCutter();
  const bodies: Uint8Array[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    c.push(bytes.subarray(from, at));
    from = at;
    for (let b = c.take(perRequest, false); b; b = c.take(perRequest, false)) bodies.push(b);
  }
  const rest = c.take(perRequest, true);
  if (rest) bodies.push(rest);
  return bodies;
}

describe('fragment cutter', () => {
  it('makes one complete MKV stream per fragment, the header in each', () => {
    const bodies = cut(session(4), [], 1);
    expect(bodies).toHaveLength(4);
    bodies.forEach((b, k) => {
      const s = read(b);
      expect(s.headers).toBe(1);
      expect(s.clusters).toBe(1);
      expect(s.frames).toEqual(Array.from({ length: FPS }, (_, i) => (k * FPS + i) & 0xff));
    });
  });

  it('sends fragment metadata with the fragment it precedes, and end-of-fragment tags with the one they close', () => {
    const bodies = cut(session(4, 2, 1), [], 1);
    expect(bodies.map((b) => read(b).tags)).toEqual([[], ['AWS_KINESISVIDEO_END_OF_FRAGMENT@1'], ['camera@0'], []]);
  });

  it('does not depend on how the bytes arrive, nor on N', () => {
    const bytes = session(5, 3);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        (cuts, n) => {
          const bodies = cut(
            bytes,
            cuts.sort((a, b) => a - b),
            n,
          );
          expect(bodies).toHaveLength(Math.ceil(5 / n));
          const frames = bodies.flatMap((b) => read(b).frames);
          expect(frames).toEqual(Array.from({ length: 5 * FPS }, (_, i) => i & 0xff));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('holds an incomplete fragment until the next starts or the session ends', () => {
    const bytes = session(2);
    const c = new FragmentCutter();
    c.push(bytes.subarray(0, bytes.length - 10));
    expect(c.take(1, false)).toBeDefined();
    expect(c.take(1, false)).toBeUndefined();
    c.push(bytes.subarray(bytes.length - 10));
    expect(read(c.take(1, true) as Uint8Array).frames).toHaveLength(FPS);
    expect(c.take(1, true)).toBeUndefined();
  });
});
