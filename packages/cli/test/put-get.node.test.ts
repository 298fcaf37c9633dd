// kvs put / get / ls against the local emulator over loopback: files and stdin in, a playable MKV
// out, every frame back byte for byte; ffmpeg's own pipe output in (when ffmpeg is installed).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annexBToAvccCopy } from '@kvs-ts/codecs';
import { type Frame, FrameFlags } from '@kvs-ts/core';
import { type Emulator, startEmulator } from '@kvs-ts/emulator';
import { AccessUnitSplitter, MkvFrameReader } from '@kvs-ts/frame-reader';
import { repoVectorsDir } from '@kvs-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main';

function sink() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    get text() {
      return text;
    },
  };
}

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ffmpeg = hasTool('ffmpeg') || process.env.KVS_REQUIRE_TOOLS === '1';

function mkvFrames(bytes: Uint8Array): Frame[] {
  const r = new MkvFrameReader();
  return [...r.push(bytes), ...r.end()];
}

let emulator: Emulator;
let dir: string;
let vectors: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, host: '127.0.0.1', persistDelayMs: 0, log: () => {} });
  dir = await mkdtemp(join(tmpdir(), 'kvs-cli-'));
  vectors = await repoVectorsDir();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

/** `kvs …` in this process against the emulator. */
async function kvs(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main([...args, '--endpoint', emulator.url, '--region', emulator.region], out, err);
  return { code, out: out.text, err: err.text };
}

/** `kvs …` as a child process (for stdin), fed `input`. */
function kvsChild(args: string[], input: NodeJS.ReadableStream | Uint8Array): Promise<{ code: number; out: string }> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      'src/kvs.ts',
      ...args,
      '--endpoint',
      emulator.url,
      '--region',
      emulator.region,
    ],
    {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, AWS_ACCESS_KEY_ID: emulator.accessKeyId, AWS_SECRET_ACCESS_KEY: emulator.secretAccessKey },
    },
  );
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  if (input instanceof Uint8Array) child.stdin?.end(input);
  else input.pipe(child.stdin as NodeJS.WritableStream);
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? -1, out })));
}

