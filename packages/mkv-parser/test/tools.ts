/// <reference types="node" />
// Node-only helpers for *.node.test.ts: run ffprobe, mkvinfo and friends, and read what they
// print. Each reader follows the tool's documented output (JSON for ffprobe, mkvinfo's tree).
import { spawnSync } from 'node:child_process';

/** With KVS_REQUIRE_TOOLS=1 a missing tool fails the tests instead of skipping them. */
export const REQUIRE_TOOLS = process.env.KVS_REQUIRE_TOOLS === '1';

/** How to ask each tool (or GStreamer element) whether it is there. */
const PROBES: Record<string, [string, string[]]> = {
  ffmpeg: ['ffmpeg', ['-version']],
  ffprobe: ['ffprobe', ['-version']],
  mkvinfo: ['mkvinfo', ['--version']],
  mkvmerge: ['mkvmerge', ['--version']],
  'gst-launch-1.0': ['gst-launch-1.0', ['--version']],
};

/** The names in `tools` that cannot be run. GStreamer elements are given as `gst:x264enc`. */
export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => {
    const [cmd, args] = t.startsWith('gst:') ? ['gst-inspect-1.0', [t.slice(4)]] : (PROBES[t] ?? [t, ['--version']]);
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return r.error !== undefined || r.status !== 0;
  });
}

