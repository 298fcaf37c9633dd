import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  dts: true,
  platform: 'neutral',
  sourcemap: true,
  // The Node transport is loaded at run time only in Node (transport.ts): never bundled.
  external: [/^@kvs-ts\//],
});
