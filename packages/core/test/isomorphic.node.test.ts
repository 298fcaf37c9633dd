// The isomorphic packages use Web APIs only: no node: modules, Buffer, process or require in
// their sources. Node-only by design: the CLI, the emulator and test helpers (whole packages),
// and each package's `src/node.ts` entry point (`@kvs-ts/<pkg>/node`) with the files under
// `src/node/` that only it imports. Comments do not count.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../', import.meta.url));
const NODE_ONLY = new Set(['cli', 'emulator', 'test-support']);
const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node: import'],
  [/import\(\s*['"]node:/, 'a node: import'],
  [/\brequire\(/, 'require()'],
  [/\bBuffer\./, 'Buffer'],
  [/\bprocess\.(env|argv|exit|cwd|stdout|stderr)/, 'process'],
  [/from\s+['"]\.{1,2}\/(\.\.\/)*node\//, 'an import of a Node-only file (src/node/)'],
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
        if (file.endsWith('/src/node.ts') || file.includes('/src/node/')) continue;
        // Code only: a comment may name process.env or a node: module to say why it is not used.
        const text = readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/(^|[^:])\/\/.*$/gm, '$1');
        for (const [re, what] of FORBIDDEN) if (re.test(text)) found.push(`${file.slice(packages.length)}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });
});
