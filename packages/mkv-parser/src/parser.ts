// The MKV layer over the EBML tokenizer: it turns elements into segments, tracks, clusters,
// frames and tags. Frames come out as views of the input and through one reused object, so a
// steady stream of SimpleBlocks costs one subarray per frame and nothing else.

import { DEFAULT_TIMECODE_SCALE_NS, KvsError, usPerTick } from '@kvs-ts/core';
import {
  EbmlReader,
  Id,
  readBigUint,
  readDate,
  readFloat,
  readInt,
  readString,
  readUint,
  readUtf8,
  UNKNOWN_SIZE,
  vintLength,
} from '@kvs-ts/ebml';
import { LACE_DATA_START, readLaceSizes } from './lacing';
import type {
  ClusterStart,
  EbmlHeader,
  MkvBlockHead,
  MkvFrame,
  MkvSimpleTag,
  MkvTag,
  MkvTrack,
  SegmentInfo,
  TrackTypeName,
} from './types';

/** What a {@link MkvParser} reports. Every callback is optional. */
export interface MkvHandler {
  ebmlHeader?(header: EbmlHeader): void;
  /** A Segment starts; `unknownSize` for live (KVS, GetMedia) segments. */
  segmentStart?(offset: number, unknownSize: boolean): void;
  segmentEnd?(offset: number): void;
  info?(info: SegmentInfo): void;
  /** The Tracks element; `endOffset` is the stream offset just past it. */
  tracks?(tracks: MkvTrack[], endOffset: number): void;
  clusterStart?(cluster: ClusterStart): void;
  clusterEnd?(offset: number): void;
  /** A frame; the object is reused for the next frame (its `data` view is not). */
  frame?(frame: MkvFrame): void;
  /**
   * A SimpleBlock by its header, in place of its `frame` events, when the parser was made with
   * `frameData: false`. The object is reused. (Blocks in BlockGroups still come as frames.)
   */
  blockHead?(head: MkvBlockHead): void;
  /** A Tags element with all its Tag children, in file order; `endOffset` is just past it. */
  tags?(tags: MkvTag[], endOffset: number): void;
}

/** Options of {@link MkvParser}. */
export interface MkvParserOptions {
  /**
   * Most bytes the parser will hold for one element that spans chunks (default 64 MiB).
   * Larger elements fail with STATUS_BUFFER_TOO_SMALL.
   */
  maxElementSize?: number;
  /**
   * `false`: SimpleBlocks are reported through {@link MkvHandler.blockHead} only, from their
   * first bytes, and their frame bytes are skipped unread (never assembled across chunks).
   * For readers that need timing and tracks but not the media, like the emulator cutting
   * fragments. Default `true`.
   */
  frameData?: boolean;
}

/** Elements no MKV event needs: skipped without buffering. */
const SKIPPED = [Id.SeekHead, Id.Cues, Id.Chapters, Id.Attachments, Id.Void, Id.CRC32, Id.EncryptedBlock, Id.Slices];

/** What `frameData: false` reads by its head only (see onLeafHead). */
const PEEKED = [Id.SimpleBlock];

const TYPE_NAMES: Record<number, TrackTypeName> = {
  1: 'video',
  2: 'audio',
  3: 'complex',
  16: 'logo',
  17: 'subtitle',
  18: 'buttons',
  32: 'control',
  33: 'metadata',
};

/** Builds a track while its TrackEntry is open. */
interface TrackDraft extends Partial<MkvTrack> {
  video?: MkvTrack['video'];
  audio?: MkvTrack['audio'];
}

/**
 * Streaming Matroska parser. Push chunks of any size with {@link push} (events fire
 * synchronously, in stream order) and call {@link end} when the input ends; or use
 * {@link parseMkv} to iterate over a `ReadableStream`.
 */
export class MkvParser {
  private readonly handler: MkvHandler;
  private readonly reader: EbmlReader;

