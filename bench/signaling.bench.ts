// Issue 10, "Speed": KVS signaling.
//
// 1. Relay latency through the emulator (in a child process, signaling-server.ts, so clients and
//    servers each get a core): a master and a viewer SignalingClient over `ws`; the master sends
//    an ICE candidate to the viewer, the viewer sends it back as soon as it arrives, the next one
//    goes when the previous is back (SIG_MESSAGES of them, after 200 not counted). One-way times
//    are send → receive on one clock (same process). Beside it, in the same run: a bare `ws`
//    relay (two sockets, the server forwards each frame to the other) and a bare `ws` echo, with
//    frames as long as the client's envelopes.
// 2. Headless Chromium (playwright, /usr/bin/chromium): a cold viewer from `open()` to both peer
//    connections `connected`, through the emulator (signaling-page.ts), beside two
//    RTCPeerConnections wired by direct calls in the same page.
// 3. Bundle size for the browser: @kvs-ts/signaling with @kvs-ts/api, core and smithy bundled,
//    minified by esbuild, gzip -9; beside AWS's amazon-kinesis-video-streams-webrtc browser bundle
//    (dist/kvs-webrtc.min.js of its npm tarball, gzip -9), and that plus the AWS SDK v3 clients
//    a viewer also needs for the channel's endpoints and ICE servers, bundled the same way.
//    The tarball is not a dependency: `npm pack amazon-kinesis-video-streams-webrtc` into a
//    directory, extract it, and point KVS_AWS_WEBRTC_DIR at its `package/` (default
//    /tmp/awskvs/package); without it those rows are skipped.
//
// Knobs: SIG_MESSAGES (2000), SIG_ROUNDS (20), SIG_ONLY=relay,chromium,bundle. Correctness is
// checked (every message back, in order; every pair connected); speed never is.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { KinesisVideoApi } from '@kvs-ts/api';
import type { WebSocket as WsSocket } from 'ws';
import { SignalingChannel, type WebSocketConstructor } from '../packages/signaling/src/index';
import { printTable } from './lib/report';
import type { Round } from './signaling-page';

const MESSAGES = Number(process.env.SIG_MESSAGES ?? 2000);
const WARMUP = 200;
const ROUNDS = Number(process.env.SIG_ROUNDS ?? 20);
const ONLY = new Set((process.env.SIG_ONLY ?? 'relay,chromium,bundle').split(','));
const AWS_DIR = process.env.KVS_AWS_WEBRTC_DIR ?? '/tmp/awskvs/package';
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..');

// `ws` and esbuild are not bench's dependencies: taken from @kvs-ts/signaling's devDependencies
// and from tsx's dependency, where they are installed anyway.
const fromSignaling = createRequire(join(repo, 'packages/signaling/package.json'));
const WS = fromSignaling('ws') as typeof WsSocket;
const fromTsx = createRequire(realpathSync(join(here, 'node_modules/tsx/package.json')));
const esbuild = fromTsx('esbuild') as typeof import('esbuild');

