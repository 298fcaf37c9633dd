// KinesisVideoClient: what a user of kvs-ts creates first. It owns the API client (credentials,
// signing, endpoints), the content store its producer streams share (as PIC's client owns the
// store), and the PutMedia transport; it hands out started KinesisVideoStreams and GetMedia
// consumers, and `close()` (or `await using`) frees all of it.

import type { Fragment, GetMediaForFragmentListInput, ListFragmentsInput, StartSelector, StreamRef } from '@kvs-ts/api';
import {
  ApiStreamService,
  type AwsCredentials,
  type CredentialsInput,
  type FetchLike,
  KinesisVideoApi,
} from '@kvs-ts/api';
import { ContentStore } from '@kvs-ts/content-store';
import { KvsError } from '@kvs-ts/core';
import type { MediaFragment } from '@kvs-ts/getmedia';
import { putStreamWith } from '@kvs-ts/putmedia';
import { type Clock, KinesisVideoStream, type StreamDefinition, systemClock } from '@kvs-ts/stream';
import { type FragmentIterable, readFragmentList, readMedia } from './consumer';
import { loadTransport, runtimeMediaFetch, type TransportKind, type TransportOptions } from './transport';

/** A logger with the console's shape (console itself works). */
export interface Logger {
  debug?(...args: unknown[]): void;
  info?(...args: unknown[]): void;
  warn?(...args: unknown[]): void;
  error?(...args: unknown[]): void;
}

/** Options of {@link KinesisVideoClient}. */
export interface KinesisVideoClientOptions {
  /** AWS region (default: AWS_REGION, AWS_DEFAULT_REGION). */
  region?: string;
  /**
   * Credentials: static keys, a provider function (e.g. from `@aws-sdk/credential-providers`),
   * default the environment's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
   */
  credentials?: CredentialsInput;
  /** The control-plane URL (the local emulator's, a VPC endpoint); default KVS_ENDPOINT, else AWS. */
  endpoint?: string;
  /** Bytes of the content store all streams share (default 128 MiB, the C producer's). */
  storageSize?: number;
  /** PutMedia transport (default `auto`: node-http in Node, fetch-stream in Deno, per-request in browsers). */
  transport?: TransportKind;
  /** Options for every PutMedia connection (timeouts, fragments per request, a CA, fetch). */
  transportOptions?: TransportOptions;
  /** Where stream errors and state changes are told (default: nowhere). */
  logger?: Logger;
  /** The producer streams' clock (default the system clock; tests use a fake). */
  clock?: Clock;
  /** fetch for the API calls (default the global one). */
  fetch?: FetchLike;
  /**
   * fetch for GetMedia and GetMediaForFragmentList bodies. Default: in Node, `nodeFetch` on
   * undici's request API (unless `fetch` is given: then that one); elsewhere `fetch`.
   */
  mediaFetch?: FetchLike;
}

/** What {@link KinesisVideoClient.getMedia} takes. */
export type GetMediaOptions = StreamRef & {
  /** Where to start (default NOW). */
  start?: StartSelector;
  /** Stop reading. */
  signal?: AbortSignal;
  /** Reconnect when the service ends the body too (default true: a live tail). */
  follow?: boolean;
  /**
   * Also hand out fragments the service stored twice (a producer's replay after a connection
   * broke before the fragment's ACK arrived). Default false: a repeat is dropped.
   */
  keepRepeats?: boolean;
};

// Symbol.asyncDispose where the runtime has it (Node 20.4+, Deno, Chromium 127+), else the
// registered symbol TypeScript's `await using` helper falls back to.
const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose);

/** The C producer's DEFAULT_DEVICE_STORAGE_SIZE (../shared/spec/anchors-aws.md). */
export const DEFAULT_STORAGE_SIZE = 128 * 1024 * 1024;

