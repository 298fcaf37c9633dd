// What the stream needs from the outside world, injected so that the stream itself stays pure:
// the KVS service calls (wired to the real API or the emulator by the `kvs` package, to fakes
// in tests) and a clock.

import type { ServiceCallResult } from '@kvs-ts/core';
import type { UploadConnection } from './session';
import type { StreamStatus } from './states';

/** Every service call reports a {@link ServiceCallResult} (HTTP status or PIC's own codes). */
export interface ServiceCallOutcome {
  result: ServiceCallResult;
}

/** What DescribeStream returns that the stream uses. */
export interface StreamDescription {
  streamName: string;
  streamArn: string;
  status: StreamStatus;
  /** Hours, as the API returns. */
  dataRetentionInHours?: number;
  kmsKeyId?: string;
  mediaType?: string;
}

/** A streaming token (credentials for PutMedia) and when it expires (µs since the epoch). */
export interface StreamingToken<T = unknown> {
  token: T;
  expiration: number;
}

/** Arguments of {@link StreamService.putStream}: PIC's putStreamFn. */
export interface PutStreamRequest<T = unknown> {
  streamName: string;
  /** Always `video/x-matroska`. */
  containerType: string;
  /** Producer start timestamp, µs (PutMedia's x-amzn-producer-start-timestamp). */
  streamStartTime: number;
  absoluteFragmentTimes: boolean;
  fragmentAcks: boolean;
  /** The PUT_MEDIA data endpoint from GetDataEndpoint. */
  endpoint: string;
  token: T | undefined;
  /**
   * The upload handle the transport serves: it pulls bytes with `getStreamData(uploadHandle)`,
   * feeds ACKs to `fragmentAck(uploadHandle, ack)` and reports the end with
   * `streamTerminated(uploadHandle, result)`.
   */
  uploadHandle: number;
  /** The same connection as an object: pull, ack and end without passing the handle around. */
  connection: UploadConnection;
}

/**
 * The control-plane calls and the PutMedia connection, as PIC's service-call callbacks. Each
 * resolves with a result code; a rejection counts as the rejection's numeric `result` property
 * when it has one (a transport's typed error), else as {@link ServiceCallResult.UNKNOWN}.
 */
export interface StreamService<T = unknown> {
  describeStream(streamName: string): Promise<ServiceCallOutcome & { description?: StreamDescription }>;
  createStream(request: {
    deviceName: string;
    streamName: string;
    contentType: string;
    kmsKeyId?: string;
    /** µs; 0 = no retention. */
    retentionPeriod: number;
  }): Promise<ServiceCallOutcome & { streamArn?: string }>;
  tagStream(request: {
    streamArn: string;
    streamName: string;
    tags: Readonly<Record<string, string>>;
  }): Promise<ServiceCallOutcome>;
  getDataEndpoint(request: {
    streamName: string;
    apiName: 'PUT_MEDIA';
  }): Promise<ServiceCallOutcome & { endpoint?: string }>;
  getStreamingToken(request: { streamName: string }): Promise<ServiceCallOutcome & Partial<StreamingToken<T>>>;
  /** Opens a PutMedia connection; resolves once it is open (or failed). */
  putStream(request: PutStreamRequest<T>): Promise<ServiceCallOutcome>;
}

/** Time and timers, µs. */
export interface Clock {
  /** Now, µs since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, delay: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform clock (Date.now and setTimeout), µs. */
export const systemClock: Clock = {
  now: () => Date.now() * 1000,
  setTimeout: (callback, delay) => setTimeout(callback, Math.max(0, delay / 1000)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
