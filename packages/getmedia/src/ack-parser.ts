// The PutMedia response body: fragment ACKs, one JSON object each, as the service streams them
// while the upload goes on (PIC's `AckParser.c`, re-done). Objects may arrive split across
// chunks or several to a chunk, with any whitespace or none between them, keys in any order and
// keys this parser does not know. What PIC gets wrong and this does not: string escapes, a bound
// on every object (not only on one call's input), numbers checked for exactness, fragment
// numbers kept as the text the service sent (~47 digits, quoted or not), and the rest of the
// stream still read after a bad object.
//
//   {"EventType":"RECEIVED","FragmentTimecode":1700000000000,"FragmentNumber":"9134385233318150666908441974200077706515712868"}
//   {"EventType":"ERROR","FragmentTimecode":1700000002000,"FragmentNumber":"…","ErrorId":4004,"ErrorCode":"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"}
//   {"EventType":"IDLE"}
//
// Anything else on the stream (an error body such as `{"message":"The security token included
// in the request is expired"}`, text that is not JSON) is reported through `error` with a
// PIC status, and parsing goes on at the next object.

import { type FragmentAck, FragmentAckType, KvsError, ServiceCallResult, type StatusName } from '@kvs-ts/core';

/** Where a parser's results go. */
export interface AckHandler {
  /** One ACK, in stream order. The object is the handler's to keep. */
  ack(ack: FragmentAck): void;
  /**
   * Something on the stream that is not a valid ACK; `text` is (the start of) what was read.
   * Statuses: STATUS_INVALID_PARSED_ACK_TYPE (a JSON object that is not an ACK, or an unknown
   * EventType), STATUS_MISSING_ERR_ACK_ID (an ERROR without ErrorId), STATUS_INVALID_ACK_DUPLICATE_KEY_NAME,
   * STATUS_INVALID_ACK_INVALID_VALUE_START (a value of the wrong kind, a timecode that is not an
   * exact non-negative integer), STATUS_INVALID_ACK_INVALID_VALUE_END (malformed JSON, or the body
   * ended inside an object), STATUS_INVALID_ACK_KEY_START (text outside any object),
   * STATUS_INVALID_ACK_SEGMENT_LEN (an object longer than `maxObjectLength`). Without this
   * handler such input is skipped silently.
   */
  error?(error: KvsError, text: string): void;
}

/** Options of {@link AckParser}. */
export interface AckParserOptions {
  /** The longest object kept, bytes (default 16 KiB; an ACK is ~200). Longer ones are reported and skipped. */
  maxObjectLength?: number;
}

/** ErrorIds the service documents (PutMedia's ACK ErrorIds); others become UNKNOWN_ACK_ERROR. */
const KNOWN_ERROR_IDS: ReadonlySet<number> = new Set([
  4000, 4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4009, 4010, 4011, 4012, 4500, 4501, 4502, 4503, 4504, 4505,
  4506, 4507, 5000, 5001,
]);

const EVENT_TYPES: Readonly<Record<string, FragmentAckType>> = {
  BUFFERING: FragmentAckType.BUFFERING,
  RECEIVED: FragmentAckType.RECEIVED,
  PERSISTED: FragmentAckType.PERSISTED,
  ERROR: FragmentAckType.ERROR,
  IDLE: FragmentAckType.IDLE,
};

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
/** How much of a bad object or stray text an error carries. */
const MAX_ERROR_TEXT = 512;

const utf8 = new TextDecoder();

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Key bits, for duplicate detection. */
const KEY_EVENT_TYPE = 1;
const KEY_TIMECODE = 2;
const KEY_NUMBER = 4;
const KEY_ERROR_ID = 8;
const KEY_ERROR_CODE = 16;

/**
 * A push parser of the ACK stream. Feed it the response body's chunks in order; it calls the
 * handler for each complete object. It keeps at most one object's bytes (bounded), so a body
 * that never ends costs no more memory than its longest object.
 */
export class AckParser {
  private readonly buffer: Uint8Array;
  private length = 0;
  /** Brace/bracket depth inside the current object; 0 between objects. */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current object outgrew the buffer: it is skipped to its end and reported. */
  private overflow = false;
  /** Stray text between objects (its start, for the report), and whether a run is open. */
  private stray = '';
  private strayOpen = false;

