// A stream's connections together, as PIC's upload-handle queue in `Stream.c`: oldest first,
// only the oldest that is still sending takes items, and finished ones leave from the front so
// that ACK trimming keeps its order. Here too is what lies between two connections: the replay
// after a drop (PIC's rollback, and the frame a drop cut in half), where the next connection's
// first item and its MKV stream are, and end-of-stream tags waiting for a connection to carry them.

import { type ContentView, type DroppedItemReport, StreamingType, ViewItemFlags } from '@kvs-ts/content-store';
import { isHostAliveResult, isKvsError, StatusCode } from '@kvs-ts/core';
import type { ResolvedStreamDefinition } from './definition';
import type { Intake } from './intake';
import { type ConnectionTarget, Pull, SessionEnd, type SessionHost, UploadHandleState, UploadSession } from './session';
import type { StreamData } from './types';

const F = ViewItemFlags;
const EMPTY = new Uint8Array(0);
// Module-level copies of imported constants read per pull (see session.ts).
const { NOTHING, DONE, ABORTED, ENDED } = Pull;

/** What the sessions need from their stream. */
export interface SessionsHost {
  readonly view: ContentView;
  readonly definition: ResolvedStreamDefinition;
  readonly intake: Intake;
  /** The stream's reused getStreamData result. */
  readonly out: StreamData;
  /** An item was handed out (the staleness check). */
  itemHandedOut(): void;
  /** Items given up because they can never be sent whole or under the right cluster. */
  readonly dropped: DroppedItemReport;
}

/**
 * The stream's upload sessions and the replay between them. It is also what every session is
 * given as its host (plain fields, read per item without a getter chain).
 */
export class UploadSessions implements SessionHost {
  readonly view: ContentView;
  readonly out: StreamData;
  /** The stream stopped taking frames (set by {@link stop}, cleared by {@link reset}). */
  stopping = false;
  readonly awaitsPersisted: boolean;
  readonly dropped: DroppedItemReport;
  private readonly list: UploadSession[] = [];
  private nextHandle = 1;
  /** Handles dropped by a reset or free: their transports read END_OF_STREAM. */
  private readonly droppedHandles = new Set<number>();
  /** Set when a connection that had sent data ended unexpectedly: roll back at the next session. */
  private rollback: { hostAlive: boolean } | undefined;
  /**
   * The item a dropped connection was in the middle of (-1: none). Its index is stable once
   * unpinned. If the replay does not reach back to it, it never arrives whole: report it dropped.
   */
  private cutItem = -1;
  /** End-of-stream tags waiting for a connection to carry them. */
  private pendingTail: Uint8Array | undefined;

  constructor(private readonly host: SessionsHost) {
    const def = host.definition;
    this.view = host.view;
    this.out = host.out;
    this.dropped = host.dropped;
    this.awaitsPersisted = def.fragmentAcks && def.retentionPeriod !== 0;
  }

  /** SessionHost: closing tags for a session that ends (the held-back ones first). */
  closingTags(needed: boolean): Uint8Array {
    const tags = this.pendingTail ?? (needed ? this.host.intake.writer.endOfStreamTags() : EMPTY);
    this.pendingTail = undefined;
    return tags;
  }

  /** SessionHost: an item was handed out. */
  itemHandedOut(): void {
    this.host.itemHandedOut();
  }

  // ---------------------------------------------------------------------------------------------
  // The queue

  /** A new session (state NEW) for a PutMedia about to open; its connection calls `stream`. */
  open(createTime: number, stream: ConnectionTarget): UploadSession {
    const s = new UploadSession(this.nextHandle++, createTime, this.nextSessionStart(), this, stream);
    this.list.push(s);
    return s;
  }

  /**
   * getStreamData for `handle` (PIC's getKinesisVideoStreamData): the session's next bytes, once
   * it is the oldest still sending and has started (after the replay and at a fragment boundary).
   */
  pull(handle: number, maxBytes: number): Pull {
    const s = this.get(handle);
    if (s === undefined) return this.droppedHandles.has(handle) ? DONE : ABORTED;
    const settled = s.settle();
    if (settled !== undefined) return settled;
    if (this.sending() !== s) return NOTHING;
    if (!s.started && !this.begin(s)) return this.endIfUnstartable(s) ? ENDED : NOTHING;
    return s.pull(maxBytes);
  }