describe('kvs put, get and ls', () => {
  it('put an MKV file, list the stream, get back every frame of both tracks byte for byte', async () => {
    const input = join(vectors, 'h264-aac-320x240.mkv');
    const put = await kvs('put', '--stream', 'file-mkv', '--no-realtime', '--no-progress', input);
    expect(put.err).toBe('');
    expect(put.code).toBe(0);
    expect(put.out).toMatch(/^mkv: 720 frames, 10 fragments; ACKs: 10 buffering, 10 received, 10 persisted, 0 errors/);

    const ls = await kvs('ls');
    expect(ls.code).toBe(0);
    expect(ls.out).toMatch(/^file-mkv\s+ACTIVE\s+\S+\s+24 h\s+video\/h264,audio\/aac$/m);

    const output = join(dir, 'file-mkv.mkv');
    const get = await kvs('get', '--stream', 'file-mkv', '-o', output, '--idle', '1', '--no-progress');
    expect(get.err).toBe('');
    expect(get.code).toBe(0);
    expect(get.out).toMatch(/10 fragments, 720 frames, 1 segment\(s\)/);

    const sent = mkvFrames(new Uint8Array(await readFile(input)));
    const got = mkvFrames(new Uint8Array(await readFile(output)));
    for (const track of [1, 2]) {
      const a = sent.filter((f) => f.trackId === track);
      const b = got.filter((f) => f.trackId === track);
      expect(b.length).toBe(a.length);
      const base = got[0].pts - sent[0].pts;
      // A frame that shares its millisecond with the other track's key frame goes one tick later,
      // as in PIC's frame order coordinator (packages/mkv-writer/src/frame-order.ts).
      const wrong = b.findIndex(
        (f, i) =>
          Math.abs(f.pts - base - a[i].pts) > 1000 || f.flags !== a[i].flags || Buffer.compare(f.data, a[i].data) !== 0,
      );
      expect(wrong).toBe(-1);
    }
  });

  it('put an Annex-B stream from stdin, timed by --fps; get returns its access units as AVCC', async () => {
    const bytes = new Uint8Array(await readFile(join(vectors, 'h264-baseline-320x240-25fps.h264')));
    const put = await kvsChild(['put', '--stream', 'stdin-h264', '--fps', '25', '--no-realtime', '-'], bytes);
    expect(put.code).toBe(0);
    expect(put.out).toMatch(/^h264: 250 frames, 10 fragments; ACKs: 10 buffering, 10 received, 10 persisted/);

    const output = join(dir, 'stdin-h264.mkv');
    const get = await kvs('get', '--stream', 'stdin-h264', '-o', output, '--idle', '1', '--no-progress');
    expect(get.code).toBe(0);
    const got = mkvFrames(new Uint8Array(await readFile(output)));
    const splitter = new AccessUnitSplitter('h264');
    const units = [...splitter.push(bytes), splitter.end()].filter((u) => u !== undefined);
    expect(got.length).toBe(units.length);
    got.forEach((f, i) => {
      expect(f.pts - got[0].pts).toBe(i * 40_000);
      expect((f.flags & FrameFlags.KEY_FRAME) !== 0).toBe(units[i].key);
    });
    const wrong = got.findIndex((f, i) => Buffer.compare(f.data, annexBToAvccCopy(units[i].data)) !== 0);
    expect(wrong).toBe(-1);
  });

  it.skipIf(!ffmpeg)('put ffmpeg’s live Matroska pipe with B-frames at its own pace', { timeout: 60_000 }, async () => {
    const ff = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re'],
        ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '3'],
        ...['-c:v', 'libx264', '-g', '25', '-bf', '2', '-f', 'matroska', '-'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(ff);
    const put = await kvsChild(['put', '--stream', 'ffmpeg-live', '-'], ff.stdout as NodeJS.ReadableStream);
    expect(put.code).toBe(0);
    const m =
      /^mkv: 75 frames, 3 fragments; ACKs: 3 buffering, 3 received, 3 persisted, 0 errors, fragment end → PERSISTED p50 (\d+) ms/.exec(
        put.out,
      );
    expect(m, put.out).not.toBeNull();
    const output = join(dir, 'ffmpeg-live.mkv');
    expect((await kvs('get', '--stream', 'ffmpeg-live', '-o', output, '--idle', '1', '--no-progress')).code).toBe(0);
    const got = mkvFrames(new Uint8Array(await readFile(output)));
    expect(got.length).toBe(75);
    // B-frames: presentation order differs from decode order, and came through as sent.
    expect(got.some((f, i) => i > 0 && f.pts < got[i - 1].pts)).toBe(true);
  });

  it('refuse bad arguments with the usage (exit 2) and service errors with their name (exit 1)', async () => {
    const missing = await kvs('put', 'x.mkv');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/required option '--stream <name>'/);
    expect(missing.err).toMatch(/Usage: kvs put/);

    const badFps = await kvs('put', '--stream', 's', '--fps', '0', 'x.h264');
    expect(badFps.code).toBe(2);
    expect(badFps.err).toMatch(/--fps must be a positive number/);

    const badStart = await kvs('get', '--stream', 's', '-o', join(dir, 'x.mkv'), '--start', 'fragment:abc');
    expect(badStart.code).toBe(1);
    expect(badStart.err).toMatch(/expected fragment:NUMBER/);

    const unknown = await kvs('get', '--stream', 'no-such-stream', '-o', join(dir, 'none.mkv'), '--idle', '1');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/ResourceNotFoundException/);

    const notVideo = join(dir, 'not-video.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(notVideo, 'hello, not video'));
    const garbage = await kvs('put', '--stream', 's', notVideo);
    expect(garbage.code).toBe(1);
    expect(garbage.err).toMatch(/neither MKV nor an Annex-B/);

    expect((await kvs('get', '--help')).out).toMatch(/--start <where>/);
  });
});
