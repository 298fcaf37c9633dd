// What a stream counts for StreamMetrics beyond what its content view keeps (PIC's
// getKinesisVideoStreamMetrics and the stream's diagnostics): ACKs by kind, sessions, retries,
// API latencies, the elementary frame rate and pressure events, and the pressure events themselves
// (reportPressure). The stream feeds it; it decides nothing.

import { type ContentStore, type ContentView, type ContentViewMetrics, PressureSignal } from '@kvs-ts/content-store';
import type { EventEmitter } from 'eventemitter3';
import type { StreamEvents, StreamMetrics } from './types';

const SECOND = 1_000_000;
/** Weight of a new sample in the exponential moving averages. */
const EMA_ALPHA = 0.2;

function ema(average: number, sample: number): number {
  return average === 0 ? sample : average + EMA_ALPHA * (sample - average);
}

/** The stream's counters; one per stream, never reset (PIC's metrics are cumulative). */
export class StreamCounters {
  bufferedAcks = 0;
  receivedAcks = 0;
  persistedAcks = 0;
  errorAcks = 0;
  staleEvents = 0;
  putFrameErrors = 0;
  totalSessions = 0;
  transferredBytes = 0;
  retries = 0;
  latencyPressures = 0;
  bufferPressures = 0;
  storagePressures = 0;
  /** Control-plane call latency (describe, create, tag, endpoint, token), EMA, µs. */
  private cplLatency = 0;
  /** Data-plane call latency (opening PutMedia), EMA, µs. */
  private dataLatency = 0;
  private sessionTime = 0;
  private sessionsEnded = 0;
  private frameRate = 0;
  private lastRatePts = Number.NaN;

  /** PIC's API call latency metrics: an exponential moving average per plane. */
  callLatency(dataPlane: boolean, us: number): void {
    if (dataPlane) this.dataLatency = ema(this.dataLatency, us);
    else this.cplLatency = ema(this.cplLatency, us);
  }

  /** PIC's elementary frame rate: an EMA of 1 / PTS delta of the frames of one track. */
  frame(pts: number): void {
    const delta = pts - this.lastRatePts;
    this.lastRatePts = pts;
    if (!(delta > 0) || !Number.isFinite(delta)) return;
    this.frameRate = ema(this.frameRate, SECOND / delta);
  }

  /** A connection that carried data ended after `duration` µs. */
  sessionEnded(duration: number): void {
    this.sessionTime += duration;
    this.sessionsEnded++;
  }

  /** StreamMetrics from these counters, the view's metrics and the stream's state. */
  snapshot(view: ContentViewMetrics, state: string, uptime: number, activeSessions: number): StreamMetrics {
    const seconds = Math.max(uptime / SECOND, 1e-9);
    return {
      ...view,
      state,
      uptime,
      totalSessions: this.totalSessions,
      totalActiveSessions: activeSessions,
      transferredBytes: this.transferredBytes,
      bufferedAcks: this.bufferedAcks,
      receivedAcks: this.receivedAcks,
      persistedAcks: this.persistedAcks,
      errorAcks: this.errorAcks,
      putFrameErrors: this.putFrameErrors,
      streamApiCallRetryCount: this.retries,
      currentFrameRate: this.frameRate,
      elementaryFrameRate: this.frameRate,
      avgSessionDuration: this.sessionsEnded === 0 ? 0 : this.sessionTime / this.sessionsEnded,
      cplApiCallLatency: this.cplLatency,
      dataApiCallLatency: this.dataLatency,
      currentTransferRate: this.transferredBytes / seconds,
    };
  }
}

/**
 * PIC's pressure callbacks for the signals storing a frame raised (storage, buffer duration,
 * latency), each counted; `bufferPressure` is issue 9's name for PIC's bufferDurationPressure.
 */
export function reportPressure(
  signals: number,
  counters: StreamCounters,
  view: ContentView,
  store: ContentStore,
  events: EventEmitter<StreamEvents>,
): void {
  if (signals & PressureSignal.STORAGE) {
    counters.storagePressures++;
    events.emit('storagePressure', store.availableSize);
  }
  if (signals & PressureSignal.BUFFER_DURATION) {
    counters.bufferPressures++;
    events.emit('bufferDurationPressure', view.remainingBufferDuration);
    events.emit('bufferPressure', view.remainingBufferDuration);
  }
  if (signals & PressureSignal.LATENCY) {
    counters.latencyPressures++;
    events.emit('latencyPressure', view.currentViewDuration);
  }
}