  private header: EbmlHeader | undefined;
  private info: SegmentInfo = { timecodeScale: DEFAULT_TIMECODE_SCALE_NS };
  private tracksList: MkvTrack[] = [];
  private trackDraft: TrackDraft | undefined;
  /** Lookup by track number for lace spacing; sparse. */
  private trackByNumber: (MkvTrack | undefined)[] = [];
  private clusterTimecode = 0;
  private inCluster = false;
  /** µs per tick of the TimestampScale in force, in lowest terms (see setTimecodeScale). */
  private tickNum = DEFAULT_TIMECODE_SCALE_NS / 1000;
  private tickDen = 1;

  // BlockGroup under construction: the Block is held (as a view) until the group ends, since
  // ReferenceBlock and BlockDuration usually follow it.
  private groupBlock: Uint8Array | undefined;
  private groupBlockOffset = 0;
  private groupDuration: number | undefined;
  private groupRefs: number[] = [];

  // Tags under construction.
  private tagList: MkvTag[] = [];
  private tag: MkvTag | undefined;
  private simpleTagStack: MkvSimpleTag[] = [];

  /** Lace sizes of the current block (at most 256 frames), then where its frames start. */
  private readonly laceSizes = new Array<number>(LACE_DATA_START + 1).fill(0);

  /** The one frame object handed to `handler.frame`. */
  private readonly frameObj: MkvFrame = {
    trackNumber: 0,
    timestampUs: 0,
    relativeTimecode: 0,
    keyFrame: false,
    discardable: false,
    invisible: false,
    data: new Uint8Array(0),
    laceIndex: 0,
    laceCount: 1,
    fromBlockGroup: false,
    durationUs: undefined,
    references: [],
    offset: 0,
  };

  constructor(handler: MkvHandler, options: MkvParserOptions = {}) {
    this.handler = handler;
    this.reader = new EbmlReader(this, {
      maxElementSize: options.maxElementSize,
      skip: SKIPPED,
      peek: options.frameData === false ? PEEKED : undefined,
    });
  }

  /** Absolute offset of the next byte expected. */
  get position(): number {
    return this.reader.position;
  }

  /** The tracks of the current segment. */
  get tracks(): readonly MkvTrack[] {
    return this.tracksList;
  }

  /** Feeds the next chunk. Throws KvsError (with the byte offset) on malformed input. */
  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  /** Ends the input; throws STATUS_UNEXPECTED_EOF if it stopped inside an element. */
  end(): void {
    this.reader.end();
  }

  // ---- EbmlHandler (called by the reader) ----

  /** @internal */
  onMasterStart(id: number, size: number, headerOffset: number): boolean {
    switch (id) {
      case Id.Cluster:
        this.inCluster = true;
        this.clusterTimecode = 0;
        this.clusterOffset = headerOffset;
        this.clusterUnknown = size === UNKNOWN_SIZE;
        this.clusterAnnounced = false;
        return true;
      case Id.BlockGroup:
        this.groupBlock = undefined;
        this.groupDuration = undefined;
        this.groupRefs = [];
        this.inGroup = true;
        return true;
      case Id.Segment:
        this.info = { timecodeScale: DEFAULT_TIMECODE_SCALE_NS };
        this.setTimecodeScale(DEFAULT_TIMECODE_SCALE_NS);
        this.tracksList = [];
        this.trackByNumber = [];
        this.handler.segmentStart?.(headerOffset, size === UNKNOWN_SIZE);
        return true;
      case Id.EBML:
        this.header = {
          version: 1,
          readVersion: 1,
          maxIdLength: 4,
          maxSizeLength: 8,
          docType: 'matroska',
          docTypeVersion: 1,
          docTypeReadVersion: 1,
          offset: headerOffset,
        };
        this.inHeader = true;
        return true;
      case Id.TrackEntry:
        this.trackDraft = {};
        return true;
      case Id.Info:
        // A fresh object per Info: one already emitted is never changed afterwards.
        this.info = { timecodeScale: this.info.timecodeScale };
        this.inInfo = true;
        return true;
      case Id.Tracks:
        this.tracksList = [];
        this.trackByNumber = [];
        return true;
      case Id.Video:
        if (this.trackDraft) this.trackDraft.video = { pixelWidth: 0, pixelHeight: 0 };
        return true;
      case Id.Audio:
        if (this.trackDraft) this.trackDraft.audio = { samplingFrequency: 8000, channels: 1 };
        return true;
      case Id.Tags:
        this.tagList = [];
        return true;
      case Id.Tag:
        this.tag = { targets: { trackUids: [], editionUids: [], chapterUids: [], attachmentUids: [] }, simpleTags: [] };
        return true;
      case Id.SimpleTag: {
        const st: MkvSimpleTag = { name: '', children: [] };
        const parent = this.simpleTagStack[this.simpleTagStack.length - 1];
        if (parent) parent.children.push(st);
        else this.tag?.simpleTags.push(st);
        this.simpleTagStack.push(st);
        return true;
      }
      default:
        return true;
    }
  }

