// Fault injection for tests (docs/guides/emulator.md, "Inject faults"): what the next calls
// should suffer. Faults are armed through `emulator.admin` or the loopback-only HTTP admin API
// (admin-http.ts) and consumed by the routes that check them.

import { ApiError, clientLimit } from './errors';

/** A PutMedia fault, for one stream or (without `stream`) for every stream. */
export interface PutMediaFault {
  stream?: string;
  /** Drop the connection once this many body bytes have been received. */
  dropAfterBytes?: number;
  /** Drop the connection once this many fragments have been received. */
  dropAfterFragments?: number;
  /** Delay every ACK by this many ms. */
  ackDelayMs?: number;
  /** Never send these ACK types (e.g. ['PERSISTED']). */
  withholdAcks?: Array<'BUFFERING' | 'RECEIVED' | 'PERSISTED' | 'IDLE'>;
  /** Send an ERROR ACK with `errorId` for the fragment with this index (0-based, per connection). */
  errorAck?: { fragmentIndex: number; errorId: number };
  /** How many PutMedia connections the fault applies to (default: 1). */
  connections?: number;
}

/** A control-plane fault: the next `count` control calls (optionally one action) fail. */
export interface ControlFault {
  kind: 'internal' | 'throttle';
  count: number;
  /** Only this action (e.g. 'describeStream'); default: any control call. */
  action?: string;
}

export class Faults {
  private control: ControlFault[] = [];
  private putMedia: Array<PutMediaFault & { left: number }> = [];
  private expiredTokens = 0;

  /** Arms a control-plane fault. */
  failControl(fault: ControlFault): void {
    this.control.push({ ...fault });
  }

  /** Arms a PutMedia fault. */
  putMediaFault(fault: PutMediaFault): void {
    this.putMedia.push({ ...fault, left: fault.connections ?? 1 });
  }

  /** The next `count` PutMedia requests are refused with 403 ExpiredTokenException. */
  expireTokens(count = 1): void {
    this.expiredTokens += count;
  }

  /** Forgets every armed fault. */
  clear(): void {
    this.control = [];
    this.putMedia = [];
    this.expiredTokens = 0;
  }

  /** Throws the armed control fault for this action, if any. */
  takeControl(action: string): void {
    const i = this.control.findIndex((f) => f.count > 0 && (f.action === undefined || f.action === action));
    if (i < 0) return;
    const f = this.control[i];
    f.count--;
    if (f.count === 0) this.control.splice(i, 1);
    if (f.kind === 'throttle') throw clientLimit();
    throw new ApiError(500, 'InternalFailure', 'The request processing has failed because of an unknown error.');
  }

  /** The PutMedia fault for this stream's new connection, if any. */
  takePutMedia(stream: string): PutMediaFault | undefined {
    const i = this.putMedia.findIndex((f) => f.left > 0 && (f.stream === undefined || f.stream === stream));
    if (i < 0) return undefined;
    const f = this.putMedia[i];
    f.left--;
    if (f.left === 0) this.putMedia.splice(i, 1);
    return f;
  }

  takeExpiredToken(): boolean {
    if (this.expiredTokens <= 0) return false;
    this.expiredTokens--;
    return true;
  }
}
