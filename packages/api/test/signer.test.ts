// SigV4: AWS's published test-suite cases reproduced exactly, the presigned-URL example of
// AWS's general reference, and KVS requests (JSON, PutMedia both ways, presign) checked against
// the independent WebCrypto implementation in sigv4-reference.ts.

import { type AwsCredentials, EMPTY_SHA256, fetchHeaders, Signer } from '@kvs-ts/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthorization, referenceSignature, sha256Hex } from './sigv4-reference';

// The test suite's credentials and time (AWS's SigV4 test suite, region us-east-1, service "service").
const SUITE_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const SUITE_TIME_US = Date.UTC(2015, 7, 30, 12, 36, 0) * 1000;
const SUITE_SCOPE = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';
const SUITE_TOKEN =
  'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';

function suiteSigner(credentials: AwsCredentials = SUITE_CREDENTIALS, service = 'service'): Signer {
  return new Signer({
    region: 'us-east-1',
    service,
    credentials: async () => credentials,
    now: () => SUITE_TIME_US,
  });
}

function withQuery(base: string, params: [string, string][]): string {
  const url = new URL(base);
  for (const [k, v] of params) url.searchParams.append(k, v);
  return url.href;
}

interface SuiteCase {
  name: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  token?: string;
  signedHeaders: string;
  signature: string;
}

