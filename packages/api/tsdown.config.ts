import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: 'esm',
  dts: true,
  platform: 'neutral',
  sourcemap: true,
  // node.ts reaches node:https; the isomorphic entry must not.
  external: [/^node:/],
});
