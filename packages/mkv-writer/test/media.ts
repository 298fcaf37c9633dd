// Real encoder output from the repository's test-vectors/ (ffmpeg-made H.264 Annex-B and AAC
// ADTS with frame indexes), turned into writer frames.

import { parseAdtsHeader } from '@kvs-ts/codecs';
import { type Frame, FrameFlags } from '@kvs-ts/core';
import { readRepoVector } from '@kvs-ts/test-support';

interface IndexEntry {
  ptsUs: number;
  dtsUs: number;
  durationUs: number;
  key: boolean;
  offset: number;
  size: number;
}

async function index(name: string): Promise<IndexEntry[]> {
  const json = JSON.parse(new TextDecoder().decode(await readRepoVector(`${name}.json`))) as { frames: IndexEntry[] };
  return json.frames;
}

/** Annex-B H.264 access units of a test vector, as frames of `trackId`, timestamps shifted by `baseUs`. */
export async function h264Frames(name: string, trackId = 1, baseUs = 0): Promise<Frame[]> {
  const bytes = await readRepoVector(name);
  return (await index(name)).map((e, i) => ({
    trackId,
    pts: baseUs + e.ptsUs,
    dts: baseUs + e.dtsUs,
    duration: e.durationUs,
    flags: e.key ? FrameFlags.KEY_FRAME : FrameFlags.NONE,
    data: bytes.subarray(e.offset, e.offset + e.size),
    index: i,
  }));
}

/**
 * Raw AAC frames (ADTS headers stripped, as Matroska stores them) of the test vector, and the
 * first ADTS header. AAC frames carry no key flag: only video key frames start fragments anyway.
 */
export async function aacFrames(
  trackId = 2,
  baseUs = 0,
): Promise<{ frames: Frame[]; header: ReturnType<typeof parseAdtsHeader> }> {
  const name = 'aac-lc-48khz-mono.aac';
  const bytes = await readRepoVector(name);
  const entries = await index(name);
  const header = parseAdtsHeader(bytes, 0);
  const frames = entries.map((e, i) => {
    const h = parseAdtsHeader(bytes, e.offset);
    return {
      trackId,
      pts: baseUs + e.ptsUs,
      dts: baseUs + e.dtsUs,
      duration: e.durationUs,
      flags: FrameFlags.NONE,
      data: bytes.subarray(e.offset + h.headerLength, e.offset + e.size),
      index: i,
    };
  });
  return { frames, header };
}

/** Merges frame lists by DTS (stable), as a capture pipeline would interleave them. */
export function interleave(...lists: Frame[][]): Frame[] {
  return lists.flat().sort((a, b) => a.dts - b.dts);
}
