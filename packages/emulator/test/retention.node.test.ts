// Retention: fragments older than the stream's DataRetentionInHours leave memory; a stream
// without retention keeps only its last minute (for live GetMedia).

import { describe, expect, it } from 'vitest';
import type { Fragment } from '../src/model';
import { RETENTION_ZERO_KEEP_MS, Store } from '../src/store';

const fragment = (n: number, serverTimestampMs: number): Fragment => ({
  number: String(10n ** 46n + BigInt(n)),
  producerTimestampMs: serverTimestampMs,
  serverTimestampMs,
  durationMs: 1000,
  size: 1,
  header: Buffer.alloc(0),
  tags: Buffer.alloc(0),
  cluster: [],
  persisted: false,
});

async function storeWith(retentionHours: number): Promise<{ store: Store; name: string }> {
  const store = new Store({ region: 'us-west-2', transitionDelayMs: 0 });
  await store.create({
    name: 's',
    arn: store.arnOf('s', 0),
    kmsKeyId: 'k',
    version: 'v',
    status: 'ACTIVE',
    creationTime: 0,
    retentionHours,
    tags: {},
  });
  return { store, name: 's' };
}

describe('retention', () => {
  it('drops fragments older than DataRetentionInHours when a new one arrives', async () => {
    const { store } = await storeWith(1);
    const rec = store.find({ StreamName: 's' });
    const now = Date.now();
    await store.addFragment(rec, fragment(1, now - 2 * 3_600_000));
    await store.addFragment(rec, fragment(2, now - 30 * 60_000));
    await store.addFragment(rec, fragment(3, now));
    expect(rec.fragments.map((f) => f.number.slice(-1))).toEqual(['2', '3']);
    store.close();
  });

  it('keeps the last minute of a stream without retention', async () => {
    const { store } = await storeWith(0);
    const rec = store.find({ StreamName: 's' });
    const now = Date.now();
    await store.addFragment(rec, fragment(1, now - RETENTION_ZERO_KEEP_MS - 1000));
    await store.addFragment(rec, fragment(2, now - 1000));
    await store.addFragment(rec, fragment(3, now));
    expect(rec.fragments.map((f) => f.number.slice(-1))).toEqual(['2', '3']);
    store.close();
  });
});
