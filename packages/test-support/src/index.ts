// @kvs-ts/test-support: read test vectors from isomorphic tests, the same way in Node (vitest),
// headless Chromium (vitest browser mode) and Deno (scripts/deno-test.mjs).
//
// Two roots:
// - shared AWS vectors: $KVS_TEST_VECTORS, else <repo>/../shared/test-vectors (may be absent: skip then);
// - this repository's test-vectors/ (committed, always present).
// In the browser each call is forwarded to the Vitest server through one custom command.
import { deno } from './host';
import { dirOf, listFrom, type Root, readFrom } from './local';
import { COMMAND, type CommandFn, type Op } from './protocol';

const inBrowser = !deno && typeof (globalThis as { document?: unknown }).document !== 'undefined';

let command: Promise<CommandFn> | undefined;

async function remote(op: Op, root: Root, name: string): Promise<string | string[] | null> {
  command ??= import('vitest/browser').then(
    ({ commands }) => (commands as unknown as Record<string, CommandFn>)[COMMAND] as CommandFn,
  );
  return (await command)(op, root, name);
}

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function dir(root: Root): Promise<string | undefined> {
  return inBrowser ? (((await remote('dir', root, '')) as string | null) ?? undefined) : dirOf(root);
}

async function read(root: Root, name: string): Promise<Uint8Array | undefined> {
  if (!inBrowser) return readFrom(root, name);
  const b64 = (await remote('read', root, name)) as string | null;
  return b64 === null ? undefined : fromBase64(b64);
}

async function list(root: Root, subdir: string): Promise<string[]> {
  return inBrowser ? ((await remote('list', root, subdir)) as string[]) : listFrom(root, subdir);
}

/** Whether the shared AWS test vectors are present. Use with `describe.skipIf(!(await testVectorsAvailable()))`. */
export async function testVectorsAvailable(): Promise<boolean> {
  return (await dir('shared')) !== undefined;
}

/**
 * Absolute path of the shared AWS test-vector directory, or `undefined` when absent.
 * Meant for Node-only tests that hand files to external tools; in the browser it is a server path.
 */
export function testVectorsDir(): Promise<string | undefined> {
  return dir('shared');
}

/**
 * Bytes of a shared AWS test vector, e.g. `readTestVector('aws-parser-library/clusters.mkv')`.
 * Resolves `undefined` when the shared directory is absent; rejects when the directory is present
 * but the file is not (a typo must fail, not skip).
 */
export function readTestVector(name: string): Promise<Uint8Array | undefined> {
  return read('shared', name);
}

/** Sorted entry names in a shared test-vector subdirectory (e.g. `'aws-parser-library'`); `[]` when absent. */
export function listTestVectors(subdir = ''): Promise<string[]> {
  return list('shared', subdir);
}

/** Bytes of a file in this repository's test-vectors/ (e.g. `'h264-main-320x240.h264'`); rejects if missing. */
export async function readRepoVector(name: string): Promise<Uint8Array> {
  const bytes = await read('repo', name);
  if (bytes === undefined) throw new Error('the repository test-vectors/ directory is missing');
  return bytes;
}

/** Sorted entry names in this repository's test-vectors/ (or a subdirectory of it). */
export function listRepoVectors(subdir = ''): Promise<string[]> {
  return list('repo', subdir);
}

/** Absolute path of this repository's test-vectors/ (for Node-only tests that run external tools). */
export async function repoVectorsDir(): Promise<string> {
  const d = await dir('repo');
  if (d === undefined) throw new Error('the repository test-vectors/ directory is missing');
  return d;
}