interface Servers {
  url: string;
  bareUrl: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

async function startServers(): Promise<{ info: Servers; cpuUs: () => Promise<number>; stop: () => void }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, 'signaling-server.ts')], {
    cwd: here,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const early = lines.shift();
      if (early !== undefined) return resolve(early);
      const timer = setTimeout(() => reject(new Error('the server process did not answer in 30 s')), 30_000);
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const info = JSON.parse(await next()) as Servers;
  return {
    info,
    cpuUs: async () => {
      child.stdin.write('cpu\n');
      return (JSON.parse(await next()) as { cpuUs: number }).cpuUs;
    },
    stop: () => child.stdin.end(),
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const f2 = (x: number) => x.toFixed(2);
const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

interface Latency {
  name: string;
  /** ms, one way there, one way back (NaN when not separable), and the round trip. */
  there: number[];
  back: number[];
  rtt: number[];
  clientCpuUs: number;
  serverCpuUs: number;
  frameChars: number;
}

function latencyRow(l: Latency): Record<string, string | number> {
  const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const [t, b, r] = [s(l.there), s(l.back), s(l.rtt)];
  const p = (xs: number[], q: number) => (xs.length ? f2(quantile(xs, q)) : '—');
  return {
    path: l.name,
    'frame chars': l.frameChars,
    'there p50': p(t, 0.5),
    'there p99': p(t, 0.99),
    'back p50': p(b, 0.5),
    'back p99': p(b, 0.99),
    'round trip p50': p(r, 0.5),
    'round trip p99': p(r, 0.99),
    'client CPU µs/round trip': Math.round(l.clientCpuUs / MESSAGES),
    'server CPU µs/round trip': Math.round(l.serverCpuUs / MESSAGES),
  };
}

const CANDIDATE =
  'candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 10.0.0.5 rport 54321 generation 0';

async function signalingLatency(s: Servers, serverCpu: () => Promise<number>): Promise<Latency> {
  const api = new KinesisVideoApi({
    region: s.region,
    endpoint: s.url,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  const { channelArn } = await api.createSignalingChannel({ channelName: `bench-relay-${process.pid}` });
  await api.waitForChannelActive({ channelArn }, { timeoutUs: 10_000_000 });
  const options = { WebSocket: WS as unknown as WebSocketConstructor, rateLimits: false as const };
  const master = new SignalingChannel({ api, channelArn, role: 'MASTER' }).client(options);
  const viewer = new SignalingChannel({ api, channelArn, role: 'VIEWER' }).client({ ...options, clientId: 'v1' });
  let frameChars = 0;
  try {
    await master.open();
    await viewer.open();
    const total = WARMUP + MESSAGES;
    const sentAt: number[] = [];
    const gotAt: number[] = [];
    const backAt: number[] = [];
    let done: (() => void) | undefined;
    viewer.on('iceCandidate', (c) => {
      gotAt.push(performance.now());
      viewer.sendIceCandidate(c);
    });
    const sendNext = () => {
      const i = sentAt.length;
      sentAt.push(performance.now());
      master.sendIceCandidate({ candidate: `${CANDIDATE} ufrag ${i}`, sdpMid: '0', sdpMLineIndex: 0 }, 'v1');
    };
    master.on('iceCandidate', (c) => {
      backAt.push(performance.now());
      const n = Number(/ufrag (\d+)/.exec(c.candidate ?? '')?.[1]);
      if (n !== backAt.length - 1) throw new Error(`message ${n} came back as number ${backAt.length - 1}`);
      if (backAt.length === total) done?.();
      else sendNext();
    });
    // What one frame looks like on the wire, for the bare baselines' frame size.
    frameChars = JSON.stringify({
      action: 'ICE_CANDIDATE',
      recipientClientId: 'v1',
      messagePayload: btoa(JSON.stringify({ candidate: `${CANDIDATE} ufrag 1000`, sdpMid: '0', sdpMLineIndex: 0 })),
      correlationId: '0123abcd.1000',
    }).length;
    let clientCpu = 0;
    let serverCpu0 = 0;
    const finished = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('relay: not every message came back in 120 s')), 120_000);
      done = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    // CPU is counted from the end of the warm-up.
    const warm = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (backAt.length >= WARMUP) {
          clearInterval(check);
          resolve();
        }
      }, 1);
    });
    sendNext();
    await warm;
    clientCpu = cpuNow();
    serverCpu0 = await serverCpu();
    await finished;
    const clientCpuUs = cpuNow() - clientCpu;
    const serverCpuUs = (await serverCpu()) - serverCpu0;
    const r = (from: number[], to: number[]) => to.slice(WARMUP).map((t, k) => t - from[WARMUP + k]);
    return {
      name: 'signaling through the emulator',
      there: r(sentAt, gotAt),
      back: r(gotAt, backAt),
      rtt: r(sentAt, backAt),
      clientCpuUs,
      serverCpuUs,
      frameChars,
    };
  } finally {
    master.close();
    viewer.close();
  }
}

