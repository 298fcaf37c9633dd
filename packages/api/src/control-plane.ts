// KinesisVideoApi: one object holding the region, endpoint, credentials, signer, HTTP client and
// data-endpoint cache, with a method per KVS API. The control-plane calls are here; the media
// calls (data endpoints) are in archived-media.ts and the signaling-channel calls in
// signaling-channels.ts, both delegated to. Why one class and how it
// lines up with the AWS SDK v3 clients: docs/decisions/api-client.md.

import {
  type Fragment,
  type GetMediaForFragmentListInput,
  type GetMediaInput,
  getMedia,
  getMediaForFragmentList,
  type ListFragmentsInput,
  type ListFragmentsOutput,
  listAllFragments,
  listFragments,
} from './archived-media';
import { type CredentialProvider, type CredentialsInput, fromEnv, resolveCredentials } from './credentials';
import { DataEndpointCache } from './endpoint-cache';
import { type EndpointOptions, normalizeEndpoint, resolveEndpoint, resolveRegion } from './endpoints';
import { type CallOptions, type FetchLike, KvsHttpClient, type MediaPayload, type TimeoutOptions } from './http';
import { paginate } from './paginate';
import type { RetryOptions } from './retry';
import {
  type ApiName,
  type CreateStreamInput,
  createStreamToWire,
  type DeleteStreamInput,
  type GetDataEndpointInput,
  type ListStreamsInput,
  type ListStreamsOutput,
  type ListTagsForStreamInput,
  type ListTagsForStreamOutput,
  listStreamsFromWire,
  listStreamsToWire,
  optionalString,
  requiredString,
  type StreamInfo,
  type StreamRef,
  streamInfoFromWire,
  streamRefToWire,
  stringMap,
  type TagStreamInput,
  type UntagStreamInput,
  type UpdateDataRetentionInput,
  type UpdateStreamInput,
} from './shapes';
import {
  type ChannelInfo,
  type ChannelRef,
  type CreateSignalingChannelInput,
  createSignalingChannel,
  type DeleteSignalingChannelInput,
  deleteSignalingChannel,
  describeMediaStorageConfiguration,
  describeSignalingChannel,
  type GetSignalingChannelEndpointInput,
  getSignalingChannelEndpoint,
  type ListSignalingChannelsInput,
  type ListSignalingChannelsOutput,
  type ListTagsForResourceInput,
  type ListTagsForResourceOutput,
  listAllSignalingChannels,
  listSignalingChannels,
  listTagsForResource,
  type MediaStorageConfiguration,
  type SignalingEndpoints,
  type TagResourceInput,
  tagResource,
  type UntagResourceInput,
  type UpdateMediaStorageConfigurationInput,
  type UpdateSignalingChannelInput,
  untagResource,
  updateMediaStorageConfiguration,
  updateSignalingChannel,
  type WaitForChannelActiveOptions,
  waitForChannelActive,
} from './signaling-channels';
import { Signer } from './signer';

/** Options of {@link KinesisVideoApi}. */
export interface KinesisVideoApiOptions extends EndpointOptions, TimeoutOptions {
  /** Static credentials or a provider (any AWS SDK v3 provider). Default: {@link fromEnv}. */
  credentials?: CredentialsInput;
  /** Default: the platform's fetch. */
  fetch?: FetchLike;
  /**
   * The fetch for media calls, whose bodies are streamed (default {@link fetch}). In Node,
   * `nodeFetch()` from `@kvs-ts/api/node` (KinesisVideoClient's default there).
   */
  mediaFetch?: FetchLike;
  retry?: RetryOptions;
  /** Appended to x-amz-user-agent. */
  userAgent?: string;
  /** How long a GetDataEndpoint answer is reused, µs. Default 45 minutes; 0 turns the cache off. */
  endpointCacheTtlUs?: number;
  /** The clock, µs since the Unix epoch (signing time, cache expiry). Default `Date.now() * 1000`. */
  now?: () => number;
}

/**
 * The KVS APIs over fetch: control plane, data endpoints, media and archived media. Each method
 * is one AWS operation, posting the same JSON to the same path as the AWS SDK v3's command of
 * that name; inputs and outputs are AWS's fields in camelCase. A region is always needed, even
 * with an explicit endpoint: it is part of every signature.
 */
export class KinesisVideoApi {
  readonly region: string;
  /** The control-plane base URL. */
  readonly endpoint: string;
  readonly credentials: CredentialProvider;
  readonly signer: Signer;
  readonly http: KvsHttpClient;
  readonly dataEndpoints: DataEndpointCache;

