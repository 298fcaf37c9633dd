// runEmulatorCli: flags parsed with util.parseArgs, help, errors, and a real start/stop.

import { describe, expect, it } from 'vitest';
import { runEmulatorCli } from '../src/index';

describe('runEmulatorCli', () => {
  it('prints help and refuses unknown or half-given flags', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await runEmulatorCli(['--help'], { out: (s) => out.push(s) })).toBe(0);
    expect(out.join('\n')).toContain('--data-dir DIR');
    expect(await runEmulatorCli(['--bogus'], { err: (s) => err.push(s) })).toBe(2);
    expect(err[0]).toContain('--bogus');
    expect(await runEmulatorCli(['--access-key', 'K'], { err: (s) => err.push(s) })).toBe(2);
    expect(out.join('\n')).toContain('--signaling-idle-ms N');
    expect(await runEmulatorCli(['--port', '0', '--signaling-idle-ms', 'soon'], { err: (s) => err.push(s) })).toBe(1);
    expect(err.at(-1)).toContain('--signaling-idle-ms must be a non-negative integer');
  });

  it('takes the signaling limits and the transition delay from flags', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const code = await runEmulatorCli(
      ['--port', '0', '--signaling-idle-ms', '2000', '--signaling-max-ms', '60000', '--no-signaling-limits'],
      {
        out: (s) => {
          out.push(s);
          if (s.startsWith('signaling:')) stop.abort();
        },
        signal: stop.signal,
      },
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('signaling: WebSockets closed after 2 s idle or 60 s in all; rate quotas off');
  });

  it('starts with the given keys and port, prints where it listens, and stops', async () => {
    const out: string[] = [];
    const stop = new AbortController();
    const running = runEmulatorCli(
      ['--port', '0', '--host', '127.0.0.1', '--access-key', 'AKCLI', '--secret-key', 'sekret'],
      {
        out: (s) => {
          out.push(s);
          if (s.startsWith('storage:')) stop.abort();
        },
        signal: stop.signal,
      },
    );
    expect(await running).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toContain('access key AKCLI (options)');
    expect(text).not.toContain('sekret');
  });
});
