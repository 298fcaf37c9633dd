// Argument handling and dispatch for the `kvs` binary.

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { formatReport, inspect } from './inspect';

const USAGE = `usage: kvs <command> [options]

commands:
  inspect FILE [--json]   summarise an MKV file or GetMedia capture (streamed; any size)
  demo [OUT]              package the sample in test-vectors/ as KVS MKV (default $TMPDIR/kvs-demo.mkv), then inspect it
  emulator [options]      run the local KVS emulator (kvs emulator --help)
  help                    this text`;

/** Where relative paths start: the caller's directory, also under `pnpm kvs` (INIT_CWD). */
function userPath(p: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Where the CLI writes text (process.stdout / stderr, or a capture in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(
  argv: string[],
  out: TextSink = process.stdout,
  err: TextSink = process.stderr,
): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'inspect': {
      const json = rest.includes('--json');
      const files = rest.filter((a) => !a.startsWith('--'));
      const unknown = rest.filter((a) => a.startsWith('--') && a !== '--json');
      if (files.length !== 1 || unknown.length > 0) {
        err.write(`kvs inspect: expected one FILE and optionally --json\n${USAGE}\n`);
        return 2;
      }
      const path = userPath(files[0]);
      let report: Awaited<ReturnType<typeof inspect>>;
      try {
        report = await inspect(createReadStream(path, { highWaterMark: 1 << 20 }));
      } catch (e) {
        err.write(`kvs inspect: ${(e as Error).message}\n`);
        return 1;
      }
      out.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(files[0], report)}\n`);
      // A cut capture is still a useful answer; malformed bytes are an error.
      return report.error && !report.truncated ? 1 : 0;
    }
    case 'emulator': {
      const { runEmulatorCli } = await import('@kvs-ts/emulator');
      return runEmulatorCli(rest, { out: (s) => out.write(`${s}\n`), err: (s) => err.write(`${s}\n`) });
    }
    case 'demo': {
      const { demo } = await import('./demo');
      return demo(out, err, rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      err.write(`kvs: unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}
