// `kvs emulator [--port 4566] [--host 127.0.0.1] [--data-dir DIR] [--tls] [--access-key K
// --secret-key S] [--region R] [--persist-delay-ms N] [--transition-delay-ms N]
// [--signaling-idle-ms N] [--signaling-max-ms N] [--no-signaling-limits]`. Flags are parsed with Node's built-in
// util.parseArgs (docs/decisions/emulator.md: no dependency, strict unknown-flag errors).

import { parseArgs } from 'node:util';
import { startEmulator } from './emulator';

const HELP = `usage: kvs emulator [options]

  --port N              port to listen on (default 4566; 0 = any free port)
  --host ADDR           address to bind (default 127.0.0.1)
  --data-dir DIR        keep streams and fragments in DIR (default: in memory)
  --tls                 serve HTTPS with a generated self-signed certificate (its path is printed)
  --access-key K        access key id clients must sign with
  --secret-key S        its secret (default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else a printed test pair)
  --region R            signing region (default AWS_REGION, else us-west-2)
  --persist-delay-ms N  delay before PERSISTED ACKs (default 0)
  --transition-delay-ms N
                        how long streams and channels stay CREATING/UPDATING/DELETING (default 50)
  --signaling-idle-ms N close a signaling WebSocket silent this long (default 600000, AWS's 10 min)
  --signaling-max-ms N  close any signaling WebSocket after this long (default 3600000, AWS's 1 h)
  --no-signaling-limits do not enforce the signaling rate quotas
  -h, --help            this text
`;

/**
 * Runs the emulator from command-line arguments (without the command name) until SIGINT/SIGTERM
 * (or `io.signal` aborts). Returns the process exit code.
 */
export async function runEmulatorCli(
  argv: string[],
  io: { out?: (s: string) => void; err?: (s: string) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = io.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        tls: { type: 'boolean' },
        'access-key': { type: 'string' },
        'secret-key': { type: 'string' },
        region: { type: 'string' },
        'persist-delay-ms': { type: 'string' },
        'transition-delay-ms': { type: 'string' },
        'signaling-idle-ms': { type: 'string' },
        'signaling-max-ms': { type: 'string' },
        'no-signaling-limits': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    err(`kvs emulator: ${(e as Error).message}`);
    err(HELP);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }
  const num = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  if ((values['access-key'] === undefined) !== (values['secret-key'] === undefined)) {
    err('kvs emulator: --access-key and --secret-key go together');
    return 2;
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      port: num('port'),
      host: values.host as string | undefined,
      dataDir: values['data-dir'] as string | undefined,
      tls: values.tls === true,
      accessKeyId: values['access-key'] as string | undefined,
      secretAccessKey: values['secret-key'] as string | undefined,
      region: values.region as string | undefined,
      persistDelayMs: num('persist-delay-ms'),
      transitionDelayMs: num('transition-delay-ms'),
      signalingIdleTimeoutMs: num('signaling-idle-ms'),
      signalingMaxConnectionMs: num('signaling-max-ms'),
      signalingRateLimits: values['no-signaling-limits'] !== true,
      log: out,
    });
    const idle = num('signaling-idle-ms') ?? 600_000;
    const max = num('signaling-max-ms') ?? 3_600_000;
    out(
      `signaling: WebSockets closed after ${idle / 1000} s idle or ${max / 1000} s in all; ` +
        `rate quotas ${values['no-signaling-limits'] === true ? 'off' : 'on'}`,
    );
  } catch (e) {
    err(`kvs emulator: ${(e as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Embedders (and tests) stop it without a signal to the process.
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await emulator.close();
  return 0;
}
