// An emulator for the Deno test run: scripts/deno-test.mjs starts this in Node (the emulator is
// Node-only) when a selected test uses packages/signaling/test/emulator-env.ts, reads the one JSON
// line printed here, hands it to Deno as KVS_EMULATOR_* variables, and closes stdin when Deno is
// done, which stops this process. Run with `node --conditions=source --import tsx` from
// packages/emulator (where tsx is installed).
import { startEmulator } from '../../packages/emulator/src/index.ts';

const keys = { accessKeyId: 'AKIDDENOSIGNALING', secretAccessKey: 'deno-signaling-test-secret' };
const emulator = await startEmulator({
  port: 0,
  host: '127.0.0.1',
  region: 'us-west-2',
  transitionDelayMs: 10,
  signalingGoAwayGraceMs: 1000,
  log: () => {},
  ...keys,
});
process.stdout.write(`${JSON.stringify({ url: emulator.url, region: 'us-west-2', ...keys })}\n`);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  emulator.close().finally(() => process.exit(0));
};
// The parent owns our lifetime: its end (stdin closed) or a signal stops the emulator.
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
