// ACK handling, PIC's `StreamEvent.c streamFragmentAckEvent`: where an ACK lands in the content
// view, what each kind changes there (flags, trims, skips) and in the connection's bookkeeping,
// and what the stream has to do about it ({@link AckOutcome}: events, ending the connection).

import { type ContentView, ViewItemFlags } from '@kvs-ts/content-store';
import {
  ackErrorStatus,
  type FragmentAck,
  FragmentAckType,
  isRetriableResult,
  KvsError,
  StatusCode,
  ticksToUs,
} from '@kvs-ts/core';
import type { StreamCounters } from './metrics';
import type { UploadSession } from './session';
import type { UploadSessions } from './sessions';

const F = ViewItemFlags;

/** Where an ACK landed ({@link placeAck}). */
const AckPlace = {
  /** An IDLE ACK: nothing to place. */
  IDLE: 0,
  /** Not an ACK type PIC knows. */
  INVALID_TYPE: 1,
  /** A BUFFERING/RECEIVED/PERSISTED ACK without a usable timecode. */
  NO_TIMECODE: 2,
  /** Its fragment is no longer (or never was) in the view; `timestamp` is set when it had a timecode. */
  OUTSIDE: 3,
  /** On the fragment that starts at `index`. */
  FRAGMENT: 4,
} as const;
type AckPlace = (typeof AckPlace)[keyof typeof AckPlace];

/** The result of {@link placeAck}; reused. */
interface AckPlacement {
  place: AckPlace;
  /** The ACK's fragment start in the view (FRAGMENT only). */
  index: number;
  /** The ACK's timecode in µs on the stream's clock, NaN without one. */
  timestamp: number;
}

/**
 * Where `ack` lands in `view` (changes nothing). The ACK names its fragment by the cluster
 * timecode, in the writer's ticks and, with relative fragment times, relative to the start that
 * the connection announced (`sessionStart`).
 */
function placeAck(
  view: ContentView,
  ack: FragmentAck,
  timing: { readonly timecodeScaleNs: number; readonly absoluteFragmentTimes: boolean },
  sessionStart: number,
  out: AckPlacement,
): AckPlacement {
  out.index = -1;
  out.timestamp = Number.NaN;
  const type = ack.ackType;
  if (type === FragmentAckType.IDLE) return place(out, AckPlace.IDLE);
  if (
    type !== FragmentAckType.BUFFERING &&
    type !== FragmentAckType.RECEIVED &&
    type !== FragmentAckType.PERSISTED &&
    type !== FragmentAckType.ERROR
  ) {
    return place(out, AckPlace.INVALID_TYPE);
  }
  const tc = ack.timecode;
  if (typeof tc !== 'number' || !Number.isFinite(tc) || tc < 0)
    return place(out, type === FragmentAckType.ERROR ? AckPlace.OUTSIDE : AckPlace.NO_TIMECODE);
  out.timestamp = ticksToUs(tc, timing.timecodeScaleNs) + (timing.absoluteFragmentTimes ? 0 : sessionStart);
  let i = view.findItemByTimestamp(out.timestamp, true);
  if (i < 0) return place(out, AckPlace.OUTSIDE);
  // The ACK names its fragment's start; step back to it if the lookup landed inside.
  while (i > view.tail && !(view.itemFlags(i) & F.FRAGMENT_START)) i--;
  out.index = i;
  return place(out, AckPlace.FRAGMENT);
}

function place(out: AckPlacement, where: AckPlace): AckPlacement {
  out.place = where;
  return out;
}

/**
 * A BUFFERING, RECEIVED or PERSISTED ACK for the fragment starting at `index`: flags it, and
 * trims the view behind it when `trim` (PERSISTED; RECEIVED when the stream keeps no data, so no
 * PERSISTED ACK will come). PIC trims only when every older connection is done (`trim` false
 * otherwise).
 */
function markAck(view: ContentView, index: number, type: number, trim: boolean): void {
  switch (type) {
    case FragmentAckType.BUFFERING:
      view.setFlags(index, F.BUFFERING_ACK);
      return;
    case FragmentAckType.RECEIVED:
      view.setFlags(index, F.RECEIVED_ACK);
      break;
    case FragmentAckType.PERSISTED:
      view.setFlags(index, F.PERSISTED_ACK);
      break;
  }
  if (trim) view.trimToNextFragment(index);
}

/**
 * An ERROR ACK for the fragment starting at `index` (PIC's streamFragmentErrorAck). A fragment
 * the service will never take (a non-retriable ErrorId) is skipped; a retriable one is where the
 * replay starts. Only the connection that is sending (`sending`) owns `current` and the in-flight
 * item; for an older one the fragment is only marked. Returns true when the fragment is still
 * being built, so its remaining frames must be dropped until the next key frame.
 */
function markErrorAck(view: ContentView, index: number, ack: FragmentAck, sending: boolean): boolean {
  if (!isRetriableResult(ack.result)) {
    if (sending) return !view.skipFragment(index);
    view.markFragmentSkipped(index);
    return false;
  }
  // PIC sets current to the failing fragment for every error, so that the replay starts
  // there even when it already has a RECEIVED ACK.
  if (sending) view.setCurrent(index);
  return false;
}

