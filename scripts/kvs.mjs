// `pnpm kvs …` at the repo root: runs the built CLI, building it (and what it depends on) first
// when a fresh checkout has no dist/ yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages/cli/dist/kvs.mjs');
if (!existsSync(bin)) {
  process.stderr.write('kvs: building the CLI first (turbo run build --filter=@kvs-ts/cli...)\n');
  const build = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@kvs-ts/cli...', '--output-logs=errors-only'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    },
  );
  if (build.status !== 0 || !existsSync(bin)) {
    process.stderr.write('kvs: the build failed\n');
    process.exit(1);
  }
}
const run = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
