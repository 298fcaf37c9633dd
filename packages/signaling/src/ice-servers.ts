// ICE servers for a channel: the region's KVS STUN server plus the TURN servers of
// GetIceServerConfig, cached until the earliest TURN credential expires (less a grace period).
// Sources: ../shared/spec/seeds-webrtc.md §2 (STUN host names by partition, FIPS, dual-stack),
// §4.2 (GetIceServerConfig, Ttl in seconds; AWS's C SDK refreshes 30 s before, the JS sample 15 s)
// and §6.2 (5 TPS per channel: hence the cache and one request at a time).

import { partitionOf } from '@kvs-ts/api';
import { KvsError } from '@kvs-ts/core';

/** One entry of GetIceServerConfig's IceServerList (camelCase, as @kvs-ts/api returns it). */
export interface IceServer {
  uris: string[];
  username: string;
  password: string;
  /** How long the credentials stay valid, s. */
  ttl: number;
}

/** GetIceServerConfig for one channel (its HTTPS endpoint already chosen). */
export type GetIceServerConfig = (input: {
  channelArn: string;
  clientId?: string;
  service?: 'TURN';
}) => Promise<IceServer[]>;

/** An `RTCIceServer`. */
export interface IceServerInit {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Options of {@link stunUrl}. */
export interface StunOptions {
  /** `stuns:` on the FIPS host. */
  fips?: boolean;
  /** The dual-stack (IPv4 + IPv6) host name. */
  dualStack?: boolean;
}

/**
 * The KVS STUN server of `region`: `stun:stun.kinesisvideo.{region}.amazonaws.com:443`, with the
 * partition's DNS suffix (`amazonaws.com.cn` in China), `stuns:` and `kinesisvideo-fips` for FIPS,
 * and the dual-stack suffix (`api.aws`) on request.
 */
export function stunUrl(region: string, options: StunOptions = {}): string {
  if (!/^[a-z0-9-]+$/.test(region)) throw new KvsError('STATUS_INVALID_ARG', `not a region: ${JSON.stringify(region)}`);
  const partition = partitionOf(region);
  const suffix = options.dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  const host = options.fips ? 'kinesisvideo-fips' : 'kinesisvideo';
  return `${options.fips ? 'stuns' : 'stun'}:stun.${host}.${region}.${suffix}:443`;
}

/** The `RTCIceServer`s of GetIceServerConfig's list. */
export function toIceServerInits(list: readonly IceServer[]): IceServerInit[] {
  return list.map((s) => ({ urls: [...s.uris], username: s.username, credential: s.password }));
}

/** Options of {@link IceServerCache}. */
export interface IceServerCacheOptions extends StunOptions {
  region: string;
  channelArn: string;
  /** Passed to GetIceServerConfig (a viewer's client ID). */
  clientId?: string;
  /** Where TURN servers come from; without it only STUN is offered. */
  getIceServerConfig?: GetIceServerConfig;
  /** Offer the KVS STUN server. Default true. */
  stun?: boolean;
  /** Refresh this long before the earliest TTL ends, µs. Default 30 s (AWS's C SDK). */
  graceUs?: number;
  /** µs since the Unix epoch. Default `Date.now() * 1000`. */
  now?: () => number;
}

/** Counters after AWS's C SDK's (`iceRefreshCount`, `dpApiCallLatency`: seeds-webrtc.md §9.1). */
export interface IceServerMetrics {
  iceRefreshCount: number;
  /** Moving average of GetIceServerConfig's latency, µs. */
  dpApiCallLatencyUs: number;
  errors: number;
}

/** ICE servers of one channel, fetched once per credential lifetime. */
export class IceServerCache {
  readonly metrics: IceServerMetrics = { iceRefreshCount: 0, dpApiCallLatencyUs: 0, errors: 0 };
  private readonly options: IceServerCacheOptions;
  private readonly now: () => number;
  private cached: IceServerInit[] | undefined;
  private expiresAtUs = 0;
  private inFlight: Promise<IceServerInit[]> | undefined;
  private generation = 0;

  constructor(options: IceServerCacheOptions) {
    this.options = options;
    this.now = options.now ?? (() => Date.now() * 1000);
  }

  /** STUN first, then TURN; fetched again once the cached list is due for refresh. */
  get(): Promise<IceServerInit[]> {
    if (this.cached !== undefined && this.now() < this.expiresAtUs) return Promise.resolve(this.cached);
    if (this.inFlight === undefined) {
      const flight = this.fetch(this.generation);
      this.inFlight = flight;
      const clear = () => {
        if (this.inFlight === flight) this.inFlight = undefined;
      };
      flight.then(clear, clear);
    }
    return this.inFlight;
  }

  /** Forget the cached list (RECONNECT_ICE_SERVER: the relay is going away). */
  invalidate(): void {
    this.cached = undefined;
    this.inFlight = undefined;
    this.generation++;
  }

  /** When the cached list is due for refresh, µs since the epoch (0 if nothing is cached). */
  get refreshAtUs(): number {
    return this.cached === undefined ? 0 : this.expiresAtUs;
  }

  private async fetch(generation: number): Promise<IceServerInit[]> {
    const servers: IceServerInit[] = [];
    if (this.options.stun !== false) servers.push({ urls: stunUrl(this.options.region, this.options) });
    const get = this.options.getIceServerConfig;
    let expiresAt = Number.POSITIVE_INFINITY;
    if (get !== undefined) {
      const started = this.now();
      let list: IceServer[];
      try {
        list = await get({ channelArn: this.options.channelArn, clientId: this.options.clientId, service: 'TURN' });
      } catch (error) {
        this.metrics.errors++;
        throw error;
      }
      const fetchedAt = this.now();
      const latency = fetchedAt - started;
      const m = this.metrics;
      m.dpApiCallLatencyUs =
        m.iceRefreshCount === 0 ? latency : m.dpApiCallLatencyUs + 0.2 * (latency - m.dpApiCallLatencyUs);
      m.iceRefreshCount++;
      servers.push(...toIceServerInits(list));
      if (list.length > 0) {
        const ttlUs = Math.min(...list.map((s) => s.ttl)) * 1_000_000;
        const grace = this.options.graceUs ?? 30_000_000;
        // A TTL shorter than twice the grace is refreshed at half its life instead.
        expiresAt = fetchedAt + (ttlUs > 2 * grace ? ttlUs - grace : ttlUs / 2);
      }
    }
    if (generation === this.generation) {
      this.cached = servers;
      this.expiresAtUs = expiresAt;
    }
    return servers;
  }
}
