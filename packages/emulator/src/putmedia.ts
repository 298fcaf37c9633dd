// PutMedia (KVS API reference, "PutMedia"): one long chunked POST per stream whose response is a
// stream of ACK objects written while the body is still arriving. BUFFERING when a fragment's
// first bytes (its cluster Timecode) arrive, RECEIVED when it ends, PERSISTED once it is stored
// (fsync'ed with a data dir) plus `persistDelayMs`, and only with a retention above zero; IDLE
// while nothing arrives; the connection closes after `idleTimeoutMs` without data, after
// `maxConnectionMs` (4003) or after any ERROR ACK. ACK timing is in docs/decisions/emulator.md.

import { decimalSecondsToUs } from '@kvs-ts/core';
import { connectionLimit, invalidArgument } from './errors';
import type { PutMediaFault } from './faults';
import { nextFragmentNumber } from './fragment-number';
import { ACK_ERROR_CODES, AckError, type CutFragment, Fragmenter, type FragmenterLimits } from './fragmenter';
import { header, type Req, type Res } from './http';
import type { Fragment, StreamRecord } from './model';
import type { Store } from './store';

export interface PutMediaOptions extends FragmenterLimits {
  persistDelayMs: number;
  idleAckIntervalMs: number;
  idleTimeoutMs: number;
  maxConnectionMs: number;
}

type AckType = 'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'ERROR' | 'IDLE';

/** Parses x-amzn-producer-start-timestamp: any decimal number of seconds (the C producer does not pad). */
export function parseProducerStart(v: string | undefined): number | undefined | 'invalid' {
  if (v === undefined || v === '') return undefined;
  const us = decimalSecondsToUs(v);
  return us === undefined ? 'invalid' : us / 1000;
}

/** Validates the request and answers 200 with an ACK stream; errors before that are thrown as ApiErrors. */
export async function handlePutMedia(
  req: Req,
  res: Res,
  rec: StreamRecord,
  store: Store,
  opts: PutMediaOptions,
  fault: PutMediaFault | undefined,
): Promise<void> {
  const timecodeType = header(req, 'x-amzn-fragment-timecode-type') ?? 'ABSOLUTE';
  if (timecodeType !== 'ABSOLUTE' && timecodeType !== 'RELATIVE') {
    throw invalidArgument('x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE');
  }
  if (rec.putMediaOpen) {
    throw connectionLimit(`There is already an active PutMedia connection on the stream ${rec.meta.name}.`);
  }
  rec.putMediaOpen = true;
  await store.whenActive(rec);
  // The client may have gone while a just-created stream turned ACTIVE.
  if (req.destroyed || res.destroyed) {
    rec.putMediaOpen = false;
    return;
  }
  new PutMediaSession(req, res, rec, store, opts, fault, timecodeType).start();
}

class PutMediaSession {
  private readonly fragmenter: Fragmenter;
  private readonly producerStart: number | undefined | 'invalid';
  private readonly requestStart = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private lastData = Date.now();
  private fragmentIndex = 0;
  private openServerTs = 0;
  private pendingPersist = 0;
  private bodyEnded = false;

  constructor(
    private readonly req: Req,
    private readonly res: Res,
    private readonly rec: StreamRecord,
    private readonly store: Store,
    private readonly opts: PutMediaOptions,
    private readonly fault: PutMediaFault | undefined,
    private readonly timecodeType: 'ABSOLUTE' | 'RELATIVE',
  ) {
    this.producerStart = parseProducerStart(header(req, 'x-amzn-producer-start-timestamp'));
    this.fragmenter = new Fragmenter(opts, {
      fragmentStart: (tc) => this.onFragmentStart(tc),
      fragmentEnd: (f) => this.onFragmentEnd(f),
    });
  }

