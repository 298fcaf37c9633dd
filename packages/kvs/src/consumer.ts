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
  /** Hand out a fragment again when the service stored it twice (see {@link withoutRepeats}). */
  keepRepeats?: boolean;
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

/** How many recent fragments' producer timestamps are remembered to spot a repeat. */
const REPEAT_WINDOW = 256;

/**
 * Drops fragments the service stored twice. When a PutMedia connection breaks after a fragment
 * arrived but before its ACK did, the producer cannot know, and replays it from its buffer on
 * the next connection (PIC's replay; AWS: "larger [replay_duration] if the consumer can drop
 * duplicates", ../shared/spec/seed001-partA.md): the service then has that fragment twice, under
 * two fragment numbers. A repeat has the producer timestamp of a fragment already handed out
 * (packages/kvs/test/reliability.node.test.ts provokes it).
 */
export async function* withoutRepeats(fragments: AsyncIterable<MediaFragment>): AsyncGenerator<MediaFragment> {
  const seen = new Set<number>();
  const order: number[] = [];
  for await (const f of fragments) {
    const key = f.producerTimestamp ?? f.clusterTimestamp;
    if (key !== undefined) {
      if (seen.has(key)) continue;
      seen.add(key);
      order.push(key);
      if (order.length > REPEAT_WINDOW) seen.delete(order.shift() as number);
    }
    yield f;
  }
}

/** GetMedia from `start`, resuming by continuation token (consumeGetMedia), repeats dropped. */
export function readMedia(
  api: KinesisVideoApi,
  ref: StreamRef,
  start: StartSelector,
  o: ReadOptions,
): FragmentIterable {
  return iterable(() => {
    const fragments = consumeGetMedia(
      (from, signal) => api.getMedia({ ...ref, startSelector: from }, { signal }).then((p) => p.body),
      start,
      { signal: o.signal, follow: o.follow },
    );
    return o.keepRepeats ? fragments : withoutRepeats(fragments);
  }, o.done);
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
