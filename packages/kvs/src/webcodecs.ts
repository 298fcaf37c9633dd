// WebCodecs in, KVS frames out: a browser (or Deno) encodes with VideoEncoder / AudioEncoder, and
// each EncodedVideoChunk / EncodedAudioChunk becomes a Frame; the decoder config the encoder
// reports with its first output becomes the track (codec ID, codec private data, NAL adaptation).
//
// The shapes are declared structurally (WebCodecs types are not in every runtime's lib, and a
// test can pass plain objects). WebCodecs gives no decoding timestamps: DTS = PTS, right for the
// encoders' realtime modes, which make no B-frames.

import { buildG711WaveFormatEx, CodecId, WaveFormatTag } from '@kvs-ts/codecs';
import { type Frame, FrameFlags, KvsError, TrackType } from '@kvs-ts/core';
import { NalAdaptation, type WriterTrackInfo } from '@kvs-ts/mkv-writer';

/** What kvs-ts reads of an EncodedVideoChunk or EncodedAudioChunk. */
export interface EncodedChunkLike {
  readonly type: 'key' | 'delta';
  /** µs, from the encoder's first frame (WebCodecs' unit). */
  readonly timestamp: number;
  readonly duration?: number | null;
  readonly byteLength: number;
  copyTo(destination: Uint8Array): void;
}

/** What kvs-ts reads of a VideoDecoderConfig / AudioDecoderConfig (an encoder's output metadata). */
export interface DecoderConfigLike {
  codec: string;
  /** avcC / hvcC (H.264/H.265 in `avc`/`hevc` format), AudioSpecificConfig (AAC), … */
  description?: ArrayBuffer | ArrayBufferView;
  codedWidth?: number;
  codedHeight?: number;
  sampleRate?: number;
  numberOfChannels?: number;
}

/** A track for a stream definition, and how the writer must treat its frames. */
export interface WebCodecsTrack {
  track: WriterTrackInfo;
  /** NAL adaptation for the stream definition: Annex-B when the config has no description. */
  nalAdaptationFlags: number;
  /** The KVS content type of the track (`video/h264`…), for CreateStream. */
  contentType: string;
}

function bytesOf(d: ArrayBuffer | ArrayBufferView): Uint8Array {
  return d instanceof ArrayBuffer
    ? new Uint8Array(d.slice(0))
    : new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

/**
 * The track for a decoder config (from `VideoEncoder`'s or `AudioEncoder`'s output metadata).
 * H.264/H.265 with a description are AVCC with avcC/hvcC; without one (`avc: {format: 'annexb'}`)
 * Annex-B, converted by the writer, which takes the parameter sets from the first key frame.
 */
export function trackFromDecoderConfig(config: DecoderConfigLike, trackId = 1, trackName?: string): WebCodecsTrack {
  const codec = config.codec.toLowerCase();
  const description = config.description === undefined ? undefined : bytesOf(config.description);
  const video = (codecId: string, contentType: string, nal: boolean): WebCodecsTrack => {
    const track: WriterTrackInfo = { trackId, codecId, trackName: trackName ?? 'video', trackType: TrackType.VIDEO };
    if (description) track.codecPrivateData = description;
    if (config.codedWidth && config.codedHeight) track.video = { width: config.codedWidth, height: config.codedHeight };
    const annexB = nal && description === undefined;
    return {
      track,
      nalAdaptationFlags: annexB ? NalAdaptation.ANNEXB_NALS | NalAdaptation.ANNEXB_CPD_NALS : NalAdaptation.NONE,
      contentType,
    };
  };
  const audio = (codecId: string, contentType: string, cpd?: Uint8Array): WebCodecsTrack => {
    const track: WriterTrackInfo = { trackId, codecId, trackName: trackName ?? 'audio', trackType: TrackType.AUDIO };
    const privateData = cpd ?? description;
    if (privateData) track.codecPrivateData = privateData;
    if (config.sampleRate && config.numberOfChannels) {
      track.audio = { samplingFrequency: config.sampleRate, channels: config.numberOfChannels };
    }
    return { track, nalAdaptationFlags: NalAdaptation.NONE, contentType };
  };
  if (codec.startsWith('avc1') || codec.startsWith('avc3')) return video(CodecId.H264, 'video/h264', true);
  if (codec.startsWith('hvc1') || codec.startsWith('hev1')) return video(CodecId.H265, 'video/h265', true);
  if (codec === 'vp8') return video(CodecId.VP8, 'video/x-matroska', false);
  if (codec.startsWith('vp09') || codec === 'vp9') return video(CodecId.VP9, 'video/x-matroska', false);
  if (codec.startsWith('av01')) return video(CodecId.AV1, 'video/x-matroska', false);
  if (codec.startsWith('mp4a.40')) {
    if (!description) {
      throw new KvsError('STATUS_MKV_CODEC_PRIVATE_NULL', 'AAC needs its AudioSpecificConfig (the config description)');
    }
    return audio(CodecId.AAC, 'audio/aac');
  }
  if (codec === 'opus') return audio(CodecId.OPUS, 'audio/x-matroska');
  if (codec === 'alaw' || codec === 'ulaw') {
    const tag = codec === 'alaw' ? WaveFormatTag.ALAW : WaveFormatTag.MULAW;
    const cpd = buildG711WaveFormatEx(tag, config.sampleRate ?? 8000, config.numberOfChannels ?? 1);
    return audio(CodecId.MS_ACM, codec === 'alaw' ? 'audio/alaw' : 'audio/mulaw', cpd);
  }
  throw new KvsError('STATUS_INVALID_ARG', `WebCodecs codec ${config.codec} has no KVS mapping`);
}

/**
 * A Frame for an encoded chunk: its bytes copied out (a chunk's memory is the encoder's),
 * timestamps moved to `baseUs` (e.g. the wall clock, µs, when the encoder started).
 */
export function frameFromChunk(chunk: EncodedChunkLike, trackId: number, baseUs = 0): Frame {
  if (!(chunk.byteLength > 0)) throw new KvsError('STATUS_INVALID_ARG', 'an encoded chunk without bytes');
  const data = new Uint8Array(chunk.byteLength);
  chunk.copyTo(data);
  const pts = baseUs + chunk.timestamp;
  return {
    trackId,
    pts,
    dts: pts,
    duration: chunk.duration ?? 0,
    flags: chunk.type === 'key' ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
    data,
  };
}
