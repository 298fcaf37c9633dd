// The isomorphic packages use Web APIs only: no node: modules, Buffer, process or require in
// their sources (the CLI and test helpers are Node-only by design).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../', import.meta.url));
const NODE_ONLY = new Set(['cli', 'test-support']);
const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node: import'],
  [/import\(\s*['"]node:/, 'a node: import'],
  [/\brequire\(/, 'require()'],
  [/\bBuffer\./, 'Buffer'],
  [/\bprocess\.(env|argv|exit|cwd|stdout|stderr)/, 'process'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('isomorphic packages', () => {
  it('use no Node-only API in src/', () => {
    const found: string[] = [];
    for (const pkg of readdirSync(packages)) {
      if (NODE_ONLY.has(pkg)) continue;
      const src = join(packages, pkg, 'src');
      try {
        statSync(src);
      } catch {
        continue;
      }
      for (const file of sources(src)) {
        const text = readFileSync(file, 'utf8');
        for (const [re, what] of FORBIDDEN) if (re.test(text)) found.push(`${file.slice(packages.length)}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });
});
