// Real ffmpeg/x264 output from the repository's test-vectors/ (see test-vectors/README.md): the
// Annex-B elementary streams, the ADTS stream, and ffmpeg's own Matroska mux of the same frames,
// whose AVCC frames and avcC CodecPrivate are the oracle for our conversion.
import {
  AnnexBToAvccConverter,
  adtsToAudioSpecificConfig,
  annexBToAvccCopy,
  avccToAnnexB,
  CodecId,
  codecPrivateFromAnnexBKeyFrame,
  codecPrivateFromAvccKeyFrame,
  forEachAdtsFrame,
  H264NalType,
  isAnnexBKeyFrame,
  isAvccKeyFrame,
  parseAudioSpecificConfig,
  parseAvcC,
  parseH264Sps,
  splitAnnexB,
  validateAvcc,
  videoSizeFromCodecPrivate,
} from '@kvs-ts/codecs';
import { readRepoVector } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';
import { toHex } from './helpers';

interface IndexedFrame {
  index: number;
  key: boolean;
  offset: number;
  size: number;
  track?: number;
}

async function load(name: string): Promise<{ bytes: Uint8Array; frames: IndexedFrame[] }> {
  const bytes = await readRepoVector(name);
  const index = JSON.parse(new TextDecoder().decode(await readRepoVector(`${name}.json`))) as {
    frames: IndexedFrame[];
  };
  return { bytes, frames: index.frames };
}

/** The payload of the first CodecPrivate (0x63A2) element after `from`, reading its EBML size. */
function codecPrivateAfter(mkv: Uint8Array, from: number): Uint8Array {
  for (let i = from; i + 3 < mkv.length; i++) {
    if (mkv[i] !== 0x63 || mkv[i + 1] !== 0xa2) continue;
    const first = mkv[i + 2];
    let len = 1;
    while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
    let size = first & (0xff >> len);
    for (let k = 1; k < len; k++) size = size * 256 + mkv[i + 2 + k];
    const start = i + 2 + len;
    return mkv.subarray(start, start + size);
  }
  throw new Error('no CodecPrivate');
}

describe('repository test vectors', () => {
  for (const name of ['h264-baseline-320x240-25fps.h264', 'h264-main-bframes-320x240-25fps.h264']) {
    it(`${name}: every frame converts and round-trips; key frames give a 320x240 avcC`, async () => {
      const { bytes, frames } = await load(name);
      const conv = new AnnexBToAvccConverter();
      let keys = 0;
      for (const f of frames) {
        const frame = bytes.subarray(f.offset, f.offset + f.size);
        const nalus = splitAnnexB(frame);
        const size = conv.prepare(frame);
        const out = new Uint8Array(size + 2);
        expect(conv.write(out, 2)).toBe(size);
        expect(validateAvcc(out.subarray(2))).toBe(nalus.length);
        expect(splitAnnexB(avccToAnnexB(out.subarray(2)))).toEqual(nalus);
        const hasIdr = nalus.some((n) => (n[0] & 0x1f) === H264NalType.IDR);
        expect(hasIdr).toBe(f.key);
        expect(isAnnexBKeyFrame(CodecId.H264, frame)).toBe(f.key);
        expect(isAvccKeyFrame(CodecId.H264, out.subarray(2))).toBe(f.key);
        if (f.key) {
          keys++;
          const avcC = codecPrivateFromAnnexBKeyFrame(CodecId.H264, frame);
          expect(videoSizeFromCodecPrivate(CodecId.H264, avcC)).toEqual({ width: 320, height: 240 });
          expect(codecPrivateFromAvccKeyFrame(CodecId.H264, out.subarray(2))).toEqual(avcC);
        }
      }
      expect(keys).toBe(Math.ceil(frames.length / 25));
    });
  }

  it('baseline SPS fields match what the index says (Constrained Baseline)', async () => {
    const { bytes, frames } = await load('h264-baseline-320x240-25fps.h264');
    const sps = splitAnnexB(bytes.subarray(frames[0].offset, frames[0].offset + frames[0].size)).find(
      (n) => (n[0] & 0x1f) === 7,
    );
    expect(parseH264Sps(sps!)).toMatchObject({ profileIdc: 66, width: 320, height: 240, chromaFormatIdc: 1 });
    expect(sps![2] & 0x40).toBe(0x40); // constraint_set1_flag: Constrained Baseline
  });

  it('our AVCC frames and avcC equal ffmpeg’s Matroska mux of the same stream', async () => {
    const es = await load('h264-baseline-320x240-25fps.h264');
    const mkv = await load('h264-aac-320x240.mkv');
    const video = mkv.frames.filter((f) => f.track === 1);
    expect(video.length).toBe(es.frames.length);
    // The elementary stream is in decode order, and Baseline has no reordering, so frames pair up.
    for (let i = 0; i < video.length; i++) {
      const ours = annexBToAvccCopy(es.bytes.subarray(es.frames[i].offset, es.frames[i].offset + es.frames[i].size));
      const theirs = mkv.bytes.subarray(video[i].offset, video[i].offset + video[i].size);
      expect(toHex(ours), `frame ${i}`).toBe(toHex(theirs));
    }
    const theirAvcC = codecPrivateAfter(mkv.bytes, 0);
    const first = es.bytes.subarray(es.frames[0].offset, es.frames[0].offset + es.frames[0].size);
    expect(toHex(codecPrivateFromAnnexBKeyFrame(CodecId.H264, first))).toBe(toHex(theirAvcC));
    expect(parseAvcC(theirAvcC).lengthSize).toBe(4);
  });

  it('ADTS: frames tile the stream as indexed; the ASC matches ffmpeg’s CodecPrivate', async () => {
    const { bytes, frames } = await load('aac-lc-48khz-mono.aac');
    const seen: { offset: number; size: number }[] = [];
    let asc: Uint8Array | undefined;
    forEachAdtsFrame(bytes, (start, _payload, end, header) => {
      seen.push({ offset: start, size: end - start });
      asc ??= adtsToAudioSpecificConfig(header);
    });
    expect(seen).toEqual(frames.map((f) => ({ offset: f.offset, size: f.size })));
    expect(parseAudioSpecificConfig(asc!)).toMatchObject({ objectType: 2, samplingFrequency: 48000, channels: 1 });
    const mkv = await load('h264-aac-320x240.mkv');
    const videoCpd = codecPrivateAfter(mkv.bytes, 0);
    const audioCpd = codecPrivateAfter(mkv.bytes, videoCpd.byteOffset + videoCpd.length);
    expect(toHex(audioCpd)).toBe(toHex(asc!));
  });
});
