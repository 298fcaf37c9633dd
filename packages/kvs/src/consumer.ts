// The consumer side of the client: GetMedia and GetMediaForFragmentList as async iterables of
// fragments (the service's per-fragment tags read), each with a flat `.frames()` view.

import type { GetMediaForFragmentListInput, KinesisVideoApi, StartSelector, StreamRef } from '@kvs-ts/api';
import { consumeGetMedia, type MediaFragment, type MediaFrame, readFragments } from '@kvs-ts/getmedia';

/** Fragments, in order; `frames()` gives their frames one by one instead. */
export interface FragmentIterable extends AsyncIterable<MediaFragment> {
  frames(): AsyncIterable<MediaFrame>;
}

interface ReadOptions {
  signal: AbortSignal;
  follow?: boolean;
  /** Called once the iteration is over (the client forgets its abort controller). */
  done: () => void;
}

function iterable(source: () => AsyncIterable<MediaFragment>, done: () => void): FragmentIterable {
  async function* fragments(): AsyncGenerator<MediaFragment> {
    try {
      yield* source();
    } finally {
      done();
    }
  }
  return {
    [Symbol.asyncIterator]: () => fragments()[Symbol.asyncIterator](),
    async *frames() {
      for await (const f of fragments()) yield* f.frames;
    },
  };
}

/** GetMedia from `start`, resuming by continuation token (consumeGetMedia). */
export function readMedia(
  api: KinesisVideoApi,
  ref: StreamRef,
  start: StartSelector,
  o: ReadOptions,
): FragmentIterable {
  return iterable(
    () =>
      consumeGetMedia(
        (from, signal) => api.getMedia({ ...ref, startSelector: from }, { signal }).then((p) => p.body),
        start,
        { signal: o.signal, follow: o.follow },
      ),
    o.done,
  );
}

/** GetMediaForFragmentList: one body, its fragments in the order asked. */
export function readFragmentList(
  api: KinesisVideoApi,
  input: GetMediaForFragmentListInput,
  o: Omit<ReadOptions, 'follow'>,
): FragmentIterable {
  return iterable(async function* () {
    const payload = await api.getMediaForFragmentList(input, { signal: o.signal });
    yield* readFragments(payload.body);
  }, o.done);
}
