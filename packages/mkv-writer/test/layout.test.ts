// Byte-exact layout against bytes derived by hand from PIC's MkvStatics.c templates.

import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { KvsTagName, MkvWriter, StreamEventType } from '../src/index';
import { asciiHex, concat, fromHex, hex } from './walk';

const UUID = fromHex('00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff');
const EBML_HEADER =
  '1a 45 df a3 a3 42 86 81 01 42 f7 81 01 42 f2 81 04 42 f3 81 08 42 82 88 6d 61 74 72 6f 73 6b 61 42 87 81 02 42 85 81 02';

function video(extra: Partial<Parameters<typeof makeWriter>[0]> = {}) {
  return makeWriter({
    tracks: [{ trackId: 1, codecId: 'V_MPEG4/ISO/AVC', trackName: 'kinesis_video', trackType: TrackType.VIDEO }],
    ...extra,
  });
}

function makeWriter(o: ConstructorParameters<typeof MkvWriter>[0]) {
  return new MkvWriter({ segmentUuid: UUID, ...o });
}

function frame(pts: number, flags: number, data: Uint8Array, trackId = 1, dts = pts): Frame {
  return { trackId, pts, dts, duration: 0, flags, data };
}

function pieces(w: MkvWriter, f: Frame): Uint8Array {
  const p = w.packageFrame(f);
  return concat([p.header, p.data]);
}

// Info: SegmentUID, 8-byte TimecodeScale, Title, MuxingApp, WritingApp; 2-byte size.
function infoHex(app = 'Kinesis Video SDK 1.1.0'): string {
  const title = 'Kinesis Video SDK';
  const body = [
    `73 a4 90 ${hex(UUID)}`,
    '2a d7 b1 88 00 00 00 00 00 0f 42 40',
    `7b a9 ${(0x80 | title.length).toString(16)} ${asciiHex(title)}`,
    `4d 80 ${(0x80 | app.length).toString(16)} ${asciiHex(app)}`,
    `57 41 ${(0x80 | app.length).toString(16)} ${asciiHex(app)}`,
  ].join(' ');
  const size = fromHex(body).length;
  return `15 49 a9 66 ${hex(new Uint8Array([0x40 | (size >> 8), size & 0xff]))} ${body}`;
}