// Expected values: the published `.authz` files of AWS's SigV4 test suite.
const SUITE: SuiteCase[] = [
  {
    name: 'get-vanilla',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'post-vanilla',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'post-vanilla-query',
    method: 'POST',
    url: 'https://example.amazonaws.com/?Param1=value1',
    signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  {
    name: 'post-vanilla-query-nonunreserved',
    method: 'POST',
    url: withQuery('https://example.amazonaws.com/', [
      ['@#$%^', ''],
      ['+', '/,?><`";:\\|][{}'],
    ]),
    signedHeaders: 'host;x-amz-date',
    signature: '66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    url: 'https://example.amazonaws.com/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    method: 'GET',
    url: 'https://example.amazonaws.com/\u1234',
    signedHeaders: 'host;x-amz-date',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'get-header-value-trim',
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    headers: { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' },
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-header-key-sort',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'My-Header1': 'value1' },
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-sts-header-before',
    method: 'POST',
    url: 'https://example.amazonaws.com/',
    token: SUITE_TOKEN,
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
];

describe('AWS SigV4 test suite', () => {
  for (const c of SUITE) {
    it(`reproduces ${c.name}`, async () => {
      const signer = suiteSigner({ ...SUITE_CREDENTIALS, sessionToken: c.token });
      const signed = await signer.sign(
        { method: c.method, url: c.url, headers: c.headers, body: c.body },
        { contentSha256Header: false },
      );
      expect(signed.headers.authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=${SUITE_SCOPE}, SignedHeaders=${c.signedHeaders}, Signature=${c.signature}`,
      );
      expect(signed.headers['x-amz-date']).toBe('20150830T123600Z');
      expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
    });
  }

  it('reproduces the presigned-URL example (IAM ListUsers, 60 s, content-type signed)', async () => {
    const url = await suiteSigner(SUITE_CREDENTIALS, 'iam').presign(
      'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      { expiresInUs: 60_000_000, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } },
    );
    expect(url).toBe(
      'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request&X-Amz-Date=20150830T123600Z' +
        '&X-Amz-Expires=60&X-Amz-SignedHeaders=content-type%3Bhost' +
        '&X-Amz-Signature=37ac2f4fde00b0ac9bd9eadeb459b1bbee224158d66e7ae5fcadb70b2d181d02',
    );
  });
});

const KVS_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIDKVSTEST',
  secretAccessKey: 'kvs/secret+key/for/tests',
  sessionToken: 'session-token-1',
};
const KVS_TIME_US = Date.UTC(2024, 4, 17, 13, 1, 30, 250) * 1000;

function kvsSigner(credentials = KVS_CREDENTIALS): Signer {
  return new Signer({ region: 'us-west-2', credentials: async () => credentials, now: () => KVS_TIME_US });
}

describe('KVS requests against an independent SigV4', () => {
  it('signs a DescribeStream POST with the body hash, sent as x-amz-content-sha256', async () => {
    const body = JSON.stringify({ StreamName: 'my-stream' });
    const signed = await kvsSigner().sign({
      method: 'POST',
      url: 'https://kinesisvideo.us-west-2.amazonaws.com/describeStream',
      headers: { 'Content-Type': 'application/json' },
      body: new TextEncoder().encode(body),
    });
    const auth = parseAuthorization(signed.headers.authorization);
    expect(auth).toMatchObject({ accessKeyId: 'AKIDKVSTEST', date: '20240517', region: 'us-west-2' });
    expect(auth.service).toBe('kinesisvideo');
    expect(auth.signedHeaders).toEqual([
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-amz-security-token',
    ]);
    expect(signed.headers['x-amz-content-sha256']).toBe(await sha256Hex(body));
    expect(signed.headers['x-amz-date']).toBe('20240517T130130Z');
    const reference = await referenceSignature({
      method: 'POST',
      url: signed.url,
      headers: signed.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: await sha256Hex(body),
      secretAccessKey: KVS_CREDENTIALS.secretAccessKey,
      amzDate: '20240517T130130Z',
      region: 'us-west-2',
      service: 'kinesisvideo',
    });
    expect(auth.signature).toBe(reference.signature);
  });

  it('signs PutMedia as the C producer does: empty-string hash, no x-amz-content-sha256, hop-by-hop unsigned', async () => {
    const signed = await kvsSigner().sign(
      {
        method: 'POST',
        url: 'https://s-1234abcd.kinesisvideo.us-west-2.amazonaws.com/putMedia',
        headers: {
          'x-amzn-stream-name': 'my-stream',
          'x-amzn-fragment-timecode-type': 'ABSOLUTE',
          'x-amzn-producer-start-timestamp': '1715950890.250',
          'x-amzn-fragment-acknowledgment-required': '1',
          'transfer-encoding': 'chunked',
          connection: 'keep-alive',
        },
      },
      { payload: 'empty' },
    );
    expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
    const auth = parseAuthorization(signed.headers.authorization);
    expect(auth.signedHeaders).not.toContain('transfer-encoding');
    expect(auth.signedHeaders).not.toContain('connection');
    const reference = await referenceSignature({
      method: 'POST',
      url: signed.url,
      headers: signed.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: EMPTY_SHA256,
      secretAccessKey: KVS_CREDENTIALS.secretAccessKey,
      amzDate: signed.headers['x-amz-date'],
      region: 'us-west-2',
      service: 'kinesisvideo',
    });
    expect(auth.signature).toBe(reference.signature);
    // What reaches fetch: Node's fetch throws on transfer-encoding and sets host and connection itself.
    expect(Object.keys(signed.fetchHeaders).sort()).toEqual([
      'authorization',
      'x-amz-date',
      'x-amz-security-token',
      'x-amzn-fragment-acknowledgment-required',
      'x-amzn-fragment-timecode-type',
      'x-amzn-producer-start-timestamp',
      'x-amzn-stream-name',
    ]);
  });

  it('signs PutMedia as smithy and the Java producer do on request: UNSIGNED-PAYLOAD, sent and signed', async () => {
    const signed = await kvsSigner().sign(
      { method: 'POST', url: 'https://s-1.kinesisvideo.us-west-2.amazonaws.com/putMedia', body: 'ignored' },
      { payload: 'unsigned' },
    );
    expect(signed.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    const auth = parseAuthorization(signed.headers.authorization);
    expect(auth.signedHeaders).toContain('x-amz-content-sha256');
    const reference = await referenceSignature({
      method: 'POST',
      url: signed.url,
      headers: signed.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: 'UNSIGNED-PAYLOAD',
      secretAccessKey: KVS_CREDENTIALS.secretAccessKey,
      amzDate: signed.headers['x-amz-date'],
      region: 'us-west-2',
      service: 'kinesisvideo',
    });
    expect(auth.signature).toBe(reference.signature);
  });

  it('presigns a signaling-style WSS URL that the independent SigV4 verifies', async () => {
    const url = new URL(
      await kvsSigner().presign('wss://m-1234.kinesisvideo.us-west-2.amazonaws.com/?X-Amz-ChannelARN=arn:aws:x', {
        expiresInUs: 299_000_000,
      }),
    );
    const q = url.searchParams;
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDKVSTEST/20240517/us-west-2/kinesisvideo/aws4_request');
    expect(q.get('X-Amz-Expires')).toBe('299');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host');
    expect(q.get('X-Amz-Security-Token')).toBe('session-token-1');
    expect(q.get('X-Amz-ChannelARN')).toBe('arn:aws:x');
    const signature = q.get('X-Amz-Signature');
    const unsigned = new URL(url.href);
    unsigned.searchParams.delete('X-Amz-Signature');
    const reference = await referenceSignature({
      method: 'GET',
      url: unsigned.href,
      headers: { host: url.host },
      signedHeaders: ['host'],
      payloadHash: EMPTY_SHA256,
      secretAccessKey: KVS_CREDENTIALS.secretAccessKey,
      amzDate: q.get('X-Amz-Date') ?? '',
      region: 'us-west-2',
      service: 'kinesisvideo',
    });
    expect(signature).toBe(reference.signature);
  });

  it('refuses a presign expiry outside 1 s … 7 days', async () => {
    await expect(kvsSigner().presign('https://x.example/', { expiresInUs: 500_000 })).rejects.toThrow(/1 s to 7 days/);
    await expect(kvsSigner().presign('https://x.example/', { expiresInUs: 8 * 24 * 3600 * 1_000_000 })).rejects.toThrow(
      /1 s to 7 days/,
    );
  });

  it('agrees with the independent SigV4 for any stream name, body and session token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-zA-Z0-9_.-]{1,64}$/),
        fc.string({ maxLength: 200 }),
        fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        async (streamName, text, sessionToken) => {
          const credentials = { ...KVS_CREDENTIALS, sessionToken };
          const body = new TextEncoder().encode(JSON.stringify({ StreamName: streamName, Text: text }));
          const signed = await kvsSigner(credentials).sign({
            method: 'POST',
            url: 'https://kinesisvideo.us-west-2.amazonaws.com/describeStream',
            headers: { 'content-type': 'application/json', 'x-amzn-stream-name': streamName },
            body,
          });
          const auth = parseAuthorization(signed.headers.authorization);
          const reference = await referenceSignature({
            method: 'POST',
            url: signed.url,
            headers: signed.headers,
            signedHeaders: auth.signedHeaders,
            payloadHash: await sha256Hex(body),
            secretAccessKey: credentials.secretAccessKey,
            amzDate: signed.headers['x-amz-date'],
            region: 'us-west-2',
            service: 'kinesisvideo',
          });
          expect(auth.signature).toBe(reference.signature);
          expect(auth.signedHeaders.includes('x-amz-security-token')).toBe(sessionToken !== undefined);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads the credentials at every signing (a provider can rotate them)', async () => {
    let n = 0;
    const signer = new Signer({
      region: 'us-west-2',
      credentials: async () => ({ accessKeyId: `AKID${++n}`, secretAccessKey: 's' }),
      now: () => KVS_TIME_US,
    });
    const a = await signer.sign({ method: 'POST', url: 'https://kinesisvideo.us-west-2.amazonaws.com/x' });
    const b = await signer.sign({ method: 'POST', url: 'https://kinesisvideo.us-west-2.amazonaws.com/x' });
    expect(parseAuthorization(a.headers.authorization).accessKeyId).toBe('AKID1');
    expect(parseAuthorization(b.headers.authorization).accessKeyId).toBe('AKID2');
  });
});

describe('fetchHeaders', () => {
  it('drops what fetch sets itself or refuses, whatever the case', () => {
    expect(
      fetchHeaders({
        Host: 'h',
        'Content-Length': '3',
        'Transfer-Encoding': 'chunked',
        Connection: 'keep-alive',
        Expect: '100-continue',
        'x-amz-date': 'd',
        authorization: 'a',
      }),
    ).toEqual({ 'x-amz-date': 'd', authorization: 'a' });
  });
});
