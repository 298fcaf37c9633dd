// Where the put, get and ls commands connect, and as whom: the AWS CLI's usual sources, with one
// convenience for the local emulator.

import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { type CredentialsInput, KinesisVideoApi, readEnv } from '@kvs-ts/api';
import { nodeFetch } from '@kvs-ts/api/node';
import { TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from '@kvs-ts/emulator';

/** The options every service command takes. */
export interface ConnectOptions {
  region?: string;
  endpoint?: string;
  profile?: string;
}

/** Whether a URL names this machine (the emulator's usual place). */
export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

/**
 * Credentials, in this order:
 * 1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) when set, unless a profile
 *    is asked for: the emulator reads the same variables, so a shell that has them just works;
 * 2. for a loopback endpoint without them, the emulator's documented test pair (what it accepts
 *    when started without keys, docs/guides/emulator.md);
 * 3. the AWS SDK v3's Node chain (profiles in ~/.aws, SSO, web identity, ECS and EC2 roles).
 */
export function credentialsFor(endpoint: string | undefined, profile: string | undefined): CredentialsInput {
  const accessKeyId = readEnv('AWS_ACCESS_KEY_ID');
  const secretAccessKey = readEnv('AWS_SECRET_ACCESS_KEY');
  if (!profile && accessKeyId && secretAccessKey) {
    const sessionToken = readEnv('AWS_SESSION_TOKEN');
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }
  if (!profile && endpoint && isLoopback(endpoint)) {
    return { accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: TEST_SECRET_ACCESS_KEY };
  }
  return fromNodeProviderChain(profile ? { profile } : {});
}

/**
 * The API client for a command: `--endpoint`, else KVS_ENDPOINT, else the region's AWS endpoint;
 * `--region`, else AWS_REGION / AWS_DEFAULT_REGION, else (for a loopback endpoint only) the
 * emulator's default, us-west-2.
 */
export function connect(options: ConnectOptions): KinesisVideoApi {
  // Media bodies (kvs get) with nodeFetch (undici's request API): about twice Node's fetch's read rate.
  return new KinesisVideoApi({ ...clientOptions(options), mediaFetch: nodeFetch() });
}

/** Region, endpoint and credentials as {@link connect} resolves them, for a KinesisVideoClient. */
export function clientOptions(options: ConnectOptions): {
  region: string | undefined;
  endpoint: string | undefined;
  credentials: CredentialsInput;
} {
  const endpoint = options.endpoint ?? readEnv('KVS_ENDPOINT');
  let region = options.region ?? readEnv('AWS_REGION') ?? readEnv('AWS_DEFAULT_REGION');
  if (region === undefined && endpoint && isLoopback(endpoint)) region = 'us-west-2';
  return { region, endpoint, credentials: credentialsFor(endpoint, options.profile) };
}