/** What the stream has to do about an ACK ({@link AckHandler.apply}); reused. */
export interface AckOutcome {
  /** fragmentAck's return: STATUS_SUCCESS or a warning that changed nothing. */
  status: number;
  /** A BUFFERING or PERSISTED ACK: the connection works (the backoff starts over). */
  works: boolean;
  /** A BUFFERING ACK (the staleness report may fire again). */
  buffering: boolean;
  /** A PERSISTED ACK reached the session: a stop may be complete. */
  persisted: boolean;
  /** That was the last PERSISTED ACK the session waited for: it can end. */
  sessionDone: boolean;
  /** A non-retriable ERROR hit the fragment being built: drop frames until the next key frame. */
  skipToKeyFrame: boolean;
  /** To report (not fatal), with the fragment's timestamp when known. */
  error: KvsError | undefined;
  errorTimestamp: number | undefined;
  /** The service ends the connection after an ERROR ACK: end it with the ACK's result. */
  terminate: boolean;
}

/** Applies ACKs to a stream's view and sessions. */
export class AckHandler {
  private readonly placement: AckPlacement = { place: AckPlace.IDLE, index: -1, timestamp: Number.NaN };
  private readonly out: AckOutcome = {
    status: StatusCode.STATUS_SUCCESS,
    works: false,
    buffering: false,
    persisted: false,
    sessionDone: false,
    skipToKeyFrame: false,
    error: undefined,
    errorTimestamp: undefined,
    terminate: false,
  };

  constructor(
    private readonly view: ContentView,
    private readonly sessions: UploadSessions,
    private readonly counters: StreamCounters,
    private readonly timing: { readonly timecodeScaleNs: number; readonly absoluteFragmentTimes: boolean },
    /** Without retention no PERSISTED ACK comes: RECEIVED trims. */
    private readonly retention: boolean,
  ) {}

  /** `ack` from session `s`'s connection (which is not over). */
  apply(s: UploadSession, ack: FragmentAck): AckOutcome {
    const out = this.out;
    out.status = StatusCode.STATUS_SUCCESS;
    out.works = out.buffering = out.persisted = out.sessionDone = out.skipToKeyFrame = out.terminate = false;
    out.error = out.errorTimestamp = undefined;
    const v = this.view;
    const c = this.counters;
    const at = placeAck(v, ack, this.timing, s.sessionStart, this.placement);
    const ts = at.timestamp;
    switch (at.place) {
      case AckPlace.IDLE:
        return out;
      case AckPlace.INVALID_TYPE:
      case AckPlace.NO_TIMECODE:
        out.status = StatusCode.STATUS_INVALID_FRAGMENT_ACK_TYPE;
        return out;
      case AckPlace.OUTSIDE:
        if (ack.ackType === FragmentAckType.ERROR) {
          // PIC still reports an ERROR it cannot place and ends the connection, as the service does.
          c.errorAcks++;
          const where = Number.isNaN(ts) ? 'no fragment timecode' : `${ts} µs, outside the buffer`;
          out.error = new KvsError(ackErrorStatus(ack.result), `ERROR ACK ${ack.result} for ${where}`);
          out.terminate = true;
          if (!Number.isNaN(ts)) out.status = StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW;
          return out;
        }
        if (ack.ackType === FragmentAckType.PERSISTED) {
          // Trimmed already (a replay on a newer connection was persisted first): this connection
          // still learns that its fragment is safe (PIC's lastPersistedAckTs).
          c.persistedAcks++;
          out.persisted = true;
          out.sessionDone = s.persisted(ts);
        }
        out.status = StatusCode.STATUS_ACK_TIMESTAMP_NOT_IN_VIEW_WINDOW;
        out.error = new KvsError(out.status, `ACK for ${ts} µs is outside the buffer`);
        out.errorTimestamp = ts;
        return out;
    }
    const i = at.index;
    const fragmentPts = v.itemOwnPts(i);
    switch (ack.ackType) {
      case FragmentAckType.BUFFERING:
        c.bufferedAcks++;
        markAck(v, i, ack.ackType, false);
        out.buffering = out.works = true;
        break;
      case FragmentAckType.RECEIVED:
        c.receivedAcks++;
        markAck(v, i, ack.ackType, !this.retention && this.sessions.trimAllowed(s));
        break;
      case FragmentAckType.PERSISTED:
        c.persistedAcks++;
        out.works = true;
        markAck(v, i, ack.ackType, this.sessions.trimAllowed(s));
        out.persisted = true;
        out.sessionDone = s.persisted(fragmentPts);
        break;
      case FragmentAckType.ERROR:
        c.errorAcks++;
        out.skipToKeyFrame = markErrorAck(v, i, ack, this.sessions.sending() === s);
        out.error = new KvsError(
          ackErrorStatus(ack.result),
          `ERROR ACK ${ack.result}${ack.errorCode ? ` (${ack.errorCode})` : ''} for fragment ${ack.fragmentNumber ?? '?'}`,
        );
        out.errorTimestamp = fragmentPts;
        out.terminate = true;
        break;
    }
    return out;
  }
}
