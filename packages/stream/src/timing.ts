// PIC's timing constants, in µs, under the names AWS's PIC gives them (its Include.h and the
// client's Stream.h / Client.c), so that a reader can match them with AWS's.

const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;

/** PIC's MIN_STREAMING_TOKEN_EXPIRATION_DURATION: a token must last at least this long. */
export const MIN_STREAMING_TOKEN_EXPIRATION_DURATION = 30 * SECOND;
/** PIC's MAX_ENFORCED_TOKEN_EXPIRATION_DURATION: connections rotate at least this often. */
export const MAX_ENFORCED_TOKEN_EXPIRATION_DURATION = 40 * MINUTE;
/** PIC's STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD: rotate this long before the token expires. */
export const STREAMING_TOKEN_EXPIRATION_GRACE_PERIOD = 3 * SECOND;
/** Tokens lasting longer than this get their expiration jittered (PIC's getStreamingTokenResult). */
export const TOKEN_JITTER_THRESHOLD = 5 * MINUTE;
/** The most a token's expiration is moved earlier by that jitter. */
export const MAX_TOKEN_JITTER = 3 * MINUTE;
/** PIC's INTERMITTENT_PRODUCER_MAX_TIMEOUT: close the open fragment after this long without frames. */
export const INTERMITTENT_PRODUCER_MAX_TIMEOUT = 20 * SECOND;
/** PIC's intermittent-producer timer period. */
export const INTERMITTENT_PRODUCER_PERIOD = 5 * SECOND;
/** PIC's intermittent-producer timer first delay. */
export const INTERMITTENT_PRODUCER_START_DELAY = 3 * SECOND;
/** PIC's STREAM_CLOSED_TIMEOUT: how long stopSync waits by default. */
export const STREAM_CLOSED_TIMEOUT = 120 * SECOND;
/** PIC's MAX_BLOCKING_PUT_WAIT: how long an OFFLINE put waits for room by default. */
export const MAX_BLOCKING_PUT_WAIT = 15 * SECOND;
/** Service call completion timeout (PIC's SERVICE_CALL_DEFAULT_TIMEOUT + connection timeout). */
export const DEFAULT_SERVICE_CALL_TIMEOUT = 15 * SECOND;
