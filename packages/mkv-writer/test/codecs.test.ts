// NAL adaptation and codec private data with real ffmpeg output: Annex-B → AVCC frames, CPD
// extracted from the first key frame (or given as Annex-B) → avcC with the SPS picture size,
// AVCC → Annex-B, AAC AudioSpecificConfig and G.711 WAVEFORMATEX built from parameters.

import {
  adtsToAudioSpecificConfig,
  annexBKeyFrameCpd,
  annexBToAvccCopy,
  avccToAnnexB,
  isValidAvcc,
  parseAvcC,
  parseWaveFormatEx,
} from '@kvs-ts/codecs';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { describe, expect, it } from 'vitest';
import { FrameOrderCoordinator, MkvWriter, NalAdaptation, type WriterTrackInfo } from '../src/index';
import { aacFrames, h264Frames } from './media';
import { concat, hex, walk } from './walk';

const H264: WriterTrackInfo = {
  trackId: 1,
  codecId: 'V_MPEG4/ISO/AVC',
  trackName: 'video',
  trackType: TrackType.VIDEO,
};
const BASELINE = 'h264-baseline-320x240-25fps.h264';
const BFRAMES = 'h264-main-bframes-320x240-25fps.h264';

function pieces(w: MkvWriter, frames: Frame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const p = w.packageFrame(f);
    parts.push(p.header.slice(), p.data.slice());
  }
  return concat(parts);
}

function twoPhase(w: MkvWriter, frames: Frame[]): Uint8Array {
  let total = 0;
  const store = new Uint8Array(1 << 21);
  for (const f of frames) {
    const plan = w.prepare(f);
    total += w.write(plan, store, total);
  }
  return store.slice(0, total);
}

describe('H.264 Annex-B input', () => {
  it('frames become AVCC, CPD comes from the first key frame, Video gets 320x240', async () => {
    const frames = await h264Frames(BASELINE);
    const w = new MkvWriter({ tracks: [H264], nalAdaptationFlags: NalAdaptation.ANNEXB_NALS });
    expect(w.trackInfo[0].codecPrivateData).toBeUndefined();
    const bytes = pieces(w, frames);
    const m = walk(bytes);
    const t = m.tracks[0];
    expect([t.width, t.height]).toEqual([320, 240]);
    const avcc = parseAvcC(t.codecPrivate as Uint8Array);
    expect(avcc.sps.length).toBe(1);
    expect(avcc.pps.length).toBe(1);
    expect(hex(w.trackInfo[0].codecPrivateData as Uint8Array)).toBe(hex(t.codecPrivate as Uint8Array));
    expect(m.blocks.length).toBe(250);
    expect(m.clusters.length).toBe(10);
    m.blocks.forEach((b, i) => {
      expect(isValidAvcc(b.data)).toBe(true);
      expect(hex(b.data)).toBe(hex(annexBToAvccCopy(frames[i].data)));
      expect(b.flags === 0x80).toBe((frames[i].flags & FrameFlags.KEY_FRAME) !== 0);
      expect(b.timecode).toBe(frames[i].pts / 1000);
    });
    // The header re-sent at a new connection carries the extracted CPD.
    expect(hex(w.streamHeader())).toBe(hex(bytes.subarray(0, w.streamHeader().length)));
  });

  it('the two-phase form converts straight into the store and matches the pieces form', async () => {
    const frames = await h264Frames(BASELINE);
    const opts = {
      tracks: [H264],
      nalAdaptationFlags: NalAdaptation.ANNEXB_NALS,
      segmentUuid: new Uint8Array(16).fill(3),
    };
    expect(hex(twoPhase(new MkvWriter(opts), frames))).toBe(hex(pieces(new MkvWriter(opts), frames)));
  });

  it('Annex-B CPD given under ANNEXB_CPD_NALS becomes the same avcC', async () => {
    const frames = await h264Frames(BASELINE);
    const extracted = new MkvWriter({ tracks: [H264], nalAdaptationFlags: NalAdaptation.ANNEXB_NALS });
    pieces(extracted, frames.slice(0, 1));
    const given = new MkvWriter({
      tracks: [{ ...H264, codecPrivateData: annexBKeyFrameCpd(H264.codecId, frames[0].data) }],
      nalAdaptationFlags: NalAdaptation.ANNEXB_CPD_AND_FRAME_NALS,
    });
    expect(hex(given.trackInfo[0].codecPrivateData as Uint8Array)).toBe(
      hex(extracted.trackInfo[0].codecPrivateData as Uint8Array),
    );
    expect(given.trackInfo[0].video).toEqual({ width: 320, height: 240 });
  });

  it('B-frames: PTS ≠ DTS inside fragments, block timecodes are PTS', async () => {
    const frames = await h264Frames(BFRAMES);
    const w = new MkvWriter({ tracks: [H264], nalAdaptationFlags: NalAdaptation.ANNEXB_NALS });
    const m = walk(pieces(w, frames));
    expect(m.blocks.map((b) => b.timecode)).toEqual(frames.map((f) => f.pts / 1000));
    expect(m.clusters.map((c) => c.timecode)).toEqual(
      frames.filter((f) => f.flags & FrameFlags.KEY_FRAME).map((f) => f.pts / 1000),
    );
  });

  it('AVCC input under AVCC_NALS comes out as Annex-B with 4-byte start codes', async () => {
    const frames = (await h264Frames(BASELINE)).slice(0, 30).map((f) => ({ ...f, data: annexBToAvccCopy(f.data) }));
    const w = new MkvWriter({ tracks: [H264], nalAdaptationFlags: NalAdaptation.AVCC_NALS });
    const m = walk(pieces(w, frames));
    m.blocks.forEach((b, i) => {
      expect(hex(b.data)).toBe(hex(avccToAnnexB(frames[i].data)));
    });
    // The caller's frame data is left as it was.
    expect(isValidAvcc(frames[0].data)).toBe(true);
  });
});

