// Where the KVS control plane is: an explicit endpoint, else KVS_ENDPOINT from the environment
// (how the local emulator is reached), else built from the region's partition the way AWS's
// endpoint rules for `kinesisvideo` build it (FIPS: `kinesisvideo-fips.`, dual-stack: the
// partition's dual-stack suffix). Data endpoints come from GetDataEndpoint, not from here.

import { KvsError } from '@kvs-ts/core';
import { type Env, readEnv, readEnvFlag } from './env';

/** An AWS partition: a group of regions sharing DNS suffixes and features. */
export interface Partition {
  readonly name: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
  readonly supportsFips: boolean;
  readonly supportsDualStack: boolean;
}

interface PartitionRule extends Partition {
  readonly regions: RegExp;
}

// Ordered: the first whose pattern matches wins; regions of no known pattern fall back to `aws`,
// as AWS's SDKs do.
const PARTITIONS: readonly PartitionRule[] = [
  {
    name: 'aws-cn',
    regions: /^cn-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com.cn',
    dualStackDnsSuffix: 'api.amazonwebservices.com.cn',
    supportsFips: true,
    supportsDualStack: true,
  },
  {
    name: 'aws-us-gov',
    regions: /^us-gov-\w+-\d+$/,
    dnsSuffix: 'amazonaws.com',
    dualStackDnsSuffix: 'api.aws',
    supportsFips: true,
    supportsDualStack: true,
  },
  {
    name: 'aws-iso',
    regions: /^us-iso-\w+-\d+$/,
    dnsSuffix: 'c2s.ic.gov',
    dualStackDnsSuffix: 'c2s.ic.gov',
    supportsFips: true,
    supportsDualStack: false,
  },
  {
    name: 'aws-iso-b',
    regions: /^us-isob-\w+-\d+$/,
    dnsSuffix: 'sc2s.sgov.gov',
    dualStackDnsSuffix: 'sc2s.sgov.gov',
    supportsFips: true,
    supportsDualStack: false,
  },
];

const AWS: Partition = {
  name: 'aws',
  dnsSuffix: 'amazonaws.com',
  dualStackDnsSuffix: 'api.aws',
  supportsFips: true,
  supportsDualStack: true,
};

/** The partition of `region` (`aws` for regions of no other partition). */
export function partitionOf(region: string): Partition {
  const rule = PARTITIONS.find((p) => p.regions.test(region));
  if (rule === undefined) return AWS;
  const { regions: _, ...partition } = rule;
  return partition;
}

/** How to find the region and the control-plane endpoint. */
export interface EndpointOptions {
  /** The AWS region. Default: AWS_REGION, else AWS_DEFAULT_REGION. */
  region?: string;
  /** The control-plane URL (e.g. a local emulator's). Default: KVS_ENDPOINT, else built from the region. */
  endpoint?: string;
  /** Use the FIPS endpoint. Default: AWS_USE_FIPS_ENDPOINT=true. */
  useFipsEndpoint?: boolean;
  /** Use the dual-stack (IPv4 and IPv6) endpoint. Default: AWS_USE_DUALSTACK_ENDPOINT=true. */
  useDualstackEndpoint?: boolean;
  /** Environment to read instead of the platform's. */
  env?: Env;
}

/** The region from `options`, else AWS_REGION, else AWS_DEFAULT_REGION; throws when there is none. */
export function resolveRegion(options: Pick<EndpointOptions, 'region' | 'env'> = {}): string {
  const region = options.region ?? readEnv('AWS_REGION', options.env) ?? readEnv('AWS_DEFAULT_REGION', options.env);
  if (region === undefined || region === '')
    throw new KvsError('STATUS_INVALID_ARG', 'no region: pass `region` or set AWS_REGION');
  if (!/^[a-z0-9-]+$/.test(region)) throw new KvsError('STATUS_INVALID_ARG', `not a region name: ${region}`);
  return region;
}

/**
 * The control-plane base URL (no trailing slash): `options.endpoint`, else KVS_ENDPOINT, else
 * `https://kinesisvideo[-fips].{region}.{suffix}` for the region's partition. Asking for FIPS or
 * dual-stack (in `options`) together with an explicit endpoint is an error, as is asking for
 * what the partition does not offer (as in AWS's endpoint rules); the environment's FIPS and
 * dual-stack flags do not apply to an explicit endpoint.
 */
export function resolveEndpoint(options: EndpointOptions = {}): string {
  const fips = options.useFipsEndpoint ?? readEnvFlag('AWS_USE_FIPS_ENDPOINT', options.env);
  const dualStack = options.useDualstackEndpoint ?? readEnvFlag('AWS_USE_DUALSTACK_ENDPOINT', options.env);
  const explicit = options.endpoint ?? readEnv('KVS_ENDPOINT', options.env);
  if (explicit !== undefined) {
    if (options.useFipsEndpoint === true || options.useDualstackEndpoint === true)
      throw new KvsError('STATUS_INVALID_ARG', 'FIPS and dual-stack do not apply to an explicit endpoint');
    return normalizeEndpoint(explicit);
  }
  const region = resolveRegion(options);
  const partition = partitionOf(region);
  if (fips && !partition.supportsFips)
    throw new KvsError('STATUS_INVALID_ARG', `partition ${partition.name} offers no FIPS endpoint`);
  if (dualStack && !partition.supportsDualStack)
    throw new KvsError('STATUS_INVALID_ARG', `partition ${partition.name} offers no dual-stack endpoint`);
  const host = fips ? 'kinesisvideo-fips' : 'kinesisvideo';
  const suffix = dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  return `https://${host}.${region}.${suffix}`;
}

/**
 * An endpoint as a base URL: `https://` added when there is no scheme, the trailing slash removed.
 * GetDataEndpoint answers go through here too.
 */
export function normalizeEndpoint(endpoint: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new KvsError('STATUS_INVALID_ARG', `not an endpoint URL: ${endpoint}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new KvsError('STATUS_INVALID_ARG', `endpoint must be http(s): ${endpoint}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
