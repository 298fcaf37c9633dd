/// <reference types="node" />
// Real bitstreams made by ffmpeg (libx264/libx265) at test time. Each case is encoded once into
// Matroska, then rewritten to Annex-B with the mp4toannexb bitstream filter, so both views hold
// the same frames. Oracles: ffprobe's width/height/pix_fmt and ffmpeg's own CodecPrivate
// (avcC/hvcC, read back with `mkvinfo -X`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  annexBKeyFrameCpd,
  annexBToAvccCopy,
  CodecId,
  codecPrivateFromAnnexBKeyFrame,
  codecPrivateFromAvccKeyFrame,
  H264NalType,
  H265NalType,
  parseAvcC,
  parseH264Sps,
  parseH265Sps,
  parseHvcC,
  splitAnnexB,
  splitAvcc,
  videoSizeFromCodecPrivate,
} from '@kvs-ts/codecs';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from './helpers';

function has(tool: string, arg: string): boolean {
  const r = spawnSync(tool, [arg], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

const tools = has('ffmpeg', '-version') && has('ffprobe', '-version') && has('mkvinfo', '--version');

function run(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error ?? r.stderr.toString()}`);
  return r.stdout;
}

/** ffmpeg's CodecPrivate of the first track, from mkvinfo's full hex dump. */
function mkvCodecPrivate(file: string): Uint8Array {
  const text = run('mkvinfo', ['-X', file]).toString();
  const m = /Codec's private data: size (\d+)[^\n]*?hexdump ((?:[0-9a-f]{2} ?)+)/.exec(text);
  if (!m) throw new Error(`no CodecPrivate in mkvinfo output:\n${text}`);
  const bytes = Uint8Array.from(m[2].trim().split(' '), (h) => Number.parseInt(h, 16));
  expect(bytes.length).toBe(Number(m[1]));
  return bytes;
}

interface Case {
  codec: 'h264' | 'h265';
  width: number;
  height: number;
  pixFmt: 'yuv420p' | 'yuv422p' | 'yuv444p' | 'yuv420p10le';
  profile?: string;
}

const CHROMA: Record<Case['pixFmt'], [number, number]> = {
  yuv420p: [1, 8],
  yuv422p: [2, 8],
  yuv444p: [3, 8],
  yuv420p10le: [1, 10],
};

const cases: Case[] = [
  { codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p' },
  { codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p', profile: 'baseline' },
  { codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p', profile: 'main' },
  { codec: 'h264', width: 1920, height: 1080, pixFmt: 'yuv420p' },
  { codec: 'h264', width: 322, height: 242, pixFmt: 'yuv420p' },
  { codec: 'h264', width: 322, height: 242, pixFmt: 'yuv422p' },
  { codec: 'h264', width: 322, height: 242, pixFmt: 'yuv444p' },
  { codec: 'h264', width: 320, height: 240, pixFmt: 'yuv420p10le' },
  { codec: 'h265', width: 320, height: 240, pixFmt: 'yuv420p' },
  { codec: 'h265', width: 1920, height: 1080, pixFmt: 'yuv420p' },
  { codec: 'h265', width: 322, height: 242, pixFmt: 'yuv420p' },
  { codec: 'h265', width: 322, height: 242, pixFmt: 'yuv422p' },
  { codec: 'h265', width: 322, height: 242, pixFmt: 'yuv444p' },
  { codec: 'h265', width: 320, height: 240, pixFmt: 'yuv420p10le' },
];

describe.skipIf(!tools)('ffmpeg-made bitstreams (skipped unless ffmpeg, ffprobe and mkvinfo are on PATH)', () => {
  const dir = tools ? mkdtempSync(join(tmpdir(), 'kvs-codecs-')) : '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the brief’s pipeline: libx264 320x240 Annex-B on stdout', () => {
    const annexB = new Uint8Array(
      run('ffmpeg', [
        ...['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '1'],
        ...['-c:v', 'libx264', '-threads', '1', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', '-'],
      ]),
    );
    const nalus = splitAnnexB(annexB);
    expect(nalus.filter((n) => (n[0] & 0x1f) === H264NalType.IDR).length).toBeGreaterThanOrEqual(1);
    expect(nalus.filter((n) => (n[0] & 0x1f) <= 5).length).toBe(25);
    expect(splitAvcc(annexBToAvccCopy(annexB))).toEqual(nalus);
    const cpd = annexBKeyFrameCpd(CodecId.H264, annexB);
    expect(videoSizeFromCodecPrivate(CodecId.H264, cpd)).toEqual({ width: 320, height: 240 });
    expect(videoSizeFromCodecPrivate(CodecId.H264, codecPrivateFromAnnexBKeyFrame(CodecId.H264, annexB))).toEqual({
      width: 320,
      height: 240,
    });
  });

  for (const c of cases) {
    const name = `${c.codec} ${c.width}x${c.height} ${c.pixFmt}${c.profile ? ` ${c.profile}` : ''}`;
    it(name, () => {
      const file = join(dir, `${name.replace(/\W+/g, '_')}.mkv`);
      const enc =
        c.codec === 'h264'
          ? ['-c:v', 'libx264', '-preset', 'veryfast', ...(c.profile ? ['-profile:v', c.profile] : [])]
          : ['-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', 'log-level=error:pools=1:frame-threads=1'];
      run('ffmpeg', [
        ...['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${c.width}x${c.height}:rate=25`],
        ...['-t', '0.4', '-pix_fmt', c.pixFmt, '-threads', '1', ...enc, file],
      ]);
      const annexB = new Uint8Array(
        run('ffmpeg', [
          ...['-v', 'error', '-nostdin', '-i', file, '-c', 'copy'],
          ...[
            '-bsf:v',
            `${c.codec === 'h264' ? 'h264' : 'hevc'}_mp4toannexb`,
            '-f',
            c.codec === 'h264' ? 'h264' : 'hevc',
            '-',
          ],
        ]),
      );
      const [w, h, pixFmt] = run('ffprobe', [
        ...[
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'stream=width,height,pix_fmt',
          '-of',
          'csv=p=0',
          file,
        ],
      ])
        .toString()
        .trim()
        .split(',');
      expect([Number(w), Number(h), pixFmt]).toEqual([c.width, c.height, c.pixFmt]);
      const theirs = mkvCodecPrivate(file);
      const codecId = c.codec === 'h264' ? CodecId.H264 : CodecId.H265;
      const [chroma, depth] = CHROMA[c.pixFmt];

      // SPS from the Annex-B stream: size, chroma format and bit depth.
      const nalus = splitAnnexB(annexB);
      const spsNalu = nalus.find((n) =>
        c.codec === 'h264' ? (n[0] & 0x1f) === H264NalType.SPS : ((n[0] >> 1) & 0x3f) === H265NalType.SPS,
      );
      const sps = c.codec === 'h264' ? parseH264Sps(spsNalu!) : parseH265Sps(spsNalu!);
      expect([sps.width, sps.height, sps.chromaFormatIdc, sps.bitDepthLuma, sps.bitDepthChroma]).toEqual([
        c.width,
        c.height,
        chroma,
        depth,
        depth,
      ]);

      // CPD extraction → the very record ffmpeg wrote. FFmpeg also carries x265's info SEI into
      // hvcC; by default we leave SEI in the frames (as PIC), so compare both ways.
      const ours = codecPrivateFromAnnexBKeyFrame(codecId, annexB);
      const oursWithSei = codecPrivateFromAnnexBKeyFrame(codecId, annexB, { includeSei: true });
      expect(toHex(oursWithSei)).toBe(toHex(theirs));
      if (c.codec === 'h265') {
        const a = parseHvcC(ours);
        const b = parseHvcC(theirs);
        expect(b.arrays.map((x) => x.nalUnitType)).toEqual([32, 33, 34, 39]);
        expect(a.arrays).toEqual(b.arrays.slice(0, 3));
        expect(toHex(ours.subarray(0, 22))).toBe(toHex(theirs.subarray(0, 22)));
      } else {
        expect(ours).toEqual(oursWithSei);
      }
      expect(videoSizeFromCodecPrivate(codecId, theirs)).toEqual({ width: c.width, height: c.height });
      expect(videoSizeFromCodecPrivate(codecId, annexBKeyFrameCpd(codecId, annexB))).toEqual({
        width: c.width,
        height: c.height,
      });
      if (c.codec === 'h264') {
        const p = parseAvcC(theirs);
        expect(p.profileIdc).toBe(parseH264Sps(spsNalu!).profileIdc);
        if (p.chromaFormatIdc !== undefined) expect([p.chromaFormatIdc, p.bitDepthLuma]).toEqual([chroma, depth]);
      } else {
        const p = parseHvcC(theirs);
        expect([p.chromaFormatIdc, p.bitDepthLuma, p.bitDepthChroma]).toEqual([chroma, depth, depth]);
      }

      // The whole stream as AVCC, and CPD extraction from the AVCC form.
      const avcc = annexBToAvccCopy(annexB);
      expect(splitAvcc(avcc)).toEqual(nalus);
      expect(codecPrivateFromAvccKeyFrame(codecId, avcc)).toEqual(ours);
    });
  }
});