  private clusterOffset = 0;
  private inHeader = false;
  private inGroup = false;
  private inInfo = false;
  private clusterUnknown = false;
  /** Cluster start is announced once its Timestamp is known (or at its first block). */
  private clusterAnnounced = false;

  /** @internal */
  onMasterEnd(id: number, endOffset: number): void {
    switch (id) {
      case Id.BlockGroup:
        this.inGroup = false;
        this.endBlockGroup();
        return;
      case Id.Cluster:
        this.announceCluster();
        this.inCluster = false;
        this.handler.clusterEnd?.(endOffset);
        return;
      case Id.Segment:
        this.handler.segmentEnd?.(endOffset);
        return;
      case Id.EBML: {
        const h = this.header!;
        this.inHeader = false;
        if (h.maxIdLength > 4 || h.maxSizeLength > 8) {
          throw new KvsError(
            'STATUS_NOT_IMPLEMENTED',
            `EBMLMaxIDLength ${h.maxIdLength} / EBMLMaxSizeLength ${h.maxSizeLength} not supported`,
            {
              offset: h.offset,
            },
          );
        }
        this.handler.ebmlHeader?.(h);
        return;
      }
      case Id.Info:
        this.inInfo = false;
        this.handler.info?.(this.info);
        return;
      case Id.TrackEntry:
        this.endTrackEntry();
        return;
      case Id.Tracks:
        this.handler.tracks?.(this.tracksList, endOffset);
        return;
      case Id.SimpleTag:
        this.simpleTagStack.pop();
        return;
      case Id.Tag:
        if (this.tag) this.tagList.push(this.tag);
        this.tag = undefined;
        this.simpleTagStack.length = 0;
        return;
      case Id.Tags:
        this.handler.tags?.(this.tagList, endOffset);
        this.tagList = [];
        return;
    }
  }

  /** The one object handed to `handler.blockHead`. */
  private readonly headObj: MkvBlockHead = {
    trackNumber: 0,
    timestampUs: 0,
    relativeTimecode: 0,
    keyFrame: false,
    discardable: false,
    invisible: false,
    lacing: 0,
    size: 0,
    offset: 0,
  };

  /**
   * @internal A SimpleBlock's first bytes (EbmlReader's peek option; an EbmlReader made by
   * someone else may route them here too, as the emulator's fragmenter does).
   */
  onLeafHead(id: number, bytes: Uint8Array, start: number, length: number, dataSize: number, dataOffset: number): void {
    if (id !== Id.SimpleBlock) return;
    const tl = length > 0 ? vintLength(bytes[start]) : 0;
    if (tl === 0 || tl + 3 > length) {
      throw new KvsError('STATUS_FORMAT_ERROR', 'malformed SimpleBlock header', { offset: dataOffset });
    }
    let track = bytes[start] & (0xff >> tl);
    for (let i = 1; i < tl; i++) track = track * 256 + bytes[start + i];
    const tcHi = bytes[start + tl];
    const relative = ((tcHi & 0x80 ? tcHi - 256 : tcHi) << 8) | bytes[start + tl + 1];
    const flags = bytes[start + tl + 2];
    this.announceCluster();
    const h = this.headObj;
    h.trackNumber = track;
    h.relativeTimecode = relative;
    h.timestampUs = this.toUs(this.clusterTimecode + relative);
    h.keyFrame = (flags & 0x80) !== 0;
    h.discardable = (flags & 0x01) !== 0;
    h.invisible = (flags & 0x08) !== 0;
    h.lacing = (flags >> 1) & 3;
    h.size = dataSize - tl - 3;
    h.offset = dataOffset + tl + 3;
    this.handler.blockHead?.(h);
  }

