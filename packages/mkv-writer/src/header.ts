// The stream header PIC writes at every stream start: EBML header, Segment of unknown size,
// Info and Tracks, with PIC's fixed-width sizes (1-byte EBML, 2-byte Info, 4-byte Tracks,
// TrackEntry, Video and Audio) so that the bytes match what AWS's producers send.

import { TrackType } from '@kvs-ts/core';
import { EbmlBuilder, Id } from '@kvs-ts/ebml';
import type { ResolvedTrack } from './tracks';

/** What the Info element carries. */
export interface SegmentInfo {
  segmentUuid: Uint8Array;
  timecodeScaleNs: number;
  title: string;
  muxingApp: string;
  writingApp: string;
}

/** Appends the 40-byte EBML header PIC writes (DocType matroska, versions 2/2). */
export function writeEbmlHeader(b: EbmlBuilder): EbmlBuilder {
  return b
    .start(Id.EBML, { sizeLen: 1 })
    .uint(Id.EBMLVersion, 1)
    .uint(Id.EBMLReadVersion, 1)
    .uint(Id.EBMLMaxIDLength, 4)
    .uint(Id.EBMLMaxSizeLength, 8)
    .string(Id.DocType, 'matroska')
    .uint(Id.DocTypeVersion, 2)
    .uint(Id.DocTypeReadVersion, 2)
    .end();
}

/** Appends the Info element: SegmentUID, 8-byte TimecodeScale, Title, MuxingApp, WritingApp. */
export function writeInfo(b: EbmlBuilder, info: SegmentInfo): EbmlBuilder {
  return b
    .start(Id.Info, { sizeLen: 2 })
    .binary(Id.SegmentUUID, info.segmentUuid)
    .uint(Id.TimestampScale, info.timecodeScaleNs, 8)
    .string(Id.Title, info.title)
    .string(Id.MuxingApp, info.muxingApp)
    .string(Id.WritingApp, info.writingApp)
    .end();
}

/** Appends the Tracks element in PIC's TrackEntry order. */
export function writeTracks(b: EbmlBuilder, tracks: readonly ResolvedTrack[]): EbmlBuilder {
  b.start(Id.Tracks, { sizeLen: 4 });
  for (const t of tracks) {
    b.start(Id.TrackEntry, { sizeLen: 4 })
      .uint(Id.TrackNumber, t.trackNumber, 1)
      .uint(Id.TrackUID, t.trackId, 8)
      .uint(Id.TrackType, t.trackType, 1);
    if (t.trackName.length > 0) b.string(Id.Name, t.trackName);
    if (t.codecId.length > 0) b.string(Id.CodecID, t.codecId);
    if (t.trackType === TrackType.VIDEO && t.video !== undefined && t.video.width !== 0) {
      b.start(Id.Video, { sizeLen: 4 })
        .uint(Id.PixelWidth, t.video.width, 2)
        .uint(Id.PixelHeight, t.video.height, 2)
        .end();
    } else if (t.trackType === TrackType.AUDIO && t.audio !== undefined && t.audio.samplingFrequency !== 0) {
      b.start(Id.Audio, { sizeLen: 4 })
        .float(Id.SamplingFrequency, t.audio.samplingFrequency, 8)
        .uint(Id.Channels, t.audio.channels, 1);
      if (t.audio.bitDepth) b.uint(Id.BitDepth, t.audio.bitDepth, 1);
      b.end();
    }
    if (t.codecPrivateData !== undefined && t.codecPrivateData.length > 0)
      b.binary(Id.CodecPrivate, t.codecPrivateData);
    b.end();
  }
  return b.end();
}

/** EBML header + Segment (unknown size) + Info + Tracks, as one array. */
export function buildStreamHeader(info: SegmentInfo, tracks: readonly ResolvedTrack[]): Uint8Array {
  let cpd = 0;
  for (const t of tracks) cpd += t.codecPrivateData?.length ?? 0;
  const b = new EbmlBuilder(512 + cpd);
  writeEbmlHeader(b);
  b.start(Id.Segment, { unknown: true });
  writeInfo(b, info);
  writeTracks(b, tracks);
  return b.toBytes();
}
