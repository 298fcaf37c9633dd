// SignalingClient against a FakeWebSocket the test answers for the service, on hand-driven
// timers: connecting (signed URL per attempt), sending and queueing, typed events, STATUS_RESPONSE
// matched to its message, reconnects with backoff and fresh credentials, GO_AWAY and the
// idle / 1-hour renewals (new connection before the old one closes), 403, abort, metrics.

import { isKvsError, type KvsError } from '@kvs-ts/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CloseInfo, SignalingClient, type SignalingClientOptions } from '../src/client';
import { encodeBase64Text } from '../src/envelope';
import type { SignalingStatusError } from '../src/status';
import {
  CHANNEL_ARN,
  countingCredentials,
  ENDPOINT,
  FakeTimers,
  FakeWebSocket,
  PingingFakeWebSocket,
  settle,
} from './fakes';

const OFFER = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' };
const ANSWER = { type: 'answer' as const, sdp: 'v=0\r\no=- 2 1 IN IP4 0.0.0.0\r\n' };
const MINUTE = 60_000_000;

let timers: FakeTimers;
let creds: ReturnType<typeof countingCredentials>;

function client(options: Partial<SignalingClientOptions> = {}): SignalingClient {
  return new SignalingClient({
    role: 'VIEWER',
    channelArn: CHANNEL_ARN,
    region: 'us-west-2',
    endpoint: ENDPOINT,
    clientId: 'viewer-1',
    credentials: creds.provider,
    WebSocket: FakeWebSocket,
    timers,
    random: () => 0.5,
    ...options,
  });
}

/** Opens `c`, accepting the socket it creates. */
async function opened(c: SignalingClient): Promise<FakeWebSocket> {
  const done = c.open();
  await settle();
  const socket = FakeWebSocket.last;
  socket.accept();
  await done;
  return socket;
}

function collect<T extends unknown[]>(c: SignalingClient, event: Parameters<SignalingClient['on']>[0]): T[] {
  const seen: T[] = [];
  c.on(event, ((...args: T) => seen.push(args)) as never);
  return seen;
}

beforeEach(() => {
  FakeWebSocket.reset();
  timers = new FakeTimers();
  creds = countingCredentials();
});
afterEach(() => FakeWebSocket.reset());

