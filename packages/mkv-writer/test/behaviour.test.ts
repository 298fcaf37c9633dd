// Generator behaviour: fragmentation rules, skipping, metadata lifecycle, EoFR / end of stream,
// reset and header re-sends, clocks, and the zero-copy contract.

import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { KvsTagName, MkvWriter, type MkvWriterOptions, StreamEventType, type WriterTrackInfo } from '../src/index';
import { concat, fromHex, hex, walk } from './walk';

const VIDEO: WriterTrackInfo = { trackId: 10, codecId: 'V_MS/VFW/FOURCC', trackType: TrackType.VIDEO };
const AUDIO: WriterTrackInfo = { trackId: 20, codecId: 'A_OPUS', trackType: TrackType.AUDIO };
const UUID = new Uint8Array(16).fill(9);
const KEY = FrameFlags.KEY_FRAME;
const EOFR: Frame = {
  trackId: 0,
  pts: 0,
  dts: 0,
  duration: 0,
  flags: FrameFlags.END_OF_FRAGMENT,
  data: new Uint8Array(0),
};

function writer(o: Partial<MkvWriterOptions> = {}): MkvWriter {
  return new MkvWriter({ segmentUuid: UUID, tracks: [VIDEO], ...o });
}

function f(ms: number, flags = 0, trackId = 10, byte = ms & 0xff): Frame {
  return { trackId, pts: ms * 1000, dts: ms * 1000, duration: 0, flags, data: new Uint8Array([byte, 1, 2]) };
}

/** Packages frames and returns the concatenated bytes. */
function run(w: MkvWriter, frames: Frame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const fr of frames) {
    const p = w.packageFrame(fr);
    parts.push(p.header.slice(), p.data.slice());
  }
  return concat(parts);
}

/** The walked stream as a compact script: S = segment, C<tc>, B<track>:<tc>[k], T[names=values]. */
function script(bytes: Uint8Array): string[] {
  return walk(bytes).items.map((it) => {
    switch (it.kind) {
      case 'segment':
        return 'S';
      case 'cluster':
        return `C${it.timecode}`;
      case 'block':
        return `B${it.track}:${it.timecode}${it.flags & 0x80 ? 'k' : ''}`;
      default:
        return `T[${it.tags.map((t) => t.simple.map((s) => `${s.name}=${s.value}`).join(',')).join('|')}]`;
    }
  });
}

describe('fragmentation', () => {
  it('key-frame fragmentation: a cluster per video key frame; frames before the first key frame are skipped', () => {
    const w = writer();
    const skipped = w.packageFrame(f(0));
    expect(skipped.skipped).toBe(true);
    expect(skipped.size).toBe(0);
    expect(w.streamStarted).toBe(false);
    expect(script(run(w, [f(40, KEY), f(80), f(120, KEY), f(160)]))).toEqual([
      'S',
      'C40',
      'B1:40k',
      'B1:80',
      'C120',
      'B1:120k',
      'B1:160',
    ]);
  });

  it('audio key frames do not start fragments when the stream has video; audio before video is skipped', () => {
    const w = writer({ tracks: [VIDEO, AUDIO] });
    const s = script(run(w, [f(0, KEY, 20), f(10, KEY, 10), f(20, KEY, 20), f(50, KEY, 10), f(60, KEY, 20)]));
    expect(s).toEqual(['S', 'C10', 'B1:10k', 'B2:20k', 'C50', 'B1:50k', 'B2:60k']);
  });

  it('audio-only streams fragment on audio key frames', () => {
    const w = writer({ tracks: [AUDIO] });
    expect(script(run(w, [f(0, KEY, 20), f(21, KEY, 20)]))).toEqual(['S', 'C0', 'B1:0k', 'C21', 'B1:21k']);
  });

  it('without key-frame fragmentation: a cluster at the first key frame once the duration has passed', () => {
    const w = writer({ keyFrameFragmentation: false, fragmentDurationUs: 1_000_000 });
    const s = script(run(w, [f(0, KEY), f(500, KEY), f(999), f(1000), f(1001, KEY), f(1500, KEY), f(2001, KEY)]));
    expect(s).toEqual([
      'S',
      'C0',
      'B1:0k',
      'B1:500k',
      'B1:999',
      'B1:1000',
      'C1001',
      'B1:1001k',
      'B1:1500k',
      'C2001',
      'B1:2001k',
    ]);
  });

  it('frameTimecodes: false stamps frames with the clock', () => {
    let now = 5_000_000;
    const w = writer({ frameTimecodes: false, now: () => now });
    const a = w.packageFrame(f(999_999, KEY));
    expect(a.ptsUs).toBe(5_000_000);
    now = 5_040_000;
    expect(w.packageFrame(f(0)).ptsUs).toBe(5_040_000);
  });
});

