/// <reference types="node" />
// Files made at test time by ffmpeg, mkvmerge and GStreamer (small: 2 s, low resolution), parsed
// and compared with ffprobe: tracks (CodecID, dimensions, sampling rate, channels), per-track
// frame counts, and per frame, in file order, the key flag and the pts. They cover what the
// AWS captures do not: B-frames, HEVC, VP9/Opus, CRC-32, laced audio (Xiph, EBML, fixed),
// BlockGroups (subtitles, references, GStreamer audio) and 8-byte unknown sizes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type MkvTrack, parseMkv } from '@kvs-ts/mkv-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { count, randomSplit } from './count';
import {
  blockLacings,
  CODEC_IDS,
  ffprobePackets,
  ffprobeStreams,
  type LacingName,
  missingTools,
  type ProbePacket,
  packetsOf,
  REQUIRE_TOOLS,
  runOk,
  skipReason,
} from './tools';
import { type TrackFrames, type TrackStats, trackStats, trackStatsFromEvents } from './track-stats';

const tmp = mkdtempSync(join(tmpdir(), 'kvs-mkv-parser-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const at = (name: string) => join(tmp, name);
const readBytes = (file: string): Uint8Array => {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

const FFMPEG = ['-v', 'error', '-nostdin', '-y'];
const VIDEO_SRC = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25'];
const SMALL_VIDEO_SRC = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25'];
const SINE = (rate: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`];

function ffmpeg(out: string, ...args: string[][]): string {
  runOk('ffmpeg', [...FFMPEG, ...args.flat(), at(out)]);
  return at(out);
}

/** A 2 s H.264 + AAC file from ffmpeg, made once and shared by the tests that remux it. */
let h264Aac: string | undefined;
function h264AacFile(): string {
  h264Aac ??= ffmpeg('h264-aac.mkv', VIDEO_SRC, SINE(48000), ['-t', '2', '-c:v', 'libx264', '-g', '25', '-c:a', 'aac']);
  return h264Aac;
}

const SUBTITLES = [
  [0, 500, 'Hello'],
  [600, 1200, 'World'],
  [1300, 1900, 'Bye'],
] as const;

function srtFile(): string {
  const t = (ms: number) => `00:00:0${Math.floor(ms / 1000)},${String(ms % 1000).padStart(3, '0')}`;
  const text = SUBTITLES.map(([a, b, s], i) => `${i + 1}\n${t(a)} --> ${t(b)}\n${s}\n`).join('\n');
  writeFileSync(at('subs.srt'), text);
  return at('subs.srt');
}

interface Compared {
  stats: TrackStats;
  bytes: Uint8Array;
  /** Track number of ffprobe stream i. */
  trackOf: (stream: number) => number;
}

/**
 * Parses `file` (in pseudo-random chunks) and checks it against ffprobe: the tracks, and per
 * track the number of frames and, frame by frame in file order, the key flag and the pts (ms).
 */
function compareWithFfprobe(file: string, stats?: TrackStats): Compared {
  const bytes = readBytes(file);
  const c = count(randomSplit(bytes, 7, 4096));
  expect(c.error).toBeUndefined();
  stats ??= trackStats(randomSplit(bytes, 11, 1500));
  expect(stats.error).toBeUndefined();

  const streams = ffprobeStreams(file);
  const { packets, status, stderr } = ffprobePackets(file);
  expect(status, stderr).toBe(0);
  expect(stats.tracks.length).toBe(streams.length);
  for (const s of streams) {
    const track = stats.tracks[s.index];
    const what = `stream ${s.index} (${s.codecName}) = track ${track.number}`;
    expect(CODEC_IDS[s.codecName], what).toContain(track.codecId);
    if (s.codecType === 'video') {
      expect(track.typeName, what).toBe('video');
      expect(track.video, what).toMatchObject({ pixelWidth: s.width, pixelHeight: s.height });
    } else if (s.codecType === 'audio') {
      expect(track.typeName, what).toBe('audio');
      expect(track.audio?.samplingFrequency, what).toBe(s.sampleRate);
      expect(track.audio?.channels, what).toBe(s.channels);
    } else if (s.codecType === 'subtitle') {
      expect(track.typeName, what).toBe('subtitle');
    }
    const ours = stats.byTrack.get(track.number);
    const theirs = packetsOf(packets, s.index);
    expect(ours?.frames ?? 0, what).toBe(s.packets);
    expect(theirs.length, what).toBe(s.packets);
    expect(ours?.keys, `${what}: key flags`).toEqual(theirs.map((p) => p.key));
    if (ours !== undefined) expectSamePts(ours, track, theirs, what);
  }
  expect(c.frames).toBe(packets.length);
  expect(c.keyFrames).toBe(packets.filter((p) => p.key).length);
  return { stats, bytes, trackOf: (i) => stats.tracks[i].number };
}

/**
 * Our timestamps against ffprobe's pts (ms), frame by frame. ffmpeg differs from the block
 * timestamps in two documented ways, which are modelled here rather than hidden:
 * - it subtracts CodecDelay (Opus) from every pts; our frames carry the block timestamp;
 * - it spaces laced frames by DefaultDuration truncated to whole ms per block (or, without a
 *   DefaultDuration, by durations its codec parser finds), where we add the exact
 *   DefaultDuration (or nothing). So frames after the first of a lace are compared within
 *   2 ms when the track has a DefaultDuration, and not at all when it has none.
 */
function expectSamePts(ours: TrackFrames, track: MkvTrack, theirs: ProbePacket[], what: string): void {
  const delayMs = Math.round((track.codecDelayNs ?? 0) / 1e6);
  const got: (number | undefined)[] = [];
  const want: (number | undefined)[] = [];
  let approximate = 0;
  ours.timestampsUs.forEach((us, i) => {
    const ms = Math.round(us / 1000) - delayMs;
    const theirsMs = theirs[i].ptsMs;
    if (ours.laceIndexes[i] === 0) {
      got.push(ms);
      want.push(theirsMs);
    } else if (track.defaultDurationNs !== undefined) {
      approximate++;
      got.push(theirsMs !== undefined && Math.abs(ms - theirsMs) <= 2 ? theirsMs : ms);
      want.push(theirsMs);
    }
  });
  expect(got, `${what}: pts (${approximate} laced frames within 2 ms)`).toEqual(want);
}

/** Laced-block counts of one track (from mkvinfo's block positions, not our parser). */
function lacingOf(file: string, bytes: Uint8Array, track: number): Record<LacingName, number> {
  return blockLacings(file, bytes).get(track) ?? { none: 0, xiph: 0, fixed: 0, ebml: 0 };
}

/** Whether the timestamps go backwards somewhere (B-frames: pts order ≠ decode order). */
const reordered = (ts: number[]) => ts.some((t, i) => i > 0 && t < ts[i - 1]);

const ffmpegMissing = missingTools(['ffmpeg', 'ffprobe']);
describe.skipIf(ffmpegMissing.length > 0 && !REQUIRE_TOOLS)(`ffmpeg-made files${skipReason(ffmpegMissing)}`, () => {
  it('ffmpeg and ffprobe are installed', () => expect(ffmpegMissing).toEqual([]));

  it('H.264 + AAC (libx264 -g 25, aac): tracks, frames, key flags and pts match ffprobe', () => {
    const { stats, trackOf } = compareWithFfprobe(h264AacFile());
    expect(stats.tracks.map((t) => t.codecId)).toEqual(['V_MPEG4/ISO/AVC', 'A_AAC']);
    expect(stats.byTrack.get(trackOf(0))?.keyFrames).toBe(2); // 2 s at one key frame per 25
  });

  it('H.264 + AAC to a pipe (unknown-size Segment, CRC-32 in clusters), read through parseMkv from a ReadableStream', async () => {
    const child = spawn(
      'ffmpeg',
      [
        ...FFMPEG,
        ...VIDEO_SRC,
        ...SINE(48000),
        ...['-t', '2', '-c:v', 'libx264', '-g', '25', '-c:a', 'aac', '-f', 'matroska', 'pipe:1'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const [toParse, toKeep] = (Readable.toWeb(child.stdout) as unknown as ReadableStream<Uint8Array>).tee();
    const kept: Uint8Array[] = [];
    const keeping = (async () => {
      for await (const chunk of toKeep as unknown as AsyncIterable<Uint8Array>) kept.push(chunk);
    })();
    const stats = await trackStatsFromEvents(parseMkv(toParse));
    await keeping;
    expect(await exited).toBe(0);
    expect(kept.length).toBeGreaterThan(1); // it really came in pieces
    writeFileSync(at('pipe.mkv'), Buffer.concat(kept));

    const { bytes } = compareWithFfprobe(at('pipe.mkv'), stats);
    expect(stats.segments).toBe(1);
    expect(stats.unknownSizeSegments).toBe(1);
    expect(stats.clusters).toBeGreaterThan(1);
    // Every Cluster starts with a CRC-32 element (ID BF, size 84), which the parser skips.
    for (const o of stats.clusterOffsets) {
      expect([...bytes.subarray(o, o + 4)]).toEqual([0x1f, 0x43, 0xb6, 0x75]);
      const sizeLen = Math.clz32(bytes[o + 4]) - 23;
      expect([bytes[o + 4 + sizeLen], bytes[o + 5 + sizeLen]], `CRC-32 at cluster ${o}`).toEqual([0xbf, 0x84]);
    }
  });

  it('HEVC (libx265): matches ffprobe', () => {
    const file = ffmpeg('hevc.mkv', SMALL_VIDEO_SRC, [
      ...['-t', '2', '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25:bframes=3'],
    ]);
    const { stats, trackOf } = compareWithFfprobe(file);
    expect(stats.tracks.map((t) => t.codecId)).toEqual(['V_MPEGH/ISO/HEVC']);
    expect(stats.byTrack.get(trackOf(0))?.frames).toBe(50);
  });

  it('VP9 + Opus WebM (libvpx-vp9, libopus stereo): matches ffprobe', () => {
    const file = ffmpeg('vp9-opus.webm', SMALL_VIDEO_SRC, SINE(48000), [
      ...['-t', '2', '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '25'],
      ...['-c:a', 'libopus', '-ac', '2', '-f', 'webm'],
    ]);
    const bytes = readBytes(file);
    expect(String.fromCharCode(...bytes.subarray(0, 64)).includes('webm')).toBe(true);
    const { stats } = compareWithFfprobe(file);
    expect(stats.tracks.map((t) => t.codecId)).toEqual(['V_VP9', 'A_OPUS']);
    expect(stats.tracks[1].codecDelayNs).toBeGreaterThan(0);
  });

  it('H.264 with B-frames (-bf 3): per-frame timestamps follow ffprobe pts order, which is not monotonic', () => {
    const file = ffmpeg('bframes.mkv', SMALL_VIDEO_SRC, ['-t', '2', '-c:v', 'libx264', '-bf', '3', '-g', '25']);
    const { stats, trackOf } = compareWithFfprobe(file);
    expect(reordered(stats.byTrack.get(trackOf(0))!.timestampsUs)).toBe(true);
  });

  it('SRT subtitles as BlockGroups with BlockDuration (ffmpeg): key frames, durations, pts', () => {
    const file = ffmpeg(
      'subs-ffmpeg.mkv',
      ['-i', h264AacFile(), '-i', srtFile()],
      ['-map', '0', '-map', '1', '-c', 'copy'],
    );
    const { stats, trackOf } = compareWithFfprobe(file);
    const subs = stats.byTrack.get(trackOf(2))!;
    expect(stats.tracks[2].codecId).toBe('S_TEXT/UTF8');
    expect(subs.frames).toBe(SUBTITLES.length);
    expect(subs.groupFrames).toBe(SUBTITLES.length);
    expect(subs.groupFramesWithDuration).toBe(SUBTITLES.length);
    expect(subs.groupFramesWithRefs).toBe(0);
    expect(subs.keys).toEqual(SUBTITLES.map(() => true));
    expect(subs.timestampsUs).toEqual(SUBTITLES.map(([a]) => a * 1000));
  });
});

const mkvmergeMissing = missingTools(['ffmpeg', 'ffprobe', 'mkvmerge', 'mkvinfo']);
describe.skipIf(mkvmergeMissing.length > 0 && !REQUIRE_TOOLS)(
  `mkvmerge-made files${skipReason(mkvmergeMissing)}`,
  () => {
    it('mkvmerge, mkvinfo, ffmpeg and ffprobe are installed', () => expect(mkvmergeMissing).toEqual([]));

    const mkvmerge = (out: string, ...args: string[]) => {
      runOk('mkvmerge', ['-q', '-o', at(out), ...args]);
      return at(out);
    };

    /** Checks a file whose only track is laced audio: ffprobe's packets = our lace-expanded frames. */
    function checkLaced(file: string, lacing: LacingName) {
      const { stats, bytes, trackOf } = compareWithFfprobe(file);
      const track = trackOf(stats.tracks.length - 1);
      const kinds = lacingOf(file, bytes, track);
      expect(kinds[lacing], `${lacing}-laced blocks in ${JSON.stringify(kinds)}`).toBeGreaterThan(0);
      const t = stats.byTrack.get(track)!;
      expect(t.lacedFrames).toBeGreaterThan(kinds[lacing]); // more frames than laced blocks
      return { stats, kinds, t };
    }

    it('remux of the ffmpeg file (mkvmerge -o x.mkv in.mkv): matches ffprobe; AAC is Xiph-laced by default', () => {
      const file = mkvmerge('remux.mkv', h264AacFile());
      const { kinds } = checkLaced(file, 'xiph');
      expect(kinds.ebml + kinds.fixed).toBe(0);
    });

    it('Xiph lacing (MP3, --engage lacing_xiph)', () => {
      const mp3 = ffmpeg('a.mp3', SINE(48000), ['-t', '2', '-c:a', 'libmp3lame', '-b:a', '64k']);
      checkLaced(mkvmerge('mp3-xiph.mkv', '--engage', 'lacing_xiph', mp3), 'xiph');
    });

    it('EBML lacing (MP3, --engage lacing_ebml)', () => {
      const mp3 = ffmpeg('b.mp3', SINE(48000), ['-t', '2', '-c:a', 'libmp3lame', '-b:a', '64k']);
      checkLaced(mkvmerge('mp3-ebml.mkv', '--engage', 'lacing_ebml', mp3), 'ebml');
    });

    it('EBML lacing (Vorbis, mkvmerge default)', () => {
      const ogg = ffmpeg('c.ogg', SINE(44100), ['-t', '2', '-c:a', 'libvorbis']);
      checkLaced(mkvmerge('vorbis.mkv', ogg), 'ebml');
    });

    it('fixed-size lacing (AC-3: constant frame size, mkvmerge default)', () => {
      const ac3 = ffmpeg('d.ac3', SINE(48000), ['-t', '2', '-c:a', 'ac3', '-ac', '2']);
      const { kinds } = checkLaced(mkvmerge('ac3.mkv', ac3), 'fixed');
      expect(kinds.xiph + kinds.ebml).toBe(0);
    });

    it('BlockGroups for every frame (--engage no_simpleblocks): key iff no ReferenceBlock, as ffprobe flags them', () => {
      const file = mkvmerge('groups.mkv', '--engage', 'no_simpleblocks', h264AacFile());
      const { stats, bytes, trackOf } = compareWithFfprobe(file);
      const video = stats.byTrack.get(trackOf(0))!;
      expect(video.groupFrames).toBe(video.frames);
      expect(video.groupFramesWithRefs).toBe(video.frames - video.keyFrames);
      expect(video.keyFrames).toBe(2);
      expect(reordered(video.timestampsUs)).toBe(true);
      // Laced Blocks inside BlockGroups (the AAC track) expand too.
      expect(lacingOf(file, bytes, trackOf(1)).xiph).toBeGreaterThan(0);
      expect(stats.byTrack.get(trackOf(1))!.groupFrames).toBe(stats.byTrack.get(trackOf(1))!.frames);
    });

    it('SRT subtitles as BlockGroups with BlockDuration (mkvmerge)', () => {
      const file = mkvmerge('subs-mkvmerge.mkv', h264AacFile(), srtFile());
      const { stats, trackOf } = compareWithFfprobe(file);
      const subs = stats.byTrack.get(trackOf(2))!;
      expect(subs.groupFrames).toBe(SUBTITLES.length);
      expect(subs.groupFramesWithDuration).toBe(SUBTITLES.length);
      expect(subs.keys).toEqual(SUBTITLES.map(() => true));
    });
  },
);

const gstMissing = missingTools(['gst-launch-1.0', 'gst:x264enc', 'gst:matroskamux', 'gst:vorbisenc', 'ffprobe']);
describe.skipIf(gstMissing.length > 0 && !REQUIRE_TOOLS)(`GStreamer-made files${skipReason(gstMissing)}`, () => {
  it('gst-launch-1.0 with x264enc, vorbisenc and matroskamux, and ffprobe, are installed', () =>
    expect(gstMissing).toEqual([]));

  it('matroskamux streamable=true (8-byte unknown-size Segment and Clusters; Vorbis in BlockGroups): matches ffprobe', () => {
    // h264parse (gst-plugins-bad) is not needed: x264enc negotiates stream-format=avc itself.
    const file = at('gst.mkv');
    runOk('gst-launch-1.0', [
      ...['-q', 'matroskamux', 'name=mux', 'streamable=true', '!', 'filesink', `location=${file}`],
      ...['videotestsrc', 'num-buffers=50', '!', 'video/x-raw,width=160,height=120,framerate=25/1'],
      ...['!', 'x264enc', 'key-int-max=25', 'bframes=0', '!', 'mux.'],
      ...['audiotestsrc', 'num-buffers=40', 'samplesperbuffer=1200', '!', 'audio/x-raw,rate=48000,channels=2'],
      ...['!', 'audioconvert', '!', 'vorbisenc', '!', 'mux.'],
    ]);
    const { stats, bytes, trackOf } = compareWithFfprobe(file);
    expect(stats.tracks.map((t) => t.codecId)).toEqual(['V_MPEG4/ISO/AVC', 'A_VORBIS']);
    expect(stats.unknownSizeSegments).toBe(1);
    expect(stats.clusters).toBeGreaterThan(0);
    expect(stats.unknownSizeClusters).toBe(stats.clusters);
    const unknown8 = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const seg = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.of(0x18, 0x53, 0x80, 0x67));
    expect(seg).toBeGreaterThan(0);
    expect([...bytes.subarray(seg + 4, seg + 12)]).toEqual(unknown8);
    for (const o of stats.clusterOffsets) expect([...bytes.subarray(o + 4, o + 12)]).toEqual(unknown8);
    const video = stats.byTrack.get(trackOf(0))!;
    expect(video.frames).toBe(50);
    expect(video.groupFrames).toBe(0);
    const audio = stats.byTrack.get(trackOf(1))!;
    expect(audio.groupFrames).toBe(audio.frames);
    expect(audio.groupFramesWithRefs).toBe(0);
  });
});
