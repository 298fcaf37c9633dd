// The three file-system primitives the helpers need, for Node and for Deno.
// Written without `node:` types so that every package's `tsc` (types: []) accepts it.

/** Minimal per-runtime file access. Missing files and directories read as `undefined`. */
export interface Host {
  /** An environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /** A whole file, or `undefined` when it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** Names of a directory's entries, or `undefined` when it does not exist. */
  readDir(path: string): Promise<string[] | undefined>;
}

interface DenoApi {
  env: { get(name: string): string | undefined };
  readFile(path: string): Promise<Uint8Array>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  errors: { NotFound: new (...args: never[]) => Error };
}

interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
}

/** The Deno namespace when running under Deno. */
export const deno = (globalThis as { Deno?: DenoApi }).Deno;

/** Runs `read`, mapping "does not exist" to `undefined` and rethrowing anything else. */
async function orUndefined<T>(read: () => Promise<T>, isMissing: (e: unknown) => boolean): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
}

function denoHost(d: DenoApi): Host {
  const missing = (e: unknown) => e instanceof d.errors.NotFound;
  return {
    env: (name) => d.env.get(name),
    readFile: (path) => orUndefined(() => d.readFile(path), missing),
    readDir: (path) =>
      orUndefined(async () => {
        const names: string[] = [];
        for await (const entry of d.readDir(path)) names.push(entry.name);
        return names;
      }, missing),
  };
}

async function nodeHost(): Promise<Host> {
  // A computed specifier keeps bundlers (Vite in the browser run) and tsc from resolving it.
  const specifier = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ specifier)) as NodeFs;
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const missing = (e: unknown) => {
    const code = (e as { code?: unknown } | null)?.code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  };
  return {
    env: (name) => env[name],
    readFile: (path) =>
      orUndefined(async () => {
        const b = await fs.readFile(path);
        // A plain Uint8Array view over the Buffer, so equality checks see the same type everywhere.
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }, missing),
    readDir: (path) => orUndefined(() => fs.readdir(path), missing),
  };
}

let cached: Promise<Host> | undefined;

/** The host for the current runtime (Deno or Node). Not for the browser: see index.ts. */
export function localHost(): Promise<Host> {
  cached ??= deno ? Promise.resolve(denoHost(deno)) : nodeHost();
  return cached;
}
