// Signaling test helpers: channels created through signed control calls, WebSocket URLs presigned
// with @kvs-ts/api's Signer (as a client would, seeds-webrtc.md §5.2), and a raw `ws` client that
// queues what it receives so a test can wait for the next message (every wait bounded in time).

import { Signer } from '@kvs-ts/api';
import WebSocket from 'ws';
import type { Emulator } from '../src/index';
import { call, KEYS } from './support';

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Creates a channel and waits (bounded) until it is ACTIVE; returns its ARN. */
export async function activeChannel(emu: Emulator, name: string, ttlSeconds?: number): Promise<string> {
  const r = await call(emu, 'createSignalingChannel', {
    ChannelName: name,
    ...(ttlSeconds === undefined ? {} : { SingleMasterConfiguration: { MessageTtlSeconds: ttlSeconds } }),
  });
  if (r.status !== 200) throw new Error(`createSignalingChannel: ${JSON.stringify(r.json)}`);
  const arn = r.json.ChannelARN as string;
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const d = await call(emu, 'describeSignalingChannel', { ChannelARN: arn });
    if ((d.json.ChannelInfo as { ChannelStatus?: string }).ChannelStatus === 'ACTIVE') return arn;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`channel ${name} did not become ACTIVE`);
}

/** The channel's WSS endpoint from GetSignalingChannelEndpoint, matched by Protocol. */
export async function wssEndpoint(emu: Emulator, arn: string, role: 'MASTER' | 'VIEWER'): Promise<string> {
  const r = await call(emu, 'getSignalingChannelEndpoint', {
    ChannelARN: arn,
    SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: role },
  });
  const list = r.json.ResourceEndpointList as Array<{ Protocol: string; ResourceEndpoint: string }>;
  const wss = list.find((e) => e.Protocol === 'WSS');
  if (!wss) throw new Error(`no WSS endpoint: ${JSON.stringify(r.json)}`);
  return wss.ResourceEndpoint;
}

export interface PresignOptions {
  keys?: Keys;
  region?: string;
  /** Default 299 s. */
  expiresInUs?: number;
  /** The signing clock, µs. */
  now?: () => number;
}

/** A presigned connect URL: `?X-Amz-ChannelARN` (+ `X-Amz-ClientId` for a viewer). */
export function presign(
  emu: Emulator,
  endpoint: string,
  arn: string,
  clientId?: string,
  o: PresignOptions = {},
): Promise<string> {
  const signer = new Signer({
    region: o.region ?? emu.region,
    credentials: async () => o.keys ?? KEYS,
    now: o.now,
  });
  const url = new URL(endpoint);
  url.searchParams.set('X-Amz-ChannelARN', arn);
  if (clientId !== undefined) url.searchParams.set('X-Amz-ClientId', clientId);
  return signer.presign(url, { expiresInUs: o.expiresInUs ?? 299_000_000 });
}

export interface Received {
  senderClientId?: string;
  messageType: string;
  messagePayload?: string;
  statusResponse?: { correlationId: string; errorType?: string; statusCode?: string; description?: string };
}

/** A raw client: what it received, queued; its close code and reason once closed. */
export class TestClient {
  readonly inbox: Received[] = [];
  closed?: { code: number; reason: string };
  private wake: (() => void) | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.inbox.push(JSON.parse(String(data)) as Received);
      this.wake?.();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake?.();
    });
    ws.on('error', () => {});
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next received message (optionally the next of a type), within `timeoutMs`. */
  async next(type?: string, timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => type === undefined || m.messageType === type);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'message'} within ${timeoutMs} ms`);
      await this.until(left);
    }
  }

  /** Resolves once closed (within `timeoutMs`). */
  async whenClosed(timeoutMs = 2000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`not closed within ${timeoutMs} ms`);
      await this.until(left);
    }
    return this.closed;
  }

  private until(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a presigned URL: the client once upgraded, or the HTTP status and body of the refusal. */
export function open(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ client?: TestClient; status?: number; errorType?: string; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: 3000, ...options });
    const client = new TestClient(ws);
    ws.once('open', () => resolve({ client }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += String(d);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, errorType: String(res.headers['x-amzn-errortype'] ?? ''), body }),
      );
    });
    ws.once('error', reject);
  });
}

/** Connects as master (no client ID) or viewer; throws when refused. */
export async function connect(
  emu: Emulator,
  arn: string,
  clientId?: string,
  o: PresignOptions = {},
): Promise<TestClient> {
  const endpoint = await wssEndpoint(emu, arn, clientId === undefined ? 'MASTER' : 'VIEWER');
  const r = await open(await presign(emu, endpoint, arn, clientId, o));
  if (!r.client) throw new Error(`refused: ${r.status} ${r.errorType} ${r.body}`);
  return r.client;
}

export const b64 = (text: string): string => Buffer.from(text).toString('base64');
export const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');
