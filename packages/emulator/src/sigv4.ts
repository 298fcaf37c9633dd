// SigV4 verification (AWS General Reference, "Signature Version 4 signing process"), done with
// node:crypto so that the emulator trusts no client library's signer. The canonical request is
// rebuilt from the request AS RECEIVED: the Host header as sent (AWS's C producer sends and
// signs `Host: 127.0.0.1` without the port, docs/decisions/emulator.md), the headers the client
// listed in SignedHeaders, values trimmed with inner runs of spaces collapsed.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type ApiError, expiredToken, invalidSignature, missingToken, unrecognizedClient } from './errors';
import { hostOf, type Req } from './http';

export const SERVICE = 'kinesisvideo';
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
/** How far a request's date may be from the server's clock (the service's 5 minutes). */
export const MAX_SKEW_MS = 5 * 60_000;

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** Where the payload hash comes from: control calls hash their body, streams accept the declared one. */
export type PayloadPolicy = { kind: 'body'; body: Buffer } | { kind: 'streaming' };

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expiresS?: number;
  query: boolean;
}

const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
};

function splitUrl(url: string): { path: string; query: Array<[string, string]> } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query: Array<[string, string]> = [];
  if (q >= 0) {
    for (const part of url.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      query.push(eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))]);
    }
  }
  return { path, query };
}

function parseAuthorization(req: Req, query: Array<[string, string]>): Parsed | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256 ')) {
    const fields = new Map<string, string>();
    for (const part of auth.slice(17).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const cred = (fields.get('Credential') ?? '').split('/');
    return {
      accessKeyId: cred[0] ?? '',
      date: cred[1] ?? '',
      region: cred[2] ?? '',
      service: cred[3] ?? '',
      signedHeaders: (fields.get('SignedHeaders') ?? '').split(';').filter((h) => h !== ''),
      signature: fields.get('Signature') ?? '',
      amzDate: String(req.headers['x-amz-date'] ?? ''),
      query: false,
    };
  }
  const q = new Map(query);
  if (q.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    const cred = (q.get('X-Amz-Credential') ?? '').split('/');
    return {
      accessKeyId: cred[0] ?? '',
      date: cred[1] ?? '',
      region: cred[2] ?? '',
      service: cred[3] ?? '',
      signedHeaders: (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter((h) => h !== ''),
      signature: q.get('X-Amz-Signature') ?? '',
      amzDate: q.get('X-Amz-Date') ?? '',
      expiresS: Number(q.get('X-Amz-Expires') ?? '300'),
      query: true,
    };
  }
  return undefined;
}

/** `20150830T123600Z` → epoch ms, or NaN. */
export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

const amzDateOf = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

function canonicalHeaderValue(req: Req, name: string): string | undefined {
  const raw = name === 'host' ? hostOf(req) : req.headers[name];
  if (raw === undefined) return undefined;
  const v = Array.isArray(raw) ? raw.join(',') : String(raw);
  return v.trim().replace(/ +/g, ' ');
}

/** The canonical request of SigV4, from what was received. */
export function canonicalRequest(
  req: Req,
  signedHeaders: string[],
  payloadHash: string,
  dropSignature: boolean,
): string {
  const { path, query } = splitUrl(req.url ?? '/');
  // Non-S3 services encode each path segment of the (already encoded) path once more.
  const canonicalPath = path
    .split('/')
    .map((seg) => rfc3986(seg))
    .join('/');
  const canonicalQuery = query
    .filter(([k]) => !(dropSignature && k === 'X-Amz-Signature'))
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders.map((h) => `${h}:${canonicalHeaderValue(req, h) ?? ''}\n`).join('');
  return [
    req.method ?? 'GET',
    canonicalPath || '/',
    canonicalQuery,
    headers,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** Options of {@link verifySignature} beyond the keys. */
export interface VerifyContext {
  now: number;
  /** Refuse any session token (the admin API's "expire tokens early"). */
  tokenExpired?: boolean;
}

/**
 * Verifies the request's SigV4 signature; returns the error to answer, or undefined when the
 * request is authentic.
 */
export function verifySignature(
  req: Req,
  keys: Keys,
  payload: PayloadPolicy,
  ctx: VerifyContext,
): ApiError | undefined {
  const { query } = splitUrl(req.url ?? '/');
  const p = parseAuthorization(req, query);
  if (p === undefined) return missingToken();
  if (p.accessKeyId !== keys.accessKeyId) return unrecognizedClient();
  if (ctx.tokenExpired) return expiredToken();
  if (p.region !== keys.region) return invalidSignature('Credential should be scoped to a valid region. ');
  if (p.service !== SERVICE) return invalidSignature(`Credential should be scoped to correct service: '${SERVICE}'. `);
  if (p.date !== p.amzDate.slice(0, 8)) {
    return invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${p.date}' != '${p.amzDate.slice(0, 8)}'`,
    );
  }
  if (!p.signedHeaders.includes('host'))
    return invalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  const signedAt = parseAmzDate(p.amzDate);
  if (Number.isNaN(signedAt))
    return invalidSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (p.query) {
    if (ctx.now > signedAt + (p.expiresS ?? 300) * 1000) {
      return invalidSignature(
        `Signature expired: ${p.amzDate} is now earlier than ${amzDateOf(ctx.now - (p.expiresS ?? 300) * 1000)}`,
      );
    }
  } else if (Math.abs(ctx.now - signedAt) > MAX_SKEW_MS) {
    const bound = signedAt < ctx.now ? amzDateOf(ctx.now - MAX_SKEW_MS) : amzDateOf(ctx.now + MAX_SKEW_MS);
    const rel = signedAt < ctx.now ? 'earlier' : 'later';
    const sign = signedAt < ctx.now ? '-' : '+';
    return invalidSignature(
      `Signature expired: ${p.amzDate} is now ${rel} than ${bound} (${amzDateOf(ctx.now)} ${sign} 5 min.)`,
    );
  }
  for (const hash of candidateHashes(req, payload, p.query)) {
    const canonical = canonicalRequest(req, p.signedHeaders, hash, p.query);
    const scope = `${p.date}/${p.region}/${p.service}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${p.amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const expected = createHmac('sha256', signingKey(keys.secretAccessKey, p.date, p.region, p.service))
      .update(toSign)
      .digest();
    const given = Buffer.from(p.signature, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  }
  return invalidSignature();
}

/**
 * The payload hashes a signature may have used: the declared x-amz-content-sha256 when sent (it
 * must then match a control call's body); else the body's SHA-256 for control calls, and for
 * streaming uploads the empty string's hash (AWS's C producer) or UNSIGNED-PAYLOAD.
 */
function candidateHashes(req: Req, payload: PayloadPolicy, query: boolean): string[] {
  const declared = req.headers['x-amz-content-sha256'];
  if (payload.kind === 'body') {
    const actual = createHash('sha256').update(payload.body).digest('hex');
    if (typeof declared === 'string') {
      if (declared === 'UNSIGNED-PAYLOAD' || declared === actual) return [declared];
      return [];
    }
    return query ? ['UNSIGNED-PAYLOAD', actual] : [actual];
  }
  if (typeof declared === 'string') return [declared];
  return [EMPTY_SHA256, 'UNSIGNED-PAYLOAD'];
}