function openWs(url: string): Promise<WsSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WS(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The bare baselines: `relay` (two sockets, each frame forwarded) or `echo` (one socket). */
async function bareLatency(s: Servers, kind: 'relay' | 'echo', chars: number, serverCpu: () => Promise<number>) {
  const a = await openWs(`${s.bareUrl}/${kind}`);
  const b = kind === 'relay' ? await openWs(`${s.bareUrl}/relay`) : a;
  const total = WARMUP + MESSAGES;
  const sentAt: number[] = [];
  const gotAt: number[] = [];
  const backAt: number[] = [];
  const frame = (i: number) => {
    const head = `{"n":${i},"pad":"`;
    return `${head}${'x'.repeat(Math.max(0, chars - head.length - 2))}"}`;
  };
  let cpu0 = 0;
  let server0 = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bare ${kind}: not every message came back in 120 s`)), 120_000);
    const send = () => {
      sentAt.push(performance.now());
      a.send(frame(sentAt.length - 1));
    };
    const onBack = async () => {
      backAt.push(performance.now());
      if (backAt.length === WARMUP) {
        cpu0 = cpuNow();
        server0 = await serverCpu();
      }
      if (backAt.length === total) {
        clearTimeout(timer);
        resolve();
      } else send();
    };
    if (kind === 'relay') {
      b.on('message', (data) => {
        gotAt.push(performance.now());
        b.send(data.toString());
      });
      a.on('message', () => void onBack());
    } else a.on('message', () => void onBack());
    send();
  });
  const clientCpuUs = cpuNow() - cpu0;
  const serverCpuUs = (await serverCpu()) - server0;
  a.close();
  if (b !== a) b.close();
  const r = (from: number[], to: number[]) => to.slice(WARMUP).map((t, k) => t - from[WARMUP + k]);
  return {
    name: kind === 'relay' ? 'bare ws relay (2 sockets)' : 'bare ws echo (1 socket)',
    there: kind === 'relay' ? r(sentAt, gotAt) : [],
    back: kind === 'relay' ? r(gotAt, backAt) : [],
    rtt: r(sentAt, backAt),
    clientCpuUs,
    serverCpuUs,
    frameChars: frame(0).length,
  } satisfies Latency;
}

/**
 * esbuild, browser platform, minified, everything bundled; `source` resolves @kvs-ts/* to src/.
 * The entry is a file, or `contents` resolved from `resolveDir`.
 */
async function bundle(contents: string | { file: string }, resolveDir = repo): Promise<Uint8Array> {
  const entry =
    typeof contents === 'string'
      ? { stdin: { contents, resolveDir, loader: 'ts' as const, sourcefile: 'entry.ts' } }
      : { entryPoints: [contents.file] };
  const result = await esbuild.build({
    ...entry,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['source'],
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0].contents;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;

async function bundleSizes(): Promise<void> {
  const sig = join(repo, 'packages/signaling');
  const rows: Record<string, string>[] = [];
  const add = (what: string, min: Uint8Array) =>
    rows.push({ bundle: what, minified: kb(min.length), gzip: kb(gz(min)) });
  add('@kvs-ts/signaling: every export', await bundle(`export * from './src/index.ts';`, sig));
  add(
    '@kvs-ts/signaling viewer app: KinesisVideoApi, SignalingChannel, ViewerSession',
    await bundle(
      `export { KinesisVideoApi } from '@kvs-ts/api'; export { SignalingChannel, ViewerSession } from './src/index.ts';`,
      sig,
    ),
  );
  add(
    '@kvs-ts/signaling SignalingClient alone (own signing, no control plane)',
    await bundle(`export { SignalingClient } from './src/index.ts';`, sig),
  );
  const awsMin = join(AWS_DIR, 'dist/kvs-webrtc.min.js');
  if (existsSync(awsMin)) {
    const version = (JSON.parse(readFileSync(join(AWS_DIR, 'package.json'), 'utf8')) as { version: string }).version;
    const shipped = readFileSync(awsMin);
    add(`AWS amazon-kinesis-video-streams-webrtc ${version}: dist/kvs-webrtc.min.js as shipped`, shipped);
    // What an AWS viewer needs beside it for GetSignalingChannelEndpoint and GetIceServerConfig.
    const clients = await bundle(
      `export { KinesisVideoClient, DescribeSignalingChannelCommand, GetSignalingChannelEndpointCommand } from '@aws-sdk/client-kinesis-video';
       export { KinesisVideoSignalingClient, GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';`,
      join(repo, 'packages/emulator'),
    );
    add('AWS SDK v3 clients for the channel (kinesis-video + signaling), bundled as ours', clients);
    const both = new Uint8Array(shipped.length + clients.length);
    both.set(shipped);
    both.set(clients, shipped.length);
    add('AWS viewer app: kvs-webrtc.min.js + those clients (one file)', both);
  } else {
    console.log(`(AWS rows skipped: ${awsMin} absent; see the header of this file)`);
  }
  printTable(rows);
}

