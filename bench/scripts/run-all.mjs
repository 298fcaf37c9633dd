// Runs every bench/*.bench.ts in its own process (tsx on the packages' sources via the "source" export condition, with --expose-gc so heap figures are
// meaningful), or only those whose name contains the first argument.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2] ?? '';
let failed = 0;
for (const f of readdirSync(dir)
  .filter((n) => n.endsWith('.bench.ts') && n.includes(filter))
  .sort()) {
  console.log(`\n## ${f}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--conditions=source', '--import', 'tsx', join(dir, f)], {
    stdio: 'inherit',
    cwd: dir,
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
