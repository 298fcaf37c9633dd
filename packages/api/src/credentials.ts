// AWS credentials in the shapes of the AWS SDK for JavaScript v3 (`AwsCredentialIdentity` and
// `AwsCredentialIdentityProvider` from @smithy/types), so any of its providers
// (@aws-sdk/credential-providers: fromCognitoIdentityPool, fromNodeProviderChain, …) plugs in
// unchanged. Rationale: docs/decisions/api-client.md.

import { KvsError } from '@kvs-ts/core';
import { type Env, readEnv } from './env';

/** AWS credentials: the AWS SDK v3's `AwsCredentialIdentity`. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; none for long-term keys. */
  readonly expiration?: Date;
}

/** A source of credentials, called before every request: the AWS SDK v3's `AwsCredentialIdentityProvider`. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/** What the SDK accepts wherever it needs credentials. */
export type CredentialsInput = AwsCredentials | CredentialProvider;

/** A provider for `input`: a provider as is, static credentials (validated) as a constant provider. */
export function resolveCredentials(input: CredentialsInput): CredentialProvider {
  if (typeof input === 'function') return input;
  const credentials = checkCredentials(input, 'static credentials');
  return () => Promise.resolve(credentials);
}

/**
 * Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN and
 * AWS_CREDENTIAL_EXPIRATION (ISO 8601), read at each call (from `env` if given, else the platform's:
 * Node's process.env or Deno.env).
 */
export function fromEnv(env?: Env): CredentialProvider {
  return async () => {
    const accessKeyId = readEnv('AWS_ACCESS_KEY_ID', env);
    const secretAccessKey = readEnv('AWS_SECRET_ACCESS_KEY', env);
    if (accessKeyId === undefined || secretAccessKey === undefined)
      throw new KvsError('STATUS_INVALID_ARG', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set');
    const sessionToken = readEnv('AWS_SESSION_TOKEN', env);
    const expirationText = readEnv('AWS_CREDENTIAL_EXPIRATION', env);
    const expiration = expirationText === undefined ? undefined : new Date(expirationText);
    if (expiration !== undefined && Number.isNaN(expiration.getTime()))
      throw new KvsError('STATUS_INVALID_ARG', `AWS_CREDENTIAL_EXPIRATION is not a date: ${expirationText}`);
    return { accessKeyId, secretAccessKey, sessionToken, expiration };
  };
}

/** Options of {@link refreshing}. */
export interface RefreshingOptions {
  /** Refresh this long (µs) before the credentials expire. Default 5 minutes. */
  refreshBeforeUs?: number;
  /** The clock, µs since the Unix epoch. Default `Date.now() * 1000`. */
  now?: () => number;
}

/** Default of {@link RefreshingOptions.refreshBeforeUs}: 5 minutes, as the AWS SDKs' refresh window. */
export const DEFAULT_REFRESH_BEFORE_US = 5 * 60 * 1_000_000;

/**
 * Caches what `fetchCredentials` returns and fetches again ahead of its expiration. Calls that
 * arrive while a fetch is under way share it (never two at once); a failed fetch rejects every
 * call that waited for it, and the next call tries again. Credentials without an expiration are
 * kept for good. Credentials that live shorter than twice the refresh window are refreshed at
 * half their remaining life instead, so a short-lived token does not cause a fetch per call.
 */
export function refreshing(
  fetchCredentials: () => Promise<AwsCredentials>,
  options: RefreshingOptions = {},
): CredentialProvider {
  const refreshBefore = options.refreshBeforeUs ?? DEFAULT_REFRESH_BEFORE_US;
  const now = options.now ?? (() => Date.now() * 1000);
  let cached: AwsCredentials | undefined;
  let refreshAt = Number.POSITIVE_INFINITY;
  let inFlight: Promise<AwsCredentials> | undefined;

  const fetchOnce = async (): Promise<AwsCredentials> => {
    const fresh = checkCredentials(await fetchCredentials(), 'refreshed credentials');
    const fetchedAt = now();
    const expiresAt = fresh.expiration === undefined ? undefined : fresh.expiration.getTime() * 1000;
    refreshAt =
      expiresAt === undefined
        ? Number.POSITIVE_INFINITY
        : expiresAt - Math.min(refreshBefore, Math.max(0, (expiresAt - fetchedAt) / 2));
    cached = fresh;
    return fresh;
  };

  return () => {
    if (cached !== undefined && now() < refreshAt) return Promise.resolve(cached);
    if (inFlight === undefined) {
      const flight = fetchOnce();
      inFlight = flight;
      // Cleared once settled (either way), so the call after a failure starts a new fetch.
      const clear = () => {
        if (inFlight === flight) inFlight = undefined;
      };
      flight.then(clear, clear);
    }
    return inFlight;
  };
}

function checkCredentials(value: AwsCredentials, what: string): AwsCredentials {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.accessKeyId !== 'string' ||
    value.accessKeyId === '' ||
    typeof value.secretAccessKey !== 'string' ||
    value.secretAccessKey === ''
  )
    throw new KvsError('STATUS_INVALID_ARG', `${what} need an accessKeyId and a secretAccessKey`);
  if (
    value.expiration !== undefined &&
    !(value.expiration instanceof Date && !Number.isNaN(value.expiration.getTime()))
  )
    throw new KvsError('STATUS_INVALID_ARG', `${what} have an expiration that is not a valid Date`);
  return value;
}
