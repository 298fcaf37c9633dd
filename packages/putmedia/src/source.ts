// A PutMediaSource over a producer stream's connection: the UploadConnection the stream handed
// to putStream, woken by the stream's `dataAvailable` events for that connection (PIC's
// streamDataAvailableFn), with a short poll as a safety net, as AWS's C producer retries its
// read callback after 20…320 ms when it finds nothing.

import type { KinesisVideoStream, UploadConnection } from '@kvs-ts/stream';
import type { PutMediaSource } from './connection';

/** How long a wait for data lasts at most before the transport pulls again, ms. */
const POLL_MS = 250;

/** The source for `connection`, one of `stream`'s connections. */
export function streamSource(stream: KinesisVideoStream<unknown>, connection: UploadConnection): PutMediaSource {
  const handle = connection.uploadHandle;
  const waiters = new Set<() => void>();
  const wake = (h: number) => {
    if (h !== handle) return;
    for (const w of [...waiters]) w();
  };
  stream.on('dataAvailable', wake);
  stream.on('closed', wake);
  return {
    pull: (maxBytes) => connection.pull(maxBytes),
    ack: (ack) => connection.ack(ack),
    end: (result) => {
      stream.off('dataAvailable', wake);
      stream.off('closed', wake);
      for (const w of [...waiters]) w();
      connection.end(result);
    },
    waitForData: (signal) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, POLL_MS);
        waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      }),
  };
}
