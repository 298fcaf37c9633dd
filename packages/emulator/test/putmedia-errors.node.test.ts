// Every PutMedia ERROR ACK the API reference lists for producer mistakes, provoked with small
// configured limits; each ends the connection after the ERROR.

import { describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../src/index';
import { call, createActive, frames, mkvCluster, mkvHeader, type PutResult, putMedia, start } from './support';

const T0 = 1_700_000_000_000;

async function run(
  chunks: Uint8Array[],
  options: EmulatorOptions = {},
  put: Parameters<typeof putMedia>[3] = {},
  prepare?: (e: Awaited<ReturnType<typeof start>>) => Promise<void>,
): Promise<PutResult> {
  const emu = await start(options);
  try {
    await createActive(emu, 's');
    await prepare?.(emu);
    return await putMedia(emu, 's', chunks, put);
  } finally {
    await emu.close();
  }
}

function errorOf(r: PutResult): { ErrorId?: number; ErrorCode?: string; FragmentTimecode?: number } | undefined {
  expect(r.status).toBe(200);
  const errors = r.acks.filter((a) => a.EventType === 'ERROR');
  expect(errors).toHaveLength(1);
  // Nothing follows an ERROR: the service closes the connection.
  expect(r.acks.at(-1)?.EventType).toBe('ERROR');
  return errors[0];
}

const c = (tc: number, seed = 1, track = 1): Uint8Array =>
  mkvCluster({ timecode: tc, frames: frames(3, 100, seed, track) });

describe('PutMedia ERROR ACKs', () => {
  it('4001 fragment too large', async () => {
    const big = mkvCluster({ timecode: T0, frames: [{ rel: 0, key: true, data: new Uint8Array(5000) }] });
    const e = errorOf(await run([mkvHeader(), big], { maxFragmentBytes: 2000 }));
    expect(e?.ErrorId).toBe(4001);
    expect(e?.ErrorCode).toBe('MAX_FRAGMENT_SIZE_REACHED');
  });

  it('4001 also when one frame alone is larger than the limit allows to buffer', async () => {
    const huge = mkvCluster({ timecode: T0, frames: [{ rel: 0, key: true, data: new Uint8Array(20_000) }] });
    const r = await run([mkvHeader(), huge.subarray(0, 8000), huge.subarray(8000)], { maxFragmentBytes: 4000 });
    expect(errorOf(r)?.ErrorId).toBe(4001);
  });

  it('4002 fragment too long', async () => {
    const long = mkvCluster({ timecode: T0, frames: frames(4, 500, 1) });
    const e = errorOf(await run([mkvHeader(), long], { maxFragmentDurationMs: 1000 }));
    expect(e?.ErrorId).toBe(4002);
    expect(e?.FragmentTimecode).toBe(T0);
  });

  it('4003 connection open too long', async () => {
    const r = await run([mkvHeader(), c(T0)], { maxConnectionMs: 200 }, { keepOpen: true });
    expect(errorOf(r)?.ErrorId).toBe(4003);
  });

  it('4004 timecode lower than the previous fragment', async () => {
    const e = errorOf(await run([mkvHeader(), c(T0 + 5000), c(T0 + 1000, 2)]));
    expect(e?.ErrorId).toBe(4004);
    expect(e?.ErrorCode).toBe('FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS');
    expect(e?.FragmentTimecode).toBe(T0 + 1000);
  });

  it('4006 invalid MKV', async () => {
    const garbage = new Uint8Array(64).fill(0x42);
    expect(errorOf(await run([garbage]))?.ErrorId).toBe(4006);
    // A cluster before any Tracks is invalid too.
    expect(errorOf(await run([c(T0)]))?.ErrorId).toBe(4006);
  });

  it('4007 invalid producer start timestamp', async () => {
    const r = await run([mkvHeader(), c(T0)], {}, { headers: { 'x-amzn-producer-start-timestamp': 'yesterday' } });
    expect(errorOf(r)?.ErrorId).toBe(4007);
  });

  it('4008 stream not active (being deleted)', async () => {
    const r = await run([mkvHeader(), c(T0)], { transitionDelayMs: 300 }, {}, async (emu) => {
      await new Promise((res) => setTimeout(res, 350));
      const arn = ((await call(emu, 'describeStream', { StreamName: 's' })).json.StreamInfo as { StreamARN: string })
        .StreamARN;
      await call(emu, 'deleteStream', { StreamARN: arn });
    });
    expect(errorOf(r)?.ErrorId).toBe(4008);
  });

  it('4009 too many metadata tags in a fragment', async () => {
    const tags = Array.from({ length: 4 }, (_, i) => [`k${i}`, 'v'] as [string, string]);
    const tagged = mkvCluster({ timecode: T0, frames: frames(2, 100, 1), tags });
    expect(errorOf(await run([mkvHeader(), tagged], { maxMetadataTags: 3 }))?.ErrorId).toBe(4009);
    const ok = await run([mkvHeader(), tagged], { maxMetadataTags: 4 });
    expect(ok.acks.some((a) => a.EventType === 'ERROR')).toBe(false);
  });

  it('4010 frame for a track that is not in Tracks', async () => {
    expect(errorOf(await run([mkvHeader(1), c(T0, 1, 2)]))?.ErrorId).toBe(4010);
  });

  it('4011 no frames for a declared track', async () => {
    expect(errorOf(await run([mkvHeader(2), c(T0, 1, 1)]))?.ErrorId).toBe(4011);
  });

  it('4012 more than 3 tracks', async () => {
    expect(errorOf(await run([mkvHeader(4), c(T0)]))?.ErrorId).toBe(4012);
  });
});
