// The servers of signaling.bench.ts, in a process of their own so that the clients and the servers
// each get one of the 2 cores (as lib/wire-server.ts does for issue 8):
// - the emulator on 127.0.0.1, signaling rate limits off (2,000 messages back to back would
//   otherwise be paced at 20 a second; the quotas are not what is measured), ACTIVE at once;
// - a bare `ws` server on 127.0.0.1, the baseline: `/echo` sends every message back on the same
//   socket; `/relay` pairs the two sockets that connect to it and forwards each message to the
//   other one as is (what the signaling relay does, minus SigV4, JSON, base64 and routing).
// Prints one JSON line with the URLs and keys; answers "cpu" on stdin with its CPU time in µs;
// closes when stdin ends.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { startEmulator } from '@kvs-ts/emulator';
import type { WebSocketServer as WsServer, WebSocket as WsSocket } from 'ws';

// `ws` is the emulator's and the signaling tests' dependency, not bench's: taken from there.
const require = createRequire(new URL('../packages/signaling/package.json', import.meta.url));
const { WebSocketServer } = require('ws') as { WebSocketServer: typeof WsServer };

const emulator = await startEmulator({
  port: 0,
  host: '127.0.0.1',
  transitionDelayMs: 0,
  signalingRateLimits: false,
  log: () => {},
});

const bare = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => bare.once('listening', () => resolve()));
let waiting: WsSocket | undefined;
bare.on('connection', (socket, req) => {
  if (req.url === '/echo') {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    return;
  }
  // /relay: the first socket waits for its partner; then each forwards to the other.
  if (waiting === undefined) {
    waiting = socket;
    return;
  }
  const a = waiting;
  waiting = undefined;
  a.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('message', (data, isBinary) => a.send(data, { binary: isBinary }));
});
const port = (bare.address() as { port: number }).port;

console.log(
  JSON.stringify({
    url: emulator.url,
    bareUrl: `ws://127.0.0.1:${port}`,
    region: emulator.region,
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.secretAccessKey,
  }),
);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line === 'cpu') {
    const u = process.cpuUsage();
    console.log(JSON.stringify({ cpuUs: u.user + u.system }));
  }
});
input.on('close', () => {
  for (const c of bare.clients) c.terminate();
  bare.close();
  void emulator.close().then(() => process.exit(0));
});
