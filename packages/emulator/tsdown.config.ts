import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  dts: true,
  platform: 'node',
  sourcemap: true,
  // package.json points at dist/index.js and dist/index.d.ts (platform node would pick .mjs).
  outExtensions: () => ({ js: '.js', dts: '.d.ts' }),
});