  /** @internal */
  onLeaf(id: number, data: Uint8Array, dataOffset: number): void {
    // SimpleBlock first: it is nearly every element of a live stream.
    if (id === Id.SimpleBlock) {
      this.block(data, dataOffset, false);
      return;
    }
    try {
      switch (id) {
        case Id.Timestamp:
          this.clusterTimecode = readUint(data);
          this.announceCluster();
          return;
        // BlockGroup children count only inside a BlockGroup (a stray one must not change the
        // references of a frame already reported).
        case Id.Block:
          if (!this.inGroup) return;
          this.groupBlock = data;
          this.groupBlockOffset = dataOffset;
          return;
        case Id.BlockDuration:
          if (this.inGroup) this.groupDuration = readUint(data);
          return;
        case Id.ReferenceBlock:
          if (this.inGroup) this.groupRefs.push(readInt(data));
          return;
      }
      if (this.trackDraft !== undefined) this.trackLeaf(id, data);
      else if (this.simpleTagStack.length > 0 || this.tag !== undefined) this.tagLeaf(id, data);
      else this.otherLeaf(id, data);
    } catch (e) {
      // Value decoders do not know where their bytes came from.
      throw e instanceof KvsError ? e.at(dataOffset) : e;
    }
  }

  private announceCluster(): void {
    if (this.clusterAnnounced || !this.inCluster) return;
    this.clusterAnnounced = true;
    this.handler.clusterStart?.({
      timecode: this.clusterTimecode,
      timestampUs: this.toUs(this.clusterTimecode),
      offset: this.clusterOffset,
      unknownSize: this.clusterUnknown,
    });
  }

  private otherLeaf(id: number, data: Uint8Array): void {
    // Header and Info fields count only inside their element: a stray one elsewhere (say, at the
    // top level of a damaged stream) must not change what was already reported.
    const h = this.inHeader ? this.header : undefined;
    if (
      !this.inInfo &&
      id !== Id.EBMLVersion &&
      id !== Id.EBMLReadVersion &&
      id !== Id.EBMLMaxIDLength &&
      id !== Id.EBMLMaxSizeLength &&
      id !== Id.DocType &&
      id !== Id.DocTypeVersion &&
      id !== Id.DocTypeReadVersion
    )
      return;
    switch (id) {
      case Id.EBMLVersion:
        if (h) h.version = readUint(data);
        return;
      case Id.EBMLReadVersion:
        if (h) h.readVersion = readUint(data);
        return;
      case Id.EBMLMaxIDLength:
        if (h) h.maxIdLength = readUint(data);
        return;
      case Id.EBMLMaxSizeLength:
        if (h) h.maxSizeLength = readUint(data);
        return;
      case Id.DocType:
        if (h) h.docType = readString(data);
        return;
      case Id.DocTypeVersion:
        if (h) h.docTypeVersion = readUint(data);
        return;
      case Id.DocTypeReadVersion:
        if (h) h.docTypeReadVersion = readUint(data);
        return;
      case Id.TimestampScale: {
        const scale = readUint(data);
        if (scale === 0) throw new KvsError('STATUS_MKV_INVALID_TIMECODE_SCALE', 'TimestampScale of 0');
        this.setTimecodeScale(scale);
        return;
      }
      case Id.Duration:
        this.info.durationUs = this.toUs(readFloat(data));
        return;
      case Id.SegmentUUID:
        this.info.segmentUid = data;
        return;
      case Id.Title:
        this.info.title = readUtf8(data);
        return;
      case Id.MuxingApp:
        this.info.muxingApp = readUtf8(data);
        return;
      case Id.WritingApp:
        this.info.writingApp = readUtf8(data);
        return;
      case Id.DateUTC:
        this.info.dateUtc = readDate(data);
        return;
    }
  }