  constructor(options: KinesisVideoApiOptions = {}) {
    const now = options.now ?? (() => Date.now() * 1000);
    this.region = resolveRegion(options);
    this.endpoint = resolveEndpoint({ ...options, region: this.region });
    this.credentials = resolveCredentials(options.credentials ?? fromEnv(options.env));
    this.signer = new Signer({ region: this.region, credentials: this.credentials, now });
    this.http = new KvsHttpClient({
      signer: this.signer,
      fetch: options.fetch,
      mediaFetch: options.mediaFetch,
      retry: options.retry,
      userAgent: options.userAgent,
      connectTimeoutUs: options.connectTimeoutUs,
      timeoutUs: options.timeoutUs,
    });
    this.dataEndpoints = new DataEndpointCache(options.endpointCacheTtlUs, now);
  }

  /** CreateStream: the new stream's ARN. The stream is CREATING until DescribeStream says ACTIVE. */
  async createStream(input: CreateStreamInput, options?: CallOptions): Promise<{ streamArn: string }> {
    const out = await this.control('CreateStream', '/createStream', createStreamToWire(input), options);
    return { streamArn: requiredString(out.StreamARN, 'CreateStream', 'StreamARN') };
  }

  /** DescribeStream. A missing stream throws KvsServiceError `ResourceNotFoundException`. */
  async describeStream(stream: StreamRef, options?: CallOptions): Promise<StreamInfo> {
    const out = await this.control('DescribeStream', '/describeStream', streamRefToWire(stream), options);
    return streamInfoFromWire(out.StreamInfo, 'DescribeStream');
  }

  /** DeleteStream (by ARN, as the API requires). */
  async deleteStream(input: DeleteStreamInput, options?: CallOptions): Promise<void> {
    const body = { StreamARN: input.streamArn, CurrentVersion: input.currentVersion };
    await this.control('DeleteStream', '/deleteStream', body, options);
    this.dataEndpoints.invalidate(input.streamArn);
  }

  /** ListStreams: one page. */
  async listStreams(input: ListStreamsInput = {}, options?: CallOptions): Promise<ListStreamsOutput> {
    return listStreamsFromWire(await this.control('ListStreams', '/listStreams', listStreamsToWire(input), options));
  }

  /** Every stream (matching `input.streamNameCondition`), page after page. */
  async *listAllStreams(input: ListStreamsInput = {}, options?: CallOptions): AsyncGenerator<StreamInfo> {
    yield* paginate(
      (nextToken) => this.listStreams({ ...input, nextToken }, options),
      input.nextToken,
      (page) => page.streamInfoList,
    );
  }

  /** UpdateStream (device name, media type); `currentVersion` from DescribeStream. */
  async updateStream(input: UpdateStreamInput, options?: CallOptions): Promise<void> {
    const body = {
      ...streamRefToWire(input),
      CurrentVersion: input.currentVersion,
      DeviceName: input.deviceName,
      MediaType: input.mediaType,
    };
    await this.control('UpdateStream', '/updateStream', body, options);
  }

  /** UpdateDataRetention: raise or lower the retention by `dataRetentionChangeInHours`. */
  async updateDataRetention(input: UpdateDataRetentionInput, options?: CallOptions): Promise<void> {
    const body = {
      ...streamRefToWire(input),
      CurrentVersion: input.currentVersion,
      Operation: input.operation,
      DataRetentionChangeInHours: input.dataRetentionChangeInHours,
    };
    await this.control('UpdateDataRetention', '/updateDataRetention', body, options);
  }

  /** TagStream. */
  async tagStream(input: TagStreamInput, options?: CallOptions): Promise<void> {
    await this.control('TagStream', '/tagStream', { ...streamRefToWire(input), Tags: input.tags }, options);
  }

  /** UntagStream. */
  async untagStream(input: UntagStreamInput, options?: CallOptions): Promise<void> {
    const body = { ...streamRefToWire(input), TagKeyList: input.tagKeyList };
    await this.control('UntagStream', '/untagStream', body, options);
  }

  /** ListTagsForStream: one page of tags. */
  async listTagsForStream(input: ListTagsForStreamInput, options?: CallOptions): Promise<ListTagsForStreamOutput> {
    const body = { ...streamRefToWire(input), NextToken: input.nextToken };
    const out = await this.control('ListTagsForStream', '/listTagsForStream', body, options);
    return { tags: stringMap(out.Tags), nextToken: optionalString(out.NextToken) };
  }

  /**
   * GetDataEndpoint: the base URL of `apiName` for the stream, cached per (stream, API) — see
   * {@link DataEndpointCache}. {@link invalidateDataEndpoint} after a failed data-plane call.
   */
  getDataEndpoint(input: GetDataEndpointInput, options?: CallOptions): Promise<string> {
    const stream = { streamName: input.streamName, streamArn: input.streamArn };
    const body = { ...streamRefToWire(stream), APIName: input.apiName };
    return this.dataEndpoints.get(stream, input.apiName, async () => {
      const out = await this.control('GetDataEndpoint', '/getDataEndpoint', body, options);
      return normalizeEndpoint(requiredString(out.DataEndpoint, 'GetDataEndpoint', 'DataEndpoint'));
    });
  }

