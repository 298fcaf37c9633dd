// The signaling-channel calls of the KVS control plane (KVS API reference, "Actions":
// CreateSignalingChannel, DescribeSignalingChannel, ListSignalingChannels, UpdateSignalingChannel,
// DeleteSignalingChannel, TagResource, UntagResource, ListTagsForResource,
// GetSignalingChannelEndpoint, Update/DescribeMediaStorageConfiguration), each a REST-JSON POST
// to the path AWS's SDK v3 uses; field names and limits: ../shared/spec/seeds-webrtc.md §3.2.
// KinesisVideoApi (control-plane.ts) delegates to these functions, as it does for archived media.

import { KvsError } from '@kvs-ts/core';
import type { CallOptions, KvsHttpClient } from './http';
import { paginate } from './paginate';
import {
  objectOf,
  optionalNumber,
  optionalString,
  optionalTime,
  requiredString,
  stringMap,
  type WireBody,
} from './shapes';

/** What the channel calls need: {@link KinesisVideoApi} is one. */
export interface ControlPlane {
  readonly http: KvsHttpClient;
  /** The control-plane base URL. */
  readonly endpoint: string;
}

export type ChannelType = 'SINGLE_MASTER';
export type ChannelStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
export type ChannelRole = 'MASTER' | 'VIEWER';
export type SignalingProtocol = 'WSS' | 'HTTPS' | 'WEBRTC';

/** A channel by name or by ARN (DescribeSignalingChannel and DescribeMediaStorageConfiguration take either). */
export type ChannelRef =
  | { channelName: string; channelArn?: undefined }
  | { channelArn: string; channelName?: undefined };

export interface SingleMasterConfiguration {
  /** How long an undelivered message is kept, 5..120 s (the service's default 60). */
  messageTtlSeconds?: number;
}

/** AWS's ChannelInfo. */
export interface ChannelInfo {
  channelName: string;
  channelArn: string;
  channelType: ChannelType;
  channelStatus: ChannelStatus;
  /** µs since the Unix epoch. */
  creationTime?: number;
  singleMasterConfiguration?: SingleMasterConfiguration;
  version: string;
}

export interface CreateSignalingChannelInput {
  channelName: string;
  channelType?: ChannelType;
  singleMasterConfiguration?: SingleMasterConfiguration;
  tags?: Readonly<Record<string, string>>;
}

export interface ListSignalingChannelsInput {
  maxResults?: number;
  nextToken?: string;
  /** Only channels whose name begins with `comparisonValue`. */
  channelNameCondition?: { comparisonOperator: 'BEGINS_WITH'; comparisonValue: string };
}

export interface ListSignalingChannelsOutput {
  channelInfoList: ChannelInfo[];
  nextToken?: string;
}

export interface UpdateSignalingChannelInput {
  channelArn: string;
  /** ChannelInfo.version, from DescribeSignalingChannel. */
  currentVersion: string;
  singleMasterConfiguration?: SingleMasterConfiguration;
}

export interface DeleteSignalingChannelInput {
  channelArn: string;
  /** Without it the latest version is deleted. */
  currentVersion?: string;
}

export interface TagResourceInput {
  resourceArn: string;
  tags: Readonly<Record<string, string>>;
}

export interface UntagResourceInput {
  resourceArn: string;
  tagKeyList: readonly string[];
}

export interface ListTagsForResourceInput {
  resourceArn: string;
  nextToken?: string;
}

export interface ListTagsForResourceOutput {
  tags: Record<string, string>;
  nextToken?: string;
}

export interface GetSignalingChannelEndpointInput {
  channelArn: string;
  role: ChannelRole;
  /** Default `['WSS', 'HTTPS']`. WEBRTC fails unless the channel has media storage enabled. */
  protocols?: readonly SignalingProtocol[];
}

/** The endpoints GetSignalingChannelEndpoint answered, by protocol. */
export interface SignalingEndpoints {
  /** The WebSocket endpoint to presign and connect to. */
  wss?: string;
  /** The HTTPS endpoint of GetIceServerConfig and SendAlexaOfferToMaster. */
  https?: string;
  /** The media-server endpoint (JoinStorageSession). */
  webrtc?: string;
}

