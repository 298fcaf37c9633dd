// Cuts a PutMedia body into fragments while it arrives. mkv-parser's MkvParser interprets the
// elements (tracks, cluster timecodes, frames, tags); an EbmlReader of our own drives it and
// reports each element's exact byte offsets, so a fragment's bytes are copied as the producer
// sent them. A fragment is one Cluster: it starts with the Cluster element and ends where the
// Cluster ends, i.e. at the next Cluster, at the producer's Tags (AWS_KINESISVIDEO_END_OF_FRAGMENT
// is written right after each fragment: docs/decisions/emulator.md, "What AWS's clients send"), or
// at the end of
// the body. The checks are the PutMedia ACK ErrorIds of the API reference; limits come from
// FragmenterLimits so tests can provoke them with small inputs.

import { isKvsError } from '@kvs-ts/core';
import { EbmlReader, Id, UNKNOWN_SIZE, writeElementHeader } from '@kvs-ts/ebml';
import { MkvParser, type MkvTag, type MkvTrack } from '@kvs-ts/mkv-parser';
import { ByteWindow } from './byte-window';

export const END_OF_FRAGMENT_TAG = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';

export interface FragmenterLimits {
  maxFragmentBytes: number;
  maxFragmentDurationMs: number;
  maxTracks: number;
  maxMetadataTags: number;
}

/** A fragment cut out of the body. */
export interface CutFragment {
  /** The cluster Timecode exactly as sent (echoed in ACKs as FragmentTimecode). */
  timecode: number;
  /** Cluster time in ms (timecode × TimestampScale). */
  startMs: number;
  durationMs: number;
  header: Buffer;
  /** The producer's metadata Tags elements sent before this fragment's cluster, as sent. */
  tags: Buffer;
  /** The Cluster with a known size, in pieces (see Fragment.cluster in model.ts). */
  cluster: Buffer[];
  /** Its length in bytes. */
  size: number;
}

export interface FragmenterEvents {
  /** A fragment's first bytes arrived (its cluster Timecode is known). */
  fragmentStart(timecode: number): void;
  fragmentEnd(fragment: CutFragment): void;
}

/** ErrorCode names of the PutMedia ACK ErrorIds (PutMedia API reference, AckErrorCode). */
export const ACK_ERROR_CODES: Readonly<Record<number, string>> = {
  4000: 'STREAM_READ_ERROR',
  4001: 'MAX_FRAGMENT_SIZE_REACHED',
  4002: 'MAX_FRAGMENT_DURATION_REACHED',
  4003: 'MAX_CONNECTION_DURATION_REACHED',
  4004: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
  4005: 'MORE_THAN_ALLOWED_TRACKS_FOUND',
  4006: 'INVALID_MKV_DATA',
  4007: 'INVALID_PRODUCER_TIMESTAMP',
  4008: 'STREAM_NOT_ACTIVE',
  4009: 'FRAGMENT_METADATA_LIMIT_REACHED',
  4010: 'TRACK_NUMBER_MISMATCH',
  4011: 'FRAMES_MISSING_FOR_TRACK',
  4500: 'KMS_KEY_ACCESS_DENIED',
  4501: 'KMS_KEY_DISABLED',
  4502: 'KMS_KEY_VALIDATION_ERROR',
  4503: 'KMS_KEY_UNAVAILABLE',
  4504: 'KMS_KEY_INVALID_USAGE',
  4505: 'KMS_KEY_INVALID_STATE',
  4506: 'KMS_KEY_NOT_FOUND',
  5000: 'INTERNAL_ERROR',
  5001: 'ARCHIVAL_ERROR',
};

/** A PutMedia ERROR condition: the ACK ErrorId and ErrorCode, and the timecode to report. */
export class AckError extends Error {
  constructor(
    readonly errorId: number,
    readonly errorCode: string,
    readonly timecode: number | undefined,
  ) {
    super(`${errorId} ${errorCode}`);
  }
}

const SKIPPED = [Id.SeekHead, Id.Cues, Id.Chapters, Id.Attachments, Id.Void, Id.CRC32];

interface Open {
  timecode: number | undefined;
  headerOffset: number;
  dataOffset: number;
  maxFrameUs: number;
  tracksSeen: Set<number>;
}

export class Fragmenter {
  private readonly window = new ByteWindow();
  private readonly mkv: MkvParser;
  private readonly reader: EbmlReader;
  private headerStart = -1;
  private header: Buffer | undefined;
  private tracks: MkvTrack[] = [];
  private timecodeScaleNs = 1_000_000;
  private cluster: Open | undefined;
  private lastTimecode: number | undefined;
  private pendingTags = 0;
  private pendingTagBytes: Buffer[] = [];
  private tagsStart = -1;
  private tagsAreMetadata = false;

