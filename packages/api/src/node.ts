/// <reference types="node" />
/**
 * @module @kvs-ts/api/node
 * What only Node can do: credentials from the AWS IoT credentials provider, fetched over mutual
 * TLS with the device's X.509 certificate (fetch has no client certificates); and
 * {@link nodeFetch}, a fetch on undici's request API for streamed media bodies. The rest of the SDK is in
 * `@kvs-ts/api`.
 */

import { request } from 'node:https';
import { KvsError } from '@kvs-ts/core';
import { type CredentialProvider, refreshing } from './credentials';

export type { NodeFetchOptions } from './node/fetch';
export { nodeFetch } from './node/fetch';

/** Options of {@link fromIotCertificate}. */
export interface IotCertificateOptions {
  /** The account's `iot:CredentialProvider` endpoint (`host`, `host:port` or `https://host[:port]`). */
  credentialsEndpoint: string;
  /** The role alias whose role the credentials are for. */
  roleAlias: string;
  /** Sent as x-amzn-iot-thingname (the policy variable `credentials-iot:ThingName`). */
  thingName: string;
  /** The device certificate, PEM. */
  certificate: string | Uint8Array;
  /** Its private key, PEM. */
  privateKey: string | Uint8Array;
  /** CA certificate(s) to trust for the endpoint, PEM. Default: Node's bundled roots. */
  caCertificate?: string | Uint8Array;
  /** Refresh this long before the credentials expire, µs. Default 5 minutes. */
  refreshBeforeUs?: number;
  /** How long one fetch may take, µs. Default 5 s. */
  timeoutUs?: number;
  /** The clock, µs since the Unix epoch. Default `Date.now() * 1000`. */
  now?: () => number;
}

/**
 * Credentials from the AWS IoT credentials provider: GET
 * `https://{credentialsEndpoint}/role-aliases/{roleAlias}/credentials` with the device's
 * certificate, cached and refreshed ahead of their expiration (see {@link refreshing}).
 */
export function fromIotCertificate(options: IotCertificateOptions): CredentialProvider {
  const now = options.now ?? (() => Date.now() * 1000);
  return refreshing(() => fetchIotCredentials(options, now), { refreshBeforeUs: options.refreshBeforeUs, now });
}

async function fetchIotCredentials(options: IotCertificateOptions, now: () => number) {
  const base = new URL(
    /^https:\/\//i.test(options.credentialsEndpoint)
      ? options.credentialsEndpoint
      : `https://${options.credentialsEndpoint}`,
  );
  const path = `/role-aliases/${encodeURIComponent(options.roleAlias)}/credentials`;
  const { status, body } = await get(base, path, options);
  if (status !== 200)
    throw new KvsError('STATUS_IOT_FAILED', `IoT credentials provider answered HTTP ${status}: ${body.slice(0, 256)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new KvsError('STATUS_IOT_FAILED', 'IoT credentials provider answered something that is not JSON', { cause });
  }
  const c = (parsed as { credentials?: Record<string, unknown> } | null)?.credentials;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.accessKeyId !== 'string' ||
    typeof c.secretAccessKey !== 'string' ||
    typeof c.sessionToken !== 'string'
  )
    throw new KvsError('STATUS_IOT_NULL_AWS_CREDS', 'IoT credentials provider answered without credentials');
  const expiration = new Date(typeof c.expiration === 'string' ? c.expiration : Number.NaN);
  if (Number.isNaN(expiration.getTime()))
    throw new KvsError('STATUS_IOT_EXPIRATION_PARSING_FAILED', `unreadable expiration: ${String(c.expiration)}`);
  if (expiration.getTime() * 1000 <= now())
    throw new KvsError('STATUS_IOT_EXPIRATION_OCCURS_IN_PAST', `credentials expired at ${expiration.toISOString()}`);
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiration,
  };
}

function get(base: URL, path: string, options: IotCertificateOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'GET',
        hostname: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port === '' ? 443 : Number(base.port),
        path,
        headers: { 'x-amzn-iot-thingname': options.thingName, accept: 'application/json' },
        cert: pem(options.certificate),
        key: pem(options.privateKey),
        ca: options.caCertificate === undefined ? undefined : pem(options.caCertificate),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    const timeoutUs = options.timeoutUs ?? 5_000_000;
    const timer = setTimeout(
      () => req.destroy(new KvsError('STATUS_IOT_FAILED', `no answer within ${timeoutUs / 1000} ms`)),
      timeoutUs / 1000,
    );
    function fail(cause: Error) {
      clearTimeout(timer);
      reject(cause instanceof KvsError ? cause : new KvsError('STATUS_IOT_FAILED', cause.message, { cause }));
    }
    req.on('error', fail);
    req.end();
  });
}

function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}
