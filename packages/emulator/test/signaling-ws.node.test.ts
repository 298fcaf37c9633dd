// The signaling WebSocket relay with raw `ws` clients and URLs presigned by @kvs-ts/api's Signer:
// the documented envelope between a master and its viewers (seeds-webrtc.md §5.3, §5.4),
// STATUS_RESPONSE, queued delivery, replacement, the viewer limit, idle and duration limits,
// GO_AWAY / RECONNECT_ICE_SERVER / drop through the admin API, and the rate quotas.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { activeChannel, b64, connect, type TestClient, unb64 } from './signaling-support';
import { start } from './support';

let emu: Emulator;
const clients: TestClient[] = [];
let n = 0;
/** A fresh channel per test (so the per-channel quotas never carry over). */
const channel = (ttl?: number): Promise<string> => activeChannel(emu, `ws-${++n}`, ttl);
const join = async (arn: string, clientId?: string): Promise<TestClient> => {
  const c = await connect(emu, arn, clientId);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  emu = await start({ transitionDelayMs: 5, signalingGoAwayGraceMs: 200 });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await emu.close();
});

const offer = (text: string) => b64(JSON.stringify({ type: 'offer', sdp: text }));

describe('signaling relay', () => {
  it('relays offers, answers and candidates between a master and three viewers', async () => {
    const arn = await channel();
    const master = await join(arn);
    const viewers = [await join(arn, 'v1'), await join(arn, 'v2'), await join(arn, 'v3')];
    for (const [i, v] of viewers.entries()) {
      v.send({ action: 'SDP_OFFER', messagePayload: offer(`offer-${i}`) });
      v.send({ action: 'ICE_CANDIDATE', messagePayload: b64(`cand-${i}`), recipientClientId: 'ignored' });
    }
    const got = new Map<string, string[]>();
    for (let i = 0; i < 6; i++) {
      const m = await master.next();
      expect(m.senderClientId).toMatch(/^v[123]$/);
      got.set(m.senderClientId as string, [...(got.get(m.senderClientId as string) ?? []), m.messageType]);
    }
    for (const id of ['v1', 'v2', 'v3']) expect(got.get(id)).toEqual(['SDP_OFFER', 'ICE_CANDIDATE']);

    for (const id of ['v1', 'v2', 'v3']) {
      master.send({ action: 'SDP_ANSWER', recipientClientId: id, messagePayload: b64(`answer-${id}`) });
      master.send({ action: 'ICE_CANDIDATE', recipientClientId: id, messagePayload: b64(`m-cand-${id}`) });
    }
    for (const [i, v] of viewers.entries()) {
      const answer = await v.next();
      // The master's messages carry no senderClientId (seeds-webrtc.md §5.4).
      expect(answer).toEqual({ messageType: 'SDP_ANSWER', messagePayload: b64(`answer-v${i + 1}`) });
      expect(unb64((await v.next()).messagePayload)).toBe(`m-cand-v${i + 1}`);
    }
    // Nobody got anything else: viewers never see each other.
    await new Promise((r) => setTimeout(r, 50));
    expect([master, ...viewers].map((c) => c.inbox.length)).toEqual([0, 0, 0, 0]);
    const conns = emu.admin.signalingConnections(arn);
    expect(conns.map((c) => c.role).sort()).toEqual(['MASTER', 'VIEWER', 'VIEWER', 'VIEWER']);
    expect(conns.find((c) => c.role === 'MASTER')?.messagesReceived).toBe(6);
  });

  it('answers bad messages with STATUS_RESPONSE only when they carry a correlationId', async () => {
    const arn = await channel();
    const master = await join(arn);
    const viewer = await join(arn, 'v');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ action: 'SDP_BOGUS', messagePayload: b64('x') }, 'InvalidArgumentException'],
      [{ action: 'SDP_OFFER' }, 'InvalidArgumentException'],
      [{ action: 'SDP_OFFER', messagePayload: 'not base64!' }, 'InvalidArgumentException'],
      [{ action: 'SDP_OFFER', messagePayload: 'A'.repeat(10_000 + 4) }, 'InvalidArgumentException'],
    ];
    for (const [i, [msg, errorType]] of cases.entries()) {
      viewer.send({ ...msg, correlationId: `c-${i}` });
      const r = await viewer.next();
      expect(r.messageType).toBe('STATUS_RESPONSE');
      expect(r.statusResponse).toMatchObject({ correlationId: `c-${i}`, errorType, statusCode: '400' });
      expect(r.statusResponse?.description).toBeTruthy();
    }
    // The master must name its recipient.
    master.send({ action: 'SDP_ANSWER', messagePayload: b64('a'), correlationId: 'm-1' });
    expect((await master.next()).statusResponse).toMatchObject({ correlationId: 'm-1', statusCode: '400' });
    // Without a correlationId a bad message is dropped silently; the next good one still goes through.
    viewer.send({ action: 'SDP_BOGUS', messagePayload: b64('x') });
    viewer.send({ action: 'SDP_OFFER', messagePayload: offer('ok'), correlationId: 'good' });
    expect((await master.next()).messageType).toBe('SDP_OFFER');
    await new Promise((r) => setTimeout(r, 50));
    expect(viewer.inbox).toEqual([]);
    expect(master.inbox).toEqual([]);
  });

  it('accepts the payload cap exactly and PascalCase fields as AWS C SDK sends them', async () => {
    const arn = await channel();
    const master = await join(arn);
    const viewer = await join(arn, 'v');
    const big = 'A'.repeat(10_000);
    viewer.send({ action: 'SDP_OFFER', MessagePayload: big, CorrelationId: 'x' });
    expect((await master.next()).messagePayload).toBe(big);
    master.send({ action: 'ICE_CANDIDATE', RecipientClientId: 'v', MessagePayload: b64('c') });
    expect((await viewer.next()).messagePayload).toBe(b64('c'));
  });

  it('holds messages for a recipient that is not connected, newest offer only, within the TTL', async () => {
    const arn = await channel(5);
    const viewer = await join(arn, 'early');
    viewer.send({ action: 'SDP_OFFER', messagePayload: offer('first') });
    viewer.send({ action: 'ICE_CANDIDATE', messagePayload: b64('c1') });
    viewer.send({ action: 'SDP_OFFER', messagePayload: offer('second') });
    await new Promise((r) => setTimeout(r, 50));
    const master = await join(arn);
    const first = await master.next();
    const second = await master.next();
    expect([first.messageType, unb64(first.messagePayload)]).toEqual(['ICE_CANDIDATE', 'c1']);
    expect(unb64(second.messagePayload)).toContain('second');
    // And the other way round: an answer to a viewer that connects later.
    master.send({ action: 'SDP_ANSWER', recipientClientId: 'late', messagePayload: b64('ans') });
    await new Promise((r) => setTimeout(r, 50));
    const late = await join(arn, 'late');
    expect((await late.next()).messagePayload).toBe(b64('ans'));
  });

  it('replaces an earlier master, and an earlier viewer with the same client ID', async () => {
    const arn = await channel();
    const m1 = await join(arn);
    const m2 = await join(arn);
    expect((await m1.whenClosed()).code).toBe(1000);
    const v1 = await join(arn, 'same');
    const v2 = await join(arn, 'same');
    expect((await v1.whenClosed()).reason).toMatch(/Replaced/);
    v2.send({ action: 'SDP_OFFER', messagePayload: offer('from v2') });
    expect((await m2.next()).senderClientId).toBe('same');
    m2.send({ action: 'SDP_ANSWER', recipientClientId: 'same', messagePayload: b64('a') });
    expect((await v2.next()).messageType).toBe('SDP_ANSWER');
    expect(emu.admin.signalingConnections(arn)).toHaveLength(2);
  });

  it('refuses an eleventh viewer with 400 ClientLimitExceededException, but not a replacement', async () => {
    const arn = await channel();
    for (let i = 0; i < 10; i++) await join(arn, `v${i}`);
    await expect(connect(emu, arn, 'v10')).rejects.toThrow(/400 ClientLimitExceededException/);
    // Let the connect quota (3 per second per channel, burst 11) refill one token.
    await new Promise((r) => setTimeout(r, 400));
    clients.push(await connect(emu, arn, 'v3'));
  });

  it('rate-limits ICE candidates (20 per second per connection) with STATUS_RESPONSE', async () => {
    const arn = await channel();
    const master = await join(arn);
    const viewer = await join(arn, 'v');
    for (let i = 0; i < 21; i++)
      viewer.send({ action: 'ICE_CANDIDATE', messagePayload: b64(`c${i}`), correlationId: `c${i}` });
    const status = await viewer.next('STATUS_RESPONSE');
    expect(status.statusResponse).toMatchObject({ correlationId: 'c20', errorType: 'ClientLimitExceededException' });
    for (let i = 0; i < 20; i++) await master.next('ICE_CANDIDATE');
  });

  it('closes deleted channels connections', async () => {
    const arn = await channel();
    const master = await join(arn);
    const { call } = await import('./support');
    expect((await call(emu, 'deleteSignalingChannel', { ChannelARN: arn })).status).toBe(200);
    expect((await master.whenClosed()).reason).toMatch(/deleted/);
  });
});

