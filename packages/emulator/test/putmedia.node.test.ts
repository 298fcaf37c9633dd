// PutMedia: fragments cut at clusters and at the producer's end-of-fragment tag, ACKs while the
// body is still being sent (HTTP/1.1 and HTTP/2), the IDLE/close timing, and one connection per
// stream.

import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { type Ack, call, createActive, frames, mkvCluster, mkvHeader, putMedia, signerFor, start } from './support';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const T0 = 1_700_000_000_000;
const cluster = (i: number, eofr = true): Uint8Array =>
  mkvCluster({ timecode: T0 + i * 1000, frames: frames(5, 200, i) }, eofr);
const types = (acks: Ack[]): string[] => acks.map((a) => a.EventType);

describe('PutMedia', () => {
  it('acknowledges each fragment BUFFERING, RECEIVED, PERSISTED, echoing the cluster timecode', async () => {
    emu = await start();
    await createActive(emu, 's');
    const r = await putMedia(emu, 's', [mkvHeader(), cluster(0), cluster(1), cluster(2)], { expectContinue: true });
    expect(r.status).toBe(200);
    expect(r.headers['x-amzn-requestid']).toBeTruthy();
    const byFragment = new Map<number, string[]>();
    for (const a of r.acks)
      byFragment.set(a.FragmentTimecode as number, [
        ...(byFragment.get(a.FragmentTimecode as number) ?? []),
        a.EventType,
      ]);
    expect([...byFragment.keys()]).toEqual([T0, T0 + 1000, T0 + 2000]);
    for (const seq of byFragment.values()) expect(seq).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    const numbers = r.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber as string);
    for (const n of numbers) expect(n).toMatch(/^\d{47}$/);
    expect(BigInt(numbers[0]) < BigInt(numbers[1]) && BigInt(numbers[1]) < BigInt(numbers[2])).toBe(true);
    // BUFFERING carries the number the fragment keeps.
    expect(r.acks.find((a) => a.EventType === 'BUFFERING')?.FragmentNumber).toBe(numbers[0]);
    const stored = emu.admin.fragments('s');
    expect(stored.map((f) => f.fragmentNumber)).toEqual(numbers);
    expect(stored.map((f) => f.producerTimestampMs)).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(stored[0].durationMs).toBe(800);
  });

  it('writes ACKs while the body is still arriving; the end-of-fragment tag closes a fragment', async () => {
    emu = await start();
    await createActive(emu, 's');
    const r = await putMedia(emu, 's', [mkvHeader(), cluster(0), cluster(1), cluster(2)], {
      // Chunk i+1 is only sent once fragment i was PERSISTED: impossible unless ACKs flow during
      // the upload and the EoFR tag (not the next cluster) ended the fragment.
      waitBefore: (i, acks) => i < 2 || acks.filter((a) => a.EventType === 'PERSISTED').length >= i - 1,
    });
    const persisted = r.acks.filter((a) => a.EventType === 'PERSISTED');
    expect(persisted).toHaveLength(3);
    const hdr = mkvHeader().length;
    expect(persisted[0].sentBytes).toBe(hdr + cluster(0).length);
    expect(persisted[1].sentBytes).toBe(hdr + cluster(0).length + cluster(1).length);
  });

  it('cuts fragments at the next cluster when there is no end-of-fragment tag, and at the end of the body', async () => {
    emu = await start();
    await createActive(emu, 's');
    const r = await putMedia(emu, 's', [mkvHeader(), cluster(0, false), cluster(1, false)]);
    expect(types(r.acks).filter((t) => t === 'RECEIVED')).toHaveLength(2);
  });

  it('sends no PERSISTED for a stream without retention, and waits persistDelayMs otherwise', async () => {
    emu = await start({ persistDelayMs: 150 });
    await createActive(emu, 'noretention', 0);
    const r0 = await putMedia(emu, 'noretention', [mkvHeader(), cluster(0)]);
    expect(types(r0.acks)).toEqual(['BUFFERING', 'RECEIVED']);
    await createActive(emu, 'kept', 1);
    const r1 = await putMedia(emu, 'kept', [mkvHeader(), cluster(0)]);
    const received = r1.acks.find((a) => a.EventType === 'RECEIVED') as Ack;
    const persisted = r1.acks.find((a) => a.EventType === 'PERSISTED') as Ack;
    expect(persisted.at - received.at).toBeGreaterThanOrEqual(120);
  });

  it('accepts a PutMedia at once after CreateStream (the C producer does not describe again)', async () => {
    emu = await start({ transitionDelayMs: 200 });
    await createActive(emu, 'fresh');
    const r = await putMedia(emu, 'fresh', [mkvHeader(), cluster(0)]);
    expect(types(r.acks)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
  });

  it('adds the producer start timestamp to RELATIVE cluster timecodes (unpadded millis accepted)', async () => {
    emu = await start();
    await createActive(emu, 'rel');
    const r = await putMedia(
      emu,
      'rel',
      [
        mkvHeader(),
        mkvCluster({ timecode: 0, frames: frames(3, 100, 1) }),
        mkvCluster({ timecode: 1800, frames: frames(3, 100, 2) }),
      ],
      { headers: { 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': '1796290693.96' } },
    );
    expect(r.acks.filter((a) => a.EventType === 'RECEIVED').map((a) => a.FragmentTimecode)).toEqual([0, 1800]);
    expect(emu.admin.fragments('rel').map((f) => f.producerTimestampMs)).toEqual([1796290693960, 1796290695760]);
  });

  it('sends IDLE while no data arrives and closes after the idle timeout', async () => {
    emu = await start({ idleAckIntervalMs: 50, idleTimeoutMs: 300 });
    await createActive(emu, 'idle');
    const r = await putMedia(emu, 'idle', [mkvHeader(), cluster(0)], { keepOpen: true });
    const idles = r.acks.filter((a) => a.EventType === 'IDLE');
    expect(idles.length).toBeGreaterThanOrEqual(2);
    expect(idles[0].FragmentTimecode).toBeUndefined();
    expect(r.acks.at(-1)?.at).toBeLessThan(1500);
  });

  it('allows one PutMedia connection per stream (ConnectionLimitExceededException)', async () => {
    emu = await start({ idleAckIntervalMs: 50, idleTimeoutMs: 400 });
    await createActive(emu, 'one');
    const first = putMedia(emu, 'one', [mkvHeader(), cluster(0)], { keepOpen: true });
    await new Promise((r) => setTimeout(r, 100));
    const second = await putMedia(emu, 'one', [mkvHeader(), cluster(5)]);
    expect(second.status).toBe(400);
    expect(second.headers['x-amzn-errortype']).toBe('ConnectionLimitExceededException');
    expect((await first).status).toBe(200);
    const third = await putMedia(emu, 'one', [mkvHeader(), cluster(9)]);
    expect(types(third.acks)).toContain('PERSISTED');
  });

  it('names the stream by x-amzn-stream-arn as well', async () => {
    emu = await start();
    await createActive(emu, 'by-arn');
    const arn = ((await call(emu, 'describeStream', { StreamName: 'by-arn' })).json.StreamInfo as { StreamARN: string })
      .StreamARN;
    const r = await putMedia(emu, '', [mkvHeader(), cluster(0)], { headers: { 'x-amzn-stream-arn': arn } });
    expect(types(r.acks)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
  });

  it('refuses an unknown stream with ResourceNotFoundException', async () => {
    emu = await start();
    const r = await putMedia(emu, 'missing', [mkvHeader(), cluster(0)]);
    expect(r.status).toBe(404);
    expect(r.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
  });

  it('streams ACKs over HTTP/2 while the body is still open', async () => {
    emu = await start();
    await createActive(emu, 'h2');
    const url = new URL(`${emu.url}/putMedia`);
    const signed = await signerFor(emu).sign(
      {
        method: 'POST',
        url: url.toString(),
        headers: {
          'x-amzn-stream-name': 'h2',
          'x-amzn-fragment-timecode-type': 'ABSOLUTE',
          'x-amzn-fragment-acknowledgment-required': '1',
        },
      },
      { payload: 'unsigned' },
    );
    const { host, ...rest } = signed.headers;
    const session = http2.connect(emu.url);
    try {
      const req = session.request({ ':method': 'POST', ':path': '/putMedia', ':authority': host, ...rest });
      req.write(mkvHeader());
      req.write(cluster(0));
      const text = await new Promise<string>((resolve, reject) => {
        let got = '';
        req.on('data', (d) => {
          got += d;
          if (got.includes('PERSISTED')) resolve(got);
        });
        req.on('error', reject);
      });
      expect(text).toContain('"EventType":"RECEIVED"');
      req.end();
    } finally {
      session.close();
    }
  });
});
