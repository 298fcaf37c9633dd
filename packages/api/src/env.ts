// Environment variables without importing node:process, so the same code runs in Node, Deno and
// browsers (which have none). Every reader takes an optional `env` so tests and embedders can
// pass their own instead of the process's.

/** Environment variables by name, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

interface EnvGlobals {
  process?: { env?: Env };
  Deno?: { env?: { get(name: string): string | undefined } };
}

/** The variable `name` from `env` if given, else from the platform (Node's or Deno's), else undefined. */
export function readEnv(name: string, env?: Env): string | undefined {
  if (env !== undefined) return nonEmpty(env[name]);
  const g = globalThis as EnvGlobals;
  const fromProcess = g.process?.env?.[name];
  if (fromProcess !== undefined) return nonEmpty(fromProcess);
  try {
    return nonEmpty(g.Deno?.env?.get(name));
  } catch {
    // Deno without --allow-env throws: treat it as unset.
    return undefined;
  }
}

/** A boolean variable: `true` (any case) is true, anything else or unset is false. */
export function readEnvFlag(name: string, env?: Env): boolean {
  return readEnv(name, env)?.toLowerCase() === 'true';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
