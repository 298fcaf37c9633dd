// Durable storage under a data dir: per stream a `meta.json` (written to a temporary file,
// fsync'ed, then renamed over the old one) and a `fragments.log` of length-prefixed records
// appended and fsync'ed one by one. PERSISTED is acknowledged only after that fsync, so a
// `kill -9` loses no acknowledged fragment (test/storage.node.test.ts); a torn last record (a crash
// mid-append) is ignored on load.

import { type FileHandle, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fragment, StreamMeta } from './model';

interface RecordHead {
  number: string;
  producerTimestampMs: number;
  serverTimestampMs: number;
  durationMs: number;
  size: number;
  headerLen: number;
  /** Absent in records written before fragment metadata was kept. */
  tagsLen?: number;
  clusterLen: number;
}

export class DiskStore {
  /** Appends per stream run one after another. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  private streamDir(name: string): string {
    return join(this.dir, 'streams', encodeURIComponent(name));
  }

  async saveMeta(meta: StreamMeta): Promise<void> {
    await this.serial(meta.name, async () => {
      const dir = this.streamDir(meta.name);
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, 'meta.json.tmp');
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(meta));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(dir, 'meta.json'));
    });
  }

  async appendFragment(name: string, f: Fragment): Promise<void> {
    await this.serial(name, async () => {
      const head: RecordHead = {
        number: f.number,
        producerTimestampMs: f.producerTimestampMs,
        serverTimestampMs: f.serverTimestampMs,
        durationMs: f.durationMs,
        size: f.size,
        headerLen: f.header.length,
        tagsLen: f.tags.length,
        clusterLen: f.size,
      };
      const json = Buffer.from(JSON.stringify(head));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(json.length);
      const fh = await open(join(this.streamDir(name), 'fragments.log'), 'a');
      try {
        // One writev of the pieces: the cluster is not gathered into one buffer first.
        await writeAll(fh, [len, json, f.header, f.tags, ...f.cluster]);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    });
  }

  async removeStream(name: string): Promise<void> {
    await this.serial(name, () => rm(this.streamDir(name), { recursive: true, force: true }));
  }

  /** Every stream in the data dir with its complete fragments. */
  async loadAll(): Promise<Array<{ meta: StreamMeta; fragments: Fragment[] }>> {
    const root = join(this.dir, 'streams');
    await mkdir(root, { recursive: true });
    const out: Array<{ meta: StreamMeta; fragments: Fragment[] }> = [];
    for (const entry of await readdir(root)) {
      let meta: StreamMeta;
      try {
        meta = JSON.parse(await readFile(join(root, entry, 'meta.json'), 'utf8')) as StreamMeta;
      } catch {
        continue;
      }
      let log: Buffer;
      try {
        log = await readFile(join(root, entry, 'fragments.log'));
      } catch {
        log = Buffer.alloc(0);
      }
      out.push({ meta, fragments: parseLog(log) });
    }
    return out;
  }

  private serial(name: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(name) ?? Promise.resolve()).then(fn, fn);
    this.queues.set(name, next);
    return next;
  }
}

/** Writes every byte of `parts` at the file's end (writev may write fewer bytes than asked). */
async function writeAll(fh: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts.filter((p) => p.length > 0);
  while (rest.length > 0) {
    // IOV_MAX is 1024 on Linux: a fragment has a few dozen pieces, but stay under it anyway.
    const batch = rest.slice(0, 1024);
    let { bytesWritten } = await fh.writev(batch);
    let i = 0;
    while (i < batch.length && bytesWritten >= batch[i].length) bytesWritten -= batch[i++].length;
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = rest[0].subarray(bytesWritten);
  }
}

function parseLog(log: Buffer): Fragment[] {
  const out: Fragment[] = [];
  let pos = 0;
  while (pos + 4 <= log.length) {
    const jsonLen = log.readUInt32BE(pos);
    if (pos + 4 + jsonLen > log.length) break;
    let head: RecordHead;
    try {
      head = JSON.parse(log.subarray(pos + 4, pos + 4 + jsonLen).toString('utf8')) as RecordHead;
    } catch {
      break;
    }
    const start = pos + 4 + jsonLen;
    const tagsLen = head.tagsLen ?? 0;
    const end = start + head.headerLen + tagsLen + head.clusterLen;
    if (end > log.length) break;
    out.push({
      number: head.number,
      producerTimestampMs: head.producerTimestampMs,
      serverTimestampMs: head.serverTimestampMs,
      durationMs: head.durationMs,
      size: head.size,
      header: Buffer.from(log.subarray(start, start + head.headerLen)),
      tags: Buffer.from(log.subarray(start + head.headerLen, start + head.headerLen + tagsLen)),
      cluster: [Buffer.from(log.subarray(start + head.headerLen + tagsLen, end))],
      persisted: true,
    });
    pos = end;
  }
  return out;
}
