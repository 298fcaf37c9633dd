#!/usr/bin/env node
// Writes (to stdout) the JSON frame index of one test vector; called by test-vectors/make.sh.
//
//   node scripts/test-vectors-index.mjs <file> <timestamp source>
//
// <file> is an Annex-B H.264 stream (.h264), an ADTS stream (.aac) or a Matroska file (.mkv).
// Byte ranges and key flags come from `ffprobe -show_packets` on <file>; timestamps come from the
// same packets of <timestamp source> (the MP4 the elementary stream was cut from: raw streams carry
// none). Every range is checked against the bytes before it is written, so the index cannot lie.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [file, source] = process.argv.slice(2);
if (!file || !source) throw new Error('usage: test-vectors-index.mjs <file> <timestamp source>');

function probe(path) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', path]);
  return JSON.parse(out.toString());
}

function fail(message) {
  throw new Error(`${file}: ${message}`);
}

/** ffprobe ticks to µs, rounded per value (no accumulated drift). */
function toUs(ticks, timeBase) {
  const [num, den] = timeBase.split('/').map(Number);
  return Math.round((Number(ticks) * num * 1e6) / den);
}

function streamInfo(s) {
  const info = { codec: s.codec_name, profile: s.profile };
  if (s.codec_type === 'video') Object.assign(info, { width: s.width, height: s.height });
  else Object.assign(info, { sampleRate: Number(s.sample_rate), channels: s.channels });
  return info;
}

const bytes = readFileSync(file);
const target = probe(file);
const kind = file.endsWith('.mkv') ? 'mkv' : file.endsWith('.aac') ? 'adts' : 'h264';

function checkElementaryStream(packets) {
  let expected = 0;
  for (const [i, p] of packets.entries()) {
    const offset = Number(p.pos);
    const size = Number(p.size);
    if (offset !== expected) fail(`frame ${i} starts at ${offset}, expected ${expected}`);
    if (kind === 'h264') {
      const startCode = bytes.readUIntBE(offset, 3) === 1 || bytes.readUInt32BE(offset) === 1;
      if (!startCode) fail(`frame ${i} does not start with an Annex-B start code`);
    } else {
      const frameLength = ((bytes[offset + 3] & 0x03) << 11) | (bytes[offset + 4] << 3) | (bytes[offset + 5] >> 5);
      if ((bytes.readUInt16BE(offset) & 0xfff0) !== 0xfff0) fail(`frame ${i} lacks the ADTS sync word`);
      if (frameLength !== size) fail(`frame ${i}: ADTS length ${frameLength} != packet size ${size}`);
    }
    expected = offset + size;
  }
  if (expected !== bytes.length) fail(`frames end at ${expected}, file has ${bytes.length} bytes`);
}

function elementaryIndex() {
  const packets = target.packets;
  checkElementaryStream(packets);
  const timed = probe(source);
  const stream = timed.streams.find((s) => s.codec_type === target.streams[0].codec_type);
  const tPackets = timed.packets.filter((p) => p.stream_index === stream.index);
  if (tPackets.length !== packets.length) fail(`${packets.length} frames but ${tPackets.length} timestamps`);
  const dts = tPackets.map((p) => toUs(p.dts, stream.time_base));
  // Streams with B-frames start with a negative DTS in MP4; move the origin so that DTS >= 0.
  const shift = Math.min(0, ...dts);
  const frames = packets.map((p, i) => {
    const t = tPackets[i];
    const key = p.flags.startsWith('K');
    if (key !== t.flags.startsWith('K')) fail(`frame ${i}: key flag differs from ${source}`);
    return {
      index: i,
      ptsUs: toUs(t.pts, stream.time_base) - shift,
      dtsUs: dts[i] - shift,
      durationUs: toUs(t.duration, stream.time_base),
      key,
      offset: Number(p.pos),
      size: Number(p.size),
    };
  });
  return { streams: [streamInfo(stream)], frames };
}

function mkvIndex() {
  const frames = target.packets.map((p, i) => {
    const stream = target.streams[p.stream_index];
    // ffprobe's pos is the start of the SimpleBlock body: track vint, 16-bit timecode, flags, then the frame.
    const block = Number(p.pos);
    const track = bytes[block] & 0x7f;
    if ((bytes[block] & 0x80) === 0 || (bytes[block + 3] & 0x06) !== 0) fail(`frame ${i}: unexpected block header`);
    return {
      index: i,
      track,
      ptsUs: toUs(p.pts, stream.time_base),
      durationUs: toUs(p.duration, stream.time_base),
      key: p.flags.startsWith('K'),
      offset: block + 4,
      size: Number(p.size),
    };
  });
  const streams = target.streams.map((s, i) => ({
    track: frames.find((f) => target.packets[f.index].stream_index === i)?.track,
    ...streamInfo(s),
  }));
  return { streams, frames };
}

const { streams, frames } = kind === 'mkv' ? mkvIndex() : elementaryIndex();
const header = {
  file: basename(file),
  format: kind,
  note:
    kind === 'mkv'
      ? 'offset/size: frame payload inside its SimpleBlock (after track, timecode, flags); Matroska keeps no DTS; times in µs (rounded to the 1 ms TimestampScale)'
      : 'offset/size: whole access unit / ADTS frame (with start codes / header); times in µs; frames in decode order',
  streams,
};
// One frame per line keeps the file readable and its diffs small.
const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
process.stdout.write(`${head},\n  "frames": [\n${frames.map((f) => `    ${JSON.stringify(f)}`).join(',\n')}\n  ]\n}\n`);
