// Signaling channels in the control plane (KVS API reference, "Actions": CreateSignalingChannel,
// DescribeSignalingChannel, ListSignalingChannels, UpdateSignalingChannel, DeleteSignalingChannel,
// GetSignalingChannelEndpoint, Describe/UpdateMediaStorageConfiguration, and the *Resource tag
// calls for channel ARNs). Field names, limits and errors: ../shared/spec/seeds-webrtc.md §3.2.
// Create, Update and Delete are asynchronous there (CREATING/UPDATING/DELETING, then ACTIVE or
// gone), so they run on `transitionDelayMs` timers as streams do (store.ts). With a data dir the
// channels are kept in one JSON file, rewritten atomically on each change.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { actions, type ControlContext, decodeToken, encodeToken } from './control-plane';
import { ApiError, invalidArgument, resourceInUse, versionMismatch } from './errors';
import type { SignalingHub } from './signaling-ws';
import { ACCOUNT_ID } from './store';

export type ChannelStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

/** What is kept of a channel (persisted as JSON with a data dir). */
export interface ChannelMeta {
  name: string;
  arn: string;
  type: 'SINGLE_MASTER';
  status: ChannelStatus;
  /** Epoch ms; also the ARN's last part (seeds-webrtc.md §3.1, the CloudTrail sample). */
  creationTime: number;
  version: string;
  messageTtlSeconds: number;
  tags: Record<string, string>;
  mediaStorage: { status: 'ENABLED' | 'DISABLED'; streamArn?: string };
}

const NAME_RE = /^[a-zA-Z0-9_.-]{1,256}$/;
const MAX_TAGS = 50;
/** Channels per account and region (the quota of us-east-1 and us-west-2, seeds-webrtc.md §6.1). */
const MAX_CHANNELS = 10_000;
const DEFAULT_TTL_S = 60;

const newVersion = (): string => randomBytes(10).toString('hex');

const channelNotFound = (what: string): ApiError =>
  new ApiError(404, 'ResourceNotFoundException', `The requested channel is not found or not active. ${what}`.trim());