export interface MediaStorageConfiguration {
  status: 'ENABLED' | 'DISABLED';
  streamArn?: string;
}

export interface UpdateMediaStorageConfigurationInput {
  channelArn: string;
  mediaStorageConfiguration: MediaStorageConfiguration;
}

export interface WaitForChannelActiveOptions extends CallOptions {
  /**
   * Give up after this long, µs (checked between calls; each DescribeSignalingChannel keeps the
   * client's own timeouts, and only `signal` and `connectTimeoutUs` pass on to it). Default 60 s.
   */
  timeoutUs?: number;
  /** Between two DescribeSignalingChannel calls, µs. Default 500 ms. */
  intervalUs?: number;
}

const DEFAULT_PROTOCOLS: readonly SignalingProtocol[] = ['WSS', 'HTTPS'];

function call(cp: ControlPlane, operation: string, path: string, body: WireBody, options?: CallOptions) {
  return cp.http.json(operation, cp.endpoint, path, body, options);
}

function channelRefToWire(ref: ChannelRef): WireBody {
  if (ref.channelName === undefined && ref.channelArn === undefined)
    throw new KvsError('STATUS_INVALID_ARG', 'a channelName or a channelArn is required');
  return { ChannelName: ref.channelName, ChannelARN: ref.channelArn };
}

function singleMasterToWire(c: SingleMasterConfiguration | undefined): WireBody | undefined {
  return c === undefined ? undefined : { MessageTtlSeconds: c.messageTtlSeconds };
}

/** A ChannelInfo from the wire; throws on a shape without what every ChannelInfo has. */
export function channelInfoFromWire(wire: unknown, operation: string): ChannelInfo {
  const w = objectOf(wire, operation, 'ChannelInfo');
  const smc = w.SingleMasterConfiguration;
  return {
    channelName: requiredString(w.ChannelName, operation, 'ChannelInfo.ChannelName'),
    channelArn: requiredString(w.ChannelARN, operation, 'ChannelInfo.ChannelARN'),
    channelType: (optionalString(w.ChannelType) ?? 'SINGLE_MASTER') as ChannelType,
    channelStatus: requiredString(w.ChannelStatus, operation, 'ChannelInfo.ChannelStatus') as ChannelStatus,
    creationTime: optionalTime(w.CreationTime),
    singleMasterConfiguration:
      typeof smc === 'object' && smc !== null
        ? { messageTtlSeconds: optionalNumber((smc as WireBody).MessageTtlSeconds) }
        : undefined,
    version: optionalString(w.Version) ?? '',
  };
}

/** CreateSignalingChannel: the new channel's ARN. It is CREATING until {@link waitForChannelActive}. */
export async function createSignalingChannel(
  cp: ControlPlane,
  input: CreateSignalingChannelInput,
  options?: CallOptions,
): Promise<{ channelArn: string }> {
  const tags =
    input.tags === undefined ? undefined : Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value }));
  const body = {
    ChannelName: input.channelName,
    ChannelType: input.channelType,
    SingleMasterConfiguration: singleMasterToWire(input.singleMasterConfiguration),
    Tags: tags,
  };
  const out = await call(cp, 'CreateSignalingChannel', '/createSignalingChannel', body, options);
  return { channelArn: requiredString(out.ChannelARN, 'CreateSignalingChannel', 'ChannelARN') };
}

/** DescribeSignalingChannel. A missing channel throws KvsServiceError `ResourceNotFoundException`. */
export async function describeSignalingChannel(
  cp: ControlPlane,
  ref: ChannelRef,
  options?: CallOptions,
): Promise<ChannelInfo> {
  const out = await call(cp, 'DescribeSignalingChannel', '/describeSignalingChannel', channelRefToWire(ref), options);
  return channelInfoFromWire(out.ChannelInfo, 'DescribeSignalingChannel');
}