  get(handle: number): UploadSession | undefined {
    for (const s of this.list) if (s.handle === handle) return s;
    return undefined;
  }

  /** Whether `handle` was dropped by a reset or free. */
  wasDropped(handle: number): boolean {
    return this.droppedHandles.has(handle);
  }

  /** The oldest session still sending: only it may take items. */
  sending(): UploadSession | undefined {
    for (const s of this.list) if (s.sending) return s;
    return undefined;
  }

  /** Whether a PutMedia is being opened. */
  get opening(): boolean {
    return this.list.some((s) => s.state === UploadHandleState.NEW);
  }

  /** Whether any session is not over. */
  get busy(): boolean {
    return this.list.some((s) => !s.over);
  }

  get activeCount(): number {
    let n = 0;
    for (const s of this.list) if (s.active) n++;
    return n;
  }

  /** PIC trims behind a PERSISTED ACK only when every older session is done with its items. */
  trimAllowed(session: UploadSession): boolean {
    for (const other of this.list) {
      if (other === session) return true;
      if (!other.readyToTrim) return false;
    }
    return true;
  }

  /** Handles and states, oldest first. */
  snapshot(): Array<{ handle: number; state: UploadHandleState }> {
    return this.list.map((s) => ({ handle: s.handle, state: s.state }));
  }

  /** The stream stopped: every session sends what is left and ends; `tags` close the last MKV stream. */
  stop(tags: Uint8Array): void {
    this.stopping = true;
    if (tags.length > 0) {
      // The tail of the last fragment goes out after the buffered frames.
      const s = this.sending();
      if (s) s.closeWith(tags);
      else this.pendingTail = tags;
    }
    for (const s of this.list) s.stopAfterSending();
  }

  /** Finished sessions at the front leave (returned); later ones wait so ACK trimming keeps its order. */
  removeFinished(): UploadSession[] {
    const gone: UploadSession[] = [];
    while (this.list.length > 0 && this.list[0].over) gone.push(this.list.shift() as UploadSession);
    return gone;
  }

  /**
   * Drops every session (reset, free); returns the sessions that were still open, and those that
   * ended by their pull but whose transport has not reported the end yet (that report will find
   * no session: their `closed` is told now; packages/kvs/test/reliability-hour.node.test.ts).
   */
  dropAll(): UploadSession[] {
    const open: UploadSession[] = [];
    for (const s of this.list.splice(0)) {
      this.droppedHandles.add(s.handle);
      const unreported = s.over && s.endResult === undefined;
      if (s.abandon() || unreported) open.push(s);
    }
    return open;
  }