  constructor(
    private readonly handler: AckHandler,
    options: AckParserOptions = {},
  ) {
    const max = options.maxObjectLength ?? 16 * 1024;
    if (!Number.isInteger(max) || max < 64)
      throw new KvsError('STATUS_INVALID_ARG', `maxObjectLength must be an integer ≥ 64, got ${max}`);
    this.buffer = new Uint8Array(max);
  }

  /** Parses the next chunk of the body. */
  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.depth === 0) {
        if (b === OPEN_BRACE) {
          this.flushStray();
          this.depth = 1;
          this.length = 0;
          this.overflow = false;
          this.keep(b);
        } else if (!isSpace(b) && b !== COMMA) {
          if (!this.strayOpen) this.strayOpen = true;
          if (this.stray.length < MAX_ERROR_TEXT) this.stray += String.fromCharCode(b);
        }
        continue;
      }
      this.keep(b);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
      } else if (b === QUOTE) {
        this.inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        this.depth++;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--this.depth === 0) this.complete();
      }
    }
  }

  /** The body ended: an object cut short, or stray text, is reported. */
  end(): void {
    this.flushStray();
    if (this.depth > 0) {
      const text = this.text();
      this.depth = 0;
      this.inString = this.escaped = false;
      this.report('STATUS_INVALID_ACK_INVALID_VALUE_END', 'the ACK stream ended inside an object', text);
    }
  }

  private keep(b: number): void {
    if (this.length < this.buffer.length) this.buffer[this.length++] = b;
    else this.overflow = true;
  }

  private text(): string {
    return utf8.decode(this.buffer.subarray(0, Math.min(this.length, MAX_ERROR_TEXT)));
  }

  private flushStray(): void {
    if (!this.strayOpen) return;
    const text = this.stray;
    this.stray = '';
    this.strayOpen = false;
    this.report('STATUS_INVALID_ACK_KEY_START', 'text outside any ACK object', text);
  }

  private report(status: StatusName, message: string, text: string): void {
    this.handler.error?.(new KvsError(status, `${message}: ${JSON.stringify(text)}`), text);
  }

  private complete(): void {
    if (this.overflow) {
      this.report(
        'STATUS_INVALID_ACK_SEGMENT_LEN',
        `an object on the ACK stream is longer than ${this.buffer.length} bytes`,
        this.text(),
      );
      return;
    }
    const result = readAck(this.buffer, this.length);
    if (typeof result === 'string') this.report(result, 'not a valid ACK', this.text());
    else this.handler.ack(result);
  }
}

/** Parses one complete object (bytes [0, length)) into an ACK, or the status that refuses it. */
function readAck(bytes: Uint8Array, length: number): FragmentAck | StatusName {
  const r = new ObjectReader(bytes, length);
  let seen = 0;
  let eventType: string | undefined;
  let timecode: string | undefined;
  let fragmentNumber: string | undefined;
  let errorId: string | undefined;
  let errorCode: string | undefined;
  r.pos = 1; // past '{'
  r.skipSpace();
  if (r.peek() === CLOSE_BRACE) return 'STATUS_INVALID_PARSED_ACK_TYPE';
  for (;;) {
    if (r.peek() !== QUOTE) return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
    const key = r.readString();
    if (key === undefined) return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
    r.skipSpace();
    if (r.peek() !== COLON) return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
    r.pos++;
    r.skipSpace();
    const bit = keyBit(key);
    if (bit !== 0) {
      if (seen & bit) return 'STATUS_INVALID_ACK_DUPLICATE_KEY_NAME';
      seen |= bit;
      // Every known key has a scalar value: a string, or a bare number (a fragment number the
      // service might send unquoted is kept as its text, never rounded through a double).
      const value = r.peek() === QUOTE ? r.readString() : r.readNumberText();
      if (value === undefined) return 'STATUS_INVALID_ACK_INVALID_VALUE_START';
      if (bit === KEY_EVENT_TYPE) eventType = value;
      else if (bit === KEY_TIMECODE) timecode = value;
      else if (bit === KEY_NUMBER) fragmentNumber = value;
      else if (bit === KEY_ERROR_ID) errorId = value;
      else errorCode = value;
    } else if (!r.skipValue()) {
      return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
    }
    r.skipSpace();
    const next = r.peek();
    r.pos++;
    if (next === CLOSE_BRACE) break;
    if (next !== COMMA) return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
    r.skipSpace();
  }
  if (r.pos !== length) return 'STATUS_INVALID_ACK_INVALID_VALUE_END';
  const ackType = eventType === undefined ? undefined : EVENT_TYPES[eventType];
  if (ackType === undefined) return 'STATUS_INVALID_PARSED_ACK_TYPE';
  const ack: FragmentAck = { ackType, result: ServiceCallResult.OK };
  if (timecode !== undefined) {
    const tc = exactInteger(timecode);
    if (tc === undefined) return 'STATUS_INVALID_ACK_INVALID_VALUE_START';
    ack.timecode = tc;
  }
  if (fragmentNumber !== undefined) ack.fragmentNumber = fragmentNumber;
  if (errorCode !== undefined) ack.errorCode = errorCode;
  if (errorId !== undefined) {
    const id = exactInteger(errorId);
    if (id === undefined) return 'STATUS_INVALID_ACK_INVALID_VALUE_START';
    ack.errorId = id;
  }
  if (ackType === FragmentAckType.ERROR) {
    if (ack.errorId === undefined) return 'STATUS_MISSING_ERR_ACK_ID';
    // As PIC: an ErrorId the service does not document is UNKNOWN_ACK_ERROR (7000), which maps
    // to STATUS_ACK_ERR_UNKNOWN_ACK_ERROR; the id itself stays in `errorId`.
    ack.result = KNOWN_ERROR_IDS.has(ack.errorId) ? ack.errorId : ServiceCallResult.UNKNOWN_ACK_ERROR;
  }
  return ack;
}

