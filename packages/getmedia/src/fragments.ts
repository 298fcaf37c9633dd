// GetMedia and GetMediaForFragmentList bodies, fragment by fragment. The service sends each
// fragment as an MKV stream of its own (EBML header, Segment, Info, Tracks), with tags it adds
// around the fragment's cluster: AWS_KINESISVIDEO_FRAGMENT_NUMBER, _SERVER_TIMESTAMP and
// _PRODUCER_TIMESTAMP before it, _MILLIS_BEHIND_NOW and _CONTINUATION_TOKEN after it (the
// captures in the shared AWS test vectors show the layout; test/fragments.test.ts reads them),
// and _ERROR_CODE / _ERROR_ID when GetMedia stops on an error. GetMediaForFragmentList names two
// of them differently (_SERVER_SIDE_TIMESTAMP, _PRODUCER_SIDE_TIMESTAMP) and reports errors as
// _EXCEPTION_ERROR_CODE / _EXCEPTION_MESSAGE. Tags the producer put into the fragment (fragment
// metadata) are kept in `tags`. Frames are views of the input, never copies.

import { type ByteSource, chunksOf, decimalSecondsToUs, KvsError } from '@kvs-ts/core';
import {
  type ClusterStart,
  type MkvFrame,
  MkvParser,
  type MkvParserOptions,
  type MkvSimpleTag,
  type MkvTag,
  type MkvTrack,
  type SegmentInfo,
} from '@kvs-ts/mkv-parser';

/** One frame of a fragment. */
export interface MediaFrame {
  trackNumber: number;
  /** Presentation timestamp, µs (the fragment's timeline: producer time for KVS streams). */
  timestamp: number;
  key: boolean;
  /** BlockGroup duration in µs, when the stream gives one. */
  duration?: number;
  /** The frame's bytes: a view of the body, valid as long as you hold it. */
  data: Uint8Array;
}

/** A name/value tag of the fragment that the service did not add (the producer's fragment metadata). */
export interface FragmentTag {
  name: string;
  value?: string;
  binary?: Uint8Array;
}

/** One fragment of a GetMedia / GetMediaForFragmentList body. */
export interface MediaFragment {
  /** AWS_KINESISVIDEO_FRAGMENT_NUMBER: a decimal string (~47 digits). */
  fragmentNumber?: string;
  /** When the service received the fragment, µs since the epoch. */
  serverTimestamp?: number;
  /** The producer's timestamp of the fragment, µs since the epoch. */
  producerTimestamp?: number;
  /** AWS_KINESISVIDEO_MILLIS_BEHIND_NOW (GetMedia only). */
  millisBehindNow?: number;
  /** AWS_KINESISVIDEO_CONTINUATION_TOKEN (GetMedia only): start here to resume after this fragment. */
  continuationToken?: string;
  /** The MKV stream's Info and Tracks (the same objects for fragments of one MKV stream). */
  info: SegmentInfo;
  tracks: readonly MkvTrack[];
  /** Cluster timecode of the fragment in ticks (Info.timecodeScale ns each), and in µs. */
  clusterTimecode?: number;
  clusterTimestamp?: number;
  frames: MediaFrame[];
  tags: FragmentTag[];
  /**
   * Set when the service stopped on an error (AWS_KINESISVIDEO_ERROR_ID / _ERROR_CODE, or
   * GetMediaForFragmentList's _EXCEPTION_ERROR_CODE / _EXCEPTION_MESSAGE). `id` is 0 when the
   * service gave only a code.
   */
  error?: { id: number; code: string; message?: string };
}

/** Where fragments go. */
export interface FragmentHandler {
  fragment(fragment: MediaFragment): void;
}

const PREFIX = 'AWS_KINESISVIDEO_';

/**
 * Push parser of a GetMedia body into fragments. A fragment is handed out once it is complete:
 * at its continuation token, at the next fragment's start, or at the end of the body.
 */
export class FragmentAssembler {
  private readonly parser: MkvParser;
  private info: SegmentInfo = { timecodeScale: 1_000_000 };
  private tracks: readonly MkvTrack[] = [];
  /** The fragment being read (undefined between fragments). */
  private current: MediaFragment | undefined;
  private sawCluster = false;

  constructor(
    private readonly handler: FragmentHandler,
    options?: MkvParserOptions,
  ) {
    this.parser = new MkvParser(
      {
        ebmlHeader: () => this.flush(),
        info: (info) => {
          this.info = info;
        },
        tracks: (tracks) => {
          this.tracks = tracks;
          if (this.current && !this.sawCluster) this.current.tracks = tracks;
        },
        clusterStart: (c) => this.clusterStart(c),
        frame: (f) => this.frame(f),
        tags: (tags) => this.tags(tags),
      },
      options,
    );
  }

