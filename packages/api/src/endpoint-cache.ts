// GetDataEndpoint answers, cached per stream (name or ARN) and API name. A data endpoint changes
// rarely, and AWS's C producer caches it too (its ENDPOINT_ONLY / ALL cache types); the cache
// forgets an entry after a TTL, on invalidate() (a failed data-plane call), and never keeps a
// failed lookup. Concurrent lookups of one key share one GetDataEndpoint call.

import type { ApiName, StreamRef } from './shapes';

/** Default TTL: the KVS Developer Guide suggests calling GetDataEndpoint about every 45 minutes. */
export const DEFAULT_ENDPOINT_CACHE_TTL_US = 45 * 60 * 1_000_000;

interface Entry {
  stream: StreamRef;
  apiName: ApiName;
  value: Promise<string>;
  /** µs; Infinity while the lookup is under way. */
  expiresAt: number;
}

/** Data endpoints by (stream, API name). */
export class DataEndpointCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlUs: number = DEFAULT_ENDPOINT_CACHE_TTL_US,
    private readonly now: () => number = () => Date.now() * 1000,
  ) {}

  /** The cached endpoint for (`stream`, `apiName`), or the one `load` finds (then cached). */
  get(stream: StreamRef, apiName: ApiName, load: () => Promise<string>): Promise<string> {
    const key = keyOf(stream, apiName);
    const hit = this.entries.get(key);
    if (hit !== undefined && this.now() < hit.expiresAt) return hit.value;
    if (this.ttlUs <= 0) return load();
    const entry: Entry = { stream, apiName, value: load(), expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        if (this.entries.get(key) === entry) entry.expiresAt = this.now() + this.ttlUs;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }

  /**
   * Forgets the endpoints of `stream` (a name or an ARN; every entry naming it) for `apiName`, or
   * for every API when `apiName` is left out. A lookup under way is forgotten too: the next
   * get() asks the service again.
   */
  invalidate(stream: string, apiName?: ApiName): void {
    for (const [key, entry] of this.entries) {
      const matches = entry.stream.streamName === stream || entry.stream.streamArn === stream;
      if (matches && (apiName === undefined || entry.apiName === apiName)) this.entries.delete(key);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  /** How many entries are held (lookups under way included). */
  get size(): number {
    return this.entries.size;
  }
}

function keyOf(stream: StreamRef, apiName: ApiName): string {
  return `${apiName}\u0000${stream.streamName ?? ''}\u0000${stream.streamArn ?? ''}`;
}