describe('connection limits', () => {
  it('closes a connection idle for signalingIdleTimeoutMs; pings and messages keep it open', async () => {
    const idle = await start({ transitionDelayMs: 5, signalingIdleTimeoutMs: 300 });
    try {
      const arn = await activeChannel(idle, 'idle');
      const t0 = Date.now();
      const quiet = await connect(idle, arn, 'quiet');
      const busy = await connect(idle, arn, 'busy');
      const talker = await connect(idle, arn);
      const ticker = setInterval(() => {
        busy.ws.ping();
        talker.send({ action: 'ICE_CANDIDATE', recipientClientId: 'busy', messagePayload: b64('x') });
      }, 100);
      try {
        const closed = await quiet.whenClosed(2000);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
        expect(closed.reason).toMatch(/Idle/);
        await new Promise((r) => setTimeout(r, 400));
        expect(busy.closed).toBeUndefined();
        expect(talker.closed).toBeUndefined();
      } finally {
        clearInterval(ticker);
        for (const c of [busy, talker]) c.close();
      }
    } finally {
      await idle.close();
    }
  });

  it('closes any connection after signalingMaxConnectionMs', async () => {
    const short = await start({ transitionDelayMs: 5, signalingMaxConnectionMs: 300 });
    try {
      const arn = await activeChannel(short, 'short');
      const master = await connect(short, arn);
      const ticker = setInterval(() => master.ws.ping(), 50);
      try {
        expect((await master.whenClosed(2000)).reason).toMatch(/Maximum/);
      } finally {
        clearInterval(ticker);
      }
    } finally {
      await short.close();
    }
  });
});