  /** Parses the next chunk of the body. KvsError on malformed MKV (with its byte offset). */
  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** The body ended: the last fragment is handed out. STATUS_UNEXPECTED_EOF if it was cut inside an element. */
  end(): void {
    try {
      this.parser.end();
    } finally {
      this.flush();
    }
  }

  private fragment(): MediaFragment {
    if (this.current === undefined) {
      this.current = { info: this.info, tracks: this.tracks, frames: [], tags: [] };
      this.sawCluster = false;
    }
    return this.current;
  }

  private clusterStart(c: ClusterStart): void {
    // A second cluster in one MKV stream (a merged file, a producer's own MKV): a new fragment.
    if (this.sawCluster) this.flush();
    const f = this.fragment();
    this.sawCluster = true;
    f.clusterTimecode = c.timecode;
    f.clusterTimestamp = c.timestampUs;
  }

  private frame(frame: MkvFrame): void {
    const f = this.fragment();
    const out: MediaFrame = {
      trackNumber: frame.trackNumber,
      timestamp: frame.timestampUs,
      key: frame.keyFrame,
      data: frame.data,
    };
    if (frame.durationUs !== undefined) out.duration = frame.durationUs;
    f.frames.push(out);
  }

  private tags(tags: MkvTag[]): void {
    let ended = false;
    for (const tag of tags) {
      for (const st of tag.simpleTags) if (this.simpleTag(st)) ended = true;
    }
    if (ended) this.flush();
  }

  /** One SimpleTag; true when it ends the fragment (its continuation token). */
  private simpleTag(st: MkvSimpleTag): boolean {
    if (!st.name.startsWith(PREFIX)) {
      // The file's own tags before a fragment's first service tag belong to that fragment too.
      this.fragment().tags.push(st.binary ? { name: st.name, binary: st.binary } : { name: st.name, value: st.value });
      return false;
    }
    const f = this.fragment();
    const value = st.value ?? '';
    switch (st.name.slice(PREFIX.length)) {
      case 'FRAGMENT_NUMBER':
        // A fragment number after a cluster starts the next fragment (no continuation token between).
        if (this.sawCluster && f.fragmentNumber !== undefined) {
          this.flush();
          return this.simpleTag(st);
        }
        f.fragmentNumber = value;
        return false;
      case 'SERVER_TIMESTAMP':
      case 'SERVER_SIDE_TIMESTAMP':
        f.serverTimestamp = decimalSecondsToUs(value);
        return false;
      case 'PRODUCER_TIMESTAMP':
      case 'PRODUCER_SIDE_TIMESTAMP':
        f.producerTimestamp = decimalSecondsToUs(value);
        return false;
      case 'MILLIS_BEHIND_NOW': {
        const ms = Number(value);
        if (Number.isFinite(ms)) f.millisBehindNow = ms;
        return false;
      }
      case 'CONTINUATION_TOKEN':
        f.continuationToken = value;
        return this.sawCluster;
      case 'ERROR_CODE':
      case 'EXCEPTION_ERROR_CODE':
        f.error = { id: f.error?.id ?? 0, code: value, message: f.error?.message };
        return false;
      case 'ERROR_ID': {
        const id = Number(value);
        f.error = { id: Number.isFinite(id) ? id : 0, code: f.error?.code ?? '', message: f.error?.message };
        return false;
      }
      case 'EXCEPTION_MESSAGE':
        f.error = { id: f.error?.id ?? 0, code: f.error?.code ?? '', message: value };
        return false;
      default:
        f.tags.push({ name: st.name, value: st.value });
        return false;
    }
  }

  /** Hands out the fragment being read, if it has anything in it. */
  private flush(): void {
    const f = this.current;
    this.current = undefined;
    this.sawCluster = false;
    if (f === undefined) return;
    if (
      f.frames.length === 0 &&
      f.fragmentNumber === undefined &&
      f.error === undefined &&
      f.clusterTimecode === undefined
    )
      return;
    if (f.error !== undefined && f.error.message === undefined) delete f.error.message;
    this.handler.fragment(f);
  }
}

/**
 * The fragments of a body (a fetch Response's `body`, a file stream, an array of chunks), in order. Rejects with a
 * KvsError on malformed MKV; the fragments before the fault were yielded.
 */
export async function* readFragments(
  body: ByteSource,
  options?: MkvParserOptions,
): AsyncGenerator<MediaFragment, void, undefined> {
  const ready: MediaFragment[] = [];
  const assembler = new FragmentAssembler({ fragment: (f) => ready.push(f) }, options);
  for await (const chunk of chunksOf(body)) {
    if (!(chunk instanceof Uint8Array)) throw new KvsError('STATUS_INVALID_ARG', 'a body chunk is not a Uint8Array');
    assembler.push(chunk);
    while (ready.length > 0) yield ready.shift() as MediaFragment;
  }
  assembler.end();
  while (ready.length > 0) yield ready.shift() as MediaFragment;
}
