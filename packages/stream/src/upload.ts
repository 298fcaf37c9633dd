// Upload handles: one per PutMedia connection, as PIC's UploadHandleInfo.

/** Upload handle states, bit for bit PIC's `UPLOAD_HANDLE_STATE_*`. */
export const UploadHandleState = {
  NEW: 0x01,
  READY: 0x02,
  STREAMING: 0x04,
  /** Sending the end-of-stream tags. */
  TERMINATING: 0x08,
  /** Everything sent; waiting for the PERSISTED ACK of the last fragment. */
  AWAITING_ACK: 0x10,
  ACK_RECEIVED: 0x20,
  TERMINATED: 0x40,
  ERROR: 0x80,
} as const;
export type UploadHandleState = (typeof UploadHandleState)[keyof typeof UploadHandleState];

const U = UploadHandleState;
/** Handles that may be trimmed behind (PIC's READY_TO_TRIM). */
export const READY_TO_TRIM = U.ACK_RECEIVED | U.TERMINATED | U.ERROR;
/** Handles still sending. */
export const SENDING = U.READY | U.STREAMING | U.TERMINATING;

/** The name of a handle state, for logs. */
export function uploadHandleStateName(state: number): string {
  for (const [name, value] of Object.entries(UploadHandleState)) if (value === state) return name;
  return `0x${state.toString(16)}`;
}

const NO_BYTES = new Uint8Array(0);

/** One PutMedia connection's bookkeeping. */
export class UploadHandle {
  state: UploadHandleState = U.NEW;
  /** Whether any byte went out on this connection. */
  started = false;
  /** Item being sent (-1: none). */
  item = -1;
  /** The view's fragment number of that item (ContentView.itemFragment). */
  fragment = -1;
  /** The view's MKV stream number of the session (ContentView.itemStream). */
  stream = -1;
  /**
   * What is left to send of it: up to two pieces (the stream-header slot, then the item bytes;
   * or the closing tags), in fixed fields rather than an array so that a frame costs no array
   * bookkeeping. `piece` is the index of the piece in progress, `offset` the position in it.
   */
  piece0: Uint8Array = NO_BYTES;
  piece1: Uint8Array = NO_BYTES;
  pieceCount = 0;
  piece = 0;
  offset = 0;
  /** PTS of the last fragment start sent (µs), -1 before the first. */
  lastFragmentPts = -1;
  /** PTS of the newest fragment PERSISTED on this connection (µs), -1 before the first (PIC's lastPersistedAckTs). */
  lastPersistedPts = -1;
  /** How the connection ended, once the transport or the stream said so. */
  endResult: number | undefined;
  /** Whether the last item sent was an EoFR (then no end-of-stream tags are needed). */
  lastWasEndOfFragment = false;
  /** Counted in the session metrics already. */
  finished = false;
  /** The session is ending: only its closing tags are left to send. */
  ending = false;
  /** Bytes queued to send when the session ends (end-of-stream tags), if any. */
  tail: Uint8Array | undefined;
  /** Session start (stream start PTS, µs) for relative cluster timecodes. */
  sessionStart = 0;
  /** The MKV header to send before item `startItem` when the store had no room for the view's header slot. */
  startHeader: Uint8Array | undefined;
  startItem = -1;
  /** The session would start in another MKV stream than PutMedia announced (relative times): end unused. */
  mismatch = false;
  bytesSent = 0;

  constructor(
    readonly handle: number,
    readonly createTime: number,
  ) {}
}