  /** Forgets the cached data endpoints of `stream` (name or ARN) for `apiName`, or for all APIs. */
  invalidateDataEndpoint(stream: string, apiName?: ApiName): void {
    this.dataEndpoints.invalidate(stream, apiName);
  }

  /** ListFragments (archived media): one page. */
  listFragments(input: ListFragmentsInput, options?: CallOptions): Promise<ListFragmentsOutput> {
    return listFragments(this, input, options);
  }

  /** Every fragment ListFragments finds, page after page (in the service's order, which is not by time). */
  listAllFragments(input: ListFragmentsInput, options?: CallOptions): AsyncGenerator<Fragment> {
    return listAllFragments(this, input, options);
  }

  /** GetMediaForFragmentList (archived media): the MKV body as a stream. */
  getMediaForFragmentList(input: GetMediaForFragmentListInput, options?: CallOptions): Promise<MediaPayload> {
    return getMediaForFragmentList(this, input, options);
  }

  /** GetMedia: the live or archived MKV body as a stream, from `startSelector` on. */
  getMedia(input: GetMediaInput, options?: CallOptions): Promise<MediaPayload> {
    return getMedia(this, input, options);
  }

  // ---- signaling channels (signaling-channels.ts) ----

  /** CreateSignalingChannel: the ARN; the channel is CREATING until {@link waitForChannelActive}. */
  createSignalingChannel(input: CreateSignalingChannelInput, options?: CallOptions): Promise<{ channelArn: string }> {
    return createSignalingChannel(this, input, options);
  }

  /** DescribeSignalingChannel, by name or ARN. */
  describeSignalingChannel(ref: ChannelRef, options?: CallOptions): Promise<ChannelInfo> {
    return describeSignalingChannel(this, ref, options);
  }

  /** ListSignalingChannels: one page. */
  listSignalingChannels(
    input?: ListSignalingChannelsInput,
    options?: CallOptions,
  ): Promise<ListSignalingChannelsOutput> {
    return listSignalingChannels(this, input, options);
  }

  /** Every channel (matching `input.channelNameCondition`), page after page. */
  listAllSignalingChannels(input?: ListSignalingChannelsInput, options?: CallOptions): AsyncGenerator<ChannelInfo> {
    return listAllSignalingChannels(this, input, options);
  }

  /** UpdateSignalingChannel; `currentVersion` from DescribeSignalingChannel. */
  updateSignalingChannel(input: UpdateSignalingChannelInput, options?: CallOptions): Promise<void> {
    return updateSignalingChannel(this, input, options);
  }

  /** DeleteSignalingChannel. */
  deleteSignalingChannel(input: DeleteSignalingChannelInput, options?: CallOptions): Promise<void> {
    return deleteSignalingChannel(this, input, options);
  }

  /** TagResource (channel or stream ARN). */
  tagResource(input: TagResourceInput, options?: CallOptions): Promise<void> {
    return tagResource(this, input, options);
  }

  /** UntagResource. */
  untagResource(input: UntagResourceInput, options?: CallOptions): Promise<void> {
    return untagResource(this, input, options);
  }

  /** ListTagsForResource: one page of tags. */
  listTagsForResource(input: ListTagsForResourceInput, options?: CallOptions): Promise<ListTagsForResourceOutput> {
    return listTagsForResource(this, input, options);
  }

  /** GetSignalingChannelEndpoint: `{wss, https, webrtc}` matched by Protocol. */
  getSignalingChannelEndpoint(
    input: GetSignalingChannelEndpointInput,
    options?: CallOptions,
  ): Promise<SignalingEndpoints> {
    return getSignalingChannelEndpoint(this, input, options);
  }

  /** UpdateMediaStorageConfiguration. */
  updateMediaStorageConfiguration(input: UpdateMediaStorageConfigurationInput, options?: CallOptions): Promise<void> {
    return updateMediaStorageConfiguration(this, input, options);
  }

  /** DescribeMediaStorageConfiguration, by channel name or ARN. */
  describeMediaStorageConfiguration(ref: ChannelRef, options?: CallOptions): Promise<MediaStorageConfiguration> {
    return describeMediaStorageConfiguration(this, ref, options);
  }

  /** Polls DescribeSignalingChannel until ACTIVE (default timeout 60 s). */
  waitForChannelActive(ref: ChannelRef, options?: WaitForChannelActiveOptions): Promise<ChannelInfo> {
    return waitForChannelActive(this, ref, options);
  }

  private control(
    operation: string,
    path: string,
    body: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<Record<string, unknown>> {
    return this.http.json(operation, this.endpoint, path, body, options);
  }
}