/** ListSignalingChannels: one page. */
export async function listSignalingChannels(
  cp: ControlPlane,
  input: ListSignalingChannelsInput = {},
  options?: CallOptions,
): Promise<ListSignalingChannelsOutput> {
  const c = input.channelNameCondition;
  const body = {
    MaxResults: input.maxResults,
    NextToken: input.nextToken,
    ChannelNameCondition:
      c === undefined ? undefined : { ComparisonOperator: c.comparisonOperator, ComparisonValue: c.comparisonValue },
  };
  const out = await call(cp, 'ListSignalingChannels', '/listSignalingChannels', body, options);
  const list = out.ChannelInfoList;
  return {
    channelInfoList: Array.isArray(list) ? list.map((c) => channelInfoFromWire(c, 'ListSignalingChannels')) : [],
    nextToken: optionalString(out.NextToken),
  };
}

/** Every channel (matching `input.channelNameCondition`), page after page. */
export function listAllSignalingChannels(
  cp: ControlPlane,
  input: ListSignalingChannelsInput = {},
  options?: CallOptions,
): AsyncGenerator<ChannelInfo> {
  return paginate(
    (nextToken) => listSignalingChannels(cp, { ...input, nextToken }, options),
    input.nextToken,
    (page) => page.channelInfoList,
  );
}

/** UpdateSignalingChannel (asynchronous: UPDATING, then ACTIVE). A new TTL applies to later messages. */
export async function updateSignalingChannel(
  cp: ControlPlane,
  input: UpdateSignalingChannelInput,
  options?: CallOptions,
): Promise<void> {
  const body = {
    ChannelARN: input.channelArn,
    CurrentVersion: input.currentVersion,
    SingleMasterConfiguration: singleMasterToWire(input.singleMasterConfiguration),
  };
  await call(cp, 'UpdateSignalingChannel', '/updateSignalingChannel', body, options);
}

/** DeleteSignalingChannel (asynchronous: DELETING, then gone). */
export async function deleteSignalingChannel(
  cp: ControlPlane,
  input: DeleteSignalingChannelInput,
  options?: CallOptions,
): Promise<void> {
  const body = { ChannelARN: input.channelArn, CurrentVersion: input.currentVersion };
  await call(cp, 'DeleteSignalingChannel', '/deleteSignalingChannel', body, options);
}

/** TagResource (a channel's or a stream's ARN); the wire takes `[{Key, Value}]`. */
export async function tagResource(cp: ControlPlane, input: TagResourceInput, options?: CallOptions): Promise<void> {
  const body = {
    ResourceARN: input.resourceArn,
    Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
  };
  await call(cp, 'TagResource', '/TagResource', body, options);
}

/** UntagResource. */
export async function untagResource(cp: ControlPlane, input: UntagResourceInput, options?: CallOptions): Promise<void> {
  await call(
    cp,
    'UntagResource',
    '/UntagResource',
    { ResourceARN: input.resourceArn, TagKeyList: input.tagKeyList },
    options,
  );
}

/** ListTagsForResource: one page of tags (a map on the wire). */
export async function listTagsForResource(
  cp: ControlPlane,
  input: ListTagsForResourceInput,
  options?: CallOptions,
): Promise<ListTagsForResourceOutput> {
  const body = { ResourceARN: input.resourceArn, NextToken: input.nextToken };
  const out = await call(cp, 'ListTagsForResource', '/ListTagsForResource', body, options);
  return { tags: stringMap(out.Tags), nextToken: optionalString(out.NextToken) };
}

/**
 * GetSignalingChannelEndpoint, keyed by each entry's `Protocol`: never by position, since the
 * service does not answer in the order asked (seeds-webrtc.md §3.1).
 */
