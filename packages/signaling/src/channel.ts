// A signaling channel as seen from @kvs-ts/api: its endpoints for one role (GetSignalingChannelEndpoint,
// matched by Protocol, ../shared/spec/seeds-webrtc.md §3.1), GetIceServerConfig on its HTTPS
// endpoint (§4.2), and SignalingClient / IceServerCache already wired to them. The endpoints are
// asked for once and again only after a failed connect (the client says so), as AWS's C SDK goes
// back to "Get Channel Endpoint" after failures (§5.5).

import {
  type GetIceServerConfigInput,
  getIceServerConfig,
  type KinesisVideoApi,
  type SignalingEndpoints,
} from '@kvs-ts/api';
import { KvsError } from '@kvs-ts/core';
import { SignalingClient, type SignalingClientOptions } from './client';
import type { Role } from './envelope';
import { type IceServer, IceServerCache, type IceServerCacheOptions } from './ice-servers';

/** What {@link SignalingChannel} uses of a KinesisVideoApi. */
export type ChannelApi = Pick<KinesisVideoApi, 'region' | 'credentials' | 'http' | 'getSignalingChannelEndpoint'>;

/** Options of {@link SignalingChannel}. */
export interface SignalingChannelOptions {
  api: ChannelApi;
  channelArn: string;
  role: Role;
}

/** One role's view of a signaling channel: endpoints, ICE servers, clients. */
export class SignalingChannel {
  readonly api: ChannelApi;
  readonly channelArn: string;
  readonly role: Role;
  private cached: Promise<SignalingEndpoints> | undefined;

  constructor(options: SignalingChannelOptions) {
    this.api = options.api;
    this.channelArn = options.channelArn;
    this.role = options.role;
  }

  /** The role's WSS and HTTPS endpoints; asked for again with `refresh`. */
  endpoints(refresh = false): Promise<SignalingEndpoints> {
    if (refresh || this.cached === undefined) {
      const asked = this.api.getSignalingChannelEndpoint({
        channelArn: this.channelArn,
        role: this.role,
        protocols: ['WSS', 'HTTPS'],
      });
      this.cached = asked;
      // A failure is not kept: the next call asks again.
      asked.catch(() => {
        if (this.cached === asked) this.cached = undefined;
      });
    }
    return this.cached;
  }

  /** GetIceServerConfig on the channel's HTTPS endpoint. */
  readonly getIceServerConfig = async (input: GetIceServerConfigInput): Promise<IceServer[]> => {
    const { https } = await this.endpoints();
    if (https === undefined) throw new KvsError('STATUS_INVALID_OPERATION', 'the channel has no HTTPS endpoint');
    return getIceServerConfig({ http: this.api.http, endpoint: https }, input);
  };

  /** A SignalingClient for this channel and role, on the api's region and credentials. */
  client(options: Omit<SignalingClientOptions, 'role' | 'channelArn' | 'region' | 'endpoint'> = {}): SignalingClient {
    return new SignalingClient({
      credentials: this.api.credentials,
      ...options,
      role: this.role,
      channelArn: this.channelArn,
      region: this.api.region,
      endpoint: async (_role, context) => {
        const { wss } = await this.endpoints(context?.refresh === true);
        if (wss === undefined) throw new KvsError('STATUS_INVALID_OPERATION', 'the channel has no WSS endpoint');
        return wss;
      },
    });
  }

  /** An IceServerCache for this channel (STUN of the api's region plus the channel's TURN servers). */
  iceServers(
    options: Omit<IceServerCacheOptions, 'region' | 'channelArn' | 'getIceServerConfig'> = {},
  ): IceServerCache {
    return new IceServerCache({
      ...options,
      region: this.api.region,
      channelArn: this.channelArn,
      getIceServerConfig: this.getIceServerConfig,
    });
  }
}
