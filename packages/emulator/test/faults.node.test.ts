// Fault injection through emulator.admin and the loopback HTTP admin API.

import { DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { type Ack, call, createActive, frames, KEYS, mkvCluster, mkvHeader, putMedia, start } from './support';

const T0 = 1_700_000_000_000;
const body = (n: number): Uint8Array[] => [
  mkvHeader(),
  ...Array.from({ length: n }, (_, i) => mkvCluster({ timecode: T0 + i * 1000, frames: frames(3, 100, i) })),
];
const count = (acks: Ack[], type: string): number => acks.filter((a) => a.EventType === type).length;

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('faults', () => {
  it('throttles and fails the next control calls, then recovers (official client sees the names)', async () => {
    emu = await start();
    await createActive(emu, 's');
    const kv = new KinesisVideoClient({ endpoint: emu.url, region: emu.region, credentials: KEYS, maxAttempts: 1 });
    try {
      emu.admin.throttleControlCalls(1, 'describeStream');
      emu.admin.failControlCalls(1);
      const e1 = (await kv.send(new DescribeStreamCommand({ StreamName: 's' })).catch((e: unknown) => e)) as {
        name: string;
        $metadata: { httpStatusCode: number };
      };
      expect(e1.name).toBe('ClientLimitExceededException');
      expect(e1.$metadata.httpStatusCode).toBe(400);
      const e2 = (await kv.send(new DescribeStreamCommand({ StreamName: 's' })).catch((e: unknown) => e)) as {
        $metadata: { httpStatusCode: number };
      };
      expect(e2.$metadata.httpStatusCode).toBe(500);
      expect((await kv.send(new DescribeStreamCommand({ StreamName: 's' }))).StreamInfo?.StreamName).toBe('s');
    } finally {
      kv.destroy();
    }
  });

  it('arms faults over the loopback HTTP admin API', async () => {
    emu = await start();
    await createActive(emu, 's');
    const res = await fetch(`${emu.url}/_admin/faults/control`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'throttle', count: 2 }),
    });
    expect(res.status).toBe(200);
    expect((await call(emu, 'listStreams', {})).headers.get('x-amzn-errortype')).toBe('ClientLimitExceededException');
    expect((await call(emu, 'listStreams', {})).status).toBe(400);
    expect((await call(emu, 'listStreams', {})).status).toBe(200);
    const listed = await (await fetch(`${emu.url}/_admin/streams`)).json();
    expect(listed).toEqual(['s']);
    expect((await fetch(`${emu.url}/_admin/faults/nonsense`, { method: 'POST', body: '{}' })).status).toBe(400);
  });

  it('refuses the next PutMedia with 403 ExpiredTokenException', async () => {
    emu = await start();
    await createActive(emu, 's');
    emu.admin.expireTokens(1);
    const r = await putMedia(emu, 's', body(1));
    expect(r.status).toBe(403);
    expect(r.headers['x-amzn-errortype']).toBe('ExpiredTokenException');
    expect(JSON.parse(r.text).message).toBe('The security token included in the request is expired');
    expect((await putMedia(emu, 's', body(1))).status).toBe(200);
  });

  it('cuts the open PutMedia connection on demand, and the stream takes a new one', async () => {
    emu = await start();
    await createActive(emu, 's');
    expect(emu.admin.dropPutMediaConnections('s')).toBe(0); // none open
    const running = putMedia(emu, 's', body(6), { gapMs: 100 });
    await new Promise((r) => setTimeout(r, 250));
    expect(emu.admin.dropPutMediaConnections()).toBe(1);
    const r = await running;
    expect(r.aborted || r.status === 0).toBe(true);
    expect(count(r.acks, 'RECEIVED')).toBeLessThan(6);
    const again = await putMedia(emu, 's', body(2), { gapMs: 10 });
    expect(again.status).toBe(200);
  });

  it('drops the PutMedia connection after N fragments or N bytes', async () => {
    emu = await start();
    await createActive(emu, 's');
    emu.admin.putMediaFault({ stream: 's', dropAfterFragments: 2 });
    const r = await putMedia(emu, 's', body(5), { gapMs: 20 });
    expect(r.aborted || r.status === 0).toBe(true);
    expect(count(r.acks, 'RECEIVED')).toBe(2);
    emu.admin.putMediaFault({ stream: 's', dropAfterBytes: mkvHeader().length + 10 });
    const r2 = await putMedia(emu, 's', body(3), { gapMs: 20 });
    expect(r2.aborted || r2.status === 0).toBe(true);
    expect(count(r2.acks, 'RECEIVED')).toBe(0);
  });

  it('withholds PERSISTED, delays ACKs, and sends an injected ERROR for fragment K', async () => {
    emu = await start({ idleAckIntervalMs: 100, idleTimeoutMs: 400 });
    await createActive(emu, 's');
    emu.admin.putMediaFault({ withholdAcks: ['PERSISTED'] });
    const r1 = await putMedia(emu, 's', body(2));
    expect(count(r1.acks, 'RECEIVED')).toBe(2);
    expect(count(r1.acks, 'PERSISTED')).toBe(0);

    emu.admin.putMediaFault({ ackDelayMs: 200 });
    const t0 = Date.now();
    const r2 = await putMedia(emu, 's', body(1));
    expect(r2.acks[0].at).toBeGreaterThanOrEqual(180);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);

    emu.admin.putMediaFault({ errorAck: { fragmentIndex: 1, errorId: 5000 } });
    const r3 = await putMedia(emu, 's', body(3), {
      waitBefore: (i, acks) => i < 2 || count(acks, 'PERSISTED') >= i - 1,
    });
    expect(r3.acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED', 'BUFFERING', 'ERROR']);
    expect(r3.acks.at(-1)?.ErrorId).toBe(5000);
    expect(r3.acks.at(-1)?.ErrorCode).toBe('INTERNAL_ERROR');
  });
});
