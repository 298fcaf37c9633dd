/**
 * @module @kvs-ts/api
 * The KVS REST-JSON APIs over fetch, for Node 20+, Deno and browsers alike:
 * - `KinesisVideoApi` (control-plane.ts): CreateStream … GetDataEndpoint (cached), and the media
 *   calls ListFragments, GetMediaForFragmentList, GetMedia (archived-media.ts);
 * - SigV4 (signer.ts), credentials in the AWS SDK v3's shapes (credentials.ts), endpoints by
 *   partition (endpoints.ts), typed errors mapped to PIC's ServiceCallResult (errors.ts),
 *   retries with full jitter (retry.ts), the signed fetch itself (http.ts);
 * - signaling channels (signaling-channels.ts, also as KinesisVideoApi methods) and the
 *   channel's HTTPS data plane, GetIceServerConfig and SendAlexaOfferToMaster (signaling-data.ts);
 * - `ApiStreamService` (stream-service.ts): @kvs-ts/stream's service calls on top of it all.
 * Node-only credentials (IoT certificates) are in `@kvs-ts/api/node`. Design:
 * docs/decisions/api-client.md.
 */

export type {
  DataPlane,
  Fragment,
  FragmentSelector,
  GetMediaForFragmentListInput,
  GetMediaInput,
  ListFragmentsInput,
  ListFragmentsOutput,
  StartSelector,
} from './archived-media';
export { getMedia, getMediaForFragmentList, listAllFragments, listFragments } from './archived-media';
export type { KinesisVideoApiOptions } from './control-plane';
export { KinesisVideoApi } from './control-plane';
export type { AwsCredentials, CredentialProvider, CredentialsInput, RefreshingOptions } from './credentials';
export { DEFAULT_REFRESH_BEFORE_US, fromEnv, refreshing, resolveCredentials } from './credentials';
export { DataEndpointCache, DEFAULT_ENDPOINT_CACHE_TTL_US } from './endpoint-cache';
export type { EndpointOptions, Partition } from './endpoints';
export { normalizeEndpoint, partitionOf, resolveEndpoint, resolveRegion } from './endpoints';
export type { Env } from './env';
export { readEnv } from './env';
export type { ServiceErrorFields, TransportFailure } from './errors';
export {
  isRetryableError,
  KvsServiceError,
  KvsTransportError,
  resultOfServiceError,
  serviceCallResultOf,
  serviceErrorFromResponse,
} from './errors';
export type { CallOptions, FetchLike, HttpClientOptions, MediaPayload, TimeoutOptions } from './http';
export { DEFAULT_CONNECT_TIMEOUT_US, DEFAULT_TIMEOUT_US, KvsHttpClient } from './http';
export { paginate } from './paginate';
export type { RetryOptions } from './retry';
export { DEFAULT_BASE_DELAY_US, DEFAULT_MAX_DELAY_US, DEFAULT_MAX_RETRIES, RetryPolicy, sleepWithTimer } from './retry';
export type {
  ApiName,
  CreateStreamInput,
  DeleteStreamInput,
  GetDataEndpointInput,
  ListStreamsInput,
  ListStreamsOutput,
  ListTagsForStreamInput,
  ListTagsForStreamOutput,
  StreamInfo,
  StreamRef,
  StreamStatus,
  TagStreamInput,
  UntagStreamInput,
  UpdateDataRetentionInput,
  UpdateStreamInput,
} from './shapes';
export type {
  ChannelInfo,
  ChannelRef,
  ChannelRole,
  ChannelStatus,
  ChannelType,
  ControlPlane,
  CreateSignalingChannelInput,
  DeleteSignalingChannelInput,
  GetSignalingChannelEndpointInput,
  ListSignalingChannelsInput,
  ListSignalingChannelsOutput,
  ListTagsForResourceInput,
  ListTagsForResourceOutput,
  MediaStorageConfiguration,
  SignalingEndpoints,
  SignalingProtocol,
  SingleMasterConfiguration,
  TagResourceInput,
  UntagResourceInput,
  UpdateMediaStorageConfigurationInput,
  UpdateSignalingChannelInput,
  WaitForChannelActiveOptions,
} from './signaling-channels';
export {
  channelInfoFromWire,
  createSignalingChannel,
  deleteSignalingChannel,
  describeMediaStorageConfiguration,
  describeSignalingChannel,
  getSignalingChannelEndpoint,
  listAllSignalingChannels,
  listSignalingChannels,
  listTagsForResource,
  tagResource,
  untagResource,
  updateMediaStorageConfiguration,
  updateSignalingChannel,
  waitForChannelActive,
} from './signaling-channels';
export type {
  GetIceServerConfigInput,
  IceServer,
  SendAlexaOfferToMasterInput,
  SignalingPlane,
} from './signaling-data';
export { getIceServerConfig, sendAlexaOfferToMaster } from './signaling-data';
export type {
  PayloadSigning,
  PresignOptions,
  SignableRequest,
  SignedRequest,
  SignerOptions,
  SignOptions,
} from './signer';
export { EMPTY_SHA256, fetchHeaders, KVS_SIGNING_SERVICE, Signer } from './signer';
export type { ApiStreamServiceOptions, PutMediaFn } from './stream-service';
export { ApiStreamService, STATIC_TOKEN_LIFETIME_US } from './stream-service';
