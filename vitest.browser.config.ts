// Every isomorphic test file (not *.node.test.ts) again, in headless Debian Chromium.
// Test vectors reach the browser through one custom command answered here, in Node
// (see packages/test-support). One emulator, started in Node by a globalSetup, serves the
// signaling tests that need a real service (packages/signaling/test/emulator-global-setup.ts).
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { COMMAND, serveCommand } from './packages/test-support/src/server.ts';
import { workspaceAlias } from './vitest.shared.ts';

export default defineConfig({
  resolve: { alias: workspaceAlias },
  test: {
    name: 'browser',
    include: ['packages/*/test/**/*.test.ts'],
    exclude: ['**/*.node.test.ts', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['./packages/signaling/test/emulator-global-setup.ts'],
    browser: {
      enabled: true,
      // A fresh clone bundles its dependencies (vite's optimizer) while the globalSetup loads the
      // emulator: on 2 busy cores the first page took over the 60 s default to connect.
      connectTimeout: 240_000,
      headless: true,
      screenshotFailures: false,
      commands: { [COMMAND]: (_ctx, op, root, name) => serveCommand(op, root, name) },
      provider: playwright({
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
            // A synthetic camera for getUserMedia, granted without a prompt (signaling WebRTC tests).
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
