// Fragment metadata as PIC queues and packages it (client/src/Stream.c): every user item and
// every stream event is its own level-1 Tags element (Tags/Tag/SimpleTag, 8-byte sizes); an
// event's image prefix and custom pairs are extra SimpleTags in the event's Tag. Items wait in
// one FIFO queue until the next fragment starts (or an EoFR), persistent items go back to the
// queue after each fragment, one-shot items and events are dropped once written.

import { KvsError } from '@kvs-ts/core';
import { EbmlBuilder, Id } from '@kvs-ts/ebml';
import {
  AWS_INTERNAL_METADATA_PREFIX,
  byteLength,
  KvsTagName,
  MAX_EVENT_CUSTOM_PAIRS,
  MAX_FRAGMENT_METADATA_COUNT,
  MAX_IMAGE_PREFIX_LENGTH,
  MKV_MAX_TAG_NAME_LEN,
  MKV_MAX_TAG_VALUE_LEN,
  StreamEventType,
} from './constants';

/** A name/value pair for the tags. */
export interface TagPair {
  name: string;
  value: string;
}

/** Optional data of a stream event, as PIC's `StreamEventMetadata`. */
export interface StreamEventMetadata {
  /** S3 key prefix of generated images (image-generation events), ≤ 256 bytes. */
  imagePrefix?: string;
  /** Up to 10 custom pairs (names ≤ 128 bytes, values ≤ 256 bytes), added to each event's Tag. */
  pairs?: readonly TagPair[] | Readonly<Record<string, string>>;
}

/** One queued item (PIC's SerializedMetadata). */
interface MetadataItem {
  name: string;
  value: string;
  persistent: boolean;
  /** Written at least once since it was queued (persistent items stay, marked applied). */
  applied: boolean;
  /** The StreamEventType bit this item belongs to, 0 for user metadata. */
  event: number;
  /** True: a SimpleTag appended to the previous item's Tag (PIC's MKV_TREE_SIMPLE). */
  simple: boolean;
}

function checkTagLengths(name: string, value: string): void {
  const n = byteLength(name);
  if (n < 1 || n > MKV_MAX_TAG_NAME_LEN) {
    throw new KvsError('STATUS_MKV_INVALID_TAG_NAME_LENGTH', `tag name of ${n} bytes (1…${MKV_MAX_TAG_NAME_LEN})`);
  }
  const v = byteLength(value);
  if (v > MKV_MAX_TAG_VALUE_LEN) {
    throw new KvsError('STATUS_MKV_INVALID_TAG_VALUE_LENGTH', `tag value of ${v} bytes (max ${MKV_MAX_TAG_VALUE_LEN})`);
  }
}

function isReserved(name: string): boolean {
  return name.startsWith(AWS_INTERNAL_METADATA_PREFIX);
}

function pairList(pairs: StreamEventMetadata['pairs']): TagPair[] {
  if (pairs === undefined) return [];
  if (Array.isArray(pairs)) return pairs.map((p) => ({ name: p.name, value: p.value }));
  return Object.entries(pairs).map(([name, value]) => ({ name, value }));
}

/** Tags-element writer with PIC's layout; `targets` adds an empty Targets to each Tag. */
export class TagsEncoder {
  private readonly b = new EbmlBuilder(1024);
  private open = false;

  constructor(private readonly targets: boolean) {}

  /** Starts a new Tags/Tag with its first SimpleTag. */
  tags(name: string, value: string): this {
    this.close();
    this.b.start(Id.Tags, { sizeLen: 8 }).start(Id.Tag, { sizeLen: 8 });
    if (this.targets) this.b.start(Id.Targets, { sizeLen: 8 }).end();
    this.open = true;
    return this.simple(name, value);
  }

  /** Adds a SimpleTag to the open Tag (opens one when none is). */
  simple(name: string, value: string): this {
    if (!this.open) return this.tags(name, value);
    this.b.start(Id.SimpleTag, { sizeLen: 8 }).string(Id.TagName, name, 8).string(Id.TagString, value, 8).end();
    return this;
  }