describe('audio codec private data', () => {
  it('AAC: AudioSpecificConfig built from the parameters equals the ADTS-derived one', async () => {
    const { header } = await aacFrames();
    const w = new MkvWriter({
      tracks: [
        { trackId: 2, codecId: 'A_AAC', trackType: TrackType.AUDIO, audio: { samplingFrequency: 48000, channels: 1 } },
      ],
    });
    const cpd = w.trackInfo[0].codecPrivateData as Uint8Array;
    expect(hex(cpd)).toBe('11 88');
    expect(hex(cpd)).toBe(hex(adtsToAudioSpecificConfig(header)));
    const t = walk(w.streamHeader()).tracks[0];
    expect([t.samplingFrequency, t.channels, t.bitDepth]).toEqual([48000, 1, undefined]);
  });

  it('AAC: parameters read back from a given AudioSpecificConfig', () => {
    const w = new MkvWriter({
      tracks: [
        { trackId: 2, codecId: 'A_AAC', trackType: TrackType.AUDIO, codecPrivateData: new Uint8Array([0x12, 0x10]) },
      ],
    });
    const t = walk(w.streamHeader()).tracks[0];
    expect([t.samplingFrequency, t.channels]).toEqual([44100, 2]);
  });

  it('G.711 µ-law: WAVEFORMATEX built from the parameters, BitDepth 8 in the Audio element', () => {
    const w = new MkvWriter({
      tracks: [
        {
          trackId: 3,
          codecId: 'A_MS/ACM',
          trackType: TrackType.AUDIO,
          g711: 'mulaw',
          audio: { samplingFrequency: 8000, channels: 1 },
        },
      ],
    });
    const cpd = w.trackInfo[0].codecPrivateData as Uint8Array;
    expect(cpd.length).toBe(18);
    const wf = parseWaveFormatEx(cpd);
    expect([wf.formatTag, wf.samplesPerSec, wf.channels, wf.bitsPerSample]).toEqual([7, 8000, 1, 8]);
    const given = new MkvWriter({
      tracks: [{ trackId: 3, codecId: 'A_MS/ACM', trackType: TrackType.AUDIO, codecPrivateData: cpd }],
    });
    const t = walk(given.streamHeader()).tracks[0];
    expect([t.samplingFrequency, t.channels, t.bitDepth]).toEqual([8000, 1, 8]);
  });
});

describe('H.264 + AAC through the frame-order coordinator', () => {
  it('every fragment starts with a video key frame and no track goes back across a boundary', async () => {
    const video = await h264Frames(BASELINE, 1, 1_700_000_000_000_000);
    const { frames: audio } = await aacFrames(2, 1_700_000_000_000_000);
    const w = new MkvWriter({
      tracks: [
        H264,
        { trackId: 2, codecId: 'A_AAC', trackType: TrackType.AUDIO, audio: { samplingFrequency: 48000, channels: 1 } },
      ],
      nalAdaptationFlags: NalAdaptation.ANNEXB_NALS,
    });
    const parts: Uint8Array[] = [];
    const c = new FrameOrderCoordinator({ tracks: w.trackInfo }, (f) => {
      const p = w.packageFrame(f);
      parts.push(p.header.slice(), p.data.slice());
    });
    // Each source delivers in bursts, as capture threads do.
    let vi = 0;
    let ai = 0;
    while (vi < video.length || ai < audio.length) {
      for (let k = 0; k < 3 && vi < video.length; k++) c.put(video[vi++]);
      for (let k = 0; k < 5 && ai < audio.length; k++) c.put(audio[ai++]);
    }
    c.flush();
    const m = walk(concat(parts));
    expect(m.blocks.filter((b) => b.track === 1).length).toBe(250);
    expect(m.blocks.filter((b) => b.track === 2).length).toBe(audio.length);
    let prevMax = -1;
    for (const cl of m.clusters) {
      const blocks = m.blocks.filter((b) => b.cluster === cl.index);
      expect(blocks[0].track).toBe(1);
      expect(blocks[0].flags & 0x80).toBe(0x80);
      expect(blocks[0].timecode).toBe(cl.timecode);
      expect(Math.min(...blocks.map((b) => b.timecode))).toBeGreaterThan(prevMax);
      prevMax = Math.max(...blocks.map((b) => b.timecode));
    }
  });
});