  start(): void {
    const { res, req } = this;
    this.rec.dropPutMedia = () => this.drop();
    res.writeHead(200, { 'content-type': 'application/json' });
    // Headers go out now: clients read ACKs while they upload.
    (res as { flushHeaders?: () => void }).flushHeaders?.();
    if (this.producerStart === 'invalid') return this.fail(new AckError(4007, 'INVALID_PRODUCER_TIMESTAMP', undefined));
    if (this.rec.meta.status !== 'ACTIVE') return this.fail(new AckError(4008, 'STREAM_NOT_ACTIVE', undefined));
    this.every(this.opts.idleAckIntervalMs, () => {
      const idle = Date.now() - this.lastData;
      if (idle >= this.opts.idleTimeoutMs) this.finish();
      else if (idle >= this.opts.idleAckIntervalMs) this.ack('IDLE');
    });
    this.after(this.opts.maxConnectionMs, () =>
      this.fail(new AckError(4003, 'MAX_CONNECTION_DURATION_REACHED', this.fragmenter.openTimecode)),
    );
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.on('end', () => this.onEnd());
    req.on('error', () => this.close());
    req.on('close', () => {
      if (!this.bodyEnded) this.close();
    });
    res.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastData = Date.now();
    if (this.rec.meta.status === 'DELETING') return this.fail(new AckError(4008, 'STREAM_NOT_ACTIVE', undefined));
    // A fault that drops the connection after N bytes: only those N reach the fragmenter.
    const drop = this.fault?.dropAfterBytes;
    const data =
      drop !== undefined && this.fragmenter.bytes + chunk.length > drop
        ? chunk.subarray(0, Math.max(0, drop - this.fragmenter.bytes))
        : chunk;
    try {
      this.fragmenter.push(data);
    } catch (err) {
      return this.fail(err);
    }
    if (drop !== undefined && this.fragmenter.bytes >= drop) this.drop();
  }

  private onEnd(): void {
    this.bodyEnded = true;
    if (this.closed) return;
    try {
      this.fragmenter.end();
    } catch (err) {
      return this.fail(err);
    }
    this.maybeFinish();
  }

  private onFragmentStart(timecode: number): void {
    this.openServerTs = Date.now();
    this.ack('BUFFERING', timecode, this.peekNumber());
  }

  private nextNumber: string | undefined;
  /** The number the open fragment will get: BUFFERING already carries it. */
  private peekNumber(): string {
    const last = this.rec.fragments[this.rec.fragments.length - 1]?.number;
    this.nextNumber = nextFragmentNumber(Date.now(), last);
    return this.nextNumber;
  }

  private onFragmentEnd(cut: CutFragment): void {
    const index = this.fragmentIndex++;
    const number = this.nextNumber ?? this.peekNumber();
    this.nextNumber = undefined;
    const injected = this.fault?.errorAck;
    if (injected !== undefined && injected.fragmentIndex === index) {
      throw new AckError(injected.errorId, ACK_ERROR_CODES[injected.errorId] ?? 'UNKNOWN_ERROR', cut.timecode);
    }
    const producerMs =
      this.timecodeType === 'RELATIVE'
        ? ((this.producerStart as number | undefined) ?? this.requestStart) + cut.startMs
        : cut.startMs;
    const fragment: Fragment = {
      number,
      producerTimestampMs: producerMs,
      serverTimestampMs: this.openServerTs || Date.now(),
      durationMs: cut.durationMs,
      size: cut.size,
      header: cut.header,
      tags: cut.tags,
      cluster: cut.cluster,
      persisted: false,
    };
    this.ack('RECEIVED', cut.timecode, number);
    const retained = this.rec.meta.retentionHours > 0;
    if (retained) this.pendingPersist++;
    const persisted = (): void => {
      if (!retained) return;
      fragment.persisted = true;
      this.pendingPersist--;
      this.ack('PERSISTED', cut.timecode, number);
      this.maybeFinish();
    };
    const stored = this.store.addFragment(this.rec, fragment);
    if (stored === undefined && this.opts.persistDelayMs === 0) {
      // Durable already (memory store, no delay): PERSISTED goes out with RECEIVED, in the
      // same corked write (onData).
      persisted();
    } else {
      Promise.resolve(stored).then(
        () => (retained ? this.after(this.opts.persistDelayMs, persisted) : undefined),
        () => this.fail(new AckError(5001, 'ARCHIVAL_ERROR', cut.timecode)),
      );
    }
    const dropAfter = this.fault?.dropAfterFragments;
    if (dropAfter !== undefined && this.fragmentIndex >= dropAfter) setImmediate(() => this.drop());
  }

