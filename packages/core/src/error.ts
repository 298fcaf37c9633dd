import { isStatusCode, StatusCode, type StatusName, statusName } from './status';

/** Options for {@link KvsError}. */
export interface KvsErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** Byte offset in the input where a parse failed, when the error comes from a parser. */
  offset?: number;
}

/** Where the status-code guide lives, relative to the repository root. */
const GUIDE_PATH = 'docs/guides/status-codes.md';

/**
 * The one error type kvs-ts throws. `status` is a PIC-compatible status code (see
 * {@link StatusCode}); `statusName` is its name, so logs read like AWS's SDKs.
 *
 * Every status a kvs-ts call can report has an entry (cause and fix) in
 * docs/guides/status-codes.md, anchored by the lower-case status name: {@link guide} is that
 * link, and the message ends with it (`STATUS_NAME: detail (see docs/guides/…#status_name)`), so a
 * log line or a stack trace leads to the cause and the fix. {@link detail} is the bare text.
 */
export class KvsError extends Error {
  override readonly name = 'KvsError';
  /** PIC-compatible status code. */
  readonly status: number;
  /** Byte offset in the parsed input, for parse errors. */
  readonly offset: number | undefined;
  /** The message without the status name and offset. */
  readonly detail: string;

  constructor(status: number | StatusName, message: string, options: KvsErrorOptions = {}) {
    const code = typeof status === 'string' ? StatusCode[status] : status;
    const at = options.offset === undefined ? '' : ` (at byte ${options.offset})`;
    super(
      `${statusName(code)}: ${message}${at} (see ${KvsError.guideFor(code)})`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.status = code;
    this.offset = options.offset;
    this.detail = message;
  }

  /** The same error located at `offset` (this one becomes the cause); itself if it has an offset. */
  at(offset: number): KvsError {
    return this.offset === undefined ? new KvsError(this.status, this.detail, { offset, cause: this }) : this;
  }

  /** The PIC name of {@link status}. */
  get statusName(): string {
    return statusName(this.status);
  }

  /**
   * This status's entry in the status-code guide (cause and fix), e.g.
   * `docs/guides/status-codes.md#status_invalid_arg`.
   */
  get guide(): string {
    return KvsError.guideFor(this.status);
  }

  /**
   * The status-code guide's entry for a status: its lower-case name as anchor, or the section on
   * unknown codes for a value this table does not know.
   */
  static guideFor(status: number | StatusName): string {
    const code = typeof status === 'string' ? StatusCode[status] : status;
    return `${GUIDE_PATH}#${isStatusCode(code) ? statusName(code).toLowerCase() : 'unknown-status-codes'}`;
  }
}

/** Whether `e` is a {@link KvsError}, optionally with the given status. */
export function isKvsError(e: unknown, status?: number | StatusName): e is KvsError {
  if (!(e instanceof KvsError)) return false;
  if (status === undefined) return true;
  return e.status === (typeof status === 'string' ? StatusCode[status] : status);
}
