// Server side of the browser command; imported by vitest.browser.config.ts, runs in Node.
import { dirOf, listFrom, type Root, readFrom } from './local';
import type { Op } from './protocol';

export { COMMAND } from './protocol';

type BufferApi = { from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string } };

/** Answers one browser request with the local (Node) helpers. */
export async function serveCommand(op: Op, root: Root, name: string): Promise<string | string[] | null> {
  if (op === 'dir') return (await dirOf(root)) ?? null;
  if (op === 'list') return listFrom(root, name);
  const bytes = await readFrom(root, name);
  if (bytes === undefined) return null;
  // Command results travel as JSON, so bytes go as base64.
  const { Buffer } = globalThis as unknown as { Buffer: BufferApi };
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
