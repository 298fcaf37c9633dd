#!/usr/bin/env node
import { main } from './main';

// Ctrl-C once: put and get stop cleanly (put waits for the last ACKs); twice: exit at once.
const stop = new AbortController();
process.once('SIGINT', () => {
  stop.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await main(process.argv.slice(2), process.stdout, process.stderr, stop.signal);
