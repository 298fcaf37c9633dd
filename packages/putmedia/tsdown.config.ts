import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: 'esm',
  dts: true,
  platform: 'neutral',
  sourcemap: true,
  external: [/^node:/],
});