describe('metadata lifecycle', () => {
  it('persistent tags before every fragment, one-shot once, empty value clears', () => {
    const w = writer();
    w.putFragmentMetadata('loc', 'here', true);
    w.putFragmentMetadata('motion', 'yes', false);
    const s1 = script(run(w, [f(0, KEY), f(40)]));
    expect(s1).toEqual(['S', 'T[loc=here]', 'T[motion=yes]', 'C0', 'B1:0k', 'B1:40']);
    w.putFragmentMetadata('loc', 'there', true);
    w.putFragmentMetadata('other', 'x', true);
    const s2 = script(concat([w.streamHeader(), run(w, [f(80, KEY)])]));
    expect(s2.slice(1)).toEqual(['T[loc=there]', 'T[other=x]', 'C80', 'B1:80k']);
    w.putFragmentMetadata('loc', '', true);
    const s3 = script(concat([w.streamHeader(), run(w, [f(120, KEY)])]));
    expect(s3.slice(1)).toEqual(['T[other=x]', 'C120', 'B1:120k']);
  });

  it('EoFR: only tags not yet written, then the EoFR tag; non-key frames skipped until the next key frame', () => {
    const w = writer();
    w.putFragmentMetadata('p', '1', true);
    run(w, [f(0, KEY)]);
    w.putFragmentMetadata('once', '2', false);
    const eofr = w.packageFrame(EOFR);
    expect(eofr.endOfFragment).toBe(true);
    const tags = script(concat([w.streamHeader(), eofr.header.slice()]));
    expect(tags.slice(1)).toEqual(['T[once=2]', `T[${KvsTagName.END_OF_FRAGMENT}=]`]);
    expect(w.lastWasEndOfFragment).toBe(true);
    expect(w.packageFrame(f(40)).skipped).toBe(true);
    const next = script(concat([w.streamHeader(), run(w, [f(80, KEY), f(120)])]));
    // The persistent tag goes before every fragment; the one-shot tag was already written.
    expect(next.slice(1)).toEqual(['T[p=1]', 'C80', 'B1:80k', 'B1:120']);
    expect(w.lastWasEndOfFragment).toBe(false);
  });

  it('events: the event tag with image prefix and pairs in one Tag; free again after the fragment', () => {
    const w = writer();
    run(w, [f(0, KEY)]);
    w.putEventMetadata(StreamEventType.NOTIFICATION | StreamEventType.IMAGE_GENERATION, {
      imagePrefix: 'cam1/',
      pairs: { a: '1', b: '2' },
    });
    const s = script(concat([w.streamHeader(), run(w, [f(40, KEY)])]));
    expect(s.slice(1)).toEqual([
      `T[${KvsTagName.NOTIFICATION}=,a=1,b=2]`,
      `T[${KvsTagName.IMAGE_GENERATION}=,${KvsTagName.IMAGE_PREFIX}=cam1/,a=1,b=2]`,
      'C40',
      'B1:40k',
    ]);
    w.putEventMetadata(StreamEventType.NOTIFICATION);
  });

  it('finish(): unwritten tags + EoFR tag, nothing after an EoFR, and the stream can go on at a key frame', () => {
    const w = writer();
    expect(w.finish().length).toBe(0);
    run(w, [f(0, KEY)]);
    w.putFragmentMetadata('last', 'words', false);
    const end = w.finish();
    expect(script(concat([w.streamHeader(), end])).slice(1)).toEqual([
      'T[last=words]',
      `T[${KvsTagName.END_OF_FRAGMENT}=]`,
    ]);
    expect(w.finish().length).toBe(0);
    expect(w.packageFrame(f(40)).skipped).toBe(true);
    expect(script(concat([w.streamHeader(), run(w, [f(80, KEY)])])).slice(1)).toEqual(['C80', 'B1:80k']);
    const w2 = writer();
    run(w2, [f(0, KEY)]);
    w2.packageFrame(EOFR);
    expect(w2.finish().length).toBe(0);
    expect(hex(w2.endOfStreamTags())).toBe(hex(w.endOfStreamTags()));
  });
});