  constructor(
    private readonly limits: FragmenterLimits,
    private readonly events: FragmenterEvents,
  ) {
    this.mkv = new MkvParser({
      info: (info) => {
        this.timecodeScaleNs = info.timecodeScale;
      },
      tracks: (tracks) => this.onTracks(tracks),
      clusterStart: (c) => this.onClusterTimecode(c.timecode),
      // SimpleBlocks by their headers only (the reader's peek, below); BlockGroups as frames.
      blockHead: (h) => this.onFrame(h.trackNumber, h.timestampUs),
      frame: (f) => this.onFrame(f.trackNumber, f.timestampUs),
      tags: (tags) => this.onTags(tags),
    });
    const mkv = this.mkv;
    this.reader = new EbmlReader(
      {
        onMasterStart: (id, size, headerOffset, dataOffset) => {
          this.onStart(id, size, headerOffset, dataOffset);
          return mkv.onMasterStart(id, size, headerOffset);
        },
        onMasterEnd: (id, endOffset) => {
          mkv.onMasterEnd(id, endOffset);
          this.onEnd(id, endOffset);
        },
        onLeaf: (id, data, dataOffset) => mkv.onLeaf(id, data, dataOffset),
        onLeafHead: (id, bytes, start, length, size, dataOffset) =>
          mkv.onLeafHead(id, bytes, start, length, size, dataOffset),
      },
      // Frame bytes are never looked at: a SimpleBlock is read by its header and the rest is
      // skipped, so no frame is assembled across chunks (that copy, and the parse per frame,
      // were most of the emulator's PutMedia cost: docs/benchmarks.md, "On the wire").
      { skip: SKIPPED, peek: [Id.SimpleBlock], maxElementSize: limits.maxFragmentBytes + 1024 },
    );
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.window.end;
  }

  /** The open fragment's cluster timecode, if a fragment is open. */
  get openTimecode(): number | undefined {
    return this.cluster?.timecode;
  }

  /** Feeds body bytes; throws an AckError when the data breaks a rule. */
  push(chunk: Buffer): void {
    this.window.append(chunk);
    try {
      this.reader.push(chunk);
    } catch (err) {
      throw this.asAckError(err);
    }
    if (this.cluster && this.window.end - this.cluster.headerOffset > this.limits.maxFragmentBytes) {
      this.raise(new AckError(4001, 'MAX_FRAGMENT_SIZE_REACHED', this.cluster.timecode));
    }
  }

  /** The body ended: closes the open fragment. */
  end(): void {
    try {
      this.reader.end();
    } catch (err) {
      throw this.asAckError(err);
    }
    if (this.cluster) this.closeCluster(this.window.end);
  }

  private failure: AckError | undefined;

  private raise(err: AckError): never {
    this.failure = err;
    throw err;
  }

