// Test helpers: MKV streams built the way AWS's C producer writes them (docs/decisions/emulator.md,
// "What AWS's clients send"), a signed-call helper on @kvs-ts/api's Signer, and a PutMedia client over node:http
// that streams its body and collects ACKs as they arrive.

import http from 'node:http';
import https from 'node:https';
import { Signer } from '@kvs-ts/api';
import { EbmlBuilder, Id } from '@kvs-ts/ebml';
import { type Emulator, type EmulatorOptions, startEmulator } from '../src/index';

export interface TestFrame {
  track?: number;
  /** Block timecode relative to the cluster, ms. */
  rel: number;
  key?: boolean;
  data: Uint8Array;
}

export interface TestCluster {
  timecode: number;
  frames: TestFrame[];
  /** Extra metadata tags written before this cluster. */
  tags?: Array<[string, string]>;
}

/** EBML header + Segment (unknown size) + Info + Tracks, as the C producer writes them. */
export function mkvHeader(trackCount = 1): Uint8Array {
  const b = new EbmlBuilder();
  b.start(Id.EBML)
    .uint(Id.EBMLVersion, 1)
    .uint(Id.EBMLReadVersion, 1)
    .uint(Id.EBMLMaxIDLength, 4)
    .uint(Id.EBMLMaxSizeLength, 8)
    .string(Id.DocType, 'matroska')
    .uint(Id.DocTypeVersion, 2)
    .uint(Id.DocTypeReadVersion, 2)
    .end();
  b.start(Id.Segment, { unknown: true, sizeLen: 8 });
  b.start(Id.Info).uint(Id.TimestampScale, 1_000_000).string(Id.Title, 'kvs-ts emulator test').end();
  b.start(Id.Tracks, { sizeLen: 4 });
  for (let t = 1; t <= trackCount; t++) {
    b.start(Id.TrackEntry)
      .uint(Id.TrackNumber, t)
      .uint(Id.TrackUID, t)
      .uint(Id.TrackType, t === 1 ? 1 : 2)
      .string(Id.CodecID, t === 1 ? 'V_MPEG4/ISO/AVC' : 'A_AAC')
      .binary(Id.CodecPrivate, new Uint8Array([1, 2, 3, t]));
    if (t === 1) b.start(Id.Video).uint(Id.PixelWidth, 640).uint(Id.PixelHeight, 480).end();
    else b.start(Id.Audio).float(Id.SamplingFrequency, 48000).uint(Id.Channels, 2).end();
    b.end();
  }
  b.end();
  return b.toBytes();
}

function tags(pairs: Array<[string, string]>): Uint8Array {
  const b = new EbmlBuilder();
  b.start(Id.Tags).start(Id.Tag);
  for (const [k, v] of pairs) b.start(Id.SimpleTag).string(Id.TagName, k).string(Id.TagString, v).end();
  b.end().end();
  return b.toBytes();
}

/** One cluster of unknown size (8-byte Timecode, as PIC writes it), optionally followed by the EoFR tag. */
export function mkvCluster(c: TestCluster, endOfFragment = true): Uint8Array {
  const b = new EbmlBuilder();
  if (c.tags) b.bytes(tags(c.tags));
  b.start(Id.Cluster, { unknown: true, sizeLen: 8 }).uint(Id.Timestamp, c.timecode, 8);
  for (const f of c.frames) {
    const head = new Uint8Array(4);
    head[0] = 0x80 | (f.track ?? 1);
    new DataView(head.buffer).setInt16(1, f.rel);
    head[3] = f.key ? 0x80 : 0;
    const payload = new Uint8Array(4 + f.data.length);
    payload.set(head);
    payload.set(f.data, 4);
    b.binary(Id.SimpleBlock, payload);
  }
  if (endOfFragment) b.bytes(tags([['AWS_KINESISVIDEO_END_OF_FRAGMENT', '']]));
  return b.toBytes();
}

/** Frames with recognisable, distinct bytes. */
export function frames(count: number, stepMs: number, seed: number, track = 1): TestFrame[] {
  return Array.from({ length: count }, (_, i) => ({
    track,
    rel: i * stepMs,
    key: i === 0,
    data: Uint8Array.from({ length: 50 + ((seed * 7 + i) % 40) }, (_, j) => (seed * 31 + i * 17 + j) & 0xff),
  }));
}

export const KEYS = { accessKeyId: 'AKIDEMULATORTEST', secretAccessKey: 'emulator-test-secret' };

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ port: 0, host: '127.0.0.1', region: 'us-west-2', transitionDelayMs: 20, ...KEYS, ...options });
}

export function signerFor(emu: Emulator, keys = KEYS): Signer {
  return new Signer({ region: emu.region, credentials: async () => keys });
}

