// The presigned connect URL. AWS's JS signaling SDK publishes its signer's expected URLs
// (awslabs/amazon-kinesis-video-streams-webrtc-sdk-js, src/SigV4RequestSigner.spec.ts; listed in
// ../shared/spec/seeds-webrtc.md §5.2): they are reproduced here byte for byte. Then: every
// signed part of a connect URL changes the signature (property), and the signaling parameters.

import type { AwsCredentials } from '@kvs-ts/api';
import { isKvsError } from '@kvs-ts/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONNECT_URL_EXPIRY_US, presignConnectUrl, presignWssUrl } from '../src/presign';

const AWS_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIA4F7WJQR7FMMWMNXI',
  secretAccessKey: 'FakeSecretKey',
  sessionToken: 'FakeSessionToken',
};
const AWS_TIME_US = Date.UTC(2019, 11, 1) * 1000;
const AWS_PARAMS = { 'X-Amz-TestParam': 'test-param-value' };
const AWS_PREFIX = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA4F7WJQR7FMMWMNXI%2F20191201%2Fus-west-2%2F';

describe("AWS's published signaling presign vectors", () => {
  const sign = (endpoint: string, options: { token?: boolean; service?: string; expires?: number } = {}) => {
    const { sessionToken, ...keys } = AWS_CREDENTIALS;
    return presignWssUrl(endpoint, AWS_PARAMS, {
      region: 'us-west-2',
      credentials: options.token === false ? keys : { ...keys, sessionToken },
      nowUs: AWS_TIME_US,
      service: options.service,
      expiresInUs: options.expires === undefined ? undefined : options.expires * 1_000_000,
    });
  };

  it('with a session token (signed inside the query)', async () => {
    expect(await sign('wss://kvs.awsamazon.com')).toBe(
      `wss://kvs.awsamazon.com/?${AWS_PREFIX}kinesisvideo%2Faws4_request&X-Amz-Date=20191201T000000Z&X-Amz-Expires=299` +
        '&X-Amz-Security-Token=FakeSessionToken&X-Amz-Signature=fc268038be276315822b4f73eafd28ee3a5632a2a35fdb0a88db9a42b13d6c92' +
        '&X-Amz-SignedHeaders=host&X-Amz-TestParam=test-param-value',
    );
  });

  it('without a session token', async () => {
    expect(await sign('wss://kvs.awsamazon.com', { token: false })).toBe(
      `wss://kvs.awsamazon.com/?${AWS_PREFIX}kinesisvideo%2Faws4_request&X-Amz-Date=20191201T000000Z&X-Amz-Expires=299` +
        '&X-Amz-Signature=be1e78950d956a8a9a1997417099ddbd7455619f3d08c4ad20e1e272179ca695' +
        '&X-Amz-SignedHeaders=host&X-Amz-TestParam=test-param-value',
    );
  });

  it('with another service', async () => {
    expect(await sign('wss://kvs.awsamazon.com', { service: 'firehose' })).toBe(
      `wss://kvs.awsamazon.com/?${AWS_PREFIX}firehose%2Faws4_request&X-Amz-Date=20191201T000000Z&X-Amz-Expires=299` +
        '&X-Amz-Security-Token=FakeSessionToken&X-Amz-Signature=f15308513d21a381d38b7607a0439f25fc2e6c9f5ff56a48c1664b486e6234d5' +
        '&X-Amz-SignedHeaders=host&X-Amz-TestParam=test-param-value',
    );
  });

  it('with a path', async () => {
    expect(await sign('wss://kvs.awsamazon.com/path/path/path')).toBe(
      `wss://kvs.awsamazon.com/path/path/path?${AWS_PREFIX}kinesisvideo%2Faws4_request&X-Amz-Date=20191201T000000Z` +
        '&X-Amz-Expires=299&X-Amz-Security-Token=FakeSessionToken' +
        '&X-Amz-Signature=0bf3df6ca23d8d82f688e8dbfb90d69e74843d40038541b1721c545eef7612a4' +
        '&X-Amz-SignedHeaders=host&X-Amz-TestParam=test-param-value',
    );
  });

  it('with a one-day expiry', async () => {
    expect(await sign('wss://kvs.awsamazon.com', { expires: 86_400 })).toBe(
      `wss://kvs.awsamazon.com/?${AWS_PREFIX}kinesisvideo%2Faws4_request&X-Amz-Date=20191201T000000Z&X-Amz-Expires=86400` +
        '&X-Amz-Security-Token=FakeSessionToken&X-Amz-Signature=b62a078631a8f1e31ad09bce25d251611a22b65eac8836f6d700cee50a04e9e1' +
        '&X-Amz-SignedHeaders=host&X-Amz-TestParam=test-param-value',
    );
  });

  it('refuses endpoints that are not WebSocket URLs or carry a query', async () => {
    await expect(sign('https://kvs.awsamazon.com')).rejects.toSatisfy((e) => isKvsError(e, 'STATUS_INVALID_ARG'));
    await expect(sign('wss://kvs.awsamazon.com?a=b')).rejects.toSatisfy((e) => isKvsError(e, 'STATUS_INVALID_ARG'));
  });
});

const ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/my-channel/1574203743620';
const ENDPOINT = 'wss://v-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com';

describe('presignConnectUrl', () => {
  const base = {
    endpoint: ENDPOINT,
    channelArn: ARN,
    region: 'us-west-2',
    credentials: AWS_CREDENTIALS,
    nowUs: AWS_TIME_US,
  };

  it('a master URL names the channel, not a client', async () => {
    const url = new URL(await presignConnectUrl({ ...base, role: 'MASTER' }));
    expect(url.searchParams.get('X-Amz-ChannelARN')).toBe(ARN);
    expect(url.searchParams.has('X-Amz-ClientId')).toBe(false);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(CONNECT_URL_EXPIRY_US / 1_000_000));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('FakeSessionToken');
    expect(url.href.indexOf('X-Amz-ChannelARN=arn%3Aaws%3Akinesisvideo%3Aus-west-2%3A123456789012%3Achannel%2F')).toBe(
      url.href.indexOf('?') + 1 + 'X-Amz-Algorithm=AWS4-HMAC-SHA256&'.length,
    );
  });

  it('a viewer URL carries its client ID', async () => {
    const url = new URL(await presignConnectUrl({ ...base, role: 'VIEWER', clientId: 'viewer-1' }));
    expect(url.searchParams.get('X-Amz-ClientId')).toBe('viewer-1');
  });

  it('refuses a viewer without a valid client ID, a master with one, and a bad ARN', async () => {
    const invalid = (e: unknown) => isKvsError(e, 'STATUS_INVALID_ARG');
    await expect(presignConnectUrl({ ...base, role: 'VIEWER' })).rejects.toSatisfy(invalid);
    await expect(presignConnectUrl({ ...base, role: 'VIEWER', clientId: 'AWS_x' })).rejects.toSatisfy(invalid);
    await expect(presignConnectUrl({ ...base, role: 'VIEWER', clientId: 'a+b' })).rejects.toSatisfy(invalid);
    await expect(presignConnectUrl({ ...base, role: 'MASTER', clientId: 'm' })).rejects.toSatisfy(invalid);
    await expect(presignConnectUrl({ ...base, role: 'MASTER', channelArn: 'arn:aws:s3:::x' })).rejects.toSatisfy(
      invalid,
    );
  });

  it('any change of a signed part changes the signature', async () => {
    const signatureOf = async (o: Parameters<typeof presignConnectUrl>[0]) =>
      new URL(await presignConnectUrl(o)).searchParams.get('X-Amz-Signature');
    const viewer = { ...base, role: 'VIEWER' as const, clientId: 'viewer-1' };
    const reference = await signatureOf(viewer);
    const idChar = fc.constantFrom(...'abcXYZ019_.-');
    const id = fc.array(idChar, { minLength: 1, maxLength: 20 }).map((c) => `v${c.join('')}`);
    const change = fc.oneof(
      id.filter((x) => x !== 'viewer-1').map((clientId) => ({ clientId })),
      id.map((name) => ({ channelArn: `arn:aws:kinesisvideo:us-west-2:123456789012:channel/${name}/1` })),
      fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1').map((region) => ({ region })),
      fc.integer({ min: 1, max: 10_000_000 }).map((s) => ({ nowUs: AWS_TIME_US + s * 1_000_000 })),
      fc
        .integer({ min: 1, max: 3600 })
        .filter((s) => s !== 299)
        .map((s) => ({ expiresInUs: s * 1_000_000 })),
      id.map((p) => ({ endpoint: `${ENDPOINT}/${p}` })),
      id.map((h) => ({ endpoint: `wss://${h}.kinesisvideo.us-west-2.amazonaws.com` })),
      id.map((k) => ({ credentials: { ...AWS_CREDENTIALS, secretAccessKey: k } })),
      id.map((k) => ({ credentials: { ...AWS_CREDENTIALS, accessKeyId: `AKIA${k}` } })),
      id.map((t) => ({ credentials: { ...AWS_CREDENTIALS, sessionToken: t } })),
      fc.constant({ credentials: { accessKeyId: AWS_CREDENTIALS.accessKeyId, secretAccessKey: 'FakeSecretKey' } }),
    );
    await fc.assert(
      fc.asyncProperty(change, async (delta) => {
        expect(await signatureOf({ ...viewer, ...delta })).not.toBe(reference);
      }),
      { numRuns: 60 },
    );
  });
});
