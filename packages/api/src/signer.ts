// SigV4 for KVS with @smithy/signature-v4 (the AWS SDK v3's signer) and the pure-JS SHA-256 of
// @aws-crypto/sha256-js (no WebCrypto, so it also works in insecure browser contexts). Why these
// and the PutMedia payload-hash choice: docs/decisions/api-client.md.

import { Sha256 } from '@aws-crypto/sha256-js';
import { KvsError } from '@kvs-ts/core';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialProvider } from './credentials';

/** The signing name of every KVS API (control plane, media, archived media, signaling). */
export const KVS_SIGNING_SERVICE = 'kinesisvideo';

/** SHA-256 of the empty string: the payload hash of a request signed without its body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * How the payload enters the signature:
 * - `body`: SHA-256 of the body (JSON calls);
 * - `empty`: SHA-256 of the empty string and no x-amz-content-sha256 header, as AWS's C producer
 *   signs PutMedia's streamed body;
 * - `unsigned`: `UNSIGNED-PAYLOAD`, sent and signed as x-amz-content-sha256, as AWS's Java
 *   producer and smithy sign a streamed body.
 */
export type PayloadSigning = 'body' | 'empty' | 'unsigned';

/** A request to sign. */
export interface SignableRequest {
  method: string;
  url: string | URL;
  headers?: Readonly<Record<string, string>>;
  /** The body, for `payload: 'body'` (the default). A streamed body is never passed here. */
  body?: string | Uint8Array;
}

/** Options of {@link Signer.sign}. */
export interface SignOptions {
  /** Default `body`. */
  payload?: PayloadSigning;
  /**
   * Send the body's hash as x-amz-content-sha256 (with `payload: 'body'`), as the AWS SDK v3
   * does. Default true. AWS's C producer and boto3 do not; the service accepts both.
   */
  contentSha256Header?: boolean;
}

/** A signed request. */
export interface SignedRequest {
  method: string;
  url: string;
  /** Every header that was signed or added by signing, `host` included, lower-case names. */
  headers: Record<string, string>;
  /** {@link headers} without those fetch sets itself or refuses (see {@link fetchHeaders}). */
  fetchHeaders: Record<string, string>;
}

/** Options of {@link Signer.presign}. */
export interface PresignOptions {
  /** How long the URL stays valid, µs (X-Amz-Expires counts whole seconds). Default 5 minutes. */
  expiresInUs?: number;
  /** Default `GET`. */
  method?: string;
  /** Headers to sign besides `host` (the client must send them unchanged). */
  headers?: Readonly<Record<string, string>>;
}

/** Options of {@link Signer}. */
export interface SignerOptions {
  region: string;
  credentials: CredentialProvider;
  /** Default `kinesisvideo`. */
  service?: string;
  /** The clock, µs since the Unix epoch (the signing time). Default `Date.now() * 1000`. */
  now?: () => number;
}

// Headers fetch sets itself (host, content-length), refuses (Node's fetch throws on
// transfer-encoding and expect), or that are hop-by-hop.
const NOT_FOR_FETCH = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'expect', 'keep-alive']);

/** `headers` without those that must not be handed to fetch. */
export function fetchHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!NOT_FOR_FETCH.has(name.toLowerCase())) out[name] = value;
  return out;
}

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Signs KVS requests (headers or presigned query) with the current credentials. */
export class Signer {
  readonly region: string;
  readonly service: string;
  private readonly credentials: CredentialProvider;
  private readonly now: () => number;
  // applyChecksum off: whether x-amz-content-sha256 is sent is decided per request (SignOptions).
  private readonly v4: SignatureV4;

  constructor(options: SignerOptions) {
    this.region = options.region;
    this.service = options.service ?? KVS_SIGNING_SERVICE;
    this.credentials = options.credentials;
    this.now = options.now ?? (() => Date.now() * 1000);
    this.v4 = new SignatureV4({
      service: this.service,
      region: this.region,
      credentials: () => this.credentials(),
      sha256: Sha256,
      applyChecksum: false,
    });
  }

  /** Signs `request` in the Authorization header. */
  async sign(request: SignableRequest, options: SignOptions = {}): Promise<SignedRequest> {
    const url = new URL(request.url);
    const payload = options.payload ?? 'body';
    const headers = lowerCase(request.headers);
    headers.host = url.host;
    if (payload === 'unsigned') headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const body = payload === 'body' ? request.body : undefined;
    if (payload === 'body' && options.contentSha256Header !== false) {
      const hash = new Sha256();
      hash.update(body ?? new Uint8Array(0));
      headers['x-amz-content-sha256'] = toHex(await hash.digest());
    }
    const signed = await this.v4.sign(
      { ...smithyRequest(url, request.method, headers), body },
      { signingDate: this.signingDate() },
    );
    const out = lowerCase(signed.headers);
    return { method: request.method, url: url.href, headers: out, fetchHeaders: fetchHeaders(out) };
  }

  /**
   * A presigned URL (SigV4 in the query: X-Amz-Algorithm, -Credential, -Date, -Expires,
   * -SignedHeaders, -Security-Token, -Signature), as KVS signaling's WebSocket connect uses.
   * Query parameters already in `url` are kept and signed.
   */
  async presign(url: string | URL, options: PresignOptions = {}): Promise<string> {
    const target = new URL(url);
    const seconds = Math.floor((options.expiresInUs ?? 300_000_000) / 1_000_000);
    if (!(seconds >= 1 && seconds <= MAX_PRESIGN_SECONDS))
      throw new KvsError('STATUS_INVALID_ARG', `presign expiry must be 1 s to 7 days, got ${seconds} s`);
    const headers = lowerCase(options.headers);
    headers.host = target.host;
    const presigned = await this.v4.presign(smithyRequest(target, options.method ?? 'GET', headers), {
      signingDate: this.signingDate(),
      expiresIn: seconds,
    });
    const query = Object.entries(presigned.query ?? {})
      .flatMap(([key, value]) =>
        (Array.isArray(value) ? value : [value ?? '']).map((v) => `${rfc3986(key)}=${rfc3986(v)}`),
      )
      .join('&');
    return `${target.origin}${target.pathname}?${query}`;
  }

  private signingDate(): Date {
    return new Date(Math.floor(this.now() / 1000));
  }
}

/** The smithy HttpRequest shape: path decoded (smithy encodes it), query as decoded key → value(s). */
function smithyRequest(url: URL, method: string, headers: Record<string, string>) {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return {
    method: method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: decodeURIComponent(url.pathname),
    query,
    headers,
  };
}

function lowerCase(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