/** A signed control call with fetch; returns status, headers and parsed JSON. */
export async function call(
  emu: Emulator,
  action: string,
  body: unknown,
  keys = KEYS,
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  const signed = await signerFor(emu, keys).sign({
    method: 'POST',
    url: `${emu.url}/${action}`,
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  const res = await fetch(signed.url, { method: 'POST', headers: signed.fetchHeaders, body: text });
  const raw = await res.text();
  return { status: res.status, headers: res.headers, json: raw ? (JSON.parse(raw) as Record<string, unknown>) : {} };
}

export async function createActive(emu: Emulator, name: string, retention = 2): Promise<void> {
  const r = await call(emu, 'createStream', { StreamName: name, DataRetentionInHours: retention });
  if (r.status !== 200) throw new Error(`createStream: ${JSON.stringify(r.json)}`);
}

export interface Ack {
  EventType: string;
  FragmentTimecode?: number;
  FragmentNumber?: string;
  ErrorId?: number;
  ErrorCode?: string;
  /** ms since the request started, when the ACK arrived. */
  at: number;
  /** Body bytes written when the ACK arrived. */
  sentBytes: number;
}

export interface PutResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  acks: Ack[];
  text: string;
  /** The connection was cut before the response ended. */
  aborted: boolean;
}

export interface PutOptions {
  headers?: Record<string, string>;
  /** Pause between chunks, ms. */
  gapMs?: number;
  /** Wait for this predicate on the ACKs before writing chunk i (full-duplex checks). */
  waitBefore?: (i: number, acks: Ack[]) => boolean;
  keys?: typeof KEYS;
  /** Don't end the body (to test idle handling). */
  keepOpen?: boolean;
  expectContinue?: boolean;
  /** CA to trust for an https:// emulator (its certPath's PEM). */
  ca?: string;
}

/** PutMedia as AWS's C producer sends it: chunked, Host without the port, empty-payload hash. */
export async function putMedia(
  emu: Emulator,
  stream: string,
  chunks: Uint8Array[],
  o: PutOptions = {},
): Promise<PutResult> {
  const url = new URL(`${emu.url}/putMedia`);
  const headers: Record<string, string> = {
    host: url.hostname,
    'user-agent': 'kvs-ts-emulator-test',
    connection: 'keep-alive',
    'transfer-encoding': 'chunked',
    'x-amzn-fragment-acknowledgment-required': '1',
    'x-amzn-fragment-timecode-type': 'ABSOLUTE',
    'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3),
    ...(stream === '' ? {} : { 'x-amzn-stream-name': stream }),
    ...o.headers,
  };
  // Signed for `Host: 127.0.0.1` (no port), the header then sent: what the C producer does.
  const signed = await signerFor(emu, o.keys).sign(
    { method: 'POST', url: `${url.protocol}//${url.hostname}/putMedia`, headers },
    { payload: 'empty' },
  );
  const sendHeaders = { ...signed.headers, host: headers.host } as Record<string, string>;
  if (o.expectContinue) sendHeaders.expect = '100-continue';
  const t0 = Date.now();
  const acks: Ack[] = [];
  let sent = 0;
  return new Promise<PutResult>((resolve, reject) => {
    const request = url.protocol === 'https:' ? https.request : http.request;
    const req = request({
      ca: o.ca,
      host: url.hostname,
      port: url.port,
      path: '/putMedia',
      method: 'POST',
      headers: sendHeaders,
    });
    let text = '';
    let done = false;
    const finish = (status: number, h: http.IncomingHttpHeaders, aborted: boolean): void => {
      if (done) return;
      done = true;
      resolve({ status, headers: h, acks, text, aborted });
    };
    req.on('response', (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        buf += d;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line.startsWith('{') && res.statusCode === 200) {
            acks.push({ ...(JSON.parse(line) as Ack), at: Date.now() - t0, sentBytes: sent });
          }
          nl = buf.indexOf('\n');
        }
      });
      res.on('end', () => finish(res.statusCode ?? 0, res.headers, false));
      res.on('aborted', () => finish(res.statusCode ?? 0, res.headers, true));
      res.on('error', () => finish(res.statusCode ?? 0, res.headers, true));
    });
    req.on('error', (e) => (done ? undefined : acks.length > 0 || sent > 0 ? finish(0, {}, true) : reject(e)));
    const write = async (): Promise<void> => {
      if (o.expectContinue) await new Promise((r) => req.once('continue', r));
      for (let i = 0; i < chunks.length; i++) {
        if (done) return;
        if (o.waitBefore) {
          const deadline = Date.now() + 3000;
          while (!o.waitBefore(i, acks) && Date.now() < deadline && !done) await new Promise((r) => setTimeout(r, 2));
        }
        req.write(chunks[i]);
        sent += chunks[i].length;
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
      if (!o.keepOpen) req.end();
    };
    if (!o.expectContinue) req.flushHeaders();
    write().catch(reject);
  });
}
