/// <reference types="node" />
// Vitest globalSetup of the browser suite (vitest.browser.config.ts), run in Node once per run:
// starts one emulator on 127.0.0.1 and hands its URL, region and keys to the tests in Chromium
// with `provide` (read with `inject`, see emulator-env.ts). Chromium cannot start a server
// itself, and one shared emulator costs a single start-up (~tens of ms) for the whole suite.
// Tests that use it create their own uniquely named channels, so they cannot disturb each other.

import { startEmulator } from '@kvs-ts/emulator';
import type { TestProject } from 'vitest/node';
import { EMULATOR_KEY, type EmulatorEnv } from './emulator-env';

declare module 'vitest' {
  export interface ProvidedContext {
    [EMULATOR_KEY]: EmulatorEnv;
  }
}

const KEYS = { accessKeyId: 'AKIDBROWSERSIGNALING', secretAccessKey: 'browser-signaling-test-secret' };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator({
    port: 0,
    host: '127.0.0.1',
    region: 'us-west-2',
    // Channels become ACTIVE at once; GO_AWAY closes the old socket after 1 s instead of 60 s,
    // so a test sees the old connection gone without waiting a minute.
    transitionDelayMs: 10,
    signalingGoAwayGraceMs: 1000,
    log: () => {},
    ...KEYS,
  });
  project.provide(EMULATOR_KEY, { url: emulator.url, region: 'us-west-2', ...KEYS });
  return () => emulator.close();
}