function keyBit(key: string): number {
  switch (key) {
    case 'EventType':
      return KEY_EVENT_TYPE;
    case 'FragmentTimecode':
      return KEY_TIMECODE;
    case 'FragmentNumber':
      return KEY_NUMBER;
    case 'ErrorId':
      return KEY_ERROR_ID;
    case 'ErrorCode':
      return KEY_ERROR_CODE;
  }
  return 0;
}

/** A decimal integer ≥ 0 that a double holds exactly, else undefined. */
function exactInteger(text: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A cursor over one buffered JSON object. */
class ObjectReader {
  pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly length: number,
  ) {}

  peek(): number {
    return this.pos < this.length ? this.bytes[this.pos] : -1;
  }

  skipSpace(): void {
    while (this.pos < this.length && isSpace(this.bytes[this.pos])) this.pos++;
  }

  /** A JSON string at pos (which is a quote); undefined if malformed. */
  readString(): string | undefined {
    const bytes = this.bytes;
    const start = ++this.pos;
    let escapes = false;
    for (; this.pos < this.length; this.pos++) {
      const b = bytes[this.pos];
      if (b === BACKSLASH) {
        escapes = true;
        this.pos++;
      } else if (b === QUOTE) {
        const raw = bytes.subarray(start, this.pos++);
        if (!escapes) return utf8.decode(raw);
        try {
          return JSON.parse(`"${utf8.decode(raw)}"`) as string;
        } catch {
          return undefined;
        }
      } else if (b < 0x20) {
        return undefined;
      }
    }
    return undefined;
  }

  /** A bare JSON number's text at pos; undefined if there is none. */
  readNumberText(): string | undefined {
    const start = this.pos;
    while (this.pos < this.length) {
      const b = this.bytes[this.pos];
      // Digits, sign, point and exponent: the shape is checked by whoever reads the value.
      if ((b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45) this.pos++;
      else break;
    }
    if (this.pos === start) return undefined;
    return utf8.decode(this.bytes.subarray(start, this.pos));
  }

  /** Skips any JSON value (nested objects and arrays too). False if malformed. */
  skipValue(): boolean {
    const b = this.peek();
    if (b === QUOTE) return this.readString() !== undefined;
    if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      // The framing already matched the brackets; strings inside may hold any of them.
      let depth = 0;
      while (this.pos < this.length) {
        const c = this.bytes[this.pos];
        if (c === QUOTE) {
          if (this.readString() === undefined) return false;
          continue;
        }
        this.pos++;
        if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (--depth === 0) return true;
        }
      }
      return false;
    }
    // A number or a literal (true, false, null).
    const start = this.pos;
    while (this.pos < this.length) {
      const c = this.bytes[this.pos];
      if (c === COMMA || c === CLOSE_BRACE || isSpace(c)) break;
      this.pos++;
    }
    return this.pos > start;
  }
}