  private close(): void {
    if (this.open) this.b.end().end();
    this.open = false;
  }

  /** The bytes so far (a copy), resetting the encoder. */
  finish(): Uint8Array {
    this.close();
    const out = this.b.toBytes();
    this.b.reset();
    return out;
  }
}

/** Tags{Tag{SimpleTag{name, value}}} as PIC's mkvgenGenerateTagsChain(MKV_TREE_TAGS) writes it. */
export function encodeTag(name: string, value: string, targets = false): Uint8Array {
  checkTagLengths(name, value);
  return new TagsEncoder(targets).tags(name, value).finish();
}

/**
 * The queue of fragment metadata and stream events. Validation follows PIC's
 * putFragmentMetadata / putEventMetadata, and a rejected call leaves the queue as it was.
 */
export class MetadataQueue {
  private items: MetadataItem[] = [];
  /** StreamEventType bits queued and not yet written. */
  private events = 0;
  /** Bumped on every change, so encoded bytes can be cached. */
  version = 0;

  constructor(private readonly targets: boolean) {}

  /** Number of queued items (each SimpleTag counts, as in PIC). */
  get count(): number {
    return this.items.length;
  }

  /** Whether anything would be written at the next fragment start. */
  get isEmpty(): boolean {
    return this.items.length === 0;
  }

  /** Whether something not yet written is queued (what an EoFR or the end of stream flushes). */
  get hasUnapplied(): boolean {
    for (const it of this.items) if (!it.applied) return true;
    return false;
  }