/** The client: producer streams, GetMedia, archived media. */
export class KinesisVideoClient {
  readonly api: KinesisVideoApi;
  readonly store: ContentStore;
  private readonly streams = new Set<KinesisVideoStream<AwsCredentials>>();
  private readonly clock: Clock;
  private readonly aborts = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: KinesisVideoClientOptions = {}) {
    this.api = new KinesisVideoApi({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      fetch: options.fetch,
      mediaFetch: options.mediaFetch ?? (options.fetch === undefined ? runtimeMediaFetch() : undefined),
    });
    this.store = new ContentStore({ storageSize: options.storageSize ?? DEFAULT_STORAGE_SIZE });
    this.clock = options.clock ?? systemClock;
  }

  /** The region the client signs for. */
  get region(): string {
    return this.api.region;
  }

  /**
   * A producer stream for `definition`, started: it describes (and, unless
   * `allowStreamCreation` is false, creates) the stream, finds its data endpoint and connects as
   * soon as frames come. Frames may be put at once; they wait in the content store. Listen for
   * `ready`, `ack`, `error`, `droppedFrame`… on it. Throws a KvsError for a bad definition.
   */
  createStream(definition: StreamDefinition): KinesisVideoStream<AwsCredentials> {
    if (this.closed) throw new KvsError('STATUS_INVALID_OPERATION', 'the client is closed');
    const transport = loadTransport(this.options.transport ?? 'auto');
    let stream: KinesisVideoStream<AwsCredentials> | undefined;
    const putMedia = transport.then((t) =>
      putStreamWith(() => stream as KinesisVideoStream<AwsCredentials>, {
        region: this.api.region,
        transport: t,
        transportOptions: this.options.transportOptions,
      }),
    );
    const service = new ApiStreamService(this.api, {
      // Static credentials expire 40 min after they are handed out on the stream's clock, which
      // measures that expiration: on another clock every token after the first would look
      // expired (test/reliability-hour.node.test.ts).
      now: () => this.clock.now(),
      putMedia: async (request) => (await putMedia)(request),
    });
    stream = new KinesisVideoStream<AwsCredentials>({ definition, store: this.store, service, clock: this.clock });
    const logger = this.options.logger;
    if (logger) {
      const name = definition.streamName;
      stream.on('error', (e, d) => logger.error?.(`kvs ${name}: ${d.fatal ? 'fatal ' : ''}${e.message}`));
      stream.on('stateChange', (s, p) => logger.debug?.(`kvs ${name}: ${p} → ${s}`));
    }
    this.streams.add(stream);
    stream.start();
    return stream;
  }

  /** Stops `stream` (sending what it buffered, waiting up to `timeout` µs for its ACKs) and frees it. */
  async closeStream(stream: KinesisVideoStream<AwsCredentials>, timeout?: number): Promise<void> {
    if (!this.streams.delete(stream)) return;
    try {
      await stream.stopSync(timeout);
    } finally {
      stream.free();
    }
  }

  /**
   * GetMedia from `start` as an async iterable of fragments (each with its number, timestamps,
   * tracks, frames and tags), resuming by continuation token when the connection drops; `.frames()`
   * flattens it into frames.
   */
  getMedia(options: GetMediaOptions): FragmentIterable {
    const abort = this.track(options.signal);
    const ref: StreamRef = options.streamArn ? { streamArn: options.streamArn } : { streamName: options.streamName };
    return readMedia(this.api, ref, options.start ?? { startSelectorType: 'NOW' }, {
      signal: abort.signal,
      follow: options.follow,
      keepRepeats: options.keepRepeats,
      done: () => this.aborts.delete(abort),
    });
  }

  /** ListFragments, every page: the fragments in a time range (server or producer timestamps). */
  async listFragments(input: Omit<ListFragmentsInput, 'nextToken'>): Promise<Fragment[]> {
    const out: Fragment[] = [];
    for await (const f of this.api.listAllFragments(input)) out.push(f);
    return out;
  }

  /** GetMediaForFragmentList as fragments (the listed ones, in the order asked). */
  getMediaForFragmentList(input: GetMediaForFragmentListInput, signal?: AbortSignal): FragmentIterable {
    const abort = this.track(signal);
    return readFragmentList(this.api, input, { signal: abort.signal, done: () => this.aborts.delete(abort) });
  }

  /**
   * Stops every stream (each sends what it buffered and waits up to `timeout` µs for its last
   * ACK), frees them and the store, and ends every GetMedia read. Idempotent.
   */
  async close(timeout?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
    const streams = [...this.streams];
    this.streams.clear();
    await Promise.allSettled(
      streams.map(async (s) => {
        try {
          await s.stopSync(timeout);
        } finally {
          s.free();
        }
      }),
    );
  }

  /** `await using client = new KinesisVideoClient(…)`. */
  async [ASYNC_DISPOSE](): Promise<void> {
    await this.close();
  }

  private track(signal: AbortSignal | undefined): AbortController {
    if (this.closed) throw new KvsError('STATUS_INVALID_OPERATION', 'the client is closed');
    const abort = new AbortController();
    if (signal) {
      if (signal.aborted) abort.abort();
      else signal.addEventListener('abort', () => abort.abort(), { once: true });
    }
    this.aborts.add(abort);
    return abort;
  }
}

export type { MediaFragment };
