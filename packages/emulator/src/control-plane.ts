// The control-plane actions of the KVS API reference (Amazon Kinesis Video Streams → Actions),
// each a REST-JSON POST to `/{actionInCamelCase}` (the *Resource tagging actions are capitalised,
// `/TagResource`, as AWS's SDKs send them): request fields, answers and errors as
// documented there. GetDataEndpoint answers this emulator's own address for every API name.

import { ApiError, invalidArgument, resourceInUse, versionMismatch } from './errors';
import type { StreamMeta, StreamRecord } from './model';
import { newVersion, type Store } from './store';

export interface ControlContext {
  store: Store;
  /** The emulator's own base URL (never derived from the Host header). */
  dataEndpoint: string;
  /** Most streams in the account (AccountStreamLimitExceededException beyond). */
  maxStreams: number;
}

type Body = Record<string, unknown>;
type Action = (body: Body, ctx: ControlContext) => Promise<unknown> | unknown;

const NAME_RE = /^[a-zA-Z0-9_.-]{1,256}$/;
const MAX_TAGS = 50;
const API_NAMES = new Set([
  'PUT_MEDIA',
  'GET_MEDIA',
  'LIST_FRAGMENTS',
  'GET_MEDIA_FOR_FRAGMENT_LIST',
  'GET_HLS_STREAMING_SESSION_URL',
  'GET_DASH_STREAMING_SESSION_URL',
  'GET_CLIP',
  'GET_IMAGES',
]);

const str = (v: unknown, field: string, required = false): string | undefined => {
  if (v === undefined || v === null) {
    if (required) throw invalidArgument(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidArgument(`${field} must be a string`);
  return v;
};

/** StreamName or StreamARN must name a stream (not both missing). */
function streamRef(body: Body): { StreamName?: unknown; StreamARN?: unknown } {
  if (body.StreamName === undefined && body.StreamARN === undefined) {
    throw invalidArgument('Either StreamName or StreamARN must be specified');
  }
  return body;
}

export function streamInfo(m: StreamMeta): Record<string, unknown> {
  return {
    DeviceName: m.deviceName,
    StreamName: m.name,
    StreamARN: m.arn,
    MediaType: m.mediaType,
    KmsKeyId: m.kmsKeyId,
    Version: m.version,
    Status: m.status,
    // REST-JSON timestamps are epoch seconds.
    CreationTime: m.creationTime / 1000,
    DataRetentionInHours: m.retentionHours,
  };
}

function checkVersion(rec: StreamRecord, body: Body): void {
  const v = str(body.CurrentVersion, 'CurrentVersion', true);
  if (v !== rec.meta.version) {
    throw versionMismatch(`The version of the stream ${rec.meta.name} does not match the CurrentVersion specified.`);
  }
}

function checkTags(tags: unknown): Record<string, string> {
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) throw invalidArgument('Tags must be a map');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256) {
      throw invalidArgument(`Invalid tag ${k}`);
    }
    out[k] = v;
  }
  return out;
}

async function addTags(ctx: ControlContext, rec: StreamRecord, tags: Record<string, string>): Promise<void> {
  const merged = { ...rec.meta.tags, ...tags };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw new ApiError(
      400,
      'TagsPerResourceExceededLimitException',
      `The stream ${rec.meta.name} would have more than ${MAX_TAGS} tags.`,
    );
  }
  rec.meta.tags = merged;
  await ctx.store.saveMeta(rec);
}

function byArn(ctx: ControlContext, body: Body): StreamRecord {
  const arn = str(body.ResourceARN, 'ResourceARN', true);
  return ctx.store.find({ StreamARN: arn });
}

function removeTags(rec: StreamRecord, keys: unknown): void {
  if (!Array.isArray(keys)) throw invalidArgument('TagKeyList must be a list');
  for (const k of keys) delete rec.meta.tags[String(k)];
}