  /**
   * Forgets the stop, the replay and the waiting end-of-stream tags (resetStream, once the view is
   * empty: while it empties, a pending replay still makes sent items count as lost).
   */
  reset(): void {
    this.stopping = false;
    this.rollback = undefined;
    this.cutItem = -1;
    this.pendingTail = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Between connections

  /** Whether there is data no connection has sent yet, counting what a pending replay will send again. */
  get hasUnsentData(): boolean {
    const v = this.host.view;
    // Closing tags waiting for a connection (pendingTail) do not count: without frames to carry
    // there is no MKV stream to close.
    return v.current < v.head || (this.rollback !== undefined && v.tail < v.head);
  }

  /** Whether a drop left sent data to replay. */
  get replayPending(): boolean {
    return this.rollback !== undefined;
  }

  /**
   * A session's connection ended as `end` with `result`; `wasSending`: it was the sending one.
   * Arms the replay where PIC rolls back. Returns false when no other reaction is needed (an older
   * connection, or a newer one has taken over).
   */
  lost(s: UploadSession, end: SessionEnd, result: number, wasSending: boolean): boolean {
    if (end === SessionEnd.PERSISTED_ACK_MISSING) {
      // What was not persisted is sent again (PIC sets IN_USE), unless another connection has
      // taken over already.
      if (this.sending() !== undefined) return false;
      this.rollback = { hostAlive: isHostAliveResult(result) };
    } else {
      if (!wasSending) return false;
      if (s.started) this.rollback = { hostAlive: isHostAliveResult(result) };
    }
    const v = this.host.view;
    if (this.rollback !== undefined && s.midItem && v.inFlight >= 0) this.cutItem = v.inFlight;
    v.releaseInFlight();
    return true;
  }

  /**
   * First bytes of session `s`: roll back after a drop, and make sure they start at a fragment
   * boundary with an MKV stream header. Returns false when it cannot start (yet, or ever: see
   * {@link UploadSession.mismatch}).
   */
  private begin(s: UploadSession): boolean {
    const { view: v, definition: def, intake } = this.host;
    const replay = this.rollback !== undefined;
    if (this.rollback) {
      if (def.streamingType === StreamingType.OFFLINE) v.resetCurrent();
      else v.rollbackCurrent(def.replayDuration, true, def.fragmentAcks && this.rollback.hostAlive);
      this.rollback = undefined;
    }
    // A frame cut off by the drop that the replay does not send again never arrived whole (B9).
    const cut = this.cutItem;
    this.cutItem = -1;
    if (cut >= v.tail && cut < v.current) v.dropItem(cut, this.host.dropped);
    // A session must start at a fragment boundary. Frames before the first one (the start of
    // their fragment was evicted) can never be sent, even once a later fragment arrives: report
    // them dropped and mark them, so that no later trim counts them as delivered.
    const i = v.dropUntilFragmentStart(v.current, this.host.dropped);
    if (i >= v.head) return false;
    if (replay) {
      // What goes out again is acknowledged again (PIC clears these flags before a replay).
      for (let k = i; k < v.head; k++) v.clearFlags(k, F.BUFFERING_ACK | F.RECEIVED_ACK);
    }
    let fallbackHeader: Uint8Array | undefined;
    if (!(v.itemFlags(i) & F.STREAM_START) || v.streamStartHeader(i) !== undefined) {
      const header = intake.mkvStreamHeaderOf(i);
      try {
        v.setStreamStartHeader(i, header);
      } catch (e) {
        // A full store has no room for the header slot. The header is an immutable array: it
        // goes out with this connection's first item instead, and nothing is evicted for it (B16).
        if (!(isKvsError(e) && e.status === StatusCode.STATUS_STORE_OUT_OF_MEMORY)) throw e;
        fallbackHeader = header;
      }
    }
    if (!def.absoluteFragmentTimes && intake.mkvStreamStartOf(i) !== s.sessionStart) {
      // PutMedia announced another MKV stream's start (the writer or a replay moved on since the
      // connection opened): relative timecodes on it would be misread. This connection ends
      // unused; the next one announces the right start (B12).
      s.refuseStart();
      return false;
    }
    s.begin(i, v.itemStream(i), fallbackHeader);
    return true;
  }

  /**
   * Ends a session that could not start when it never will (it announced the wrong MKV stream,
   * or the stream stopped with nothing left): returns true then. Closing tags would close an MKV
   * stream this connection never opened: they wait for the next one, or go.
   */
  private endIfUnstartable(s: UploadSession): boolean {
    if (!s.mismatch && !(s.state === UploadHandleState.TERMINATING && !this.hasUnsentData)) return false;
    const tail = s.endUnused();
    if (!s.mismatch) this.pendingTail = undefined;
    else if (tail !== undefined) this.pendingTail = tail;
    return true;
  }

  /**
   * The MKV stream the next connection's first item will be in: where a pending rollback or the
   * send cursor points (PutMedia announces its start before any byte goes out).
   */
  private nextSessionStart(): number {
    const { view: v, definition: def, intake } = this.host;
    // A rotation: the open connection sends up to the next MKV stream, this one from there.
    if (!this.rollback && this.sending()?.started) return intake.currentMkvStreamStart;
    let i = v.current;
    if (this.rollback && def.streamingType !== StreamingType.OFFLINE)
      i = v.rollbackTarget(def.replayDuration, true, def.fragmentAcks && this.rollback.hostAlive);
    else if (this.rollback) i = v.tail;
    return intake.mkvStreamStartOf(i);
  }
}
