/// <reference types="node" />
// What external Matroska readers make of the writer's output, for real H.264 + AAC (Annex-B
// input, CPD extracted from the first key frame, AAC config built from parameters) and for
// G.711 µ-law made by ffmpeg at test time: mkvinfo, mkvmerge -J, ffprobe (decoding every frame)
// and mediabunny's demuxer.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Frame, FrameFlags, TrackType } from '@kvs-ts/core';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input, MATROSKA } from 'mediabunny';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameOrderCoordinator, KvsTagName, MkvWriter, NalAdaptation, StreamEventType } from '../src/index';
import { aacFrames, h264Frames } from './media';
import { concat, walk } from './walk';

function has(cmd: string): boolean {
  const r = spawnSync(cmd, [cmd.startsWith('ff') ? '-version' : '--version'], { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

/** A suite title that says why it is skipped. */
function needs(title: string, cmd: string, pkg: string): [string, boolean] {
  const ok = has(cmd);
  return [ok ? title : `${title} (skipped: ${cmd} not installed, install ${pkg})`, !ok];
}

function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const dir = mkdtempSync(join(tmpdir(), 'kvs-mkv-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE_US = 1_700_000_000_000_000;

/** H.264 + AAC through the coordinator and the writer, with metadata, an event and the stream end. */
async function avFile(): Promise<{ path: string; bytes: Uint8Array; video: Frame[]; audio: Frame[] }> {
  const video = await h264Frames('h264-baseline-320x240-25fps.h264', 1, BASE_US);
  const { frames: audio } = await aacFrames(2, BASE_US);
  const w = new MkvWriter({
    tracks: [
      { trackId: 1, codecId: 'V_MPEG4/ISO/AVC', trackName: 'video', trackType: TrackType.VIDEO },
      {
        trackId: 2,
        codecId: 'A_AAC',
        trackName: 'audio',
        trackType: TrackType.AUDIO,
        audio: { samplingFrequency: 48000, channels: 1 },
      },
    ],
    nalAdaptationFlags: NalAdaptation.ANNEXB_NALS,
  });
  w.putFragmentMetadata('camera', 'front-door', true);
  const parts: Uint8Array[] = [];
  let fragments = 0;
  const c = new FrameOrderCoordinator({ tracks: w.trackInfo }, (f) => {
    const p = w.packageFrame(f);
    parts.push(p.header.slice(), p.data.slice());
    if (p.clusterStart && ++fragments === 3) {
      w.putFragmentMetadata('motion', 'yes', false);
      w.putEventMetadata(StreamEventType.NOTIFICATION | StreamEventType.IMAGE_GENERATION, {
        imagePrefix: 'door/',
        pairs: { k: 'v' },
      });
    }
  });
  let vi = 0;
  let ai = 0;
  while (vi < video.length || ai < audio.length) {
    for (let k = 0; k < 3 && vi < video.length; k++) c.put(video[vi++]);
    for (let k = 0; k < 5 && ai < audio.length; k++) c.put(audio[ai++]);
  }
  c.flush();
  parts.push(w.finish());
  const bytes = concat(parts);
  const path = join(dir, 'h264-aac.mkv');
  writeFileSync(path, bytes);
  return { path, bytes, video, audio };
}

const av = avFile();

const MKVINFO = needs('mkvinfo', 'mkvinfo', 'mkvtoolnix');
describe.skipIf(MKVINFO[1])(MKVINFO[0], () => {
  it('reads every block and tag without errors', async () => {
    const { path, video, audio } = await av;
    const r = run('mkvinfo', ['--all', path]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/error|warning|unknown element/i);
    expect(r.stdout.match(/\+ Simple block:/g)?.length).toBe(video.length + audio.length);
    expect(r.stdout.match(/\+ Simple block: key, track number 1/g)?.length).toBe(10);
    expect(r.stdout.match(/\+ Cluster\n/g)?.length).toBe(10);
    for (const name of [
      'camera',
      'motion',
      KvsTagName.NOTIFICATION,
      KvsTagName.IMAGE_GENERATION,
      KvsTagName.IMAGE_PREFIX,
      KvsTagName.END_OF_FRAGMENT,
    ]) {
      expect(r.stdout).toContain(`+ Name: ${name}`);
    }
  });
});

const MKVMERGE = needs('mkvmerge -J', 'mkvmerge', 'mkvtoolnix');
describe.skipIf(MKVMERGE[1])(MKVMERGE[0], () => {
  it('identifies H.264 320x240 and AAC 48 kHz mono with no errors or warnings', async () => {
    const { path } = await av;
    const r = run('mkvmerge', ['-J', path]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.errors).toEqual([]);
    expect(j.warnings).toEqual([]);
    expect(j.container.recognized && j.container.supported).toBe(true);
    expect(j.container.properties.muxing_application).toBe('Kinesis Video SDK 1.1.0');
    const [v, a] = j.tracks;
    expect([v.codec, v.properties.codec_id, v.properties.pixel_dimensions, v.properties.uid]).toEqual([
      'AVC/H.264/MPEG-4p10',
      'V_MPEG4/ISO/AVC',
      '320x240',
      1,
    ]);
    expect([
      a.codec,
      a.properties.audio_sampling_frequency,
      a.properties.audio_channels,
      a.properties.codec_private_data,
    ]).toEqual(['AAC', 48000, 1, '1188']);
  });
});

const FFPROBE = needs('ffprobe / ffmpeg', 'ffprobe', 'ffmpeg');
describe.skipIf(FFPROBE[1])(FFPROBE[0], () => {
  it('decodes every frame; packet counts, key flags and duration match the input', async () => {
    const { path, video, audio } = await av;
    const r = run('ffprobe', [
      '-v',
      'error',
      '-count_packets',
      '-count_frames',
      '-show_streams',
      '-show_format',
      '-of',
      'json',
      path,
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    const [v, a] = j.streams;
    expect([v.codec_name, v.width, v.height, v.nb_read_packets, v.nb_read_frames]).toEqual([
      'h264',
      320,
      240,
      '250',
      '250',
    ]);
    expect([a.codec_name, a.sample_rate, a.channels, a.nb_read_packets, a.nb_read_frames]).toEqual([
      'aac',
      '48000',
      1,
      `${audio.length}`,
      `${audio.length}`,
    ]);
    expect(Number(j.format.start_time)).toBe(BASE_US / 1e6);
    const p = run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v',
      '-show_entries',
      'packet=pts_time,flags',
      '-of',
      'csv=p=0',
      path,
    ]);
    const packets = p.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(packets.length).toBe(video.length);
    expect(packets.filter(([, flags]) => flags.startsWith('K')).length).toBe(10);
    const duration = Number(packets.at(-1)?.[0]) - Number(packets[0][0]) + 0.04;
    expect(duration).toBeCloseTo(10, 3);
  });

  it('H.264 with B-frames (PTS ≠ DTS) decodes in presentation order', async () => {
    const frames = await h264Frames('h264-main-bframes-320x240-25fps.h264');
    const w = new MkvWriter({
      tracks: [{ trackId: 1, codecId: 'V_MPEG4/ISO/AVC', trackType: TrackType.VIDEO }],
      nalAdaptationFlags: NalAdaptation.ANNEXB_NALS,
    });
    const parts: Uint8Array[] = [];
    for (const f of frames) {
      const l = w.prepare(f);
      const dst = new Uint8Array(l.size);
      w.write(l, dst);
      parts.push(dst);
    }
    const path = join(dir, 'bframes.mkv');
    writeFileSync(path, concat(parts));
    const r = run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', path]);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout).streams[0];
    expect([s.codec_name, s.profile, s.has_b_frames > 0, s.nb_read_frames]).toEqual(['h264', 'Main', true, '50']);
    const p = run('ffprobe', ['-v', 'error', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', path]);
    const times = p.stdout.trim().split('\n').map(Number);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.length).toBe(50);
  });

  it('G.711 µ-law from ffmpeg in an A_MS/ACM track with a built WAVEFORMATEX decodes', () => {
    const raw = join(dir, 'tone.ul');
    const g = run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=1000:sample_rate=8000:duration=2',
      '-c:a',
      'pcm_mulaw',
      '-f',
      'mulaw',
      '-y',
      raw,
    ]);
    expect(g.status).toBe(0);
    const pcm = new Uint8Array(readFileSync(raw));
    const w = new MkvWriter({
      tracks: [
        {
          trackId: 7,
          codecId: 'A_MS/ACM',
          trackType: TrackType.AUDIO,
          g711: 'mulaw',
          audio: { samplingFrequency: 8000, channels: 1 },
        },
      ],
    });
    const parts: Uint8Array[] = [];
    const n = pcm.length / 160;
    for (let i = 0; i < n; i++) {
      const p = w.packageFrame({
        trackId: 7,
        pts: i * 20_000,
        dts: i * 20_000,
        duration: 20_000,
        flags: FrameFlags.KEY_FRAME,
        data: pcm.subarray(i * 160, i * 160 + 160),
      });
      parts.push(p.header.slice(), p.data.slice());
    }
    const path = join(dir, 'g711.mkv');
    writeFileSync(path, concat(parts));
    const r = run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', path]);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout).streams[0];
    expect([s.codec_name, s.sample_rate, s.channels, s.nb_read_frames]).toEqual(['pcm_mulaw', '8000', 1, `${n}`]);
    expect(walk(concat(parts)).clusters.length).toBe(n);
  });
});

describe('mediabunny', () => {
  it('demuxes the same packets: count, key flags, timestamps', async () => {
    const { bytes, video, audio } = await av;
    const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
    expect(await input.getFormat()).toBe(MATROSKA);
    const [vt] = await input.getVideoTracks();
    const [at] = await input.getAudioTracks();
    expect([vt.codec, vt.codedWidth, vt.codedHeight]).toEqual(['avc', 320, 240]);
    expect([at.codec, at.sampleRate, at.numberOfChannels]).toEqual(['aac', 48000, 1]);
    const vp = [];
    for await (const p of new EncodedPacketSink(vt).packets()) vp.push(p);
    expect(vp.length).toBe(video.length);
    expect(vp.map((p) => p.type === 'key')).toEqual(video.map((f) => (f.flags & FrameFlags.KEY_FRAME) !== 0));
    expect(vp.map((p) => Math.round(p.timestamp * 1000))).toEqual(video.map((f) => f.pts / 1000));
    const ap = [];
    for await (const p of new EncodedPacketSink(at).packets()) ap.push(p);
    expect(ap.length).toBe(audio.length);
    // AAC frames that share a millisecond with a video frame were moved 1 ms later by the coordinator.
    const videoMs = new Set(video.map((f) => f.pts / 1000));
    const audioMs = audio.map((f) => Math.floor(f.pts / 1000)).map((ms) => (videoMs.has(ms) ? ms + 1 : ms));
    expect(audioMs.filter((ms, i) => ms !== Math.floor(audio[i].pts / 1000)).length).toBe(32);
    expect(ap.map((p) => Math.round(p.timestamp * 1000))).toEqual(audioMs);
  });
});
