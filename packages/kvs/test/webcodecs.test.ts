// WebCodecs adapter: decoder configs become tracks, encoded chunks become frames. Plain objects
// everywhere; in Chromium also a real VideoEncoder, whose chunks go through the MKV writer and
// come back out of the parser byte for byte.
import { CodecId } from '@kvs-ts/codecs';
import { FrameFlags, frameFromChunk, KvsError, NalAdaptation, trackFromDecoderConfig } from '@kvs-ts/kvs';
import { MkvParser } from '@kvs-ts/mkv-parser';
import { MkvWriter } from '@kvs-ts/mkv-writer';
import { describe, expect, it } from 'vitest';

function chunk(type: 'key' | 'delta', timestamp: number, bytes: number[]) {
  return {
    type,
    timestamp,
    duration: 33_333,
    byteLength: bytes.length,
    copyTo: (dst: Uint8Array) => dst.set(bytes),
  } as const;
}

describe('WebCodecs adapter', () => {
  it('maps decoder configs to tracks and NAL adaptation', () => {
    const avcc = trackFromDecoderConfig({
      codec: 'avc1.42001f',
      description: new Uint8Array([1, 0x42, 0, 0x1f, 0xff]),
      codedWidth: 640,
      codedHeight: 480,
    });
    expect(avcc.track).toMatchObject({ codecId: CodecId.H264, video: { width: 640, height: 480 } });
    expect(avcc.track.codecPrivateData).toEqual(new Uint8Array([1, 0x42, 0, 0x1f, 0xff]));
    expect(avcc.nalAdaptationFlags).toBe(NalAdaptation.NONE);
    const annexB = trackFromDecoderConfig({ codec: 'avc1.640028' });
    expect(annexB.nalAdaptationFlags).toBe(NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS);
    expect(trackFromDecoderConfig({ codec: 'hvc1.1.6.L93.B0' }).track.codecId).toBe(CodecId.H265);
    expect(trackFromDecoderConfig({ codec: 'vp8' }).track.codecId).toBe(CodecId.VP8);
    expect(trackFromDecoderConfig({ codec: 'vp09.00.10.08' }).track.codecId).toBe(CodecId.VP9);
    const aac = trackFromDecoderConfig(
      { codec: 'mp4a.40.2', description: new Uint8Array([0x11, 0x90]), sampleRate: 48000, numberOfChannels: 1 },
      2,
    );
    expect(aac.track).toMatchObject({
      trackId: 2,
      codecId: CodecId.AAC,
      audio: { samplingFrequency: 48000, channels: 1 },
    });
    expect(aac.contentType).toBe('audio/aac');
    const alaw = trackFromDecoderConfig({ codec: 'alaw', sampleRate: 8000, numberOfChannels: 1 }, 2);
    expect(alaw.track.codecId).toBe(CodecId.MS_ACM);
    expect(alaw.track.codecPrivateData?.length).toBe(18); // WAVEFORMATEX
  });

  it('refuses what it cannot map, with a KvsError', () => {
    expect(() => trackFromDecoderConfig({ codec: 'flac' })).toThrow(KvsError);
    expect(() => trackFromDecoderConfig({ codec: 'mp4a.40.2' })).toThrow(/AudioSpecificConfig/);
    expect(() => frameFromChunk(chunk('key', 0, []), 1)).toThrow(KvsError);
  });

  it('copies a chunk into a frame on the caller’s timeline', () => {
    const f = frameFromChunk(chunk('key', 66_666, [1, 2, 3]), 1, 1_000_000);
    expect(f).toMatchObject({
      trackId: 1,
      pts: 1_066_666,
      dts: 1_066_666,
      duration: 33_333,
      flags: FrameFlags.KEY_FRAME,
    });
    expect(f.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(frameFromChunk(chunk('delta', 0, [9]), 1).flags).toBe(FrameFlags.NONE);
  });

  const hasEncoder = typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder === 'function';
  it.skipIf(!hasEncoder)('takes a real VideoEncoder’s output through the writer, byte for byte', async () => {
    type Enc = {
      configure(c: object): void;
      encode(f: unknown, o?: object): void;
      flush(): Promise<void>;
      close(): void;
    };
    const g = globalThis as unknown as {
      VideoEncoder: new (init: {
        output: (c: unknown, m?: { decoderConfig?: object }) => void;
        error: (e: unknown) => void;
      }) => Enc;
      VideoFrame: new (src: unknown, init: { timestamp: number; duration?: number }) => { close(): void };
      OffscreenCanvas: new (
        w: number,
        h: number,
      ) => { getContext(t: '2d'): { fillStyle: string; fillRect(...a: number[]): void } };
    };
    const chunks: Array<ReturnType<typeof chunk>> = [];
    let config: object | undefined;
    const encoder = new g.VideoEncoder({
      output: (c, meta) => {
        chunks.push(c as ReturnType<typeof chunk>);
        if (meta?.decoderConfig) config = meta.decoderConfig;
      },
      error: (e) => {
        throw e;
      },
    });
    encoder.configure({ codec: 'vp8', width: 160, height: 120, bitrate: 200_000, framerate: 30 });
    const canvas = new g.OffscreenCanvas(160, 120);
    const ctx = canvas.getContext('2d');
    for (let i = 0; i < 30; i++) {
      ctx.fillStyle = `rgb(${i * 8}, 100, ${255 - i * 8})`;
      ctx.fillRect(0, 0, 160, 120);
      const frame = new g.VideoFrame(canvas, { timestamp: i * 33_333, duration: 33_333 });
      encoder.encode(frame, { keyFrame: i % 10 === 0 });
      frame.close();
    }
    await encoder.flush();
    encoder.close();
    expect(config).toBeDefined();
    const { track, nalAdaptationFlags } = trackFromDecoderConfig(config as { codec: string });
    const writer = new MkvWriter({ tracks: [track], nalAdaptationFlags });
    const frames = chunks.map((c) => frameFromChunk(c, 1, 5_000_000));
    const parts = frames.map((f) => {
      const plan = writer.prepare(f);
      const buf = new Uint8Array(plan.size);
      writer.write(plan, buf);
      return buf;
    });
    const got: Uint8Array[] = [];
    const parser = new MkvParser({ frame: (f: { data: Uint8Array }) => got.push(f.data.slice()) });
    for (const p of parts) parser.push(p);
    expect(got).toHaveLength(30);
    for (let i = 0; i < got.length; i++) expect(got[i]).toEqual(frames[i].data);
  });
});
