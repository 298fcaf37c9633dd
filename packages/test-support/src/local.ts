// The helpers proper, for a runtime with file access (Node, Deno, and the Vitest server that
// answers the browser). Paths are POSIX strings: CI and development run on Linux.
import { localHost } from './host';

/** Which directory a name is relative to: the shared AWS vectors, or this repository's test-vectors/. */
export type Root = 'shared' | 'repo';

const repoDir = decodeURIComponent(new URL('../../../', import.meta.url).pathname).replace(/\/$/, '');

function checkName(name: string): void {
  if (name.startsWith('/') || name.split('/').includes('..')) {
    throw new Error(`test vector name must be relative and stay inside its directory: ${JSON.stringify(name)}`);
  }
}

/** The directory of `root`, or `undefined` when it is absent. */
export async function dirOf(root: Root): Promise<string | undefined> {
  const host = await localHost();
  const dir =
    root === 'repo' ? `${repoDir}/test-vectors` : (host.env('KVS_TEST_VECTORS') ?? `${repoDir}/../shared/test-vectors`);
  return (await host.readDir(dir)) ? dir.replace(/\/$/, '') : undefined;
}

/**
 * The bytes of `name` under `root`; `undefined` only when the whole directory is absent.
 * A missing file inside a present directory throws, so a typo cannot turn a test into a silent skip.
 */
export async function readFrom(root: Root, name: string): Promise<Uint8Array | undefined> {
  checkName(name);
  const dir = await dirOf(root);
  if (dir === undefined) return undefined;
  const bytes = await (await localHost()).readFile(`${dir}/${name}`);
  if (bytes === undefined) throw new Error(`test vector not found: ${dir}/${name}`);
  return bytes;
}

/** Sorted entry names of `subdir` under `root`; empty when the directory is absent. */
export async function listFrom(root: Root, subdir: string): Promise<string[]> {
  checkName(subdir);
  const dir = await dirOf(root);
  if (dir === undefined) return [];
  const names = await (await localHost()).readDir(subdir ? `${dir}/${subdir}` : dir);
  return (names ?? []).sort();
}
