// The emulator's data: streams as DescribeStream shows them, and their fragments as GetMedia,
// ListFragments and GetMediaForFragmentList serve them.

/** DescribeStream's StreamInfo.Status values. */
export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

/** What is kept of a stream (persisted as JSON with a data dir). */
export interface StreamMeta {
  name: string;
  arn: string;
  deviceName?: string;
  mediaType?: string;
  kmsKeyId: string;
  version: string;
  status: StreamStatus;
  /** Epoch ms. */
  creationTime: number;
  retentionHours: number;
  tags: Record<string, string>;
}

/** One stored fragment: everything needed to answer GetMedia and ListFragments. */
export interface Fragment {
  /** 47-digit decimal string, increasing within a stream. */
  number: string;
  /** Epoch ms, cluster timecode (+ producer start for RELATIVE uploads). */
  producerTimestampMs: number;
  /** Epoch ms, when the fragment's first byte reached the emulator. */
  serverTimestampMs: number;
  durationMs: number;
  /** Bytes of the cluster (FragmentSizeInBytes): the sum of `cluster`'s pieces. */
  size: number;
  /** EBML header, Segment start, Info and Tracks of the MKV stream this fragment came in. */
  header: Buffer;
  /** The producer's fragment metadata: its Tags elements as sent (empty when none). */
  tags: Buffer;
  /**
   * The Cluster, with a known size, without the producer's Tags, in pieces: a 12-byte element
   * header, then views of the body chunks as they were received (fragmenter.ts, closeCluster),
   * so that storing a fragment copies nothing. Written out piece by piece (a writev).
   */
  cluster: readonly Buffer[];
  /** Whether PERSISTED was (or may be) acknowledged. */
  persisted: boolean;
}

export interface StreamRecord {
  meta: StreamMeta;
  fragments: Fragment[];
  /** An open PutMedia (the service allows one per stream). */
  putMediaOpen: boolean;
  /** Cuts the open PutMedia connection, as a network failure would (fault injection). */
  dropPutMedia?: () => void;
  /** Open GetMedia connections (the service allows three per stream). */
  getMediaOpen: number;
  /** Called whenever a fragment is added (GetMedia's live tailing). */
  listeners: Set<() => void>;
}
