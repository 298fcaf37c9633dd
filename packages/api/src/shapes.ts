// The request and response shapes of the KVS control plane, in TypeScript's camelCase, and their
// mapping to and from AWS's wire names (StreamName, StreamARN, DataRetentionInHours, …). Points
// in time are µs since the Unix epoch (the wire has epoch seconds); a field whose AWS name
// carries its unit (DataRetentionInHours, FragmentLengthInMilliseconds) keeps that unit, so
// each field maps to exactly one of AWS's.

import { KvsError } from '@kvs-ts/core';

/** A stream, by name or by ARN (one of them is required by the service). */
export interface StreamRef {
  streamName?: string;
  streamArn?: string;
}

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

/** The data-plane APIs GetDataEndpoint gives endpoints for. */
export type ApiName =
  | 'PUT_MEDIA'
  | 'GET_MEDIA'
  | 'LIST_FRAGMENTS'
  | 'GET_MEDIA_FOR_FRAGMENT_LIST'
  | 'GET_HLS_STREAMING_SESSION_URL'
  | 'GET_DASH_STREAMING_SESSION_URL'
  | 'GET_CLIP'
  | 'GET_IMAGES';

/** AWS's StreamInfo. */
export interface StreamInfo {
  deviceName?: string;
  streamName: string;
  streamArn: string;
  mediaType?: string;
  kmsKeyId?: string;
  version?: string;
  status: StreamStatus;
  /** µs since the Unix epoch. */
  creationTime?: number;
  dataRetentionInHours?: number;
}

export interface CreateStreamInput {
  streamName: string;
  deviceName?: string;
  mediaType?: string;
  kmsKeyId?: string;
  /** 0 (the default) keeps no data. */
  dataRetentionInHours?: number;
  tags?: Readonly<Record<string, string>>;
}

export interface DeleteStreamInput {
  streamArn: string;
  currentVersion?: string;
}

export interface ListStreamsInput {
  maxResults?: number;
  nextToken?: string;
  /** Only streams whose name begins with `comparisonValue`. */
  streamNameCondition?: { comparisonOperator: 'BEGINS_WITH'; comparisonValue: string };
}

export interface ListStreamsOutput {
  streamInfoList: StreamInfo[];
  nextToken?: string;
}

export interface UpdateStreamInput extends StreamRef {
  currentVersion: string;
  deviceName?: string;
  mediaType?: string;
}

export interface UpdateDataRetentionInput extends StreamRef {
  currentVersion: string;
  operation: 'INCREASE_DATA_RETENTION' | 'DECREASE_DATA_RETENTION';
  dataRetentionChangeInHours: number;
}

export interface TagStreamInput extends StreamRef {
  tags: Readonly<Record<string, string>>;
}

export interface UntagStreamInput extends StreamRef {
  tagKeyList: readonly string[];
}

export interface ListTagsForStreamInput extends StreamRef {
  nextToken?: string;
}

export interface ListTagsForStreamOutput {
  tags: Record<string, string>;
  nextToken?: string;
}

export interface GetDataEndpointInput extends StreamRef {
  apiName: ApiName;
}

/** The wire body: AWS's names, undefined fields left out. */
export type WireBody = Record<string, unknown>;

/** StreamName and/or StreamARN, as every per-stream call carries them. */
export function streamRefToWire(ref: StreamRef): WireBody {
  if (ref.streamName === undefined && ref.streamArn === undefined)
    throw new KvsError('STATUS_INVALID_ARG', 'a streamName or a streamArn is required');
  return { StreamName: ref.streamName, StreamARN: ref.streamArn };
}

export function createStreamToWire(input: CreateStreamInput): WireBody {
  return {
    DeviceName: input.deviceName,
    StreamName: input.streamName,
    MediaType: input.mediaType,
    KmsKeyId: input.kmsKeyId,
    DataRetentionInHours: input.dataRetentionInHours,
    Tags: input.tags,
  };
}

export function listStreamsToWire(input: ListStreamsInput): WireBody {
  const condition = input.streamNameCondition;
  return {
    MaxResults: input.maxResults,
    NextToken: input.nextToken,
    StreamNameCondition:
      condition === undefined
        ? undefined
        : { ComparisonOperator: condition.comparisonOperator, ComparisonValue: condition.comparisonValue },
  };
}

/** A StreamInfo from the wire; throws on a shape that lacks what every StreamInfo has. */
export function streamInfoFromWire(wire: unknown, operation: string): StreamInfo {
  const w = objectOf(wire, operation, 'StreamInfo');
  return {
    deviceName: optionalString(w.DeviceName),
    streamName: requiredString(w.StreamName, operation, 'StreamInfo.StreamName'),
    streamArn: requiredString(w.StreamARN, operation, 'StreamInfo.StreamARN'),
    mediaType: optionalString(w.MediaType),
    kmsKeyId: optionalString(w.KmsKeyId),
    version: optionalString(w.Version),
    status: requiredString(w.Status, operation, 'StreamInfo.Status') as StreamStatus,
    creationTime: optionalTime(w.CreationTime),
    dataRetentionInHours: optionalNumber(w.DataRetentionInHours),
  };
}

export function listStreamsFromWire(wire: WireBody): ListStreamsOutput {
  const list = wire.StreamInfoList;
  return {
    streamInfoList: Array.isArray(list) ? list.map((s) => streamInfoFromWire(s, 'ListStreams')) : [],
    nextToken: optionalString(wire.NextToken),
  };
}

// ---- wire value helpers ----

/** µs since the epoch from the wire's epoch seconds (or an ISO string, which some servers send). */
export function optionalTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1_000_000);
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms * 1000;
  }
  return undefined;
}

/** The wire's epoch seconds for µs since the epoch. */
export function timeToWire(us: number): number {
  return us / 1_000_000;
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function requiredString(value: unknown, operation: string, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new KvsError('STATUS_INVALID_API_CALL_RETURN_JSON', `${operation}: the answer has no ${field}`);
  return value;
}

export function objectOf(value: unknown, operation: string, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new KvsError('STATUS_INVALID_API_CALL_RETURN_JSON', `${operation}: the answer has no ${field}`);
  return value as Record<string, unknown>;
}

/** A string → string map from the wire (non-string values dropped). */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
