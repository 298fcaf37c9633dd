// A GetMedia consumer that survives dropped connections: fragments come out as they complete,
// and when the body breaks off (a reset, a timeout, the service closing an idle connection) it
// asks again from the last fragment's continuation token, so that no fragment is repeated and
// none is lost. A fragment cut off by the drop was never handed out: it comes again, whole,
// after the token. The GetMedia call itself is injected (KinesisVideoApi.getMedia from
// @kvs-ts/api, or anything returning the body), so this stays runtime-neutral.

import { KvsServiceError, type StartSelector } from '@kvs-ts/api';
import { isKvsError, KvsError } from '@kvs-ts/core';
import { FragmentAssembler, type MediaFragment } from './fragments';

export type { StartSelector };

/** Opens a GetMedia body from `start`. */
export type OpenGetMedia = (start: StartSelector, signal: AbortSignal) => Promise<ReadableStream<Uint8Array>>;

/** Options of {@link consumeGetMedia}. */
export interface GetMediaConsumerOptions {
  /** Stop iterating (the open body is cancelled). */
  signal?: AbortSignal;
  /** Reconnect when the body ends without an error too (a live tail that the service closed). Default true. */
  follow?: boolean;
  /** Reconnects in a row without a fragment in between before giving up (default 5). */
  maxReconnects?: number;
  /** Wait before a reconnect, µs, doubled each time in a row (default 200 ms, at most 5 s). */
  reconnectDelayUs?: number;
  /** Told of each reconnect and why. */
  onReconnect?: (error: unknown, attempt: number, start: StartSelector) => void;
}

/**
 * The fragments of a stream from `start`, reconnecting by continuation token. Ends when the
 * service reports an error in the stream (that fragment, with `error`, is the last one), when
 * `follow` is false and the body ends, or when `signal` aborts; rejects once reconnecting has
 * failed `maxReconnects` times in a row, on a malformed body, or on a service error that asking again
 * cannot change (ResourceNotFoundException, NotAuthorizedException…).
 */
export async function* consumeGetMedia(
  open: OpenGetMedia,
  start: StartSelector,
  options: GetMediaConsumerOptions = {},
): AsyncGenerator<MediaFragment, void, undefined> {
  const follow = options.follow ?? true;
  const maxReconnects = options.maxReconnects ?? 5;
  const baseDelay = options.reconnectDelayUs ?? 200_000;
  let from = start;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    const abort = new AbortController();
    const stop = () => abort.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    let dropped: unknown;
    let ended = false;
    try {
      const body = await open(from, abort.signal);
      const reader = body.getReader();
      const ready: MediaFragment[] = [];
      const assembler = new FragmentAssembler({ fragment: (f) => ready.push(f) });
      try {
        for (;;) {
          if (options.signal?.aborted) return;
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (e) {
            dropped = e;
            break;
          }
          if (chunk.done) {
            // A body that ended inside an element broke off: its last fragment is partial (the
            // assembler hands it out as it ends) and is dropped; it comes again after the token.
            try {
              assembler.end();
            } catch (e) {
              if (!(isKvsError(e) && e.statusName === 'STATUS_UNEXPECTED_EOF')) throw e;
              dropped = e;
              break;
            }
            // GetMedia closes every fragment with its continuation token: a last fragment
            // without one was cut between two elements of an unknown-size cluster.
            const last = ready.at(-1);
            if (last !== undefined && last.continuationToken === undefined && last.error === undefined) {
              ready.pop();
              dropped = new KvsError('STATUS_UNEXPECTED_EOF', 'GetMedia: the body ended inside a fragment');
            }
          } else {
            assembler.push(chunk.value);
          }
          while (ready.length > 0) {
            const f = ready.shift() as MediaFragment;
            failures = 0;
            if (f.continuationToken !== undefined)
              from = { startSelectorType: 'CONTINUATION_TOKEN', continuationToken: f.continuationToken };
            yield f;
            if (f.error !== undefined || options.signal?.aborted) return;
          }
          if (chunk.done) {
            ended = dropped === undefined;
            break;
          }
        }
      } finally {
        abort.abort();
        // Stop the body (the connection) when the consumer stops early.
        reader.cancel().catch(() => {});
        reader.releaseLock();
      }
    } catch (e) {
      // A malformed body is not a network problem: reconnecting would read it again.
      if (isKvsError(e) && e.statusName === 'STATUS_FORMAT_ERROR') throw e;
      if (isFinalAnswer(e)) throw e;
      dropped = e;
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    if (options.signal?.aborted) return;
    if (ended && !follow) return;
    if (++failures > maxReconnects)
      throw new KvsError('STATUS_OPERATION_TIMED_OUT', `GetMedia: gave up after ${maxReconnects} reconnects`, {
        cause: dropped,
      });
    options.onReconnect?.(dropped, failures, from);
    await sleep(Math.min(5_000_000, baseDelay * 2 ** (failures - 1)), options.signal);
  }
}

/**
 * A service error that asking again cannot change (ResourceNotFoundException, NotAuthorized,
 * InvalidArgument…): thrown at once. Throttling, 5xx and the connection limits (another reader
 * may leave) are retried.
 */
function isFinalAnswer(e: unknown): boolean {
  return (
    e instanceof KvsServiceError &&
    !e.retryable &&
    e.code !== 'ConnectionLimitExceededException' &&
    e.code !== 'ClientLimitExceededException'
  );
}

function sleep(us: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, us / 1000);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