export async function getSignalingChannelEndpoint(
  cp: ControlPlane,
  input: GetSignalingChannelEndpointInput,
  options?: CallOptions,
): Promise<SignalingEndpoints> {
  const body = {
    ChannelARN: input.channelArn,
    SingleMasterChannelEndpointConfiguration: { Protocols: input.protocols ?? DEFAULT_PROTOCOLS, Role: input.role },
  };
  const out = await call(cp, 'GetSignalingChannelEndpoint', '/getSignalingChannelEndpoint', body, options);
  const endpoints: SignalingEndpoints = {};
  for (const item of Array.isArray(out.ResourceEndpointList) ? out.ResourceEndpointList : []) {
    if (typeof item !== 'object' || item === null) continue;
    const { Protocol, ResourceEndpoint } = item as WireBody;
    if (typeof ResourceEndpoint !== 'string' || ResourceEndpoint === '') continue;
    if (Protocol === 'WSS') endpoints.wss = ResourceEndpoint;
    else if (Protocol === 'HTTPS') endpoints.https = ResourceEndpoint.replace(/\/+$/, '');
    else if (Protocol === 'WEBRTC') endpoints.webrtc = ResourceEndpoint.replace(/\/+$/, '');
  }
  for (const p of input.protocols ?? DEFAULT_PROTOCOLS) {
    if (endpoints[p.toLowerCase() as keyof SignalingEndpoints] === undefined)
      throw new KvsError(
        'STATUS_INVALID_API_CALL_RETURN_JSON',
        `GetSignalingChannelEndpoint: no ${p} endpoint in the answer`,
      );
  }
  return endpoints;
}

/** UpdateMediaStorageConfiguration: store the channel's media in a stream (ENABLED) or not. */
export async function updateMediaStorageConfiguration(
  cp: ControlPlane,
  input: UpdateMediaStorageConfigurationInput,
  options?: CallOptions,
): Promise<void> {
  const m = input.mediaStorageConfiguration;
  const body = {
    ChannelARN: input.channelArn,
    MediaStorageConfiguration: { StreamARN: m.streamArn, Status: m.status },
  };
  await call(cp, 'UpdateMediaStorageConfiguration', '/updateMediaStorageConfiguration', body, options);
}

/** DescribeMediaStorageConfiguration. */
export async function describeMediaStorageConfiguration(
  cp: ControlPlane,
  ref: ChannelRef,
  options?: CallOptions,
): Promise<MediaStorageConfiguration> {
  const op = 'DescribeMediaStorageConfiguration';
  const out = await call(cp, op, '/describeMediaStorageConfiguration', channelRefToWire(ref), options);
  const m = objectOf(out.MediaStorageConfiguration, op, 'MediaStorageConfiguration');
  return {
    status: requiredString(m.Status, op, 'MediaStorageConfiguration.Status') as MediaStorageConfiguration['status'],
    streamArn: optionalString(m.StreamARN),
  };
}

/**
 * Polls DescribeSignalingChannel until the channel is ACTIVE (Create and Update are
 * asynchronous); throws STATUS_OPERATION_TIMED_OUT after `timeoutUs`, and fails at once on DELETING.
 */
export async function waitForChannelActive(
  cp: ControlPlane,
  ref: ChannelRef,
  options: WaitForChannelActiveOptions = {},
): Promise<ChannelInfo> {
  const timeoutMs = (options.timeoutUs ?? 60_000_000) / 1000;
  const intervalMs = (options.intervalUs ?? 500_000) / 1000;
  const deadline = Date.now() + timeoutMs;
  // The wait's timeoutUs is not each call's: a 30 ms wait would otherwise fail a describe that
  // took 31 ms with STATUS_SERVICE_CALL_TIMEOUT_ERROR instead of polling on. Each call keeps the
  // client's own timeouts, as the AWS SDK's waiters do (maxWaitTime is checked between calls).
  const perCall: CallOptions = { signal: options.signal, connectTimeoutUs: options.connectTimeoutUs };
  for (;;) {
    const info = await describeSignalingChannel(cp, ref, perCall);
    if (info.channelStatus === 'ACTIVE') return info;
    if (info.channelStatus === 'DELETING')
      throw new KvsError('STATUS_INVALID_OPERATION', `channel ${info.channelName} is being deleted`);
    const left = deadline - Date.now();
    if (left <= 0)
      throw new KvsError('STATUS_OPERATION_TIMED_OUT', `channel ${info.channelName} is still ${info.channelStatus}`);
    await sleep(Math.min(intervalMs, left), options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
