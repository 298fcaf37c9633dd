// The public shapes of a producer stream: what getStreamData returns, the events it emits, its
// options and its metrics.

import type { ContentStore, ContentViewMetrics, RemoveReason } from '@kvs-ts/content-store';
import type { FragmentAck, KvsError } from '@kvs-ts/core';
import type { StreamDefinition } from './definition';
import type { Clock, StreamService } from './service';
import type { StreamState } from './states';

/** What {@link KinesisVideoStream.getStreamData} returns; the object is reused per stream. */
export interface StreamData {
  /**
   * STATUS_SUCCESS with `data`; STATUS_NO_MORE_DATA_AVAILABLE (nothing yet), STATUS_AWAITING_PERSISTED_ACK
   * (all sent, waiting for the last PERSISTED ACK), STATUS_END_OF_STREAM (this connection is done:
   * close it), STATUS_UPLOAD_HANDLE_ABORTED.
   */
  status: number;
  /**
   * Bytes to send: a view into the content store (or writer memory), valid until the next
   * getStreamData call on this stream. Send or copy it before calling again.
   */
  data: Uint8Array;
}

/** Events of a {@link KinesisVideoStream} (an eventemitter3 emitter). */
export interface StreamEvents {
  /** The stream reached READY (after describe/create/tag/endpoint/token). */
  ready: () => void;
  /** The state machine moved. */
  stateChange: (state: StreamState, previous: StreamState) => void;
  /** Data is available for the upload handle (PIC's streamDataAvailableFn). */
  dataAvailable: (uploadHandle: number, availableDuration: number, availableBytes: number) => void;
  /** An ACK arrived (every ACK, as PIC's fragmentAckReceivedFn). */
  ack: (ack: Readonly<FragmentAck>, uploadHandle: number) => void;
  /** A stream error (PIC's streamErrorReportFn). `fatal` when the stream gave up. */
  error: (error: KvsError, details: { uploadHandle: number; fragmentTimestamp?: number; fatal: boolean }) => void;
  /**
   * A frame will not reach the service: it left the buffer unsent, or it was sent only on a
   * connection that dropped and the replay cannot send it again, or it was refused before it was
   * stored. `pts` is in µs as the stream stored it: the frame's PTS rounded down to the timecode
   * scale (1 ms by default; the clock time when `frameTimecodes` is false); a frame refused
   * before it was stored is reported with the PTS it was put with.
   */
  droppedFrame: (pts: number, reason: RemoveReason) => void;
  /** A whole fragment will not reach the service (its start's PTS, as for droppedFrame). */
  droppedFragment: (pts: number, reason: RemoveReason) => void;
  /** Store free space ≤ 5 % (bytes left). */
  storagePressure: (remainingBytes: number) => void;
  /** Buffer within 5 % of its duration (µs left); PIC's bufferDurationOverflowPressure. */
  bufferDurationPressure: (remainingDuration: number) => void;
  /** The same event under the client's name (issue 9's list): both fire. */
  bufferPressure: (remainingDuration: number) => void;
  /** Unsent buffer longer than maxLatency (µs buffered). */
  latencyPressure: (currentBufferDuration: number) => void;
  /** No BUFFERING ACK for longer than the staleness duration (µs since the last). */
  connectionStale: (sinceLastBufferingAck: number) => void;
  /** An upload handle's connection finished (PIC's streamClosedFn). */
  closed: (uploadHandle: number) => void;
  /** Periodic StreamMetrics, every `metricsInterval` (PIC's logMetric / metricLoggingPeriod). */
  metrics: (metrics: StreamMetrics) => void;
}

/** Options of {@link KinesisVideoStream}. */
export interface KinesisVideoStreamOptions<T = unknown> {
  definition: StreamDefinition;
  /** The client's content store (shared by its streams). */
  store: ContentStore;
  service: StreamService<T>;
  clock: Clock;
  /** Random source for jitter (default Math.random). */
  random?: () => number;
  /** Device name for CreateStream (default "Kinesis_Video_Device", PIC's). */
  deviceName?: string;
  /** Written into the MKV muxing app (≤ 64 bytes). */
  clientId?: string;
  /** Control-plane call timeout, µs (default 15 s). */
  serviceCallTimeout?: number;
  /** Close the open fragment after 20 s without frames (default true, PIC's AUTOMATIC_STREAMING_INTERMITTENT_PRODUCER). */
  intermittentProducer?: boolean;
  /** Emit a `metrics` event this often, µs; 0 (default, as PIC's logMetric off) for never. */
  metricsInterval?: number;
  /**
   * How long {@link KinesisVideoStream.putFrameAsync} waits for room on an OFFLINE stream, µs
   * (PIC's ClientInfo.offlineBufferAvailabilityTimeout; default 15 s, MAX_BLOCKING_PUT_WAIT).
   */
  offlineBufferAvailabilityTimeout?: number;
}

/** StreamMetrics (PIC v3 fields that apply; durations µs). */
export interface StreamMetrics extends ContentViewMetrics {
  state: string;
  uptime: number;
  totalSessions: number;
  totalActiveSessions: number;
  transferredBytes: number;
  bufferedAcks: number;
  receivedAcks: number;
  persistedAcks: number;
  errorAcks: number;
  putFrameErrors: number;
  streamApiCallRetryCount: number;
  currentFrameRate: number;
  /** PIC v2's PTS-based frame rate (the same measure here). */
  elementaryFrameRate: number;
  currentTransferRate: number;
  /** Mean duration of finished connections that carried data, µs. */
  avgSessionDuration: number;
  /** Control-plane call latency (describe, create, tag, endpoint, token), EMA, µs. */
  cplApiCallLatency: number;
  /** Data-plane call latency (opening PutMedia), EMA, µs. */
  dataApiCallLatency: number;
}
