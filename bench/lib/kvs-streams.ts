// Synthetic KVS-layout MKV streams for benchmarks: PIC's byte layout (unknown-size Segment and
// Clusters, 8-byte SimpleBlock sizes, a cluster per 2 s fragment), frame bytes that need not
// be real video. Built with @kvs-ts/ebml so the parser benchmark does not depend on the writer.
import { EbmlBuilder, Id } from '@kvs-ts/ebml';

export interface StreamShape {
  name: string;
  /** Per track: frames per second and average frame size (bytes). */
  tracks: Array<{ fps: number; avgBytes: number; codecId: string; type: 1 | 2 }>;
  seconds: number;
}

/** 1080p-like: one video track, ~34 KB frames at 25 fps. */
export const LARGE: StreamShape = {
  name: '1080p (34 KB frames, 1 track)',
  tracks: [{ fps: 25, avgBytes: 34_000, codecId: 'V_MPEG4/ISO/AVC', type: 1 }],
  seconds: 80,
};
/** 360p + AAC-like: ~1.6 KB average frames over two tracks. */
export const SMALL: StreamShape = {
  name: '360p + AAC (~1.6 KB frames, 2 tracks)',
  tracks: [
    { fps: 25, avgBytes: 2_700, codecId: 'V_MPEG4/ISO/AVC', type: 1 },
    { fps: 46.875, avgBytes: 1_000, codecId: 'A_AAC', type: 2 },
  ],
  seconds: 240,
};

// A real H.264 SPS/PPS (1280x720 High) as avcC, so demuxers that look at it are content.
const AVCC = Uint8Array.from([
  0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01,
  0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xf1, 0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68,
  0xeb, 0xe3, 0xcb, 0x22, 0xc0,
]);
const ASC = Uint8Array.of(0x11, 0x90); // AAC-LC 48 kHz stereo

export interface BuiltStream {
  bytes: Uint8Array;
  frames: number;
  frameBytes: number;
}

/** Builds the stream; frame sizes vary ±50 % around the average, key frame every 2 s. */
export function buildStream(shape: StreamShape): BuiltStream {
  const b = new EbmlBuilder(1 << 20);
  b.start(Id.EBML, { sizeLen: 1 })
    .uint(Id.EBMLVersion, 1)
    .uint(Id.EBMLReadVersion, 1)
    .uint(Id.EBMLMaxIDLength, 4)
    .uint(Id.EBMLMaxSizeLength, 8)
    .string(Id.DocType, 'matroska')
    .uint(Id.DocTypeVersion, 2)
    .uint(Id.DocTypeReadVersion, 2)
    .end();
  b.start(Id.Segment, { unknown: true });
  b.start(Id.Info, { sizeLen: 2 })
    .uint(Id.TimestampScale, 1_000_000, 8)
    .string(Id.MuxingApp, 'bench')
    .string(Id.WritingApp, 'bench')
    .end();
  b.start(Id.Tracks, { sizeLen: 4 });
  shape.tracks.forEach((t, i) => {
    b.start(Id.TrackEntry, { sizeLen: 4 })
      .uint(Id.TrackNumber, i + 1)
      .uint(Id.TrackUID, i + 1, 8)
      .uint(Id.TrackType, t.type)
      .string(Id.CodecID, t.codecId);
    if (t.type === 1)
      b.start(Id.Video, { sizeLen: 4 })
        .uint(Id.PixelWidth, 1280, 2)
        .uint(Id.PixelHeight, 720, 2)
        .end()
        .binary(Id.CodecPrivate, AVCC);
    else
      b.start(Id.Audio, { sizeLen: 4 })
        .float(Id.SamplingFrequency, 48000)
        .uint(Id.Channels, 2)
        .end()
        .binary(Id.CodecPrivate, ASC);
    b.end();
  });
  b.end();
  // Interleave all tracks' frames by timestamp (ms).
  const events: Array<{ ms: number; track: number; size: number }> = [];
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  shape.tracks.forEach((t, i) => {
    const n = Math.floor(t.fps * shape.seconds);
    for (let k = 0; k < n; k++)
      events.push({
        ms: Math.floor((k * 1000) / t.fps),
        track: i + 1,
        size: Math.max(16, Math.round(t.avgBytes * (0.5 + rand()))),
      });
  });
  events.sort((a, b) => a.ms - b.ms || a.track - b.track);
  let clusterMs = -1;
  let frameBytes = 0;
  const payload = new Uint8Array(4 + Math.max(...events.map((e) => e.size)));
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 131) & 0xff;
  for (const e of events) {
    const key = e.track === 1 && e.ms % 2000 < 1000 / shape.tracks[0].fps && e.ms - clusterMs >= 2000 - 40;
    if (clusterMs < 0 || key) {
      clusterMs = e.ms;
      b.start(Id.Cluster, { unknown: true }).uint(Id.Timestamp, e.ms, 8).uint(Id.Position, 0);
    }
    const p = payload.subarray(0, 4 + e.size);
    p[0] = 0x80 | e.track;
    p[1] = ((e.ms - clusterMs) >> 8) & 0xff;
    p[2] = (e.ms - clusterMs) & 0xff;
    p[3] = key ? 0x80 : 0;
    b.binary(Id.SimpleBlock, p, 8);
    frameBytes += e.size;
  }
  return { bytes: b.toBytes(), frames: events.length, frameBytes };
}

/** The stream as 64 KiB chunks (views). */
export function chunks(bytes: Uint8Array, size = 65536): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
