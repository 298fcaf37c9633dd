// The streams, in memory; with a data dir every change also goes through a DiskStore
// (disk-store.ts) so that it survives a restart. Status transitions (CREATING → ACTIVE,
// DELETING → gone) run on timers of `transitionDelayMs`.

import { randomBytes } from 'node:crypto';
import type { DiskStore } from './disk-store';
import { notFound } from './errors';
import type { Fragment, StreamMeta, StreamRecord } from './model';

export const ACCOUNT_ID = '123456789012';
/** How long a stream without retention keeps fragments in memory (for live GetMedia only). */
export const RETENTION_ZERO_KEEP_MS = 60_000;

export interface StoreOptions {
  region: string;
  transitionDelayMs: number;
  disk?: DiskStore;
}

export const newVersion = (): string => randomBytes(10).toString('hex');

export class Store {
  readonly streams = new Map<string, StreamRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly options: StoreOptions) {}

  /** Loads what a data dir holds. */
  async load(): Promise<void> {
    const disk = this.options.disk;
    if (!disk) return;
    for (const { meta, fragments } of await disk.loadAll()) {
      if (meta.status === 'DELETING') {
        await disk.removeStream(meta.name);
        continue;
      }
      meta.status = 'ACTIVE';
      const rec: StreamRecord = { meta, fragments, putMediaOpen: false, getMediaOpen: 0, listeners: new Set() };
      this.expire(rec, Date.now());
      this.streams.set(meta.name, rec);
    }
  }

  arnOf(name: string, creationTime: number): string {
    return `arn:aws:kinesisvideo:${this.options.region}:${ACCOUNT_ID}:stream/${name}/${creationTime}`;
  }

  /** The stream named by StreamName or StreamARN (either may be given), or ResourceNotFoundException. */
  find(ref: { StreamName?: unknown; StreamARN?: unknown }): StreamRecord {
    const rec = this.lookup(ref);
    if (!rec) throw notFound(`Stream ${String(ref.StreamName ?? ref.StreamARN)} not found.`);
    return rec;
  }

  lookup(ref: { StreamName?: unknown; StreamARN?: unknown }): StreamRecord | undefined {
    if (typeof ref.StreamName === 'string') {
      const rec = this.streams.get(ref.StreamName);
      if (rec && (typeof ref.StreamARN !== 'string' || rec.meta.arn === ref.StreamARN)) return rec;
      return undefined;
    }
    if (typeof ref.StreamARN === 'string') {
      for (const rec of this.streams.values()) if (rec.meta.arn === ref.StreamARN) return rec;
    }
    return undefined;
  }

  /** Adds a stream in CREATING; it turns ACTIVE after the transition delay. */
  async create(meta: StreamMeta): Promise<StreamRecord> {
    const rec: StreamRecord = { meta, fragments: [], putMediaOpen: false, getMediaOpen: 0, listeners: new Set() };
    this.streams.set(meta.name, rec);
    await this.saveMeta(rec);
    this.later(() => {
      if (rec.meta.status === 'CREATING') {
        rec.meta.status = 'ACTIVE';
        this.saveMeta(rec).catch(() => {
          // The data dir went away (e.g. removed after close): memory stays right.
        });
      }
    });
    return rec;
  }

  /** Marks a stream DELETING; it disappears after the transition delay. */
  async delete(rec: StreamRecord): Promise<void> {
    rec.meta.status = 'DELETING';
    await this.saveMeta(rec);
    for (const l of rec.listeners) l();
    this.later(() => {
      if (this.streams.get(rec.meta.name) === rec) this.streams.delete(rec.meta.name);
      this.options.disk?.removeStream(rec.meta.name).catch(() => {});
    });
  }

  async saveMeta(rec: StreamRecord): Promise<void> {
    await this.options.disk?.saveMeta(rec.meta);
  }

  /**
   * Stores a fragment: appended at once (GetMedia serves it), and with a data dir written and
   * fsync'ed before the returned promise resolves (only then may PERSISTED be sent). Returns
   * undefined when the fragment is already as durable as it will be (memory only), so that
   * PutMedia can acknowledge it in the same write as RECEIVED.
   */
  addFragment(rec: StreamRecord, fragment: Fragment): Promise<void> | undefined {
    rec.fragments.push(fragment);
    this.expire(rec, fragment.serverTimestampMs);
    for (const l of rec.listeners) l();
    if (this.options.disk && rec.meta.retentionHours > 0)
      return this.options.disk.appendFragment(rec.meta.name, fragment);
    return undefined;
  }

  /**
   * Drops fragments older than the stream's retention from memory. A stream without retention
   * keeps its last minute, so that live GetMedia readers that fell a little behind still get it.
   */
  private expire(rec: StreamRecord, nowMs: number): void {
    const keepMs = rec.meta.retentionHours > 0 ? rec.meta.retentionHours * 3_600_000 : RETENTION_ZERO_KEEP_MS;
    let drop = 0;
    while (drop < rec.fragments.length && rec.fragments[drop].serverTimestampMs < nowMs - keepMs) drop++;
    if (drop > 0) rec.fragments.splice(0, drop);
  }

  /** Resolves once the stream is ACTIVE (a just-created one), or at once otherwise. */
  async whenActive(rec: StreamRecord): Promise<void> {
    const deadline = Date.now() + this.options.transitionDelayMs + 1000;
    while (rec.meta.status === 'CREATING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, this.options.transitionDelayMs);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