  private trackLeaf(id: number, data: Uint8Array): void {
    const t = this.trackDraft!;
    switch (id) {
      case Id.TrackNumber:
        t.number = readUint(data);
        return;
      case Id.TrackUID:
        t.uid = readBigUint(data);
        return;
      case Id.TrackType:
        t.type = readUint(data);
        return;
      case Id.CodecID:
        t.codecId = readString(data);
        return;
      case Id.CodecPrivate:
        t.codecPrivate = data;
        return;
      case Id.CodecName:
        t.codecName = readUtf8(data);
        return;
      case Id.Name:
        t.name = readUtf8(data);
        return;
      case Id.Language:
        t.language = readString(data);
        return;
      case Id.DefaultDuration:
        t.defaultDurationNs = readUint(data);
        return;
      case Id.CodecDelay:
        t.codecDelayNs = readUint(data);
        return;
      case Id.SeekPreRoll:
        t.seekPreRollNs = readUint(data);
        return;
      case Id.PixelWidth:
        if (t.video) t.video.pixelWidth = readUint(data);
        return;
      case Id.PixelHeight:
        if (t.video) t.video.pixelHeight = readUint(data);
        return;
      case Id.DisplayWidth:
        if (t.video) t.video.displayWidth = readUint(data);
        return;
      case Id.DisplayHeight:
        if (t.video) t.video.displayHeight = readUint(data);
        return;
      case Id.SamplingFrequency:
        if (t.audio) t.audio.samplingFrequency = readFloat(data);
        return;
      case Id.OutputSamplingFrequency:
        if (t.audio) t.audio.outputSamplingFrequency = readFloat(data);
        return;
      case Id.Channels:
        if (t.audio) t.audio.channels = readUint(data);
        return;
      case Id.BitDepth:
        if (t.audio) t.audio.bitDepth = readUint(data);
        return;
    }
  }

  private endTrackEntry(): void {
    const t = this.trackDraft;
    this.trackDraft = undefined;
    if (t === undefined) return; // unreachable: the reader skips a TrackEntry nested in another
    if (t.number === undefined || t.number === 0) {
      throw new KvsError('STATUS_TRACK_INFO_MISSING', 'TrackEntry without a TrackNumber', {
        offset: this.reader.position,
      });
    }
    const type = t.type ?? 0;
    const track: MkvTrack = {
      ...t,
      number: t.number,
      type,
      typeName: TYPE_NAMES[type] ?? 'unknown',
      codecId: t.codecId ?? '',
    };
    this.tracksList.push(track);
    this.trackByNumber[t.number] = track;
  }

  private tagLeaf(id: number, data: Uint8Array): void {
    const st = this.simpleTagStack[this.simpleTagStack.length - 1];
    const targets = this.tag?.targets;
    switch (id) {
      case Id.TagName:
        if (st) st.name = readUtf8(data);
        return;
      case Id.TagString:
        if (st) st.value = readUtf8(data);
        return;
      case Id.TagBinary:
        if (st) st.binary = data;
        return;
      case Id.TagLanguage:
        if (st) st.language = readString(data);
        return;
      case Id.TagDefault:
        if (st) st.isDefault = readUint(data) !== 0;
        return;
      case Id.TargetTypeValue:
        if (targets) targets.typeValue = readUint(data);
        return;
      case Id.TargetType:
        if (targets) targets.type = readString(data);
        return;
      case Id.TagTrackUID:
        targets?.trackUids.push(readBigUint(data));
        return;
      case Id.TagEditionUID:
        targets?.editionUids.push(readBigUint(data));
        return;
      case Id.TagChapterUID:
        targets?.chapterUids.push(readBigUint(data));
        return;
      case Id.TagAttachmentUID:
        targets?.attachmentUids.push(readBigUint(data));
        return;
    }
  }