export const actions: Record<string, Action> = {
  async createStream(body, ctx) {
    const name = str(body.StreamName, 'StreamName', true) as string;
    if (!NAME_RE.test(name))
      throw invalidArgument(
        `1 validation error detected: Value '${name}' at 'streamName' failed to satisfy constraint`,
      );
    const retention = body.DataRetentionInHours ?? 0;
    if (typeof retention !== 'number' || !Number.isInteger(retention) || retention < 0 || retention > 87600) {
      throw invalidArgument('DataRetentionInHours must be an integer from 0 to 87600');
    }
    if (ctx.store.streams.has(name)) throw resourceInUse(`The stream ${name} already exists.`);
    if (ctx.store.streams.size >= ctx.maxStreams) {
      throw new ApiError(
        400,
        'AccountStreamLimitExceededException',
        'The number of streams created for the account is too high.',
      );
    }
    const tags = body.Tags === undefined ? {} : checkTags(body.Tags);
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new ApiError(400, 'TagsPerResourceExceededLimitException', `A stream can have at most ${MAX_TAGS} tags.`);
    }
    const creationTime = Date.now();
    const meta: StreamMeta = {
      name,
      arn: ctx.store.arnOf(name, creationTime),
      deviceName: str(body.DeviceName, 'DeviceName'),
      mediaType: str(body.MediaType, 'MediaType'),
      kmsKeyId:
        str(body.KmsKeyId, 'KmsKeyId') ??
        `arn:aws:kms:${ctx.store.options.region}:${'123456789012'}:alias/aws/kinesisvideo`,
      version: newVersion(),
      status: 'CREATING',
      creationTime,
      retentionHours: retention,
      tags,
    };
    await ctx.store.create(meta);
    return { StreamARN: meta.arn };
  },

  describeStream(body, ctx) {
    return { StreamInfo: streamInfo(ctx.store.find(streamRef(body)).meta) };
  },

  async deleteStream(body, ctx) {
    const rec = ctx.store.find({ StreamARN: str(body.StreamARN, 'StreamARN', true) });
    if (body.CurrentVersion !== undefined) checkVersion(rec, body);
    if (rec.meta.status === 'DELETING') throw resourceInUse(`The stream ${rec.meta.name} is being deleted.`);
    await ctx.store.delete(rec);
    return {};
  },

  listStreams(body, ctx) {
    const max = body.MaxResults ?? 10000;
    if (typeof max !== 'number' || max < 1 || max > 10000) throw invalidArgument('MaxResults must be from 1 to 10000');
    const cond = body.StreamNameCondition as { ComparisonOperator?: string; ComparisonValue?: string } | undefined;
    if (cond !== undefined && cond.ComparisonOperator !== undefined && cond.ComparisonOperator !== 'BEGINS_WITH') {
      throw invalidArgument('ComparisonOperator must be BEGINS_WITH');
    }
    const prefix = cond?.ComparisonValue ?? '';
    const names = [...ctx.store.streams.keys()].filter((n) => n.startsWith(prefix)).sort();
    const token = str(body.NextToken, 'NextToken');
    const start = token === undefined ? 0 : decodeToken(token);
    const page = names.slice(start, start + max);
    const out: Record<string, unknown> = {
      StreamInfoList: page.map((n) => streamInfo((ctx.store.streams.get(n) as StreamRecord).meta)),
    };
    if (start + max < names.length) out.NextToken = encodeToken(start + max);
    return out;
  },

  async updateStream(body, ctx) {
    const rec = ctx.store.find(streamRef(body));
    checkVersion(rec, body);
    if (rec.meta.status !== 'ACTIVE') throw resourceInUse(`The stream ${rec.meta.name} is not active.`);
    if (body.DeviceName !== undefined) rec.meta.deviceName = str(body.DeviceName, 'DeviceName');
    if (body.MediaType !== undefined) rec.meta.mediaType = str(body.MediaType, 'MediaType');
    rec.meta.version = newVersion();
    await ctx.store.saveMeta(rec);
    return {};
  },

  async updateDataRetention(body, ctx) {
    const rec = ctx.store.find(streamRef(body));
    checkVersion(rec, body);
    const op = body.Operation;
    const change = body.DataRetentionChangeInHours;
    if (op !== 'INCREASE_DATA_RETENTION' && op !== 'DECREASE_DATA_RETENTION') {
      throw invalidArgument('Operation must be INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION');
    }
    if (typeof change !== 'number' || !Number.isInteger(change) || change < 1) {
      throw invalidArgument('DataRetentionChangeInHours must be a positive integer');
    }
    const next = rec.meta.retentionHours + (op === 'INCREASE_DATA_RETENTION' ? change : -change);
    if (next < 0 || next > 87600) throw invalidArgument('The resulting data retention is out of range');
    rec.meta.retentionHours = next;
    rec.meta.version = newVersion();
    await ctx.store.saveMeta(rec);
    return {};
  },

  async tagStream(body, ctx) {
    await addTags(ctx, ctx.store.find(streamRef(body)), checkTags(body.Tags));
    return {};
  },

  async untagStream(body, ctx) {
    const rec = ctx.store.find(streamRef(body));
    removeTags(rec, body.TagKeyList);
    await ctx.store.saveMeta(rec);
    return {};
  },

  listTagsForStream(body, ctx) {
    return { Tags: { ...ctx.store.find(streamRef(body)).meta.tags } };
  },

  async TagResource(body, ctx) {
    const rec = byArn(ctx, body);
    if (!Array.isArray(body.Tags)) throw invalidArgument('Tags must be a list of {Key, Value}');
    const tags: Record<string, string> = {};
    for (const t of body.Tags as Array<{ Key?: unknown; Value?: unknown }>) tags[String(t.Key)] = String(t.Value ?? '');
    await addTags(ctx, rec, checkTags(tags));
    return {};
  },

  async UntagResource(body, ctx) {
    const rec = byArn(ctx, body);
    removeTags(rec, body.TagKeyList);
    await ctx.store.saveMeta(rec);
    return {};
  },

  ListTagsForResource(body, ctx) {
    return { Tags: { ...byArn(ctx, body).meta.tags } };
  },

  getDataEndpoint(body, ctx) {
    const api = str(body.APIName, 'APIName', true) as string;
    if (!API_NAMES.has(api)) throw invalidArgument(`APIName ${api} is not valid`);
    ctx.store.find(streamRef(body));
    return { DataEndpoint: ctx.dataEndpoint };
  },
};

export function encodeToken(n: number): string {
  return Buffer.from(JSON.stringify({ o: n })).toString('base64');
}

export function decodeToken(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw invalidArgument('NextToken is not valid');
}
