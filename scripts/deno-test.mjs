#!/usr/bin/env node
// Runs every isomorphic test file (packages/*/test/**/*.test.ts, not *.node.test.ts) under Deno.
// Vitest cannot run in Deno, so a generated config maps `vitest` to scripts/deno/vitest-shim.ts and
// `@kvs-ts/<pkg>` to packages/<pkg>/src/index.ts; npm packages (expect, fast-check) resolve from
// node_modules (nodeModulesDir "manual": no network). Prints `deno: N passed, M failed, K skipped`.
//
// When a selected file uses packages/signaling/test/emulator-env.ts, an emulator is started first in
// Node (scripts/deno/emulator.ts; the emulator is Node-only), passed to Deno as KVS_EMULATOR_* and
// --allow-net to its loopback port only, and stopped when Deno is done.
//
// Usage: node scripts/deno-test.mjs [test files…] [-- extra deno test flags]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(repo, 'packages');
const TIME_LIMIT_MS = 300_000;

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : findTests(path);
    return e.name.endsWith('.test.ts') && !e.name.endsWith('.node.test.ts') ? [path] : [];
  });
}

function writeConfig() {
  const imports = { vitest: pathToFileURL(join(repo, 'scripts/deno/vitest-shim.ts')).href };
  for (const pkg of readdirSync(packagesDir).sort()) {
    const entry = join(packagesDir, pkg, 'src/index.ts');
    if (existsSync(entry)) imports[`@kvs-ts/${pkg}`] = pathToFileURL(entry).href;
  }
  const dir = join(repo, 'node_modules/.cache/kvs-deno');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'deno.json');
  // sloppy-imports: the sources use extensionless relative imports, as tsc's Bundler resolution allows.
  const content = { nodeModulesDir: 'manual', lock: false, unstable: ['sloppy-imports'], imports };
  writeFileSync(config, `${JSON.stringify(content, null, 2)}\n`);
  return config;
}

function parseSummary(output) {
  // e.g. "ok | 12 passed | 0 failed | 2 ignored (310ms)" or "FAILED | 3 passed | 1 failed (1s)"
  const m = output.match(/(?:^|\n)(?:ok|FAILED) \| (\d+) passed[^|\n]*\| (\d+) failed[^|\n(]*(?:\| (\d+) ignored)?/);
  return m ? { passed: Number(m[1]), failed: Number(m[2]), ignored: Number(m[3] ?? 0) } : undefined;
}

// Starts scripts/deno/emulator.ts and resolves its JSON line ({url, region, accessKeyId,
// secretAccessKey}) and the child; rejects if no line comes within 30 s.
function startEmulator() {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(repo, 'scripts/deno/emulator.ts')],
    // tsx is installed for packages/emulator, so `--import tsx` resolves from there.
    { cwd: join(repo, 'packages/emulator'), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return new Promise((resolveStart, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the emulator for Deno did not start within 30 s'));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator for Deno exited early (${code})`));
    });
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const line = text.split('\n')[0];
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolveStart({ child, info: JSON.parse(line) });
      }
    });
  });
}

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const fileArgs = dash === -1 ? argv : argv.slice(0, dash);
const denoFlags = dash === -1 ? [] : argv.slice(dash + 1);
const files = (fileArgs.length ? fileArgs.map((f) => resolve(f)) : findTests(packagesDir)).sort();

if (files.length === 0) {
  console.log('deno: 0 passed, 0 failed, 0 skipped (no test files)');
  process.exit(0);
}

const config = writeConfig();
const deno = join(repo, 'node_modules/.bin/deno');
const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };
const netFlags = [];
let emulator;
if (files.some((f) => readFileSync(f, 'utf8').includes('/emulator-env'))) {
  emulator = await startEmulator();
  const { url, region, accessKeyId, secretAccessKey } = emulator.info;
  Object.assign(env, {
    KVS_EMULATOR_URL: url,
    KVS_EMULATOR_REGION: region,
    KVS_EMULATOR_ACCESS_KEY_ID: accessKeyId,
    KVS_EMULATOR_SECRET_ACCESS_KEY: secretAccessKey,
  });
  netFlags.push(`--allow-net=${new URL(url).host}`);
}
const stopEmulator = () => emulator?.child.stdin.end();
const args = [
  'test',
  '--config',
  config,
  '--no-check', // tsc checks types (turbo run typecheck); Deno only runs the tests
  '--allow-read',
  '--allow-env',
  '--allow-sys',
  ...netFlags,
  ...denoFlags,
  ...files.map((f) => relative(repo, f)),
];
const child = spawn(deno, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
for (const stream of [child.stdout, child.stderr]) {
  stream.on('data', (chunk) => {
    output += chunk;
    (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
  });
}
const timer = setTimeout(() => {
  console.error(`deno: time limit of ${TIME_LIMIT_MS} ms reached, stopping`);
  child.kill('SIGKILL');
  emulator?.child.kill('SIGKILL');
}, TIME_LIMIT_MS);

child.on('close', (code) => {
  clearTimeout(timer);
  stopEmulator();
  const s = parseSummary(output);
  const n = `${files.length} file${files.length === 1 ? '' : 's'}`;
  if (!s) {
    console.log(`deno: 0 passed, 1 failed, 0 skipped (${n}; no summary from deno, exit ${code})`);
    process.exit(1);
  }
  console.log(`deno: ${s.passed} passed, ${s.failed} failed, ${s.ignored} skipped (${n})`);
  process.exit(code === 0 && s.failed === 0 ? 0 : 1);
});