  /** PIC's putFragmentMetadata. */
  put(name: string, value: string, persistent: boolean): void {
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw new KvsError('STATUS_NULL_ARG', 'metadata name and value must be strings');
    }
    if (isReserved(name)) throw new KvsError('STATUS_INVALID_METADATA_NAME', `metadata name '${name}' starts with AWS`);
    checkTagLengths(name, value);
    let replace = -1;
    if (persistent) replace = this.items.findIndex((it) => it.persistent && it.name === name);
    if (replace >= 0 && value.length === 0) {
      this.items.splice(replace, 1);
      this.version++;
      return;
    }
    const count = this.items.length - (replace >= 0 ? 1 : 0);
    if (count >= MAX_FRAGMENT_METADATA_COUNT) {
      throw new KvsError('STATUS_MAX_FRAGMENT_METADATA_COUNT', `${count} metadata items already queued`);
    }
    if (replace >= 0) this.items.splice(replace, 1);
    this.items.push({ name, value, persistent, applied: false, event: 0, simple: false });
    this.version++;
  }

  /** PIC's putEventMetadata; `streamStarted` says whether the MKV stream has begun. */
  putEvent(events: number, metadata: StreamEventMetadata | undefined, streamStarted: boolean): void {
    const known = StreamEventType.IMAGE_GENERATION | StreamEventType.NOTIFICATION;
    if (!Number.isInteger(events) || events <= 0 || (events & ~known) !== 0) {
      throw new KvsError('STATUS_INVALID_ARG', `stream event bits ${events}`);
    }
    if ((events & this.events) !== 0) {
      throw new KvsError('STATUS_DUPLICATE_STREAM_EVENT_TYPE', 'this event is already queued for the fragment');
    }
    if (!streamStarted) throw new KvsError('STATUS_STREAM_NOT_STARTED', 'events need a started MKV stream');
    const pairs = pairList(metadata?.pairs);
    if (pairs.length > MAX_EVENT_CUSTOM_PAIRS) {
      throw new KvsError('STATUS_INVALID_ARG', `${pairs.length} custom pairs (max ${MAX_EVENT_CUSTOM_PAIRS})`);
    }
    for (const p of pairs) {
      if (typeof p.name !== 'string' || typeof p.value !== 'string')
        throw new KvsError('STATUS_NULL_ARG', 'pair name/value');
      if (isReserved(p.name))
        throw new KvsError('STATUS_INVALID_METADATA_NAME', `pair name '${p.name}' starts with AWS`);
      if (byteLength(p.name) > MKV_MAX_TAG_NAME_LEN) {
        throw new KvsError(
          'STATUS_INVALID_IMAGE_METADATA_KEY_LENGTH',
          `pair name longer than ${MKV_MAX_TAG_NAME_LEN} bytes`,
        );
      }
      if (byteLength(p.value) > MKV_MAX_TAG_VALUE_LEN) {
        throw new KvsError(
          'STATUS_INVALID_IMAGE_METADATA_VALUE_LENGTH',
          `pair value longer than ${MKV_MAX_TAG_VALUE_LEN} bytes`,
        );
      }
    }
    const prefix = metadata?.imagePrefix;
    if (prefix !== undefined) {
      if (typeof prefix !== 'string') throw new KvsError('STATUS_NULL_ARG', 'image prefix');
      if (isReserved(prefix)) throw new KvsError('STATUS_INVALID_METADATA_NAME', 'image prefix starts with AWS');
      if (byteLength(prefix) > MAX_IMAGE_PREFIX_LENGTH) {
        throw new KvsError(
          'STATUS_INVALID_IMAGE_PREFIX_LENGTH',
          `image prefix longer than ${MAX_IMAGE_PREFIX_LENGTH} bytes`,
        );
      }
    }
    const added: MetadataItem[] = [];
    const add = (name: string, value: string, event: number, simple: boolean) =>
      added.push({ name, value, persistent: false, applied: false, event, simple });
    if (events & StreamEventType.NOTIFICATION) {
      add(KvsTagName.NOTIFICATION, '', StreamEventType.NOTIFICATION, false);
      for (const p of pairs) add(p.name, p.value, StreamEventType.NOTIFICATION, true);
    }
    if (events & StreamEventType.IMAGE_GENERATION) {
      add(KvsTagName.IMAGE_GENERATION, '', StreamEventType.IMAGE_GENERATION, false);
      if (prefix !== undefined) add(KvsTagName.IMAGE_PREFIX, prefix, StreamEventType.IMAGE_GENERATION, true);
      for (const p of pairs) add(p.name, p.value, StreamEventType.IMAGE_GENERATION, true);
    }
    if (this.items.length + added.length > MAX_FRAGMENT_METADATA_COUNT) {
      throw new KvsError(
        'STATUS_MAX_FRAGMENT_METADATA_COUNT',
        `${this.items.length} items queued, ${added.length} more`,
      );
    }
    // The generator then checks every tag (an empty pair name fails here, as in PIC).
    for (const it of added) checkTagLengths(it.name, it.value);
    this.items.push(...added);
    this.events |= events;
    this.version++;
  }

  /**
   * The Tags bytes for the queue: every item at a fragment start (`notSentOnly` false), only the
   * not yet written ones at an EoFR or the end of a stream. `trailer` (the EoFR tag) goes last.
   * Does not change the queue.
   */
  encode(notSentOnly: boolean, trailer?: string): Uint8Array {
    const enc = new TagsEncoder(this.targets);
    for (const it of this.items) {
      if (notSentOnly && it.applied) continue;
      if (it.simple) enc.simple(it.name, it.value);
      else enc.tags(it.name, it.value);
    }
    if (trailer !== undefined) enc.tags(trailer, '');
    return enc.finish();
  }

  /** Marks what {@link encode} with the same `notSentOnly` wrote as written. */
  commit(notSentOnly: boolean): void {
    const keep: MetadataItem[] = [];
    for (const it of this.items) {
      if (notSentOnly && it.applied) {
        keep.push(it);
        continue;
      }
      if (it.persistent) {
        it.applied = true;
        keep.push(it);
      } else {
        this.events &= ~it.event;
      }
    }
    // PIC re-enqueues persistent items behind the rest; with one-shot items gone that keeps order.
    this.items = keep;
    this.version++;
  }
}
