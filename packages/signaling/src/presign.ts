// The presigned WSS URL of ConnectAsMaster / ConnectAsViewer: SigV4 in the query string, as
// AWS's signaling SDKs build it (../shared/spec/seeds-webrtc.md §5.2): GET, service
// `kinesisvideo`, SignedHeaders=host, X-Amz-Expires=299, the session token *inside* the signed
// query (the signaling service requires it there), X-Amz-ChannelARN, and X-Amz-ClientId for
// viewers only (§5.1). The SigV4 itself is @kvs-ts/api's Signer (docs/decisions/api-client.md);
// this file adds the signaling parameters and AWS's parameter order, so that AWS's JS SDK's
// published URLs are reproduced byte for byte (test/presign.test.ts).

import { type CredentialsInput, KVS_SIGNING_SERVICE, Signer } from '@kvs-ts/api';
import { KvsError } from '@kvs-ts/core';
import type { Role } from './envelope';
import { checkChannelArn, checkClientId } from './ids';

/** How long a signed connect URL stays valid, µs: AWS's SDKs sign X-Amz-Expires=299 s (§5.2). */
export const CONNECT_URL_EXPIRY_US = 299_000_000;

/** Options of {@link presignWssUrl}. */
export interface PresignWssOptions {
  region: string;
  /** Credentials to sign with, or a provider (called once per URL). */
  credentials: CredentialsInput;
  /** Signing time, µs since the Unix epoch. Default now. */
  nowUs?: number;
  /** How long the URL is valid, µs (X-Amz-Expires counts whole seconds). Default 299 s. */
  expiresInUs?: number;
  /** Default `kinesisvideo`. */
  service?: string;
}

/**
 * `endpoint` (wss:// or, for local emulators, ws://; no query of its own) with `params` and the
 * SigV4 query parameters, every parameter sorted by name as AWS's JS SDK emits them. The session
 * token, if any, is signed.
 */
export async function presignWssUrl(
  endpoint: string,
  params: Readonly<Record<string, string>>,
  options: PresignWssOptions,
): Promise<string> {
  const url = parseEndpoint(endpoint);
  for (const [key, value] of Object.entries(params)) url.searchParams.append(key, value);
  const credentials = typeof options.credentials === 'function' ? await options.credentials() : options.credentials;
  const nowUs = options.nowUs ?? Date.now() * 1000;
  const signer = new Signer({
    region: options.region,
    service: options.service ?? KVS_SIGNING_SERVICE,
    credentials: () => Promise.resolve(credentials),
    now: () => nowUs,
  });
  const signed = await signer.presign(url, {
    expiresInUs: options.expiresInUs ?? CONNECT_URL_EXPIRY_US,
  });
  // The signature does not depend on the order in the URL; AWS's SDK sorts, so do we.
  const at = signed.indexOf('?');
  const pairs = signed.slice(at + 1).split('&');
  pairs.sort((a, b) => compare(a.slice(0, a.indexOf('=')), b.slice(0, b.indexOf('='))));
  return `${signed.slice(0, at)}?${pairs.join('&')}`;
}

/** Options of {@link presignConnectUrl}. */
export interface ConnectUrlOptions extends PresignWssOptions {
  /** The WSS endpoint of `role` (GetSignalingChannelEndpoint; master and viewer differ, §5.1). */
  endpoint: string;
  channelArn: string;
  role: Role;
  /** The viewer's client ID (required for viewers, refused for masters). */
  clientId?: string;
}

/** The presigned ConnectAsMaster / ConnectAsViewer URL. */
export async function presignConnectUrl(options: ConnectUrlOptions): Promise<string> {
  const params: Record<string, string> = { 'X-Amz-ChannelARN': checkChannelArn(options.channelArn) };
  if (options.role === 'VIEWER') {
    params['X-Amz-ClientId'] = checkClientId(options.clientId);
  } else if (options.clientId !== undefined) {
    // A master's URL carries no client ID (AWS's JS and C SDKs, §5.1).
    throw new KvsError('STATUS_INVALID_ARG', 'a master connects without a client ID');
  }
  return presignWssUrl(options.endpoint, params, options);
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new KvsError('STATUS_INVALID_ARG', `not a URL: ${endpoint}`, { cause });
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:')
    throw new KvsError('STATUS_INVALID_ARG', `a signaling endpoint is a wss:// URL, got ${url.protocol}//`);
  if (url.search !== '' || url.hash !== '')
    throw new KvsError('STATUS_INVALID_ARG', 'a signaling endpoint must not carry a query or fragment');
  return url;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