  private endBlockGroup(): void {
    const block = this.groupBlock;
    if (block === undefined) return; // a BlockGroup without Block carries no frame
    this.groupBlock = undefined;
    this.block(block, this.groupBlockOffset, true);
  }

  /** Sets the TimestampScale in force, and its µs per tick for {@link toUs}. */
  private setTimecodeScale(scale: number): void {
    this.info.timecodeScale = scale;
    ({ num: this.tickNum, den: this.tickDen } = usPerTick(scale));
  }

  /**
   * Ticks → µs by @kvs-ts/core's ticksToUs rule (exact for epoch-based KVS times), with the
   * scale's µs per tick worked out once. Kept this small so that the JIT always inlines it.
   */
  private toUs(ticks: number): number {
    return (ticks * this.tickNum) / this.tickDen;
  }

  /** Parses a SimpleBlock or Block payload and emits its frame(s). */
  private block(data: Uint8Array, offset: number, fromGroup: boolean): void {
    const len = data.length;
    const tl = len > 0 ? vintLength(data[0]) : 0;
    if (tl === 0 || tl + 3 > len) {
      throw new KvsError('STATUS_FORMAT_ERROR', `malformed ${fromGroup ? 'Block' : 'SimpleBlock'} header`, { offset });
    }
    let track = data[0] & (0xff >> tl);
    for (let i = 1; i < tl; i++) track = track * 256 + data[i];
    const tcHi = data[tl];
    const relative = ((tcHi & 0x80 ? tcHi - 256 : tcHi) << 8) | data[tl + 1];
    const flags = data[tl + 2];
    this.announceCluster();
    const f = this.frameObj;
    f.trackNumber = track;
    f.relativeTimecode = relative;
    f.timestampUs = this.toUs(this.clusterTimecode + relative);
    f.invisible = (flags & 0x08) !== 0;
    f.fromBlockGroup = fromGroup;
    if (fromGroup) {
      f.keyFrame = this.groupRefs.length === 0;
      f.discardable = false;
      f.durationUs = this.groupDuration === undefined ? undefined : this.toUs(this.groupDuration);
      f.references = this.groupRefs;
    } else {
      f.keyFrame = (flags & 0x80) !== 0;
      f.discardable = (flags & 0x01) !== 0;
      f.durationUs = undefined;
      f.references = NO_REFS;
    }
    const start = tl + 3;
    const lacing = (flags >> 1) & 3;
    if (lacing === 0) {
      f.data = data.subarray(start);
      f.offset = offset + start;
      f.laceIndex = 0;
      f.laceCount = 1;
      this.handler.frame?.(f);
      return;
    }
    this.laced(data, offset, start, lacing, track);
  }

  /** Expands Xiph (1), fixed-size (2) and EBML (3) lacing (sizes: lacing.ts). */
  private laced(data: Uint8Array, offset: number, start: number, lacing: number, track: number): void {
    const sizes = this.laceSizes;
    const count = readLaceSizes(data, offset, start, lacing, sizes);
    let pos = sizes[LACE_DATA_START];
    const f = this.frameObj;
    const base = f.timestampUs;
    const stepNs = this.trackByNumber[track]?.defaultDurationNs ?? 0;
    f.laceCount = count;
    for (let i = 0; i < count; i++) {
      f.data = data.subarray(pos, pos + sizes[i]);
      f.offset = offset + pos;
      f.laceIndex = i;
      f.timestampUs = base + (i * stepNs) / 1000;
      pos += sizes[i];
      this.handler.frame?.(f);
    }
  }
}

const NO_REFS: readonly number[] = Object.freeze([]);