describe('SignalingClient: connecting and sending', () => {
  it('opens a presigned viewer URL and sends validated envelopes with correlation IDs', async () => {
    const c = client();
    const socket = await opened(c);
    expect(socket.url.startsWith(`${ENDPOINT}/?`)).toBe(true);
    expect(socket.query.get('X-Amz-ClientId')).toBe('viewer-1');
    expect(socket.query.get('X-Amz-ChannelARN')).toBe(CHANNEL_ARN);
    expect(socket.query.get('X-Amz-Security-Token')).toBe('token-1');
    expect(socket.query.get('X-Amz-Date')).toBe('20240102T030405Z');
    expect(c.state).toBe('open');
    const id = c.sendSdpOffer(OFFER);
    c.sendIceCandidate({ candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0', sdpMLineIndex: 0 });
    expect(socket.sentMessages.map((m) => m.action)).toEqual(['SDP_OFFER', 'ICE_CANDIDATE']);
    expect(socket.sentMessages[0].correlationId).toBe(id);
    expect(socket.sentMessages[0].recipientClientId).toBeUndefined();
    expect(() => c.sendSdpOffer(OFFER, 'someone')).toThrow(/must not name a recipient/);
    expect(c.getMetrics().numberOfMessagesSent).toBe(2);
    c.close();
  });

  it('a master connects without a client ID and must name recipients', async () => {
    const c = client({ role: 'MASTER', clientId: undefined });
    const socket = await opened(c);
    expect(socket.query.has('X-Amz-ClientId')).toBe(false);
    expect(() => c.sendSdpAnswer(ANSWER)).toThrow(/must name its recipient/);
    c.sendSdpAnswer(ANSWER, 'viewer-1', 'my-id');
    expect(socket.sentMessages[0]).toMatchObject({ recipientClientId: 'viewer-1', correlationId: 'my-id' });
    expect(() => client({ role: 'MASTER', clientId: 'x' })).toThrow(/master has no client ID/);
    c.close();
  });

  it('refuses to send before open() and after close(); queues while connecting', async () => {
    const c = client({ correlationIds: false });
    expect(() => c.sendSdpOffer(OFFER)).toThrow(/is new/);
    const done = c.open();
    c.sendSdpOffer(OFFER);
    await settle();
    const socket = FakeWebSocket.last;
    expect(socket.sent).toEqual([]);
    socket.accept();
    await done;
    expect(socket.sentMessages).toEqual([
      { action: 'SDP_OFFER', messagePayload: encodeBase64Text(JSON.stringify(OFFER)) },
    ]);
    c.close();
    expect(() => c.sendSdpOffer(OFFER)).toThrow(/is closed/);
  });

  it('keeps to the per-connection quotas (5 SDP, 20 ICE a second) by queueing, in order', async () => {
    const c = client({ role: 'MASTER', clientId: undefined, correlationIds: false });
    const socket = await opened(c);
    for (let i = 0; i < 7; i++) c.sendSdpAnswer(ANSWER, `v${i}`);
    for (let i = 0; i < 25; i++) c.sendIceCandidate({ candidate: `candidate:${i}` }, 'v0');
    // 5 answers at once; the 6th waits ~211 ms for a token (refilled at 95 % of 5/s, client.ts
    // PACE_MARGIN) and everything behind it waits too.
    expect(socket.sent).toHaveLength(5);
    await timers.advance(200_000);
    expect(socket.sent).toHaveLength(5);
    await timers.advance(11_000);
    expect(socket.sent).toHaveLength(6);
    await timers.advance(211_000);
    // The 7th answer, then 20 candidates (a full bucket), the last 5 at ~53 ms each.
    expect(socket.sent).toHaveLength(27);
    await timers.advance(270_000);
    expect(socket.sentMessages.map((m) => m.recipientClientId ?? '')).toHaveLength(32);
    const actions = socket.sentMessages.map((m) => m.action);
    expect(actions).toEqual([...Array(7).fill('SDP_ANSWER'), ...Array(25).fill('ICE_CANDIDATE')]);
    const order = socket.sentMessages.slice(7).map((m) => JSON.parse(atob(m.messagePayload)).candidate);
    expect(order).toEqual(Array.from({ length: 25 }, (_, i) => `candidate:${i}`));
    c.close();
  });

  it('emits typed events for every message type, unknown ones included', async () => {
    const c = client();
    const socket = await opened(c);
    const offers = collect(c, 'sdpOffer');
    const answers = collect(c, 'sdpAnswer');
    const candidates = collect(c, 'iceCandidate');
    const messages = collect(c, 'message');
    const errors = collect<[KvsError]>(c, 'error');
    const b64 = (v: unknown) => encodeBase64Text(JSON.stringify(v));
    socket.deliver({ messageType: 'SDP_OFFER', senderClientId: 'v2', messagePayload: b64(OFFER) });
    socket.deliver({ messageType: 'SDP_ANSWER', messagePayload: b64(ANSWER) });
    socket.deliver({ messageType: 'ICE_CANDIDATE', messagePayload: b64({ candidate: 'candidate:x', sdpMid: '0' }) });
    socket.deliver({ messageType: 'SOMETHING_NEW' });
    socket.deliver('not json');
    expect(offers).toEqual([[OFFER, 'v2']]);
    expect(answers).toEqual([[ANSWER, undefined]]);
    expect(candidates).toEqual([[{ candidate: 'candidate:x', sdpMid: '0' }, undefined]]);
    expect(messages.map(([m]) => (m as { type: string }).type)).toEqual([
      'SDP_OFFER',
      'SDP_ANSWER',
      'ICE_CANDIDATE',
      'UNKNOWN',
    ]);
    expect(errors).toHaveLength(1);
    expect(isKvsError(errors[0][0], 'STATUS_FORMAT_ERROR')).toBe(true);
    expect(c.getMetrics()).toMatchObject({ numberOfMessagesReceived: 5, numberOfErrors: 1 });
    c.close();
  });

  it('matches STATUS_RESPONSE to the message that caused it, as a typed error', async () => {
    const c = client({ role: 'MASTER', clientId: undefined });
    const socket = await opened(c);
    const statuses = collect<[unknown, SignalingStatusError | undefined]>(c, 'statusResponse');
    c.sendSdpAnswer(ANSWER, 'viewer-1');
    const id = c.sendIceCandidate({ candidate: 'candidate:1' }, 'viewer-7');
    socket.deliver({
      messageType: 'STATUS_RESPONSE',
      statusResponse: {
        correlationId: id,
        errorType: 'InvalidArgumentException',
        statusCode: '400',
        description: 'gone',
      },
    });
    const [[response, error]] = statuses;
    expect(response).toMatchObject({ correlationId: id, statusCode: '400' });
    expect(error?.request).toMatchObject({ action: 'ICE_CANDIDATE', recipientClientId: 'viewer-7', correlationId: id });
    expect(isKvsError(error, 'STATUS_SERVICE_CALL_INVALID_ARG_ERROR')).toBe(true);
    expect(error?.message).toMatch(/ICE_CANDIDATE .* to viewer-7 was refused: InvalidArgumentException 400 gone/);
    socket.deliver({ messageType: 'STATUS_RESPONSE', statusResponse: { correlationId: 'x', success: true } });
    expect(statuses[1][1]).toBeUndefined();
    c.close();
  });
});

describe('SignalingClient: staying connected', () => {
  it('reconnects after a drop with jittered backoff, a freshly signed URL, and flushes queued sends', async () => {
    const c = client();
    const first = await opened(c);
    const reconnecting = collect<[{ attempt: number; delayUs: number }]>(c, 'reconnecting');
    const opens = collect(c, 'open');
    timers.nowUs += 10_000_000;
    first.drop(1006);
    expect(c.state).toBe('reconnecting');
    expect(reconnecting[0][0].attempt).toBe(0);
    expect(reconnecting[0][0].delayUs).toBe(50_000); // half (random 0.5) of the 100 ms base
    c.sendSdpOffer(OFFER); // queued
    await timers.advance(50_000);
    const second = FakeWebSocket.last;
    expect(second).not.toBe(first);
    expect(second.query.get('X-Amz-Security-Token')).toBe('token-2');
    expect(second.query.get('X-Amz-Date')).toBe('20240102T030415Z');
    second.accept();
    expect(opens).toHaveLength(1);
    expect(second.sentMessages.map((m) => m.action)).toEqual(['SDP_OFFER']);
    expect(c.getMetrics()).toMatchObject({ numberOfReconnects: 1, numberOfRuntimeErrors: 1 });
    c.close();
  });

  it('backs off exponentially (full jitter, capped) while connects keep failing', async () => {
    const c = client({ random: () => 0.999 });
    await opened(c);
    const delays = collect<[{ delayUs: number }]>(c, 'reconnecting');
    c.on('error', () => {});
    FakeWebSocket.last.drop();
    for (let i = 0; i < 9; i++) {
      await timers.advance(delays[delays.length - 1][0].delayUs);
      FakeWebSocket.last.refuse('connect ECONNREFUSED');
      await settle();
    }
    const ceilings = delays.map(([d]) => Math.round(d.delayUs / 0.999));
    expect(ceilings).toEqual([
      100_000, 200_000, 400_000, 800_000, 1_600_000, 3_200_000, 6_400_000, 10_000_000, 10_000_000, 10_000_000,
    ]);
    c.close();
  });

  it('after a 403 handshake, asks the credential provider for fresh credentials', async () => {
    const c = client();
    const errors = collect<[KvsError]>(c, 'error');
    const done = c.open();
    await settle();
    FakeWebSocket.last.refuse('Unexpected server response: 403');
    await timers.advance(100_000);
    expect(isKvsError(errors[0][0], 'STATUS_SERVICE_CALL_NOT_AUTHORIZED_ERROR')).toBe(true);
    expect(creds.forced).toBe(1);
    FakeWebSocket.last.accept();
    await done;
    expect(FakeWebSocket.instances).toHaveLength(2);
    c.close();
  });

  it('open() fails after openAttempts failed connects; the client closes', async () => {
    const c = client({ openAttempts: 3 });
    c.on('error', () => {});
    const closes = collect<[CloseInfo]>(c, 'close');
    const done = c.open();
    const failed = expect(done).rejects.toThrow(/timed out/);
    for (let i = 0; i < 3; i++) await timers.advance(11_000_000);
    await failed;
    expect(closes[0][0].reason).toBe('gave-up');
    expect(c.state).toBe('closed');
    expect(FakeWebSocket.instances).toHaveLength(3);
  });

  it('GO_AWAY: a new connection opens at once, then the old one closes', async () => {
    const c = client();
    const old = await opened(c);
    const goAways = collect(c, 'goAway');
    old.deliver({ messageType: 'GO_AWAY' });
    expect(goAways).toEqual([[undefined]]);
    await settle();
    const fresh = FakeWebSocket.last;
    expect(fresh).not.toBe(old);
    c.sendSdpOffer(OFFER); // the old connection still carries it
    expect(old.sentMessages).toHaveLength(1);
    fresh.accept();
    c.sendSdpOffer(OFFER);
    expect(fresh.sentMessages).toHaveLength(1);
    // The old one is still read for a moment (what the service sent before switching), then closed.
    const offers = collect(c, 'sdpOffer');
    old.deliver({
      messageType: 'SDP_OFFER',
      senderClientId: 'x',
      messagePayload: encodeBase64Text(JSON.stringify(OFFER)),
    });
    expect(offers).toHaveLength(1);
    await timers.advance(2_000_000);
    expect(old.closedWith).toEqual({ code: 1000, reason: 'renewed' });
    expect(c.state).toBe('open');
    expect(c.getMetrics().numberOfReconnects).toBe(1);
    c.close();
  });

  it('renews before the idle timeout unless messages flow, and before the 1-hour limit', async () => {
    const c = client();
    const first = await opened(c);
    await timers.advance(5 * MINUTE);
    c.sendSdpOffer(OFFER); // activity: idle counts from here
    await timers.advance(8 * MINUTE);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await timers.advance(1 * MINUTE);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.accept();
    await timers.advance(2_000_000);
    expect(first.closedWith?.reason).toBe('renewed');
    // Keep the second connection busy: it is renewed at 55 minutes of age all the same.
    const second = FakeWebSocket.last;
    for (let m = 0; m < 54; m++) {
      await timers.advance(MINUTE);
      second.deliver({ messageType: 'SOMETHING' });
    }
    expect(FakeWebSocket.instances).toHaveLength(2);
    await timers.advance(MINUTE);
    expect(FakeWebSocket.instances).toHaveLength(3);
    c.close();
  });

  it('pings where the WebSocket can', async () => {
    const c = client({ WebSocket: PingingFakeWebSocket });
    const socket = await opened(c);
    await timers.advance(95_000_000);
    expect(socket.pings).toBe(3);
    c.close();
  });

  it('an abort signal closes the client for good', async () => {
    const controller = new AbortController();
    const c = client({ signal: controller.signal });
    const socket = await opened(c);
    const closes = collect<[CloseInfo]>(c, 'close');
    controller.abort();
    expect(closes).toEqual([[{ reason: 'aborted' }]]);
    expect(socket.closedWith?.code).toBe(1000);
    socket.drop();
    await timers.advance(20_000_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(timers.size).toBe(0);
  });

  it('metrics: connection duration and uptime', async () => {
    const c = client();
    timers.nowUs += 1_000_000;
    await opened(c);
    await timers.advance(3_000_000);
    expect(c.getMetrics()).toMatchObject({ connectionDurationUs: 3_000_000, uptimeUs: 4_000_000 });
    c.close();
    expect(c.getMetrics().connectionDurationUs).toBe(0);
  });

  it('refuses a runtime without a WebSocket, naming the fix', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => client({ WebSocket: undefined })).toThrow(/ws/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