async function chromiumPair(s: Servers): Promise<void> {
  let chromium: typeof import('playwright').chromium;
  try {
    ({ chromium } = await import('playwright'));
  } catch {
    console.log('(Chromium figures skipped: playwright does not resolve from bench/)');
    return;
  }
  const script = await bundle({ file: join(here, 'signaling-page.ts') });
  // The page comes from 127.0.0.1 like the emulator (another port: cross-origin, CORS).
  const server = http.createServer((req, res) => {
    if (req.url === '/bench.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/bench.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction('globalThis.kvsBench !== undefined', undefined, { timeout: 10_000 });
    const run = async (expr: string) => (await page.evaluate(expr)) as Round[];
    // One untimed round each first: the first RTCPeerConnection of a page pays start-up costs.
    await run('kvsBench.direct(1)');
    const direct = await run(`kvsBench.direct(${ROUNDS})`);
    const env = JSON.stringify(s);
    await run(`kvsBench.signaled(${env}, 1)`);
    const signaled = await run(`kvsBench.signaled(${env}, ${ROUNDS})`);
    const stats = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return { p50: f2(quantile(v, 0.5)), max: f2(v[v.length - 1]) };
    };
    const row = (name: string, rounds: Round[], withOpen: boolean) => {
      const c = stats(rounds.map((r) => r.connectedMs));
      const o = stats(rounds.map((r) => r.openMs));
      return {
        pair: name,
        rounds: rounds.length,
        'open() p50': withOpen ? o.p50 : '—',
        'open() max': withOpen ? o.max : '—',
        'connected p50': c.p50,
        'connected max': c.max,
      };
    };
    printTable([
      row('viewer open() → both connected, via the emulator', signaled, true),
      row('baseline: same page, SDP/candidates by direct calls', direct, false),
    ]);
  } finally {
    await browser.close();
    server.close();
  }
}

async function main(): Promise<void> {
  const servers = await startServers();
  try {
    if (ONLY.has('relay')) {
      console.log(`\n### Relay latency, ${MESSAGES} messages each way (after ${WARMUP} not counted), ms`);
      const sig = await signalingLatency(servers.info, servers.cpuUs);
      const relay = await bareLatency(servers.info, 'relay', sig.frameChars, servers.cpuUs);
      const echo = await bareLatency(servers.info, 'echo', sig.frameChars, servers.cpuUs);
      printTable([latencyRow(sig), latencyRow(relay), latencyRow(echo)]);
    }
    if (ONLY.has('chromium')) {
      console.log(`\n### Headless Chromium pair, ${ROUNDS} rounds (after 1 not counted), ms`);
      await chromiumPair(servers.info);
    }
  } finally {
    servers.stop();
  }
  if (ONLY.has('bundle')) {
    console.log('\n### Browser bundle (esbuild --minify, ESM, gzip -9)');
    await bundleSizes();
  }
}

await main();
