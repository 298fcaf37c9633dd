import { defineConfig } from 'tsdown';

// Node-only package: the `kvs` binary and the library behind it. Fixed .mjs names so that
// `node packages/cli/dist/kvs.mjs` works from the repo root whatever the caller's type.
export default defineConfig({
  entry: ['src/index.ts', 'src/kvs.ts'],
  format: 'esm',
  dts: true,
  platform: 'node',
  fixedExtension: true,
  sourcemap: true,
});