  private ack(type: AckType, timecode?: number, number?: string, error?: AckError): void {
    if (this.closed || this.fault?.withholdAcks?.includes(type as never)) return;
    // The line JSON.stringify would make of {EventType, FragmentTimecode, FragmentNumber, ErrorId,
    // ErrorCode}, built directly: three per fragment, and the object and its serialization were a
    // visible share of the emulator's own work per fragment. Timecodes are integers and fragment
    // numbers digits (fragment-number.ts), so only the error code needs escaping.
    let line = `{"EventType":"${type}"`;
    if (timecode !== undefined) line += `,"FragmentTimecode":${timecode}`;
    if (number !== undefined) line += `,"FragmentNumber":"${number}"`;
    if (error) line += `,"ErrorId":${error.errorId},"ErrorCode":${JSON.stringify(error.errorCode)}`;
    line += '}\n';
    const delay = this.fault?.ackDelayMs ?? 0;
    if (delay > 0) this.after(delay, () => this.write(line));
    else this.write(line);
  }

  private corked = false;

  /**
   * Writes an ACK line. Lines written in one turn of the event loop leave in one write: the
   * response is corked at the first and uncorked once the I/O phase is over (setImmediate). libuv
   * reads a busy socket up to 32 times per turn, so at high rates the RECEIVED and PERSISTED of
   * several fragments and the next BUFFERING share a syscall; each write is also a wake-up of the
   * client, ~80–130 µs of the emulator's CPU over loopback (docs/benchmarks.md, "On the wire").
   * No ACK waits longer than the current turn.
   */
  private write(line: string): void {
    const res = this.res as Res & { cork?: () => void; uncork?: () => void };
    if (res.writableEnded || res.destroyed) return;
    if (!this.corked && res.cork !== undefined) {
      this.corked = true;
      res.cork();
      setImmediate(() => this.flush());
    }
    (res as { write(s: string): boolean }).write(line);
  }

  /** Sends the ACK lines corked in this turn. */
  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    (this.res as { uncork?: () => void }).uncork?.();
  }

  /** An ERROR ACK, then the service closes the connection. */
  private fail(err: unknown): void {
    if (this.closed) return;
    const e = err instanceof AckError ? err : new AckError(5000, 'INTERNAL_ERROR', undefined);
    this.ack('ERROR', e.timecode, undefined, e);
    this.endResponse(0);
  }

  private maybeFinish(): void {
    if (this.bodyEnded && this.pendingPersist === 0) this.finish();
  }

  /** Ends the response normally (after the last ACKs). */
  private finish(): void {
    if (this.closed) return;
    // One ms after the delayed ACKs, so that they go out first.
    this.endResponse(1);
  }

  /** Ends the response once the delayed ACKs (a fault) are out; the connection is released. */
  private endResponse(extraMs: number): void {
    const delay = this.fault?.ackDelayMs ?? 0;
    this.closed = true;
    const end = (): void => {
      this.clearTimers();
      this.flush();
      if (!this.res.writableEnded) this.res.end();
      this.release();
    };
    if (delay > 0) setTimeout(end, delay + extraMs);
    else end();
  }

  /** Fault injection: the connection just drops. */
  private drop(): void {
    this.closed = true;
    this.clearTimers();
    const stream = (this.req as { stream?: { close(code?: number): void } }).stream;
    if (stream) stream.close(2 /* INTERNAL_ERROR */);
    else this.req.socket?.destroy();
    this.release();
  }

  private close(): void {
    this.closed = true;
    this.clearTimers();
    this.release();
  }

  private released = false;
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.rec.putMediaOpen = false;
    this.rec.dropPutMedia = undefined;
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.add(t as unknown as NodeJS.Timeout);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
