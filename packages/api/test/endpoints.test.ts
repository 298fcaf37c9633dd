// Control-plane endpoints per partition, FIPS and dual-stack (expected values: the published
// endpoint tests of AWS's SDKs for `kinesisvideo`), explicit and KVS_ENDPOINT overrides, and the
// region from options or the environment.

import { normalizeEndpoint, partitionOf, resolveEndpoint, resolveRegion } from '@kvs-ts/api';
import { describe, expect, it } from 'vitest';

const NO_ENV = {};

describe('resolveEndpoint by partition', () => {
  const cases: [region: string, fips: boolean, dualStack: boolean, expected: string][] = [
    ['us-east-1', false, false, 'https://kinesisvideo.us-east-1.amazonaws.com'],
    ['af-south-1', false, false, 'https://kinesisvideo.af-south-1.amazonaws.com'],
    ['us-east-1', true, false, 'https://kinesisvideo-fips.us-east-1.amazonaws.com'],
    ['us-east-1', false, true, 'https://kinesisvideo.us-east-1.api.aws'],
    ['us-east-1', true, true, 'https://kinesisvideo-fips.us-east-1.api.aws'],
    ['cn-north-1', false, false, 'https://kinesisvideo.cn-north-1.amazonaws.com.cn'],
    ['cn-north-1', true, false, 'https://kinesisvideo-fips.cn-north-1.amazonaws.com.cn'],
    ['cn-north-1', false, true, 'https://kinesisvideo.cn-north-1.api.amazonwebservices.com.cn'],
    ['cn-north-1', true, true, 'https://kinesisvideo-fips.cn-north-1.api.amazonwebservices.com.cn'],
    ['us-gov-east-1', false, false, 'https://kinesisvideo.us-gov-east-1.amazonaws.com'],
    ['us-gov-east-1', true, false, 'https://kinesisvideo-fips.us-gov-east-1.amazonaws.com'],
    ['us-gov-east-1', false, true, 'https://kinesisvideo.us-gov-east-1.api.aws'],
    ['us-gov-east-1', true, true, 'https://kinesisvideo-fips.us-gov-east-1.api.aws'],
    ['us-iso-east-1', false, false, 'https://kinesisvideo.us-iso-east-1.c2s.ic.gov'],
    ['us-iso-east-1', true, false, 'https://kinesisvideo-fips.us-iso-east-1.c2s.ic.gov'],
    ['us-isob-east-1', false, false, 'https://kinesisvideo.us-isob-east-1.sc2s.sgov.gov'],
    ['us-isob-east-1', true, false, 'https://kinesisvideo-fips.us-isob-east-1.sc2s.sgov.gov'],
  ];
  for (const [region, fips, dualStack, expected] of cases) {
    it(`${region}${fips ? ' FIPS' : ''}${dualStack ? ' dual-stack' : ''} → ${expected}`, () => {
      expect(resolveEndpoint({ region, useFipsEndpoint: fips, useDualstackEndpoint: dualStack, env: NO_ENV })).toBe(
        expected,
      );
    });
  }

  it('refuses dual-stack where the partition offers none', () => {
    expect(() => resolveEndpoint({ region: 'us-iso-east-1', useDualstackEndpoint: true, env: NO_ENV })).toThrow(
      /aws-iso offers no dual-stack/,
    );
    expect(() =>
      resolveEndpoint({ region: 'us-isob-east-1', useFipsEndpoint: true, useDualstackEndpoint: true, env: NO_ENV }),
    ).toThrow(/dual-stack/);
  });

  it('names the partitions', () => {
    expect(partitionOf('eu-west-1').name).toBe('aws');
    expect(partitionOf('cn-northwest-1').name).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1').name).toBe('aws-us-gov');
    expect(partitionOf('us-iso-west-1').name).toBe('aws-iso');
    expect(partitionOf('us-isob-east-1').name).toBe('aws-iso-b');
    // Unknown shapes fall back to the commercial partition, as AWS's SDKs do.
    expect(partitionOf('xx-mars-1')).toMatchObject({ name: 'aws', dnsSuffix: 'amazonaws.com' });
  });

  it('takes FIPS and dual-stack from AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT', () => {
    const env = { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' };
    expect(resolveEndpoint({ region: 'us-west-2', env })).toBe('https://kinesisvideo-fips.us-west-2.api.aws');
    expect(resolveEndpoint({ region: 'us-west-2', env, useFipsEndpoint: false })).toBe(
      'https://kinesisvideo.us-west-2.api.aws',
    );
  });
});

describe('resolveEndpoint overrides', () => {
  it('uses an explicit endpoint as is (no trailing slash), region or not', () => {
    expect(resolveEndpoint({ region: 'us-east-1', endpoint: 'https://example.com/', env: NO_ENV })).toBe(
      'https://example.com',
    );
    expect(resolveEndpoint({ endpoint: 'http://127.0.0.1:4566', env: NO_ENV })).toBe('http://127.0.0.1:4566');
  });

  it('reaches the emulator through KVS_ENDPOINT, which an explicit endpoint overrides', () => {
    const env = { KVS_ENDPOINT: 'http://127.0.0.1:9000', AWS_REGION: 'us-west-2' };
    expect(resolveEndpoint({ env })).toBe('http://127.0.0.1:9000');
    expect(resolveEndpoint({ env, endpoint: 'https://other.example' })).toBe('https://other.example');
  });

  it('refuses FIPS or dual-stack with an explicit endpoint', () => {
    expect(() => resolveEndpoint({ endpoint: 'https://example.com', useFipsEndpoint: true, env: NO_ENV })).toThrow(
      /explicit endpoint/,
    );
    expect(() => resolveEndpoint({ endpoint: 'https://example.com', useDualstackEndpoint: true, env: NO_ENV })).toThrow(
      /explicit endpoint/,
    );
  });

  it('normalizes endpoints: scheme added, trailing slash dropped, non-http refused', () => {
    expect(normalizeEndpoint('s-1234.kinesisvideo.us-west-2.amazonaws.com')).toBe(
      'https://s-1234.kinesisvideo.us-west-2.amazonaws.com',
    );
    expect(normalizeEndpoint('https://s-1.example:8443/')).toBe('https://s-1.example:8443');
    expect(() => normalizeEndpoint('ftp://x.example')).toThrow(/http/);
    expect(() => normalizeEndpoint('https://')).toThrow(/not an endpoint/);
  });
});

describe('resolveRegion', () => {
  it('prefers the option, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' };
    expect(resolveRegion({ region: 'us-east-2', env })).toBe('us-east-2');
    expect(resolveRegion({ env })).toBe('eu-west-1');
    expect(resolveRegion({ env: { AWS_DEFAULT_REGION: 'ap-south-1' } })).toBe('ap-south-1');
  });

  it('fails without a region, or with something that is not one', () => {
    expect(() => resolveRegion({ env: NO_ENV })).toThrow(/no region/);
    expect(() => resolveEndpoint({ env: NO_ENV })).toThrow(/no region/);
    expect(() => resolveRegion({ region: 'us-east-1.evil.com/', env: NO_ENV })).toThrow(/not a region/);
  });
});
