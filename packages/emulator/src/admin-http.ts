// The admin API over HTTP, unauthenticated and therefore answered only to loopback peers:
//   POST /_admin/faults/{control|putMedia|expireTokens|dropPutMedia|clear}  (JSON body as in faults.ts)
//   GET  /_admin/streams, GET /_admin/streams/{name}/fragments
//   GET  /_admin/signaling/channels, GET /_admin/signaling/connections,
//   GET  /_admin/signaling/{channel}/connections,
//   POST /_admin/signaling/{channel}/{go-away|reconnect-ice-server|drop}  ({role?, clientId?, graceMs?, graceful?})
//   POST /_admin/signaling/refuse-connections  ({count?})
// ({channel}: its name or its URL-encoded ARN; the POSTs answer {"count": connections reached})
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
  if (parts[1] === 'signaling') return handleSignalingAdmin(req, res, admin, parts.slice(2));
  throw new ApiError(404, 'UnknownOperationException', 'Unknown admin operation');
}

async function handleSignalingAdmin(req: Req, res: Res, admin: Admin, parts: string[]): Promise<void> {
  const [first, second] = parts;
  try {
    if (req.method === 'GET') {
      if (parts.length === 1 && first === 'channels') return sendJson(res, 200, admin.signalingChannels());
      if (parts.length === 1 && first === 'connections') return sendJson(res, 200, admin.signalingConnections());
      if (parts.length === 2 && second === 'connections') return sendJson(res, 200, admin.signalingConnections(first));
    } else if (req.method === 'POST') {
      const body = parseJson(await readBody(req));
      if (parts.length === 1 && first === 'refuse-connections') {
        admin.refuseSignalingConnections(typeof body.count === 'number' ? body.count : 1);
        return sendJson(res, 200, {});
      }
      if (parts.length === 2) {
        const sel = body as { role?: 'MASTER' | 'VIEWER'; clientId?: string; graceMs?: number; graceful?: boolean };
        if (second === 'go-away') return sendJson(res, 200, { count: admin.sendGoAway(first, sel) });
        if (second === 'reconnect-ice-server')
          return sendJson(res, 200, { count: admin.sendReconnectIceServer(first, sel) });
        if (second === 'drop') return sendJson(res, 200, { count: admin.dropSignalingConnections(first, sel) });
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'InvalidArgumentException', (err as Error).message);
  }
  throw new ApiError(404, 'UnknownOperationException', 'Unknown admin operation');
}