/** Why a suite is skipped, for its title. */
export function skipReason(missing: string[]): string {
  return missing.length === 0
    ? ''
    : ` (skipped: ${missing.join(', ')} not installed; KVS_REQUIRE_TOOLS=1 fails instead)`;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Runs a command to completion (no shell). */
export function run(cmd: string, args: string[], options: { cwd?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs a command that must succeed; returns its stdout. */
export function runOk(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return r.stdout;
}

/** One stream as ffprobe -show_streams -count_packets reports it. */
export interface ProbeStream {
  index: number;
  codecName: string;
  codecType: string;
  width?: number;
  height?: number;
  sampleRate?: number;
  channels?: number;
  packets: number;
}

/** ffprobe's streams, with the packets it read for each; none when ffprobe cannot open the file. */
export function ffprobeStreams(file: string): ProbeStream[] {
  const { stdout } = run('ffprobe', [
    '-v',
    'quiet',
    '-count_packets',
    '-show_entries',
    'stream=index,codec_name,codec_type,width,height,sample_rate,channels,nb_read_packets',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(stdout || '{}') as { streams?: Record<string, string | number>[] };
  return (json.streams ?? []).map((s) => ({
    index: Number(s.index),
    codecName: String(s.codec_name ?? ''),
    codecType: String(s.codec_type ?? ''),
    width: s.width === undefined ? undefined : Number(s.width),
    height: s.height === undefined ? undefined : Number(s.height),
    sampleRate: s.sample_rate === undefined ? undefined : Number(s.sample_rate),
    channels: s.channels === undefined ? undefined : Number(s.channels),
    packets: Number(s.nb_read_packets ?? 0),
  }));
}

/** The frame total exactly as scripts/record-aws-oracle.sh computes it. */
export function ffprobeFrameTotal(file: string): number {
  const r = run('ffprobe', [
    '-v',
    'quiet',
    '-count_packets',
    '-show_entries',
    'stream=nb_read_packets',
    '-of',
    'csv=p=0',
    file,
  ]);
  return r.stdout
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => Number.isFinite(n))
    .reduce((a, b) => a + b, 0);
}

/** One packet as ffprobe -show_packets reports it. */
export interface ProbePacket {
  stream: number;
  key: boolean;
  /** pts in ms (the Matroska demuxer's time base), undefined for N/A. */
  ptsMs: number | undefined;
}

/** ffprobe's packets in demux (file) order, and what it complained about. */
export function ffprobePackets(file: string): { packets: ProbePacket[]; stderr: string; status: number | null } {
  const r = run('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,flags,pts_time', '-of', 'json', file]);
  const json = JSON.parse(r.stdout || '{}') as {
    packets?: { stream_index: number; flags: string; pts_time?: string }[];
  };
  const packets = (json.packets ?? []).map((p) => ({
    stream: p.stream_index,
    key: p.flags.includes('K'),
    ptsMs: p.pts_time === undefined ? undefined : Math.round(Number(p.pts_time) * 1000),
  }));
  return { packets, stderr: r.stderr, status: r.status };
}

/** The packets of one stream. */
export function packetsOf(packets: ProbePacket[], stream: number): ProbePacket[] {
  return packets.filter((p) => p.stream === stream);
}

/** Cluster and SimpleTag counts from `mkvinfo -a`, as scripts/record-aws-oracle.sh counts them. */
export function mkvinfoCounts(file: string): { clusters: number; simpleTags: number; complete: boolean } {
  const r = run('mkvinfo', ['-a', file]);
  const text = r.stdout + r.stderr;
  const lines = text.split('\n');
  return {
    clusters: lines.filter((l) => l.startsWith('|+ Cluster')).length,
    simpleTags: lines.filter((l) => /^\| +\+ Simple$/.test(l)).length,
    complete: !text.includes('Resync failed'),
  };
}

/** Frames in SimpleBlocks flagged key, per track, from `mkvinfo -v` (its own reading of the flag). */
export function mkvinfoKeyFrames(file: string): Map<number, number> {
  const out = run('mkvinfo', ['-v', file]).stdout;
  const keys = new Map<number, number>();
  for (const m of out.matchAll(/Simple block: key[^\n]*?track number (\d+), (\d+) frame\(s\)/g)) {
    keys.set(Number(m[1]), (keys.get(Number(m[1])) ?? 0) + Number(m[2]));
  }
  return keys;
}

/**
 * ffmpeg codecs whose every packet ffprobe flags K (the codec is intra-only), whatever the
 * container says: for these, the container's key flag has to be read by another tool.
 */
export const INTRA_ONLY = new Set(['mjpeg', 'png', 'prores', 'rawvideo', 'ffv1', 'dnxhd']);

export type LacingName = 'none' | 'xiph' | 'fixed' | 'ebml';
const LACING_NAMES: LacingName[] = ['none', 'xiph', 'fixed', 'ebml'];

/** How many (Simple)Blocks of each track use each lacing, from mkvinfo's block positions and the raw flag bytes. */
export function blockLacings(file: string, bytes: Uint8Array): Map<number, Record<LacingName, number>> {
  const out = runOk('mkvinfo', ['-a', '-v', '-v', file]);
  const result = new Map<number, Record<LacingName, number>>();
  const vlen = (b: number) => (b === 0 ? 9 : Math.clz32(b) - 23);
  for (const m of out.matchAll(/(?:Simple block|Block): [^\n]*?track number (\d+), \d+ frame\(s\)[^\n]* at (\d+)/g)) {
    let pos = Number(m[2]);
    pos += vlen(bytes[pos]); // element ID (0xA3 or 0xA1)
    pos += vlen(bytes[pos]); // element size
    pos += vlen(bytes[pos]) + 2; // track number, relative timecode
    const lacing = LACING_NAMES[(bytes[pos] >> 1) & 3];
    const track = Number(m[1]);
    let rec = result.get(track);
    if (rec === undefined) {
      rec = { none: 0, xiph: 0, fixed: 0, ebml: 0 };
      result.set(track, rec);
    }
    rec[lacing]++;
  }
  return result;
}

/** The Matroska CodecID each ffprobe codec_name is stored under (by the muxers used in these tests). */
export const CODEC_IDS: Record<string, string[]> = {
  h264: ['V_MPEG4/ISO/AVC'],
  hevc: ['V_MPEGH/ISO/HEVC'],
  vp9: ['V_VP9'],
  vp8: ['V_VP8'],
  aac: ['A_AAC', 'A_AAC/MPEG4/LC', 'A_AAC/MPEG2/LC'],
  opus: ['A_OPUS'],
  vorbis: ['A_VORBIS'],
  mp3: ['A_MPEG/L3'],
  ac3: ['A_AC3'],
  flac: ['A_FLAC'],
  subrip: ['S_TEXT/UTF8'],
  mjpeg: ['V_MS/VFW/FOURCC', 'V_MJPEG'],
};
