// The admin API over HTTP, unauthenticated and therefore answered only to loopback peers:
//   POST /_admin/faults/{control|putMedia|expireTokens|clear}  (JSON body as in faults.ts)
//   GET  /_admin/streams, GET /_admin/streams/{name}/fragments
// docs/guides/emulator.md shows curl examples.

import type { Admin } from './admin';
import { ApiError } from './errors';
import { parseJson, type Req, type Res, readBody, sendJson } from './http';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function handleAdmin(req: Req, res: Res, admin: Admin): Promise<void> {
  const peer = req.socket?.remoteAddress ?? '';
  if (!LOOPBACK.has(peer))
    throw new ApiError(403, 'AccessDeniedException', 'The admin API answers loopback clients only');
  const parts = (req.url ?? '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  if (req.method === 'POST' && parts[1] === 'faults' && parts.length === 3) {
    const body = parseJson(await readBody(req));
    try {
      admin.apply(parts[2], body);
    } catch (err) {
      throw new ApiError(400, 'InvalidArgumentException', (err as Error).message);
    }
    return sendJson(res, 200, {});
  }
  if (req.method === 'GET' && parts[1] === 'streams' && parts.length === 2) return sendJson(res, 200, admin.streams());
  if (req.method === 'GET' && parts[1] === 'streams' && parts[3] === 'fragments') {
    return sendJson(res, 200, admin.fragments(parts[2]));
  }
  throw new ApiError(404, 'UnknownOperationException', 'Unknown admin operation');
}