/** The channels, in memory and (optionally) in `{dataDir}/signaling-channels.json`. */
export class ChannelStore {
  readonly channels = new Map<string, ChannelMeta>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly options: { region: string; transitionDelayMs: number; dataDir?: string },
    /** Told when a channel goes away (its connections are closed). */
    private readonly onDelete: (meta: ChannelMeta) => void = () => {},
  ) {}

  private get file(): string | undefined {
    return this.options.dataDir === undefined ? undefined : join(this.options.dataDir, 'signaling-channels.json');
  }

  async load(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    let list: ChannelMeta[];
    try {
      list = JSON.parse(await readFile(file, 'utf8')) as ChannelMeta[];
    } catch {
      return; // no file yet (or unreadable): start empty
    }
    for (const meta of list) {
      if (meta.status === 'DELETING') continue;
      meta.status = 'ACTIVE';
      this.channels.set(meta.name, meta);
    }
  }

  arnOf(name: string, creationTime: number): string {
    return `arn:aws:kinesisvideo:${this.options.region}:${ACCOUNT_ID}:channel/${name}/${creationTime}`;
  }

  /** By ChannelName and/or ChannelARN, or undefined. */
  lookup(ref: { ChannelName?: unknown; ChannelARN?: unknown }): ChannelMeta | undefined {
    if (typeof ref.ChannelName === 'string') {
      const c = this.channels.get(ref.ChannelName);
      return c && (typeof ref.ChannelARN !== 'string' || c.arn === ref.ChannelARN) ? c : undefined;
    }
    if (typeof ref.ChannelARN === 'string') {
      for (const c of this.channels.values()) if (c.arn === ref.ChannelARN) return c;
    }
    return undefined;
  }

  find(ref: { ChannelName?: unknown; ChannelARN?: unknown }): ChannelMeta {
    const c = this.lookup(ref);
    if (!c) throw channelNotFound(`Channel ${String(ref.ChannelName ?? ref.ChannelARN)} not found.`);
    return c;
  }

  /** Sets `status` now and `after` once the transition delay has passed (if nothing changed meanwhile). */
  transition(meta: ChannelMeta, status: ChannelStatus, after: ChannelStatus | 'gone'): void {
    meta.status = status;
    if (status === 'DELETING') this.onDelete(meta);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (meta.status !== status || this.channels.get(meta.name) !== meta) return;
      if (after === 'gone') this.channels.delete(meta.name);
      else meta.status = after;
      this.save();
    }, this.options.transitionDelayMs);
    this.timers.add(t);
    this.save();
  }

  /** Writes the whole list (atomically: temporary file, fsync, rename), one write after another. */
  save(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    const text = JSON.stringify([...this.channels.values()]);
    this.writing = this.writing
      .then(async () => {
        await mkdir(this.options.dataDir as string, { recursive: true });
        const fh = await open(`${file}.tmp`, 'w');
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(`${file}.tmp`, file);
      })
      .catch(() => {
        // The data dir went away (e.g. removed after close): memory stays right.
      });
    return this.writing;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** What the channel actions reach besides the stream control context. */
export interface SignalingContext {
  channels: ChannelStore;
  hub: SignalingHub;
  /** The emulator's WebSocket base URL (ws:// or wss://) and its HTTP(S) base URL. */
  wssEndpoint: string;
  httpsEndpoint: string;
}

export interface ChannelActionContext extends ControlContext {
  signaling: SignalingContext;
}

type Body = Record<string, unknown>;
type ChannelAction = (body: Body, ctx: ChannelActionContext) => Promise<unknown> | unknown;

const str = (v: unknown, field: string, required = false): string | undefined => {
  if (v === undefined || v === null) {
    if (required) throw invalidArgument(`${field} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidArgument(`${field} must be a string`);
  return v;
};

export function channelInfo(c: ChannelMeta): Record<string, unknown> {
  return {
    ChannelName: c.name,
    ChannelARN: c.arn,
    ChannelType: c.type,
    ChannelStatus: c.status,
    // REST-JSON timestamps are epoch seconds.
    CreationTime: c.creationTime / 1000,
    SingleMasterConfiguration: { MessageTtlSeconds: c.messageTtlSeconds },
    Version: c.version,
  };
}

function ttlOf(config: unknown, fallback: number): number {
  if (config === undefined || config === null) return fallback;
  if (typeof config !== 'object') throw invalidArgument('SingleMasterConfiguration must be an object');
  const ttl = (config as { MessageTtlSeconds?: unknown }).MessageTtlSeconds;
  if (ttl === undefined) return fallback;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 5 || ttl > 120)
    throw invalidArgument('MessageTtlSeconds must be an integer from 5 to 120');
  return ttl;
}

/** TagResource's and CreateSignalingChannel's `[{Key, Value}]`. */
function tagList(tags: unknown, min: number): Record<string, string> {
  if (!Array.isArray(tags)) throw invalidArgument('Tags must be a list of {Key, Value}');
  if (tags.length < min || tags.length > MAX_TAGS)
    throw invalidArgument(`Tags must have ${min} to ${MAX_TAGS} entries`);
  const out: Record<string, string> = {};
  for (const t of tags as Array<{ Key?: unknown; Value?: unknown }>) {
    const k = t?.Key;
    const v = t?.Value ?? '';
    if (typeof k !== 'string' || k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256)
      throw invalidArgument(`Invalid tag ${String(k)}`);
    out[k] = v;
  }
  return out;
}

function checkVersion(c: ChannelMeta, v: string): void {
  if (v !== c.version)
    throw versionMismatch(`The version of the channel ${c.name} does not match the CurrentVersion specified.`);
}

const isChannelArn = (arn: unknown): boolean =>
  typeof arn === 'string' && /^arn:[^:]+:kinesisvideo:[^:]*:\d+:channel\//.test(arn);

function byResourceArn(ctx: ChannelActionContext, body: Body): ChannelMeta {
  return ctx.signaling.channels.find({ ChannelARN: str(body.ResourceARN, 'ResourceARN', true) });
}

/** ChannelName or ChannelARN (at least one). */
function channelRef(body: Body): Body {
  if (body.ChannelName === undefined && body.ChannelARN === undefined)
    throw invalidArgument('Either ChannelName or ChannelARN must be specified');
  return body;
}

export const channelActions: Record<string, ChannelAction> = {
  createSignalingChannel(body, ctx) {
    const store = ctx.signaling.channels;
    const name = str(body.ChannelName, 'ChannelName', true) as string;
    if (!NAME_RE.test(name))
      throw invalidArgument(
        `1 validation error detected: Value '${name}' at 'channelName' failed to satisfy constraint`,
      );
    const type = body.ChannelType ?? 'SINGLE_MASTER';
    // FULL_MESH is in the enum, but SINGLE_MASTER is the only supported type (seeds-webrtc.md §1).
    if (type !== 'SINGLE_MASTER') throw invalidArgument(`ChannelType ${String(type)} is not supported`);
    const ttl = ttlOf(body.SingleMasterConfiguration, DEFAULT_TTL_S);
    const tags = body.Tags === undefined ? {} : tagList(body.Tags, 0);
    if (store.channels.has(name)) throw resourceInUse(`The signaling channel ${name} already exists.`);
    if (store.channels.size >= MAX_CHANNELS)
      throw new ApiError(
        400,
        'AccountChannelLimitExceededException',
        'The number of channels for the account is too high.',
      );
    const creationTime = Date.now();
    const meta: ChannelMeta = {
      name,
      arn: store.arnOf(name, creationTime),
      type: 'SINGLE_MASTER',
      status: 'CREATING',
      creationTime,
      version: newVersion(),
      messageTtlSeconds: ttl,
      tags,
      mediaStorage: { status: 'DISABLED' },
    };
    store.channels.set(name, meta);
    store.transition(meta, 'CREATING', 'ACTIVE');
    return { ChannelARN: meta.arn };
  },

  describeSignalingChannel(body, ctx) {
    return { ChannelInfo: channelInfo(ctx.signaling.channels.find(channelRef(body))) };
  },

  listSignalingChannels(body, ctx) {
    const max = body.MaxResults ?? 500;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10000)
      throw invalidArgument('MaxResults must be from 1 to 10000');
    const cond = body.ChannelNameCondition as { ComparisonOperator?: unknown; ComparisonValue?: unknown } | undefined;
    if (cond?.ComparisonOperator !== undefined && cond.ComparisonOperator !== 'BEGINS_WITH')
      throw invalidArgument('ComparisonOperator must be BEGINS_WITH');
    const prefix = typeof cond?.ComparisonValue === 'string' ? cond.ComparisonValue : '';
    const list = [...ctx.signaling.channels.channels.values()]
      .filter((c) => c.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const token = str(body.NextToken, 'NextToken');
    const startAt = token === undefined ? 0 : decodeToken(token);
    const out: Record<string, unknown> = { ChannelInfoList: list.slice(startAt, startAt + max).map(channelInfo) };
    if (startAt + max < list.length) out.NextToken = encodeToken(startAt + max);
    return out;
  },

  updateSignalingChannel(body, ctx) {
    const c = ctx.signaling.channels.find({ ChannelARN: str(body.ChannelARN, 'ChannelARN', true) });
    checkVersion(c, str(body.CurrentVersion, 'CurrentVersion', true) as string);
    if (c.status !== 'ACTIVE') throw resourceInUse(`The channel ${c.name} is ${c.status}.`);
    // A new TTL applies only to messages sent after the update (seeds-webrtc.md §3.2): the relay
    // reads it when it queues a message.
    c.messageTtlSeconds = ttlOf(body.SingleMasterConfiguration, c.messageTtlSeconds);
    c.version = newVersion();
    ctx.signaling.channels.transition(c, 'UPDATING', 'ACTIVE');
    return {};
  },

  deleteSignalingChannel(body, ctx) {
    const c = ctx.signaling.channels.find({ ChannelARN: str(body.ChannelARN, 'ChannelARN', true) });
    const v = str(body.CurrentVersion, 'CurrentVersion');
    if (v !== undefined) checkVersion(c, v);
    if (c.status === 'DELETING') throw resourceInUse(`The channel ${c.name} is being deleted.`);
    ctx.signaling.channels.transition(c, 'DELETING', 'gone');
    return {};
  },

  getSignalingChannelEndpoint(body, ctx) {
    const c = ctx.signaling.channels.find({ ChannelARN: str(body.ChannelARN, 'ChannelARN', true) });
    if (c.status !== 'ACTIVE') throw resourceInUse(`The channel ${c.name} is ${c.status}.`);
    const config = (body.SingleMasterChannelEndpointConfiguration ?? {}) as { Protocols?: unknown; Role?: unknown };
    const role = config.Role ?? 'MASTER';
    if (role !== 'MASTER' && role !== 'VIEWER') throw invalidArgument('Role must be MASTER or VIEWER');
    const protocols = config.Protocols ?? ['WSS', 'HTTPS'];
    if (!Array.isArray(protocols) || protocols.length < 1 || protocols.length > 5)
      throw invalidArgument('Protocols must list 1 to 5 of WSS, HTTPS, WEBRTC');
    const list: Array<{ Protocol: string; ResourceEndpoint: string }> = [];
    for (const p of new Set(protocols)) {
      if (p === 'WSS') list.push({ Protocol: 'WSS', ResourceEndpoint: ctx.signaling.wssEndpoint });
      else if (p === 'HTTPS') list.push({ Protocol: 'HTTPS', ResourceEndpoint: ctx.signaling.httpsEndpoint });
      else if (p === 'WEBRTC') {
        // The media-server endpoint exists only for channels with storage enabled (seeds-webrtc.md §7 step 4).
        if (c.mediaStorage.status !== 'ENABLED')
          throw invalidArgument(`The channel ${c.name} has no media storage configuration enabled.`);
        list.push({ Protocol: 'WEBRTC', ResourceEndpoint: ctx.signaling.httpsEndpoint });
      } else throw invalidArgument(`Protocol ${String(p)} is not valid`);
    }
    // AWS's own sample answer lists HTTPS before WSS although WSS was asked first
    // (seeds-webrtc.md §3.1): answering in a different order from the request keeps clients
    // honest about matching by Protocol.
    list.reverse();
    return { ResourceEndpointList: list };
  },

  describeMediaStorageConfiguration(body, ctx) {
    const c = ctx.signaling.channels.find(channelRef(body));
    const m = c.mediaStorage;
    return {
      MediaStorageConfiguration:
        m.streamArn === undefined ? { Status: m.status } : { StreamARN: m.streamArn, Status: m.status },
    };
  },

  updateMediaStorageConfiguration(body, ctx) {
    const c = ctx.signaling.channels.find({ ChannelARN: str(body.ChannelARN, 'ChannelARN', true) });
    const m = body.MediaStorageConfiguration as { StreamARN?: unknown; Status?: unknown } | undefined;
    if (m === undefined || m === null || typeof m !== 'object')
      throw invalidArgument('MediaStorageConfiguration is required');
    if (m.Status !== 'ENABLED' && m.Status !== 'DISABLED') throw invalidArgument('Status must be ENABLED or DISABLED');
    const streamArn = str(m.StreamARN, 'StreamARN');
    if (m.Status === 'ENABLED') {
      if (streamArn === undefined) throw invalidArgument('StreamARN is required to enable media storage');
      const stream = ctx.store.find({ StreamARN: streamArn });
      // Ingestion stores media: a stream without retention cannot take it (NoDataRetentionException).
      if (stream.meta.retentionHours <= 0)
        throw new ApiError(400, 'NoDataRetentionException', `The stream ${stream.meta.name} has no data retention.`);
      for (const other of ctx.signaling.channels.channels.values()) {
        if (other !== c && other.mediaStorage.status === 'ENABLED' && other.mediaStorage.streamArn === streamArn)
          throw resourceInUse(`The stream ${stream.meta.name} is already mapped to another channel.`);
      }
    }
    if (c.status !== 'ACTIVE') throw resourceInUse(`The channel ${c.name} is ${c.status}.`);
    c.mediaStorage = { status: m.Status, streamArn };
    ctx.signaling.channels.save();
    return {};
  },

  // The tag calls are shared with streams: a channel ARN is handled here, any other goes on to
  // the stream actions (control-plane.ts).
  TagResource(body, ctx) {
    if (!isChannelArn(body.ResourceARN)) return actions.TagResource(body, ctx);
    const c = byResourceArn(ctx, body);
    const merged = { ...c.tags, ...tagList(body.Tags, 1) };
    if (Object.keys(merged).length > MAX_TAGS)
      throw new ApiError(
        400,
        'TagsPerResourceExceededLimitException',
        `The channel ${c.name} would have more than ${MAX_TAGS} tags.`,
      );
    c.tags = merged;
    ctx.signaling.channels.save();
    return {};
  },

  UntagResource(body, ctx) {
    if (!isChannelArn(body.ResourceARN)) return actions.UntagResource(body, ctx);
    const c = byResourceArn(ctx, body);
    if (!Array.isArray(body.TagKeyList) || body.TagKeyList.length < 1 || body.TagKeyList.length > MAX_TAGS)
      throw invalidArgument(`TagKeyList must have 1 to ${MAX_TAGS} keys`);
    for (const k of body.TagKeyList) delete c.tags[String(k)];
    ctx.signaling.channels.save();
    return {};
  },

  ListTagsForResource(body, ctx) {
    if (!isChannelArn(body.ResourceARN)) return actions.ListTagsForResource(body, ctx);
    return { Tags: { ...byResourceArn(ctx, body).tags } };
  },
};
