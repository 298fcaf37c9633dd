// The reason Node uses node:http for PutMedia and not its fetch (undici issue 4058: fetch keeps
// every uploaded chunk until the request ends): one upload for a minute, GBs through loopback,
// and the heap after a GC stays where it was after the first seconds.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StatusCode } from '@kvs-ts/core';
import type { PutMediaSource } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { describe, expect, it } from 'vitest';
import { target } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECONDS = Number(process.env.KVS_PUTMEDIA_MEMORY_SECONDS ?? 60);
/** Upload rate cap, bytes per second (enough for GBs in a minute without hogging a core). */
const RATE = 60 * 1024 * 1024;

function heap(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('PutMedia over node:http: memory over a long upload', () => {
  it(`stays flat over ${SECONDS} s of streaming`, { timeout: (SECONDS + 30) * 1000 }, async () => {
    let serverBytes = 0;
    const server = createServer((req, res) => {
      res.writeHead(200);
      let next = 1 << 20;
      req.on('data', (c: Buffer) => {
        serverBytes += c.length;
        while (serverBytes >= next) {
          res.write(`{"EventType":"RECEIVED","FragmentTimecode":${next},"FragmentNumber":"1"}\n`);
          next += 1 << 20;
        }
      });
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // An endless body of 64 KiB pieces, paced to RATE.
    const piece = new Uint8Array(64 * 1024).fill(7);
    const start = Date.now();
    let budget = 0;
    let last = start;
    let stop = false;
    let acks = 0;
    let endResult = -1;
    const source: PutMediaSource = {
      pull() {
        if (stop) return { status: StatusCode.STATUS_END_OF_STREAM, data: new Uint8Array(0) };
        const now = Date.now();
        budget = Math.min(budget + ((now - last) / 1000) * RATE, 4 * piece.length);
        last = now;
        if (budget < piece.length) return { status: StatusCode.STATUS_NO_MORE_DATA_AVAILABLE, data: new Uint8Array(0) };
        budget -= piece.length;
        return { status: StatusCode.STATUS_SUCCESS, data: piece };
      },
      ack() {
        acks++;
        return 0;
      },
      end(result = 200) {
        endResult = result;
      },
      waitForData: () => new Promise((r) => setTimeout(r, 5)),
    };
    await putMediaWithNodeHttp(target(url), source, {});
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(Math.min(10, SECONDS / 4) * 1000);
    const early = heap();
    const earlyBytes = serverBytes;
    await sleep((SECONDS - Math.min(10, SECONDS / 4)) * 1000);
    const late = heap();
    stop = true;
    for (let i = 0; i < 200 && endResult < 0; i++) await sleep(25);
    server.close();
    const total = serverBytes;
    const seconds = (Date.now() - start) / 1000;
    console.log(
      `putmedia memory: ${(total / 2 ** 30).toFixed(2)} GiB in ${seconds.toFixed(0)} s (${(total / seconds / 2 ** 20).toFixed(0)} MiB/s), ` +
        `heap+buffers ${(early / 2 ** 20).toFixed(1)} → ${(late / 2 ** 20).toFixed(1)} MiB, ${acks} ACKs`,
    );
    expect(endResult).toBe(200);
    // It really streamed: far more than the heap bound below went through after the first reading
    // (a speed floor would fail on a loaded machine; the check is about what stays in memory).
    expect(total - earlyBytes).toBeGreaterThan(Math.min(512 * 2 ** 20, RATE * (SECONDS / 6)));
    expect(acks).toBeGreaterThan(100);
    // Everything uploaded after the first seconds (GBs) must not have stayed in memory.
    expect(late - early).toBeLessThan(16 * 2 ** 20);
  });
});
