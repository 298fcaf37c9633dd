// Storage: with a data dir, streams and fragments survive a restart, and a kill -9 in the middle
// of an upload loses no fragment that was acknowledged PERSISTED.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { call, createActive, frames, mkvCluster, mkvHeader, putMedia, start } from './support';

const T0 = 1_700_000_000_000;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kvs-emulator-test-'));
  dirs.push(d);
  return d;
}

const cluster = (i: number): Uint8Array => mkvCluster({ timecode: T0 + i * 1000, frames: frames(3, 100, i) });

describe('storage', () => {
  it('keeps streams, tags and fragments across a restart on the same data dir', async () => {
    const dir = await tempDir();
    let emu: Emulator = await start({ dataDir: dir });
    await createActive(emu, 'kept');
    await call(emu, 'tagStream', { StreamName: 'kept', Tags: { site: 'lab' } });
    const arn = ((await call(emu, 'describeStream', { StreamName: 'kept' })).json.StreamInfo as { StreamARN: string })
      .StreamARN;
    const first = await putMedia(emu, 'kept', [mkvHeader(), cluster(0), cluster(1)]);
    const persisted = first.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber);
    await emu.close();

    emu = await start({ dataDir: dir });
    try {
      const info = (await call(emu, 'describeStream', { StreamName: 'kept' })).json.StreamInfo as Record<
        string,
        unknown
      >;
      expect(info).toMatchObject({ StreamARN: arn, Status: 'ACTIVE', DataRetentionInHours: 2 });
      expect((await call(emu, 'listTagsForStream', { StreamName: 'kept' })).json.Tags).toEqual({ site: 'lab' });
      expect(emu.admin.fragments('kept').map((f) => f.fragmentNumber)).toEqual(persisted);
      const listed = (await call(emu, 'listFragments', { StreamName: 'kept' })).json.Fragments as Array<{
        FragmentNumber: string;
      }>;
      expect(listed.map((f) => f.FragmentNumber)).toEqual(persisted);
      const more = await putMedia(emu, 'kept', [mkvHeader(), cluster(2)]);
      const next = more.acks.find((a) => a.EventType === 'PERSISTED')?.FragmentNumber as string;
      expect(BigInt(next) > BigInt(persisted[1] as string)).toBe(true);
    } finally {
      await emu.close();
    }
  });

  it('loses nothing acknowledged PERSISTED when the process is killed with SIGKILL mid-stream', async () => {
    const dir = await tempDir();
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'test/fixtures/emulator-child.ts', dir],
      {
        cwd: join(import.meta.dirname, '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const remote = { url, region: 'us-west-2' } as Emulator;
    await createActive(remote, 'crash');
    const chunks = [mkvHeader(), ...Array.from({ length: 40 }, (_, i) => cluster(i))];
    let killed = false;
    const result = await putMedia(remote, 'crash', chunks, {
      waitBefore: (_i, acks) => {
        if (!killed && acks.filter((a) => a.EventType === 'PERSISTED').length >= 5) {
          killed = true;
          child.kill('SIGKILL');
        }
        return true;
      },
      gapMs: 10,
    });
    expect(killed).toBe(true);
    expect(result.aborted || result.status === 0 || result.acks.length < 120).toBe(true);
    const persisted = result.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber);
    expect(persisted.length).toBeGreaterThanOrEqual(5);
    await new Promise<void>((r) =>
      child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
    );

    const emu = await start({ dataDir: dir });
    try {
      const stored = emu.admin.fragments('crash').map((f) => f.fragmentNumber);
      for (const n of persisted) expect(stored).toContain(n);
      // What survived is served whole.
      const listed = (await call(emu, 'listFragments', { StreamName: 'crash' })).json.Fragments as unknown[];
      expect(listed.length).toBe(stored.length);
    } finally {
      await emu.close();
    }
  });
});
