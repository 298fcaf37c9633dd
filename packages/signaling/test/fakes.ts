// Test doubles that run anywhere (Node, Deno, Chromium): hand-driven timers, a WebSocket class
// the test plays the server for, and an in-memory signaling relay that routes between clients
// as the service does (../shared/spec/seeds-webrtc.md §5.3, §5.4).

import type { AwsCredentials } from '@kvs-ts/api';
import type { Timers } from '../src/timers';

export const CHANNEL_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/test-channel/1700000000000';
export const ENDPOINT = 'wss://m-12345678.kinesisvideo.us-west-2.amazonaws.com';
export const START_US = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;

/** Lets pending promise callbacks run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Timers driven by `advance`. */
export class FakeTimers implements Timers {
  nowUs = START_US;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.nowUs;
  }

  setTimeout(fn: () => void, delayUs: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.nowUs + Math.max(0, delayUs), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Runs every timer due within `us`, in time order, settling promises after each. */
  async advance(us: number): Promise<void> {
    const target = this.nowUs + us;
    await settle();
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending)
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.pending.delete(next[0]);
      this.nowUs = next[1].at;
      next[1].fn();
      await settle();
    }
    this.nowUs = target;
    await settle();
  }

  get size(): number {
    return this.pending.size;
  }
}

/** A WebSocket whose server side the test plays. */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  /** Called for each new socket (e.g. by a relay). */
  static onCreate: ((socket: FakeWebSocket) => void) | undefined;

  readyState = 0;
  binaryType = 'blob';
  readonly url: string;
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  pings = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
    FakeWebSocket.onCreate?.(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
    FakeWebSocket.onCreate = undefined;
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  send(text: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(text);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.closedWith = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
  }

  // ---- the server's side ----

  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  refuse(message: string): void {
    this.readyState = 3;
    this.onerror?.({ message });
    this.onclose?.({ code: 1006, reason: '' });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  deliver(message: object | string): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : JSON.stringify(message) });
  }

  /** The sent frames, parsed. */
  get sentMessages(): Record<string, string>[] {
    return this.sent.map((t) => JSON.parse(t));
  }
}

/** A FakeWebSocket that can also ping (as `ws`'s can). */
export class PingingFakeWebSocket extends FakeWebSocket {
  ping(): void {
    this.pings++;
  }
}

/** A credential provider that counts its calls and the forced refreshes among them. */
export function countingCredentials(): {
  provider: () => Promise<AwsCredentials>;
  calls: number;
  forced: number;
} {
  const state = {
    calls: 0,
    forced: 0,
    provider: (options?: { forceRefresh?: boolean }) => {
      state.calls++;
      if (options?.forceRefresh) state.forced++;
      return Promise.resolve({
        accessKeyId: 'AKIDTEST',
        secretAccessKey: 'secret',
        sessionToken: `token-${state.calls}`,
      });
    },
  };
  return state as typeof state & { provider: () => Promise<AwsCredentials> };
}

/**
 * An in-memory signaling service: accepts every FakeWebSocket, and relays messages from the
 * viewers to the master and from the master to the named viewer, as the service does. The newest
 * connection of a role and client ID wins (§5.1).
 */
export class FakeRelay {
  master: FakeWebSocket | undefined;
  readonly viewers = new Map<string, FakeWebSocket>();
  /** When false, messages are swallowed (to test loss). */
  delivering = true;

  constructor() {
    FakeWebSocket.onCreate = (socket) => {
      queueMicrotask(() => this.connect(socket));
    };
  }

  private connect(socket: FakeWebSocket): void {
    const clientId = socket.query.get('X-Amz-ClientId');
    const originalSend = socket.send.bind(socket);
    socket.send = (text: string) => {
      originalSend(text);
      this.route(clientId ?? undefined, JSON.parse(text));
    };
    socket.accept();
    if (clientId === null) this.master = socket;
    else this.viewers.set(clientId, socket);
  }

  private route(from: string | undefined, envelope: Record<string, string>): void {
    if (!this.delivering) return;
    const to = from === undefined ? this.viewers.get(envelope.recipientClientId) : this.master;
    if (to === undefined || to.readyState !== 1) return;
    const message: Record<string, string> = { messageType: envelope.action, messagePayload: envelope.messagePayload };
    if (from !== undefined) message.senderClientId = from;
    queueMicrotask(() => to.deliver(message));
  }
}
