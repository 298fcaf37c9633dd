// The request/response surface shared by HTTP/1.1 and HTTP/2: node:http's and node:http2's
// compatibility API hand the same (req, res) shape to one handler, so every route is written
// once. Also: request IDs, JSON answers, AWS error answers and CORS.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { ApiError } from './errors';

export type Req = IncomingMessage | Http2ServerRequest;
export type Res = ServerResponse | Http2ServerResponse;

/** Header names a browser may send: the SDKs' x-amz-* and KVS's x-amzn-* (CORS preflight). */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amzn-stream-name',
  'x-amzn-stream-arn',
  'x-amzn-fragment-timecode-type',
  'x-amzn-producer-start-timestamp',
  'x-amzn-fragment-acknowledgment-required',
].join(',');
const EXPOSED_HEADERS = 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date';

/** The Host the client signed: HTTP/1.1's Host header, or HTTP/2's :authority. */
export function hostOf(req: Req): string {
  const h = req.headers;
  return (h.host ?? (h[':authority'] as string | undefined) ?? '').toString();
}

/** One header as a string (repeated headers joined as Node joins them). */
export function header(req: Req, name: string): string | undefined {
  const v = req.headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Starts a response: request ID (every answer carries x-amzn-RequestId, as the service's do) and CORS. */
export function beginResponse(req: Req, res: Res): string {
  const requestId = randomUUID();
  res.setHeader('x-amzn-RequestId', requestId);
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  }
  return requestId;
}

/** Answers a CORS preflight. */
export function answerPreflight(req: Req, res: Res): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,DELETE,OPTIONS');
  const asked = header(req, 'access-control-request-headers');
  res.setHeader('Access-Control-Allow-Headers', asked ? `${ALLOWED_HEADERS},${asked}` : ALLOWED_HEADERS);
  res.setHeader('Access-Control-Max-Age', '600');
  res.writeHead(204);
  res.end();
}

export function sendJson(res: Res, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: Res, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.setHeader('x-amzn-ErrorType', err.type);
  sendJson(res, err.status, { message: err.message });
}

/** Reads a whole (small) request body, refusing more than `limit` bytes. */
export async function readBody(req: Req, limit = 1 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'InvalidArgumentException', 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body; an empty body is `{}` (as the AWS SDKs send for parameterless calls). */
export function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'SerializationException', 'Could not parse the request body as a JSON object');
}
