// One handler for every request, over HTTP/1.1 and HTTP/2 alike: CORS preflights, the loopback
// admin API, then SigV4 verification and the KVS action named by the path.

import type { Admin } from './admin';
import { handleAdmin } from './admin-http';
import { actions, type ControlContext } from './control-plane';
import { ApiError, expiredToken } from './errors';
import type { Faults } from './faults';
import { answerPreflight, beginResponse, parseJson, type Req, type Res, readBody, sendError, sendJson } from './http';
import { dataPlaneActions } from './ice';
import { getMediaForFragmentList, listFragments, serveGetMedia } from './media';
import { handlePutMedia, type PutMediaOptions } from './putmedia';
import { channelActions, type SignalingContext } from './signaling-channels';
import { type Keys, type PayloadPolicy, verifySignature } from './sigv4';

export interface RouterContext extends ControlContext {
  keys: Keys;
  faults: Faults;
  admin: Admin;
  putMedia: PutMediaOptions;
  /** Ends open GetMedia responses on close(). */
  closing: Set<() => void>;
  log: (line: string) => void;
  /** Signaling channels, their WebSocket relay and endpoints (signaling-channels.ts). */
  signaling: SignalingContext;
}

const MEDIA = new Set(['getMedia', 'listFragments', 'getMediaForFragmentList']);

export function createHandler(ctx: RouterContext): (req: Req, res: Res) => void {
  return (req, res) => {
    beginResponse(req, res);
    route(req, res, ctx).catch((err: unknown) => {
      const e =
        err instanceof ApiError
          ? err
          : new ApiError(500, 'InternalFailure', 'The request processing has failed because of an unknown error.');
      if (!(err instanceof ApiError)) ctx.log(`internal error: ${String((err as Error)?.stack ?? err)}`);
      sendError(res, e);
    });
  };
}

function authenticate(req: Req, ctx: RouterContext, payload: PayloadPolicy): void {
  const err = verifySignature(req, ctx.keys, payload, { now: Date.now() });
  if (err) throw err;
}

async function route(req: Req, res: Res, ctx: RouterContext): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'OPTIONS') return answerPreflight(req, res);
  if (path.startsWith('/_admin/')) return handleAdmin(req, res, ctx.admin);
  const action = path.slice(1);
  if (req.method !== 'POST')
    throw new ApiError(404, 'UnknownOperationException', `Unknown operation ${req.method} ${path}`);

  if (action === 'putMedia') {
    authenticate(req, ctx, { kind: 'streaming' });
    if (ctx.faults.takeExpiredToken()) throw expiredToken();
    const rec = ctx.store.find({
      StreamName: req.headers['x-amzn-stream-name'],
      StreamARN: req.headers['x-amzn-stream-arn'],
    });
    const fault = ctx.faults.takePutMedia(rec.meta.name);
    return handlePutMedia(req, res, rec, ctx.store, ctx.putMedia, fault);
  }

  const body = await readBody(req);
  authenticate(req, ctx, { kind: 'body', body });
  const input = parseJson(body);
  if (MEDIA.has(action)) {
    const rec = ctx.store.find(input);
    if (action === 'getMedia') return serveGetMedia(rec, input, res, ctx.closing);
    if (action === 'listFragments') return sendJson(res, 200, listFragments(rec, input));
    return getMediaForFragmentList(rec, input, res);
  }
  // Channel actions first: they take the *Resource tag calls for channel ARNs (signaling-channels.ts).
  const run = Object.hasOwn(channelActions, action)
    ? channelActions[action]
    : Object.hasOwn(dataPlaneActions, action)
      ? dataPlaneActions[action]
      : Object.hasOwn(actions, action)
        ? actions[action]
        : undefined;
  if (!run) throw new ApiError(404, 'UnknownOperationException', `Unknown operation ${path}`);
  ctx.faults.takeControl(action);
  sendJson(res, 200, await run(input, ctx));
}
