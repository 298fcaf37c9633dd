// The fragment ACK a PutMedia response streams back, as PIC's FragmentAck: parsed by the
// ACK parser (getmedia package), consumed by the producer stream.

import type { ServiceCallResult } from './service-call';

/** ACK event types, with PIC's `FRAGMENT_ACK_TYPE` values. */
export const FragmentAckType = {
  UNDEFINED: 0,
  /** The service has started receiving the fragment. */
  BUFFERING: 1,
  /** The whole fragment arrived. */
  RECEIVED: 2,
  /** The fragment is durably stored (only with retention). */
  PERSISTED: 3,
  /** The service rejected the fragment; `result` holds the ErrorId. */
  ERROR: 4,
  /** A keep-alive while no fragment is open. */
  IDLE: 5,
} as const;
export type FragmentAckType = (typeof FragmentAckType)[keyof typeof FragmentAckType];

/** One ACK of the PutMedia response stream. */
export interface FragmentAck {
  ackType: FragmentAckType;
  /**
   * FragmentTimecode: the fragment's cluster timecode in MKV ticks, as sent (relative to the
   * session start when cluster times are relative). Absent for IDLE.
   */
  timecode?: number;
  /** FragmentNumber: a decimal string (~47 digits); absent for IDLE. */
  fragmentNumber?: string;
  /**
   * 200 for good ACKs; for ERROR the ErrorId (4000…) when the service documents it, else
   * UNKNOWN_ACK_ERROR (7000), as PIC's ACK parser does.
   */
  result: ServiceCallResult;
  /** ErrorId of an ERROR ACK exactly as the service sent it (also when `result` is UNKNOWN_ACK_ERROR). */
  errorId?: number;
  /** ErrorCode text of an ERROR ACK, when present. */
  errorCode?: string;
}
