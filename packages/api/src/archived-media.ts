// The data-endpoint calls a consumer makes: ListFragments and GetMediaForFragmentList (archived
// media) and GetMedia (live or archived). Each first asks GetDataEndpoint for its API (cached)
// and forgets that endpoint when the call fails, so the next call looks it up again. Media
// bodies come back as streams, never buffered: parsing them is @kvs-ts/getmedia's job.

import type { CallOptions, KvsHttpClient, MediaPayload } from './http';
import { paginate } from './paginate';
import {
  type ApiName,
  type GetDataEndpointInput,
  objectOf,
  optionalNumber,
  optionalString,
  optionalTime,
  requiredString,
  type StreamRef,
  streamRefToWire,
  timeToWire,
} from './shapes';

/** What the data-plane calls need from the client: {@link KinesisVideoApi} is one. */
export interface DataPlane {
  readonly http: KvsHttpClient;
  getDataEndpoint(input: GetDataEndpointInput, options?: CallOptions): Promise<string>;
  invalidateDataEndpoint(stream: string, apiName?: ApiName): void;
}

/** Which fragments ListFragments returns: those whose producer or server timestamp is in the range. */
export interface FragmentSelector {
  fragmentSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
  /** µs since the Unix epoch, both ends included. */
  timestampRange: { startTimestamp: number; endTimestamp: number };
}

export interface ListFragmentsInput extends StreamRef {
  maxResults?: number;
  nextToken?: string;
  fragmentSelector?: FragmentSelector;
}

/** AWS's Fragment. */
export interface Fragment {
  /** A decimal string of about 47 digits: never a number. */
  fragmentNumber: string;
  fragmentSizeInBytes?: number;
  /** µs since the Unix epoch. */
  producerTimestamp?: number;
  /** µs since the Unix epoch. */
  serverTimestamp?: number;
  fragmentLengthInMilliseconds?: number;
}

export interface ListFragmentsOutput {
  fragments: Fragment[];
  nextToken?: string;
}

export interface GetMediaForFragmentListInput extends StreamRef {
  /** Fragment numbers, as ListFragments gives them (at most 1000). */
  fragments: readonly string[];
}

/** Where GetMedia starts. */
export interface StartSelector {
  startSelectorType:
    | 'FRAGMENT_NUMBER'
    | 'SERVER_TIMESTAMP'
    | 'PRODUCER_TIMESTAMP'
    | 'NOW'
    | 'EARLIEST'
    | 'CONTINUATION_TOKEN';
  afterFragmentNumber?: string;
  /** µs since the Unix epoch, for the *_TIMESTAMP types. */
  startTimestamp?: number;
  continuationToken?: string;
}

export interface GetMediaInput extends StreamRef {
  startSelector: StartSelector;
}

/** ListFragments: one page. */
export async function listFragments(
  plane: DataPlane,
  input: ListFragmentsInput,
  options?: CallOptions,
): Promise<ListFragmentsOutput> {
  const selector = input.fragmentSelector;
  const body = {
    ...streamRefToWire(input),
    MaxResults: input.maxResults,
    NextToken: input.nextToken,
    FragmentSelector:
      selector === undefined
        ? undefined
        : {
            FragmentSelectorType: selector.fragmentSelectorType,
            TimestampRange: {
              StartTimestamp: timeToWire(selector.timestampRange.startTimestamp),
              EndTimestamp: timeToWire(selector.timestampRange.endTimestamp),
            },
          },
  };
  const out = await onDataEndpoint(plane, input, 'LIST_FRAGMENTS', options, (endpoint) =>
    plane.http.json('ListFragments', endpoint, '/listFragments', body, options),
  );
  const list = out.Fragments;
  return {
    fragments: Array.isArray(list) ? list.map(fragmentFromWire) : [],
    nextToken: optionalString(out.NextToken),
  };
}

/** Every fragment ListFragments finds, page after page. */
export function listAllFragments(
  plane: DataPlane,
  input: ListFragmentsInput,
  options?: CallOptions,
): AsyncGenerator<Fragment> {
  return paginate(
    (nextToken) => listFragments(plane, { ...input, nextToken }, options),
    input.nextToken,
    (page) => page.fragments,
  );
}

/** GetMediaForFragmentList: the fragments' MKV as a stream. */
export function getMediaForFragmentList(
  plane: DataPlane,
  input: GetMediaForFragmentListInput,
  options?: CallOptions,
): Promise<MediaPayload> {
  const body = { ...streamRefToWire(input), Fragments: input.fragments };
  return onDataEndpoint(plane, input, 'GET_MEDIA_FOR_FRAGMENT_LIST', options, (endpoint) =>
    plane.http.media('GetMediaForFragmentList', endpoint, '/getMediaForFragmentList', body, options),
  );
}

/** GetMedia: the stream's MKV from `startSelector` on, as a stream (it runs until the caller stops). */
export function getMedia(plane: DataPlane, input: GetMediaInput, options?: CallOptions): Promise<MediaPayload> {
  const s = input.startSelector;
  const body = {
    ...streamRefToWire(input),
    StartSelector: {
      StartSelectorType: s.startSelectorType,
      AfterFragmentNumber: s.afterFragmentNumber,
      StartTimestamp: s.startTimestamp === undefined ? undefined : timeToWire(s.startTimestamp),
      ContinuationToken: s.continuationToken,
    },
  };
  return onDataEndpoint(plane, input, 'GET_MEDIA', options, (endpoint) =>
    plane.http.media('GetMedia', endpoint, '/getMedia', body, options),
  );
}

/** Runs `call` on the stream's data endpoint for `apiName`; a failure (not the caller's abort) forgets it. */
async function onDataEndpoint<T>(
  plane: DataPlane,
  stream: StreamRef,
  apiName: ApiName,
  options: CallOptions | undefined,
  call: (endpoint: string) => Promise<T>,
): Promise<T> {
  const ref = { streamName: stream.streamName, streamArn: stream.streamArn };
  const endpoint = await plane.getDataEndpoint({ ...ref, apiName }, options);
  try {
    return await call(endpoint);
  } catch (error) {
    if (options?.signal?.aborted !== true) plane.invalidateDataEndpoint(ref.streamArn ?? ref.streamName ?? '', apiName);
    throw error;
  }
}

function fragmentFromWire(wire: unknown): Fragment {
  const w = objectOf(wire, 'ListFragments', 'Fragment');
  return {
    fragmentNumber: requiredString(w.FragmentNumber, 'ListFragments', 'Fragment.FragmentNumber'),
    fragmentSizeInBytes: optionalNumber(w.FragmentSizeInBytes),
    producerTimestamp: optionalTime(w.ProducerTimestamp),
    serverTimestamp: optionalTime(w.ServerTimestamp),
    fragmentLengthInMilliseconds: optionalNumber(w.FragmentLengthInMilliseconds),
  };
}