describe('PIC byte layout', () => {
  it('EBML header is PIC’s 40 bytes and the Segment has the unknown size 0xFF', () => {
    const h = video().streamHeader();
    expect(hex(h.subarray(0, 40))).toBe(EBML_HEADER);
    expect(hex(h.subarray(40, 45))).toBe('18 53 80 67 ff');
  });

  it('Info: UID, 8-byte TimecodeScale, Title, Muxing/WritingApp with PIC’s strings', () => {
    const h = video().streamHeader();
    const info = fromHex(infoHex());
    expect(info.length).toBe(6 + 103);
    expect(hex(h.subarray(45, 45 + info.length))).toBe(hex(info));
    const withClient = video({ clientId: 'myClient' }).streamHeader();
    expect(hex(withClient.subarray(45, 45 + info.length + 18))).toBe(
      hex(fromHex(infoHex('Kinesis Video SDK 1.1.0 myClient'))),
    );
  });

  it('Tracks with a video track: 4-byte sizes, TrackNumber, 8-byte TrackUID, type, name, codec, Video, CPD', () => {
    const cpd = fromHex('01 42 c0 1e ff e1 00 04 67 42 c0 1e 01 00 04 68 ce 3c 80');
    const w = makeWriter({
      tracks: [
        {
          trackId: 0x0102030405,
          codecId: 'V_MPEG4/ISO/AVC',
          trackName: 'kinesis_video',
          trackType: TrackType.VIDEO,
          codecPrivateData: cpd,
          video: { width: 1280, height: 720 },
        },
      ],
    });
    const h = w.streamHeader();
    const tracksAt = 45 + fromHex(infoHex()).length;
    const entryBody = [
      'd7 81 01',
      '73 c5 88 00 00 00 01 02 03 04 05',
      '83 81 01',
      `53 6e 8d ${asciiHex('kinesis_video')}`,
      `86 8f ${asciiHex('V_MPEG4/ISO/AVC')}`,
      'e0 10 00 00 08 b0 82 05 00 ba 82 02 d0',
      `63 a2 93 ${hex(cpd)}`,
    ].join(' ');
    const entrySize = fromHex(entryBody).length;
    const entry = `ae 10 00 00 ${entrySize.toString(16).padStart(2, '0')} ${entryBody}`;
    const tracks = `16 54 ae 6b 10 00 00 ${(entrySize + 5).toString(16).padStart(2, '0')} ${entry}`;
    expect(hex(h.subarray(tracksAt))).toBe(hex(fromHex(tracks)));
  });

  it('Audio element: 8-byte float SamplingFrequency, 1-byte Channels, optional BitDepth', () => {
    const w = makeWriter({
      tracks: [
        {
          trackId: 2,
          codecId: 'A_MS/ACM',
          trackType: TrackType.AUDIO,
          audio: { samplingFrequency: 8000, channels: 1, bitDepth: 8 },
        },
      ],
    });
    const h = w.streamHeader();
    const tracksAt = 45 + fromHex(infoHex()).length;
    const entryBody = [
      'd7 81 01',
      '73 c5 88 00 00 00 00 00 00 00 02',
      '83 81 02',
      `86 88 ${asciiHex('A_MS/ACM')}`,
      'e1 10 00 00 11 b5 88 40 bf 40 00 00 00 00 00 9f 81 01 62 64 81 08',
    ].join(' ');
    const entrySize = fromHex(entryBody).length;
    const expected = `16 54 ae 6b 10 00 00 ${(entrySize + 5).toString(16)} ae 10 00 00 ${entrySize.toString(16)} ${entryBody}`;
    expect(hex(h.subarray(tracksAt))).toBe(hex(fromHex(expected)));
  });

  it('first key frame: header, Cluster (unknown size, 8-byte Timecode, Position 0), SimpleBlock with 8-byte size', () => {
    const w = video();
    const data = fromHex('00 00 00 02 09 10');
    const out = pieces(w, frame(1_234_567, FrameFlags.KEY_FRAME, data));
    const header = w.streamHeader();
    expect(hex(out.subarray(0, header.length))).toBe(hex(header));
    // 1_234_567 µs at 1 ms → 1234 = 0x4d2.
    expect(hex(out.subarray(header.length))).toBe(
      `1f 43 b6 75 ff e7 88 00 00 00 00 00 00 04 d2 a7 81 00 a3 01 00 00 00 00 00 00 0a 81 00 00 80 ${hex(data)}`,
    );
  });

  it('blocks: int16 relative timecode, track number vint, invisible/discardable flags', () => {
    const w = video();
    pieces(w, frame(1_000_000, FrameFlags.KEY_FRAME, fromHex('aa')));
    const b = pieces(w, frame(1_300_400, FrameFlags.DISCARDABLE | FrameFlags.INVISIBLE, fromHex('bb cc')));
    expect(hex(b)).toBe('a3 01 00 00 00 00 00 00 06 81 01 2c 09 bb cc');
    const c = pieces(w, frame(1_000_000 + 32_767_000, 0, fromHex('dd')));
    expect(hex(c)).toBe('a3 01 00 00 00 00 00 00 05 81 7f ff 00 dd');
  });

  it('second key frame starts a new Cluster; relative cluster times count from the first frame', () => {
    const w = video({ absoluteFragmentTimes: false });
    pieces(w, frame(5_000_000, FrameFlags.KEY_FRAME, fromHex('01')));
    const k = pieces(w, frame(7_000_000, FrameFlags.KEY_FRAME, fromHex('02')));
    expect(hex(k)).toBe(
      '1f 43 b6 75 ff e7 88 00 00 00 00 00 00 07 d0 a7 81 00 a3 01 00 00 00 00 00 00 05 81 00 00 80 02',
    );
  });

  it('fragment metadata: one Tags element per item with 8-byte sizes, before the Cluster', () => {
    const w = video();
    pieces(w, frame(0, FrameFlags.KEY_FRAME, fromHex('01')));
    w.putFragmentMetadata('k', 'vv', false);
    const out = pieces(w, frame(1000, FrameFlags.KEY_FRAME, fromHex('02')));
    const tag =
      '12 54 c3 67 01 00 00 00 00 00 00 2b ' + // Tags, 43
      '73 73 01 00 00 00 00 00 00 21 ' + // Tag, 33
      '67 c8 01 00 00 00 00 00 00 17 ' + // SimpleTag, 23
      '45 a3 01 00 00 00 00 00 00 01 6b ' + // TagName "k"
      '44 87 01 00 00 00 00 00 00 02 76 76'; // TagString "vv"
    expect(hex(out.subarray(0, 55))).toBe(hex(fromHex(tag)));
    expect(hex(out.subarray(55, 59))).toBe('1f 43 b6 75');
  });

  it('EoFR: pending tags then AWS_KINESISVIDEO_END_OF_FRAGMENT; the EoS blob is the same 84-byte tag', () => {
    const w = video();
    pieces(w, frame(0, FrameFlags.KEY_FRAME, fromHex('01')));
    const eos = w.endOfStreamTags();
    const name = KvsTagName.END_OF_FRAGMENT;
    expect(eos.length).toBe(84);
    expect(hex(eos)).toBe(
      hex(
        fromHex(
          `12 54 c3 67 01 00 00 00 00 00 00 48 73 73 01 00 00 00 00 00 00 3e 67 c8 01 00 00 00 00 00 00 34 ` +
            `45 a3 01 00 00 00 00 00 00 20 ${asciiHex(name)} 44 87 01 00 00 00 00 00 00 00`,
        ),
      ),
    );
    const p = w.packageFrame({
      trackId: 0,
      pts: 0,
      dts: 0,
      duration: 0,
      flags: FrameFlags.END_OF_FRAGMENT,
      data: new Uint8Array(0),
    });
    expect(p.endOfFragment).toBe(true);
    expect(p.data.length).toBe(0);
    expect(hex(p.header)).toBe(hex(eos));
  });

  it('event metadata: the event SimpleTag with the prefix and pairs as sibling SimpleTags in one Tag', () => {
    const w = video();
    pieces(w, frame(0, FrameFlags.KEY_FRAME, fromHex('01')));
    w.putEventMetadata(StreamEventType.IMAGE_GENERATION, { imagePrefix: 'p', pairs: [{ name: 'a', value: 'b' }] });
    const out = pieces(w, frame(1000, FrameFlags.KEY_FRAME, fromHex('02')));
    const simple = (n: string, v: string) =>
      `67 c8 01 00 00 00 00 00 00 ${(20 + n.length + v.length).toString(16).padStart(2, '0')} ` +
      `45 a3 01 00 00 00 00 00 00 ${n.length.toString(16).padStart(2, '0')} ${asciiHex(n)} ` +
      `44 87 01 00 00 00 00 00 00 ${v.length.toString(16).padStart(2, '0')} ${v ? asciiHex(v) : ''}`;
    const body = [simple(KvsTagName.IMAGE_GENERATION, ''), simple(KvsTagName.IMAGE_PREFIX, 'p'), simple('a', 'b')].join(
      ' ',
    );
    const n = fromHex(body).length;
    const tagHex = `73 73 01 00 00 00 00 00 00 ${n.toString(16)} ${body}`;
    const tags = `12 54 c3 67 01 00 00 00 00 00 00 ${(n + 10).toString(16)} ${tagHex}`;
    const expected = fromHex(tags);
    expect(hex(out.subarray(0, expected.length))).toBe(hex(expected));
    expect(hex(out.subarray(expected.length, expected.length + 4))).toBe('1f 43 b6 75');
  });

  it('tagTargets adds an empty Targets to each Tag', () => {
    const w = video({ tagTargets: true });
    expect(hex(w.endOfStreamTags().subarray(12, 32))).toBe(
      '73 73 01 00 00 00 00 00 00 48 63 c0 01 00 00 00 00 00 00 00',
    );
  });

  it('two-phase write produces the same bytes as the pieces form', () => {
    const a = video();
    const b = video();
    const frames = [
      frame(0, FrameFlags.KEY_FRAME, fromHex('01 02 03')),
      frame(40_000, 0, fromHex('04')),
      frame(80_000, FrameFlags.KEY_FRAME, fromHex('05 06')),
    ];
    for (const f of frames) {
      const p = pieces(a, f);
      const l = b.prepare(f);
      const dst = new Uint8Array(l.size + 3);
      expect(b.write(l, dst, 3)).toBe(l.size);
      expect(hex(dst.subarray(3))).toBe(hex(p));
    }
  });
});
