// Real media through the whole producer core: the test-vectors H.264 (Annex-B) and AAC (ADTS)
// streams go through KinesisVideoStream (A/V ordering, NAL adaptation, CPD from the first key
// frame, content store, upload handle, a forced reconnect in the middle), and what the consumer
// received on each connection is decoded by ffprobe.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adtsToAudioSpecificConfig, parseAdtsHeader } from '@kvs-ts/codecs';
import { ContentStore } from '@kvs-ts/content-store';
import { type Frame, FrameFlags, ServiceCallResult as R, StatusCode } from '@kvs-ts/core';
import { KinesisVideoStream } from '@kvs-ts/stream';
import { readRepoVector } from '@kvs-ts/test-support';
import { describe, expect, it } from 'vitest';
import { FakeClock, FakeService } from './fakes';

interface Entry {
  ptsUs: number;
  dtsUs?: number;
  durationUs: number;
  key: boolean;
  offset: number;
  size: number;
}

function hasFfprobe(): boolean {
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ffprobe = hasFfprobe();
const required = process.env.KVS_REQUIRE_TOOLS === '1';

describe.skipIf(!ffprobe && !required)('real H.264 + AAC through the stream (skipped: ffprobe not installed)', () => {
  it('every connection carries MKV that ffprobe decodes, and together they hold every frame', async () => {
    const h264 = await readRepoVector('h264-baseline-320x240-25fps.h264');
    const aac = await readRepoVector('aac-lc-48khz-mono.aac');
    const vIndex = JSON.parse(new TextDecoder().decode(await readRepoVector('h264-baseline-320x240-25fps.h264.json')))
      .frames as Entry[];
    const aIndex = JSON.parse(new TextDecoder().decode(await readRepoVector('aac-lc-48khz-mono.aac.json')))
      .frames as Entry[];
    const adts = parseAdtsHeader(aac, 0);
    const clock = new FakeClock();
    const stream = new KinesisVideoStream({
      definition: {
        streamName: 'media',
        tracks: [
          { trackId: 1, codecId: 'V_MPEG4/ISO/AVC', trackName: 'video', trackType: 1 },
          {
            trackId: 2,
            codecId: 'A_AAC',
            trackName: 'audio',
            trackType: 2,
            codecPrivateData: adtsToAudioSpecificConfig(adts),
            audio: { samplingFrequency: 48000, channels: 1 },
          },
        ],
      },
      store: new ContentStore({ storageSize: 16 << 20 }),
      service: new FakeService(clock),
      clock,
      intermittentProducer: false,
    });
    stream.start();
    await clock.advance(0);
    const base = clock.now() - (clock.now() % 1000);
    const frames: Frame[] = [
      ...vIndex.map((f) => ({
        trackId: 1,
        pts: base + f.ptsUs,
        dts: base + (f.dtsUs ?? f.ptsUs),
        duration: f.durationUs,
        flags: f.key ? FrameFlags.KEY_FRAME : 0,
        data: h264.subarray(f.offset, f.offset + f.size),
      })),
      ...aIndex.map((f) => {
        const skip = parseAdtsHeader(aac, f.offset).headerLength;
        return {
          trackId: 2,
          pts: base + f.ptsUs,
          dts: base + f.ptsUs,
          duration: f.durationUs,
          flags: FrameFlags.KEY_FRAME,
          data: aac.subarray(f.offset + skip, f.offset + f.size),
        };
      }),
    ].sort((a, b) => a.dts - b.dts || a.trackId - b.trackId);
    // Capture each connection's bytes.
    const bytes = new Map<number, Uint8Array[]>();
    const pull = () => {
      for (const { handle } of stream.uploadHandles) {
        for (;;) {
          const r = stream.getStreamData(handle, 8192);
          if (r.status !== StatusCode.STATUS_SUCCESS) break;
          const list = bytes.get(handle) ?? [];
          list.push(r.data.slice());
          bytes.set(handle, list);
        }
      }
    };
    const half = Math.floor(frames.length / 2);
    for (const f of frames.slice(0, half)) stream.putFrame(f);
    await clock.advance(0);
    pull();
    // A dropped connection in the middle: the rest (and a replay) goes on a second one.
    stream.streamTerminated(stream.uploadHandles[0].handle, R.NETWORK_READ_TIMEOUT);
    await clock.advance(1_000_000);
    for (const f of frames.slice(half)) stream.putFrame(f);
    stream.stop();
    await clock.advance(0);
    pull();
    expect(bytes.size).toBe(2);
    const dir = mkdtempSync(join(tmpdir(), 'kvs-stream-media-'));
    try {
      const seen = { video: new Set<number>(), audio: 0 };
      for (const [handle, parts] of bytes) {
        const file = join(dir, `connection-${handle}.mkv`);
        writeFileSync(file, Buffer.concat(parts));
        const out = execFileSync(
          'ffprobe',
          ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,flags', '-of', 'csv=p=0', file],
          { encoding: 'utf8' },
        );
        const decode = execFileSync(
          'ffprobe',
          [
            '-v',
            'error',
            '-count_frames',
            '-show_entries',
            'stream=codec_name,nb_read_frames,width,height',
            '-of',
            'csv=p=0',
            file,
          ],
          {
            encoding: 'utf8',
          },
        );
        const [video] = decode.trim().split('\n');
        expect(video.startsWith('h264,320,240,')).toBe(true);
        for (const line of out.trim().split('\n')) {
          const [index, pts] = line.split(',');
          if (index === '0') seen.video.add(Math.round(Number(pts) * 1000));
          else seen.audio++;
        }
        // Each connection starts with a key frame (its first video packet is flagged K).
        expect(
          out
            .trim()
            .split('\n')
            .find((l) => l.startsWith('0,'))
            ?.endsWith('K_'),
        ).toBe(true);
      }
      // Every video frame arrived on some connection (the replay may repeat some).
      expect(seen.video.size).toBe(vIndex.length);
      expect(seen.audio).toBeGreaterThanOrEqual(aIndex.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
