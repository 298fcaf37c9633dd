// Both PutMedia transports against a loopback server: the signed request and its headers, a body
// that arrives byte for byte while ACKs come back during the upload (full duplex), error
// responses as typed errors with PIC's results, refused and silent connections, stalls.
import { KvsError, ServiceCallResult as R } from '@kvs-ts/core';
import { type FetchPutMediaOptions, formatProducerTimestamp, putMediaWithFetch } from '@kvs-ts/putmedia';
import { putMediaWithNodeHttp } from '@kvs-ts/putmedia/node';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, startServer, TestSource, target } from './helpers';

type Transport = typeof putMediaWithNodeHttp;
const transports: Array<[string, Transport]> = [
  ['node:http', putMediaWithNodeHttp],
  // Node 20's fetch is fine for a short upload (its memory problem is with long ones).
  ['fetch', (t, s, o) => putMediaWithFetch(t, s, o as FetchPutMediaOptions)],
];

const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('formatProducerTimestamp', () => {
  it('writes seconds with three zero-padded decimals (AWS’s C producer forgets the padding)', () => {
    expect(formatProducerTimestamp(1_700_000_000_005_000)).toBe('1700000000.005');
    expect(formatProducerTimestamp(1_796_290_693_960_999)).toBe('1796290693.960');
    expect(formatProducerTimestamp(0)).toBe('0.000');
    expect(() => formatProducerTimestamp(-1)).toThrow(/STATUS_INVALID_ARG/);
  });
});

for (const [name, putMedia] of transports) {
  describe(`PutMedia over ${name}`, () => {
    it('sends the signed headers and the whole body, reading ACKs while it still uploads', async () => {
      const server = await startServer({ kind: 'ack', every: 50_000 });
      servers.push(server);
      const source = new TestSource(400_000);
      source.produce(120_000);
      const opened = await putMedia(target(server.url), source, {});
      expect(opened.result).toBe(R.OK);
      // Only once an ACK came back does the producer make the rest available: without duplex
      // reading the upload would stall here until the test times out.
      await source.firstAck();
      expect(source.ends).toEqual([]);
      source.produce(100_000);
      await new Promise((r) => setTimeout(r, 20));
      source.finish();
      expect(await source.ended()).toBe(R.OK);
      const got = server.received[0];
      expect(concat(got.chunks)).toEqual(source.bytes);
      expect(got.ended).toBe(true);
      expect(source.acks.length).toBe(9); // 8 RECEIVED (every 50 kB) and the final PERSISTED
      expect(source.acks.at(-1)?.ackType).toBe(3);
      expect(source.ends).toHaveLength(1);
      const h = got.headers;
      expect(h['x-amzn-stream-name']).toBe('test-stream');
      expect(h['x-amzn-producer-start-timestamp']).toBe('1700000000.005');
      expect(h['x-amzn-fragment-timecode-type']).toBe('ABSOLUTE');
      expect(h['x-amzn-fragment-acknowledgment-required']).toBe('1');
      expect(h['transfer-encoding']).toBe('chunked');
      expect(h.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-west-2\/kinesisvideo\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
      );
      expect(h['x-amz-content-sha256']).toBeUndefined(); // the C producer's empty-payload signing
    });

    it('with UNSIGNED-PAYLOAD signing and a stream ARN, RELATIVE times, no ACKs asked', async () => {
      const server = await startServer({ kind: 'ack', every: 1 << 30 });
      servers.push(server);
      const source = new TestSource(1000);
      source.finish();
      const arn = 'arn:aws:kinesisvideo:us-west-2:123456789012:stream/s/1';
      await putMedia(
        target(server.url, {
          streamName: undefined,
          streamArn: arn,
          payloadSigning: 'unsigned',
          absoluteFragmentTimes: false,
          fragmentAcks: false,
        }),
        source,
      );
      expect(await source.ended()).toBe(R.OK);
      const h = server.received[0].headers;
      expect(h['x-amzn-stream-arn']).toBe(arn);
      expect(h['x-amzn-stream-name']).toBeUndefined();
      expect(h['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(h['x-amzn-fragment-timecode-type']).toBe('RELATIVE');
      expect(h['x-amzn-fragment-acknowledgment-required']).toBe('0');
    });

    it('an error response ends the connection with its result and a typed error', async () => {
      const server = await startServer({
        kind: 'error',
        status: 403,
        type: 'NotAuthorizedException',
        message: 'The security token included in the request is expired',
      });
      servers.push(server);
      const source = new TestSource(10_000);
      source.produce(10_000);
      const errors: KvsError[] = [];
      await putMedia(target(server.url), source, { onError: (e) => errors.push(e) });
      const result = await source.ended();
      expect(result).toBe(R.NOT_AUTHORIZED);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(KvsError);
      expect(errors[0].message).toMatch(/NotAuthorizedException.*expired/);
      expect(source.ends).toHaveLength(1);
    });

    it('a refused connection ends with NETWORK_CONNECTION_TIMEOUT', async () => {
      const server = await startServer({ kind: 'silent' });
      const url = server.url;
      await server.close(); // nothing listens there now
      const source = new TestSource(100);
      source.produce(100);
      await putMedia(target(url), source, {});
      expect(await source.ended()).toBe(R.NETWORK_CONNECTION_TIMEOUT);
    });

    it('a server that takes the body but never answers, while nothing moves, is a stall (NETWORK_READ_TIMEOUT)', async () => {
      const server = await startServer({ kind: 'silent' });
      servers.push(server);
      const source = new TestSource(100);
      source.produce(100);
      const errors: KvsError[] = [];
      await putMedia(target(server.url), source, {
        lowSpeedTimeUs: 300_000,
        lowSpeedBytesPerSecond: 1000,
        onError: (e) => errors.push(e),
      });
      expect(await source.ended()).toBe(R.NETWORK_READ_TIMEOUT);
      expect(errors[0]?.statusName).toBe('STATUS_OPERATION_TIMED_OUT');
    });

    it('refuses a target with both a stream name and an ARN, and a bad endpoint', async () => {
      const source = new TestSource(1);
      await expect(putMedia(target('http://127.0.0.1:1', { streamArn: 'arn:x' }), source)).rejects.toThrow(
        /STATUS_INVALID_ARG/,
      );
      await expect(putMedia(target('not a url'), source)).rejects.toThrow(/STATUS_INVALID_ARG/);
      expect(source.ends).toEqual([]);
    });
  });
}