describe('stream restarts and the stream header', () => {
  it('the stream start carries streamHeader(); reset() starts a new EBML header + Segment at the next key frame', () => {
    const w = writer({ absoluteFragmentTimes: false });
    const first = w.packageFrame(f(1000, KEY));
    expect(first.streamStart).toBe(true);
    expect(first.streamHeaderSize).toBe(w.streamHeader().length);
    expect(hex(first.header.subarray(0, first.streamHeaderSize))).toBe(hex(w.streamHeader()));
    const a = concat([first.header.slice(), first.data.slice(), run(w, [f(1040)])]);
    w.reset();
    expect(w.streamStarted).toBe(false);
    const b = run(w, [f(2000), f(2040, KEY), f(2080)]);
    // Relative cluster times restart from the new stream's first frame.
    expect(script(concat([a, b]))).toEqual(['S', 'C0', 'B1:0k', 'B1:40', 'S', 'C0', 'B1:0k', 'B1:40']);
    expect(walk(concat([a, b])).segments).toBe(2);
  });

  it('timestamps of the current stream and cluster', () => {
    const w = writer({ tracks: [VIDEO, AUDIO] });
    run(w, [f(100, KEY), f(120, 0, 20), f(140)]);
    expect(w.currentTimestamps()).toEqual({ streamStartUs: 100_000, clusterPtsUs: 100_000, clusterDtsUs: 100_000 });
    const p = w.packageFrame(f(160, 0, 20));
    expect([p.ptsUs, p.clusterPtsUs, p.streamStartUs, p.trackNumber, p.keyFrame, p.clusterStart]).toEqual([
      160_000,
      100_000,
      100_000,
      2,
      false,
      false,
    ]);
  });

  it('setCodecPrivateData takes effect in the next header', () => {
    const w = writer();
    w.setCodecPrivateData(10, fromHex('01 02 03'));
    expect(walk(w.streamHeader()).tracks[0].codecPrivate).toEqual(fromHex('01 02 03'));
    w.setCodecPrivateData(10, new Uint8Array(0));
    expect(walk(w.streamHeader()).tracks[0].codecPrivate).toBeUndefined();
  });
});

describe('zero copy', () => {
  it('blocks reuse one header view and hand back the caller’s data', () => {
    const w = writer();
    w.packageFrame(f(0, KEY));
    const a = f(40);
    const p1 = w.packageFrame(a);
    const h1 = p1.header;
    expect(p1.data).toBe(a.data);
    const b = f(80);
    const p2 = w.packageFrame(b);
    expect(p2).toBe(p1);
    expect(p2.header).toBe(h1);
    expect(p2.data).toBe(b.data);
    const l1 = w.prepare(f(120));
    const l2 = w.prepare(f(120));
    expect(l2).toBe(l1);
  });
});
