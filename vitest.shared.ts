// Shared Vitest settings. Packages resolve each other's sources directly (no build
// needed before testing), in Node and in the browser alike.
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

export const workspaceAlias = [
  { find: /^@kvs-ts\/([a-z0-9-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
  { find: /^@kvs-ts\/([a-z0-9-]+)\/node$/, replacement: `${packagesDir}$1/src/node.ts` },
];

/** Per-package Node test config (run by `turbo run test`). */
export function nodeConfig(): ViteUserConfig {
  return {
    resolve: { alias: workspaceAlias },
    test: {
      name: 'node',
      include: ['test/**/*.test.ts'],
      environment: 'node',
      // Scaffolded packages have no tests yet; an empty package is not a failure.
      passWithNoTests: true,
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
}
