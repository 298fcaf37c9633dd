// Where an isomorphic test finds a running emulator, per runtime:
// - Chromium (browser suite): `inject('kvsEmulator')`, provided by emulator-global-setup.ts;
// - Deno: KVS_EMULATOR_URL / _REGION / _ACCESS_KEY_ID / _SECRET_ACCESS_KEY, set by
//   scripts/deno-test.mjs, which starts an emulator in Node before launching Deno;
// - Node (per-package config): nothing, so these tests skip; emulator.node.test.ts covers Node.
// `vitest` is imported as a namespace because the Deno shim has no `inject`: a named import of
// a missing export would fail the whole module there.
import * as vitest from 'vitest';

/** The `provide` key of the browser suite's emulator. */
export const EMULATOR_KEY = 'kvsEmulator';

/** How to reach a running emulator. */
export interface EmulatorEnv {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function fromEnv(): EmulatorEnv | undefined {
  const g = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env: Record<string, string | undefined> };
  };
  const get = (name: string) => (g.Deno ? g.Deno.env.get(name) : g.process?.env?.[name]);
  const url = get('KVS_EMULATOR_URL');
  const accessKeyId = get('KVS_EMULATOR_ACCESS_KEY_ID');
  const secretAccessKey = get('KVS_EMULATOR_SECRET_ACCESS_KEY');
  if (!url || !accessKeyId || !secretAccessKey) return undefined;
  return { url, region: get('KVS_EMULATOR_REGION') ?? 'us-west-2', accessKeyId, secretAccessKey };
}

/** The emulator this run was given, or `undefined` (then the test skips). */
export function emulatorEnv(): EmulatorEnv | undefined {
  const inject = (vitest as { inject?: (key: string) => unknown }).inject;
  let injected: EmulatorEnv | undefined;
  try {
    injected = inject?.(EMULATOR_KEY) as EmulatorEnv | undefined;
  } catch {
    // Outside a Vitest worker (never expected) inject throws; fall back to the environment.
  }
  return injected ?? fromEnv();
}

/** Resolves once `check()` is true; rejects after `timeoutMs` naming `what`. Every wait is bounded. */
export function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      let ok = false;
      try {
        ok = check();
      } catch (e) {
        reject(e);
        return;
      }
      if (ok) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out after ${timeoutMs} ms: ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

/** POST to the emulator's loopback admin API (docs/guides/emulator.md); answers its JSON. */
export async function admin(env: EmulatorEnv, path: string, body: unknown = {}): Promise<{ count?: number }> {
  // A text/plain body keeps the browser's request "simple": no CORS preflight needed.
  const res = await fetch(`${env.url}/_admin/${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`admin ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { count?: number };
}
