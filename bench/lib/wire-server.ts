// The servers of the on-the-wire benchmarks, in a process of their own so that they do not share
// the client's event loop (on 2 cores, client and server each get one): the emulator on
// 127.0.0.1 (options as JSON in argv[2]; persist delay 0, CREATING → ACTIVE at once), and a
// discard server (node:http, reads each request body and drops it, then answers 200), the
// baseline of a plain streaming upload. Prints one JSON line with both URLs; then answers "cpu"
// on stdin with its CPU time (and its main thread's), and closes when stdin ends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { startEmulator } from '@kvs-ts/emulator';
import { mainThreadCpuMs } from './threads';

const options = JSON.parse(process.argv[2] ?? '{}') as { dataDir?: string; persistDelayMs?: number };
const emulator = await startEmulator({
  port: 0,
  host: '127.0.0.1',
  persistDelayMs: options.persistDelayMs ?? 0,
  transitionDelayMs: 0,
  dataDir: options.dataDir,
  log: () => {},
});

const discard = http.createServer({ requestTimeout: 0 }, (req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ bytes }));
  });
});
await new Promise<void>((resolve) => discard.listen(0, '127.0.0.1', resolve));
const discardPort = (discard.address() as AddressInfo).port;

console.log(
  JSON.stringify({
    url: emulator.url,
    discardUrl: `http://127.0.0.1:${discardPort}`,
    accessKeyId: emulator.accessKeyId,
    secretAccessKey: emulator.secretAccessKey,
    region: emulator.region,
    dataDir: options.dataDir,
  }),
);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line === 'cpu') {
    const u = process.cpuUsage();
    console.log(JSON.stringify({ cpuUs: u.user + u.system, mainMs: mainThreadCpuMs() }));
  }
});
input.on('close', () => {
  discard.closeAllConnections();
  discard.close();
  void emulator.close().then(() => process.exit(0));
});