  /** Runs a consumer's callback, keeping an AckError it throws (e.g. an injected ERROR). */
  private emit(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof AckError) this.raise(err);
      throw err;
    }
  }

  private asAckError(err: unknown): AckError {
    if (err instanceof AckError) return err;
    // The reader wraps what its handlers throw: the AckError recorded by raise() is the cause.
    if (this.failure) return this.failure;
    // An element larger than the reader may assemble is a fragment over the size limit.
    if (isKvsError(err, 'STATUS_BUFFER_TOO_SMALL')) {
      return new AckError(4001, 'MAX_FRAGMENT_SIZE_REACHED', this.cluster?.timecode ?? this.lastTimecode);
    }
    return new AckError(4006, 'INVALID_MKV_DATA', this.cluster?.timecode ?? this.lastTimecode);
  }

  private onStart(id: number, size: number, headerOffset: number, dataOffset: number): void {
    if (id === Id.EBML) {
      this.headerStart = headerOffset;
      this.header = undefined;
      this.window.dropBefore(headerOffset);
    } else if (id === Id.Cluster) {
      if (this.header === undefined) this.raise(new AckError(4006, 'INVALID_MKV_DATA', undefined));
      if (this.cluster) this.closeCluster(headerOffset);
      this.cluster = { timecode: undefined, headerOffset, dataOffset, maxFrameUs: -1, tracksSeen: new Set() };
      if (size !== UNKNOWN_SIZE && size > this.limits.maxFragmentBytes) {
        this.raise(new AckError(4001, 'MAX_FRAGMENT_SIZE_REACHED', undefined));
      }
    } else if (id === Id.Tags) {
      // A Tags element at segment level ends an unknown-size cluster (the end-of-fragment tag).
      if (this.cluster) this.closeCluster(headerOffset);
      this.tagsStart = headerOffset;
    }
  }

  private onEnd(id: number, endOffset: number): void {
    if (id === Id.Tracks) {
      this.header = this.window.slice(this.headerStart, endOffset);
    } else if (id === Id.Cluster && this.cluster) {
      this.closeCluster(endOffset);
    } else if (id === Id.Tags && this.tagsStart >= 0) {
      // Fragment metadata is kept (and served by GetMedia); the end-of-fragment marker is not.
      if (this.tagsAreMetadata) this.pendingTagBytes.push(this.window.slice(this.tagsStart, endOffset));
      this.tagsStart = -1;
    }
  }

  private onTracks(tracks: MkvTrack[]): void {
    if (tracks.length > this.limits.maxTracks) {
      this.raise(new AckError(4012, 'MORE_THAN_ALLOWED_TRACKS_FOUND', undefined));
    }
    this.tracks = tracks;
  }

  private onClusterTimecode(timecode: number): void {
    const c = this.cluster;
    if (!c || c.timecode !== undefined) return;
    c.timecode = timecode;
    if (this.lastTimecode !== undefined && timecode < this.lastTimecode) {
      this.raise(new AckError(4004, 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', timecode));
    }
    this.emit(() => this.events.fragmentStart(timecode));
  }

  private onFrame(trackNumber: number, timestampUs: number): void {
    const c = this.cluster;
    if (!c) this.raise(new AckError(4006, 'INVALID_MKV_DATA', this.lastTimecode));
    if (!this.tracks.some((t) => t.number === trackNumber)) {
      this.raise(new AckError(4010, 'TRACK_NUMBER_MISMATCH', c.timecode));
    }
    c.tracksSeen.add(trackNumber);
    if (timestampUs > c.maxFrameUs) c.maxFrameUs = timestampUs;
    const startUs = ((c.timecode ?? 0) * this.timecodeScaleNs) / 1000;
    if ((c.maxFrameUs - startUs) / 1000 > this.limits.maxFragmentDurationMs) {
      this.raise(new AckError(4002, 'MAX_FRAGMENT_DURATION_REACHED', c.timecode));
    }
  }

  private onTags(tags: MkvTag[]): void {
    let metadata = 0;
    for (const tag of tags) {
      for (const st of tag.simpleTags) if (st.name !== END_OF_FRAGMENT_TAG) metadata++;
    }
    this.tagsAreMetadata = metadata > 0;
    this.pendingTags += metadata;
    if (this.pendingTags > this.limits.maxMetadataTags) {
      this.raise(new AckError(4009, 'FRAGMENT_METADATA_LIMIT_REACHED', this.lastTimecode));
    }
  }

  private closeCluster(endOffset: number): void {
    const c = this.cluster;
    if (!c) return;
    this.cluster = undefined;
    if (c.timecode === undefined) this.raise(new AckError(4006, 'INVALID_MKV_DATA', this.lastTimecode));
    if (endOffset - c.headerOffset > this.limits.maxFragmentBytes) {
      this.raise(new AckError(4001, 'MAX_FRAGMENT_SIZE_REACHED', c.timecode));
    }
    const missing = this.tracks.find((t) => !c.tracksSeen.has(t.number));
    if (missing !== undefined) this.raise(new AckError(4011, 'FRAMES_MISSING_FOR_TRACK', c.timecode));
    // Stored with a known 8-byte size, as GetMedia serves clusters (see the captures in the
    // AWS's captures, test/getmedia-layout.node.test.ts): a new 12-byte header, then the
    // content as views of the received chunks. Nothing is copied: a copy into one buffer per
    // fragment was the emulator's largest cost after parsing (docs/benchmarks.md, "On the wire").
    const contentLength = endOffset - c.dataOffset;
    const head = Buffer.allocUnsafe(12);
    writeElementHeader(head, 0, Id.Cluster, contentLength, 8);
    const cluster = [head, ...this.window.views(c.dataOffset, endOffset)];
    this.window.dropBefore(endOffset);
    this.lastTimecode = c.timecode;
    this.pendingTags = 0;
    const tags = Buffer.concat(this.pendingTagBytes);
    this.pendingTagBytes = [];
    const startMs = (c.timecode * this.timecodeScaleNs) / 1e6;
    const startUs = startMs * 1000;
    const cut: CutFragment = {
      timecode: c.timecode,
      startMs,
      durationMs: c.maxFrameUs < 0 ? 0 : Math.round((c.maxFrameUs - startUs) / 1000),
      header: this.header as Buffer,
      tags,
      cluster,
      size: 12 + contentLength,
    };
    this.emit(() => this.events.fragmentEnd(cut));
  }
}
