// An independent SigV4 (written here from AWS's published algorithm, on WebCrypto) to check
// what the SDK's signer (smithy) produces, and to verify requests a fake fetch receives the way
// the service would: from the method, URL, headers and body as they arrive.

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(data)));
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** What goes into a signature. */
export interface SignatureInput {
  method: string;
  url: string;
  /** Lower-case names; must hold every header in `signedHeaders`. */
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
  secretAccessKey: string;
  amzDate: string;
  region: string;
  service: string;
}

export async function referenceSignature(
  input: SignatureInput,
): Promise<{ canonicalRequest: string; stringToSign: string; signature: string }> {
  const url = new URL(input.url);
  const path =
    url.pathname
      .split('/')
      .map((segment) => uriEncode(decodeURIComponent(segment)))
      .join('/') || '/';
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signed = [...input.signedHeaders].sort();
  const canonicalHeaders = signed
    .map((name) => `${name}:${(input.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [input.method, path, query, canonicalHeaders, signed.join(';'), input.payloadHash].join(
    '\n',
  );
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, await sha256Hex(canonicalRequest)].join('\n');
  let key = await hmac(encoder.encode(`AWS4${input.secretAccessKey}`), date);
  key = await hmac(key, input.region);
  key = await hmac(key, input.service);
  key = await hmac(key, 'aws4_request');
  return { canonicalRequest, stringToSign, signature: hex(await hmac(key, stringToSign)) };
}

/** The parts of an Authorization header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(header: string): ParsedAuthorization {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (m === null) throw new Error(`not a SigV4 Authorization header: ${header}`);
  return {
    accessKeyId: m[1],
    date: m[2],
    region: m[3],
    service: m[4],
    signedHeaders: m[5].split(';'),
    signature: m[6],
  };
}

/**
 * Verifies a received request as the service would: recomputes the signature from the method,
 * URL, the headers as received (plus `host` from the URL, which fetch sets itself) and the
 * given payload hash. Returns the parsed header; throws when the signature does not match.
 */
export async function verifyRequest(
  request: { method: string; url: string; headers: Record<string, string> },
  secretAccessKey: string,
  payloadHash: string,
): Promise<ParsedAuthorization> {
  const auth = parseAuthorization(request.headers.authorization ?? '');
  const headers: Record<string, string> = { ...request.headers, host: new URL(request.url).host };
  const { signature } = await referenceSignature({
    method: request.method,
    url: request.url,
    headers,
    signedHeaders: auth.signedHeaders,
    payloadHash,
    secretAccessKey,
    amzDate: headers['x-amz-date'] ?? '',
    region: auth.region,
    service: auth.service,
  });
  if (signature !== auth.signature) throw new Error(`signature mismatch: got ${auth.signature}, expected ${signature}`);
  return auth;
}