describe('admin: GO_AWAY, RECONNECT_ICE_SERVER, drop', () => {
  it('sends GO_AWAY and closes after the grace period (programmatic admin)', async () => {
    const arn = await channel();
    const master = await join(arn);
    const viewer = await join(arn, 'v');
    expect(emu.admin.sendGoAway(arn, { role: 'VIEWER' })).toBe(1);
    expect(await viewer.next()).toEqual({ messageType: 'GO_AWAY' });
    expect(viewer.closed).toBeUndefined();
    const t0 = Date.now();
    expect((await viewer.whenClosed()).code).toBe(1001);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(master.closed).toBeUndefined();
    expect(master.inbox).toEqual([]);
  });

  it('serves the same over the HTTP admin API, by channel name', async () => {
    const arn = await channel();
    const name = `ws-${n}`;
    const master = await join(arn);
    const viewer = await join(arn, 'v');
    const post = (path: string, body: unknown) =>
      fetch(`${emu.url}/_admin/signaling/${name}/${path}`, { method: 'POST', body: JSON.stringify(body) });
    const listed = (await (await fetch(`${emu.url}/_admin/signaling/${name}/connections`)).json()) as unknown[];
    expect(listed).toHaveLength(2);
    expect(await (await post('reconnect-ice-server', {})).json()).toEqual({ count: 2 });
    expect(await master.next()).toEqual({ messageType: 'RECONNECT_ICE_SERVER' });
    expect(await viewer.next()).toEqual({ messageType: 'RECONNECT_ICE_SERVER' });
    expect(await (await post('go-away', { role: 'MASTER', graceMs: 50 })).json()).toEqual({ count: 1 });
    expect((await master.next()).messageType).toBe('GO_AWAY');
    await master.whenClosed();
    expect(await (await post('drop', { clientId: 'v' })).json()).toEqual({ count: 1 });
    expect((await viewer.whenClosed()).code).toBe(1006);
    expect(await (await fetch(`${emu.url}/_admin/signaling/${name}/connections`)).json()).toEqual([]);
    expect((await post('nope', {})).status).toBe(404);
    const unknown = await fetch(`${emu.url}/_admin/signaling/no-such/go-away`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(400);
  });
});
