/**
 * @module @kvs-ts/kvs
 * Amazon Kinesis Video Streams in TypeScript, for Node 20+, Deno and browsers: the package users
 * install. {@link KinesisVideoClient} (client.ts) makes producer streams (`createStream` →
 * `putFrame`, metadata, `stop`, events), reads streams back (`getMedia`, `listFragments`,
 * `getMediaForFragmentList`) and frees everything on `close()`. The PutMedia transport is chosen
 * for the runtime (transport.ts). Presets for realtime and offline streams are in presets.ts;
 * the rest re-exports what users need from the smaller packages.
 */

export type {
  AwsCredentials,
  CredentialProvider,
  CredentialsInput,
  Fragment,
  StartSelector,
  StreamRef,
} from '@kvs-ts/api';
export { fromEnv, KinesisVideoApi, KvsServiceError, KvsTransportError, refreshing } from '@kvs-ts/api';
export { CodecId } from '@kvs-ts/codecs';
export {
  ContentStorePressurePolicy,
  ContentViewOverflowPolicy,
  RemoveReason,
  StreamingType,
} from '@kvs-ts/content-store';
export type { FragmentAck, Frame, TrackInfo } from '@kvs-ts/core';
export { FragmentAckType, FrameFlags, isKvsError, KvsError, StatusCode, TrackType } from '@kvs-ts/core';
export type { FrameFormat, FrameSource, FrameSourceOptions } from '@kvs-ts/frame-reader';
export { openFrameSource } from '@kvs-ts/frame-reader';
export type { MediaFragment, MediaFrame, MergeStats, MkvSink } from '@kvs-ts/getmedia';
export { SegmentMerger, saveMkv } from '@kvs-ts/getmedia';
export { NalAdaptation, StreamEventType } from '@kvs-ts/mkv-writer';
export type { Clock, StreamDefinition, StreamEvents, StreamMetrics } from '@kvs-ts/stream';
export { KinesisVideoStream } from '@kvs-ts/stream';
export type { GetMediaOptions, KinesisVideoClientOptions, Logger } from './client';
export { DEFAULT_STORAGE_SIZE, KinesisVideoClient } from './client';
export type { FragmentIterable } from './consumer';
export { withoutRepeats } from './consumer';
export { nearRealtimeStream, offlineStream, realtimeStream } from './presets';
export type { TransportKind, TransportOptions } from './transport';
export { runtimeTransportKind } from './transport';
export type { DecoderConfigLike, EncodedChunkLike, WebCodecsTrack } from './webcodecs';
export { frameFromChunk, trackFromDecoderConfig } from './webcodecs';
