// Argument handling and dispatch for the `kvs` binary, with commander (docs/decisions/cli.md):
// every command has --help, and bad arguments exit 2 with the command's usage.

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatReport, inspect } from './inspect';

/** Where the CLI writes text (process.stdout / stderr, or a capture in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** Where relative paths start: the caller's directory, also under `pnpm kvs` (INIT_CWD). */
function userPath(p: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number ≥ 0.`);
    return n;
  };
}

/** The options that say where the service is (real AWS unless an endpoint is given). */
function serviceOptions(cmd: Command): Command {
  return cmd
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION)')
    .option('--endpoint <url>', 'control-plane URL, e.g. the local emulator’s (default: KVS_ENDPOINT, else AWS)')
    .option('--profile <name>', 'a profile from ~/.aws/config and ~/.aws/credentials');
}

/** Runs the CLI; resolves to the process exit code. `signal` (Ctrl-C) stops put and get cleanly. */
export async function main(
  argv: string[],
  out: TextSink = process.stdout,
  err: TextSink = process.stderr,
  signal?: AbortSignal,
): Promise<number> {
  // The emulator parses its own flags (and prints its own help): hand them over untouched.
  if (argv[0] === 'emulator') {
    const { runEmulatorCli } = await import('@kvs-ts/emulator');
    return runEmulatorCli(argv.slice(1), { out: (s) => out.write(`${s}\n`), err: (s) => err.write(`${s}\n`) });
  }
  let code = 0;
  const program = new Command('kvs')
    .description('Amazon Kinesis Video Streams from the command line (kvs-ts)')
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .exitOverride()
    .showHelpAfterError()
    .helpCommand(true);

  serviceOptions(
    program
      .command('put')
      .description('put an MKV file or an H.264/H.265 Annex-B stream (a file, or - for stdin) into a stream')
      .argument('<file>', 'input file, or - for stdin (e.g. ffmpeg … -f h264 - | kvs put …)')
      .requiredOption('--stream <name>', 'stream name (created when missing)'),
  )
    .addOption(new Option('--format <format>', 'input format').choices(['auto', 'mkv', 'h264', 'h265']).default('auto'))
    .option('--fps <n>', 'frame rate of an Annex-B input (it has no timestamps)', positiveNumber('--fps'), 25)
    .option('--no-realtime', 'send as fast as the stream takes frames instead of at their own pace')
    .option('--retention <hours>', 'data retention of a stream that put creates', nonNegativeNumber('--retention'), 24)
    .option('--storage <MiB>', 'content store size', positiveNumber('--storage'), 128)
    .option('--stop-timeout <s>', 'wait this long for the last PERSISTED ACK', positiveNumber('--stop-timeout'), 30)
    .option('--no-progress', 'no status line')
    .action(async (file: string, o) => {
      const { put } = await import('./put');
      code = await put(
        file === '-' ? '-' : userPath(file),
        {
          stream: o.stream,
          region: o.region,
          endpoint: o.endpoint,
          profile: o.profile,
          format: o.format,
          fps: o.fps,
          realtime: o.realtime,
          retentionHours: o.retention,
          storageMib: o.storage,
          stopTimeout: o.stopTimeout,
          progress: o.progress === false ? false : undefined,
        },
        out,
        err,
        signal,
      );
    });

  serviceOptions(
    program
      .command('get')
      .description('read a stream with GetMedia into one playable MKV file')
      .requiredOption('--stream <name>', 'stream name')
      .requiredOption('-o, --output <file>', 'MKV file to write, or - for stdout'),
  )
    .option(
      '--start <where>',
      'now | earliest | fragment:N | ts:ISO (producer time) | server-ts:ISO | continuation:TOKEN',
      'earliest',
    )
    .option('--follow', 'keep reading live fragments until interrupted')
    .option('--idle <s>', 'without --follow: stop when no fragment came for this long', positiveNumber('--idle'), 5)
    .option('--max-fragments <n>', 'stop after this many fragments', positiveNumber('--max-fragments'))
    .option('--tags', 'keep FRAGMENT_NUMBER and PRODUCER_TIMESTAMP as MKV tags')
    .option('--no-progress', 'no status line')
    .action(async (o) => {
      const { get } = await import('./get');
      code = await get(
        {
          stream: o.stream,
          region: o.region,
          endpoint: o.endpoint,
          profile: o.profile,
          start: o.start,
          output: o.output === '-' ? '-' : userPath(o.output),
          follow: Boolean(o.follow),
          idle: o.idle,
          maxFragments: o.maxFragments,
          tags: Boolean(o.tags),
          progress: o.progress === false ? false : undefined,
        },
        out,
        err,
        signal,
      );
    });

  serviceOptions(program.command('ls').description('list streams'))
    .option('--prefix <name>', 'only streams whose name begins with this')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const { ls } = await import('./ls');
      code = await ls(
        { region: o.region, endpoint: o.endpoint, profile: o.profile, prefix: o.prefix, json: o.json },
        out,
      );
    });

  program
    .command('inspect')
    .description('summarise an MKV file or GetMedia capture (streamed; any size)')
    .argument('<file>')
    .option('--json', 'print JSON')
    .action(async (file: string, o) => {
      let report: Awaited<ReturnType<typeof inspect>>;
      try {
        report = await inspect(createReadStream(userPath(file), { highWaterMark: 1 << 20 }));
      } catch (e) {
        err.write(`kvs inspect: ${(e as Error).message}\n`);
        code = 1;
        return;
      }
      out.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(file, report)}\n`);
      // A cut capture is still a useful answer; malformed bytes are an error.
      code = report.error && !report.truncated ? 1 : 0;
    });

  serviceOptions(
    program
      .command('demo')
      .description(
        'stream the sample in test-vectors/ (H.264 + AAC, looped) through KinesisVideoClient into the embedded emulator (or real KVS with --region), tail it with GetMedia, write a playable MKV',
      ),
  )
    .option('--seconds <n>', 'seconds of video to stream', positiveNumber('--seconds'), 20)
    .option('--fast', 'as fast as the stream takes frames instead of real time')
    .option('--out <file>', 'the MKV merged from GetMedia', 'out/demo.mkv')
    .option('--stream <name>', 'stream name (default kvs-demo-<time>)')
    .option('--no-progress', 'no live display')
    .action(async (o) => {
      const { demo } = await import('./demo');
      code = await demo(
        {
          seconds: o.seconds,
          fast: Boolean(o.fast),
          out: o.out,
          stream: o.stream,
          region: o.region,
          endpoint: o.endpoint,
          profile: o.profile,
          progress: o.progress === false ? false : undefined,
        },
        out,
        err,
        signal,
      );
    });

  // Listed for `kvs help`; never parsed here (handled above).
  program.command('emulator [options]').description('run the local KVS emulator (kvs emulator --help)');

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage errors 2 (as the emulator's own parser does).
      return e.exitCode === 0 ? 0 : 2;
    }
    err.write(`kvs: ${(e as Error).message}\n`);
    return 1;
  }
  return code;
}
