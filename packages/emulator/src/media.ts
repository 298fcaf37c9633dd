// The media APIs on the data endpoint: GetMedia (kinesis-video-media) and ListFragments and
// GetMediaForFragmentList (kinesis-video-archived-media), as their API reference pages describe
// them. Each fragment is served as its own MKV stream: the header it was put with, the producer's
// fragment metadata, the service's tags before the cluster, the cluster, the tags after it
// (mkv-tags.ts).

import { decodeToken, encodeToken } from './control-plane';
import { ApiError, connectionLimit, invalidArgument } from './errors';
import { compareFragmentNumbers } from './fragment-number';
import type { Res } from './http';
import { decimalSeconds, tagsElement } from './mkv-tags';
import type { Fragment, StreamRecord } from './model';

type Body = Record<string, unknown>;

/** The service's limit of concurrent GetMedia connections per stream. */
export const MAX_GET_MEDIA = 3;

/** Epoch ms from a REST-JSON timestamp (epoch seconds, possibly fractional). */
function timestampMs(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string' && v !== '' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  throw invalidArgument(`${field} must be a timestamp`);
}

/** Index of the first fragment GetMedia serves for this StartSelector. */
export function startIndex(rec: StreamRecord, selector: unknown): number {
  if (selector === null || typeof selector !== 'object') throw invalidArgument('StartSelector is required');
  const s = selector as Body;
  const frags = rec.fragments;
  const after = (num: unknown, field: string): number => {
    if (typeof num !== 'string' || !/^\d+$/.test(num)) throw invalidArgument(`${field} is required`);
    const i = frags.findIndex((f) => compareFragmentNumbers(f.number, num) > 0);
    return i < 0 ? frags.length : i;
  };
  switch (s.StartSelectorType) {
    case 'NOW':
      return frags.length;
    case 'EARLIEST':
      return 0;
    case 'FRAGMENT_NUMBER':
      return after(s.AfterFragmentNumber, 'AfterFragmentNumber');
    case 'CONTINUATION_TOKEN':
      return after(s.ContinuationToken, 'ContinuationToken');
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const t = timestampMs(s.StartTimestamp, 'StartTimestamp');
      const key = s.StartSelectorType === 'SERVER_TIMESTAMP' ? 'serverTimestampMs' : 'producerTimestampMs';
      const i = frags.findIndex((f) => f[key] + f.durationMs >= t);
      return i < 0 ? frags.length : i;
    }
    default:
      throw invalidArgument(`StartSelectorType ${String(s.StartSelectorType)} is not valid`);
  }
}

/**
 * A fragment as GetMedia serves it, in pieces: written one after another (node:http coalesces
 * them into one writev), so that the stored cluster is sent as it is rather than copied into a
 * new buffer for every reader.
 */
function getMediaParts(f: Fragment): Buffer[] {
  const before = tagsElement([
    ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', f.number],
    ['AWS_KINESISVIDEO_SERVER_TIMESTAMP', decimalSeconds(f.serverTimestampMs)],
    ['AWS_KINESISVIDEO_PRODUCER_TIMESTAMP', decimalSeconds(f.producerTimestampMs)],
  ]);
  const afterTags = tagsElement([
    ['AWS_KINESISVIDEO_MILLIS_BEHIND_NOW', String(Math.max(0, Date.now() - f.serverTimestampMs))],
    ['AWS_KINESISVIDEO_CONTINUATION_TOKEN', f.number],
  ]);
  return [f.header, f.tags, before, ...f.cluster, afterTags];
}

/** Index of the first fragment after fragment number `after` (searching from the end: live readers are near it). */
function indexAfter(frags: readonly Fragment[], after: string | undefined): number {
  if (after === undefined) return 0;
  let i = frags.length;
  while (i > 0 && compareFragmentNumbers(frags[i - 1].number, after) > 0) i--;
  return i;
}

/** GetMedia: stored fragments from the StartSelector on, then new ones as they arrive, until the client leaves. */
export function serveGetMedia(rec: StreamRecord, body: Body, res: Res, closing: Set<() => void>): void {
  const first = startIndex(rec, body.StartSelector);
  if (rec.getMediaOpen >= MAX_GET_MEDIA) {
    throw connectionLimit(`There are already ${MAX_GET_MEDIA} GetMedia connections on the stream ${rec.meta.name}.`);
  }
  rec.getMediaOpen++;
  res.writeHead(200, { 'content-type': 'video/webm' });
  (res as { flushHeaders?: () => void }).flushHeaders?.();
  const w = res as unknown as { write(b: Buffer): boolean; once(e: string, f: () => void): void };
  // Where we are is the last fragment number served, not an index: expiry (store.ts) shifts the array.
  let after: string | undefined = first === 0 ? undefined : rec.fragments[first - 1].number;
  // Where `after` was last seen: checked before use, and searched for again when expiry moved it
  // (searching every time made a reader from EARLIEST quadratic in the stored fragments).
  let hint = first;
  let waiting = false;
  const pump = (): void => {
    waiting = false;
    const frags = rec.fragments;
    let next =
      hint <= frags.length && (hint === 0 ? after === undefined : frags[hint - 1].number === after)
        ? hint
        : indexAfter(frags, after);
    while (next < frags.length && !res.destroyed) {
      const f = frags[next++];
      after = f.number;
      hint = next;
      let ok = true;
      for (const part of getMediaParts(f)) if (part.length > 0) ok = w.write(part);
      if (!ok) {
        waiting = true;
        w.once('drain', pump);
        return;
      }
    }
    if (rec.meta.status === 'DELETING') finish();
  };
  const listener = (): void => {
    if (!waiting) pump();
  };
  const finish = (): void => {
    rec.listeners.delete(listener);
    closing.delete(finish);
    if (!res.writableEnded) res.end();
  };
  let released = false;
  res.on('close', () => {
    if (!released) {
      released = true;
      rec.getMediaOpen--;
    }
    rec.listeners.delete(listener);
    closing.delete(finish);
  });
  rec.listeners.add(listener);
  closing.add(finish);
  pump();
}

/** ListFragments: fragments in a server or producer timestamp range, paginated. */
export function listFragments(rec: StreamRecord, body: Body): unknown {
  const max = body.MaxResults ?? 1000;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) {
    throw invalidArgument('MaxResults must be from 1 to 1000');
  }
  let frags = rec.fragments;
  const sel = body.FragmentSelector as Body | undefined;
  if (sel !== undefined) {
    const type = sel.FragmentSelectorType;
    if (type !== 'SERVER_TIMESTAMP' && type !== 'PRODUCER_TIMESTAMP') {
      throw invalidArgument('FragmentSelectorType must be SERVER_TIMESTAMP or PRODUCER_TIMESTAMP');
    }
    const range = (sel.TimestampRange ?? {}) as Body;
    const from = timestampMs(range.StartTimestamp, 'StartTimestamp');
    const to = timestampMs(range.EndTimestamp, 'EndTimestamp');
    if (from > to) throw invalidArgument('StartTimestamp must not be after EndTimestamp');
    const key = type === 'SERVER_TIMESTAMP' ? 'serverTimestampMs' : 'producerTimestampMs';
    frags = frags.filter((f) => f[key] >= from && f[key] <= to);
  }
  const start = typeof body.NextToken === 'string' ? decodeToken(body.NextToken) : 0;
  const page = frags.slice(start, start + max);
  const out: Body = {
    Fragments: page.map((f) => ({
      FragmentNumber: f.number,
      FragmentSizeInBytes: f.size,
      ProducerTimestamp: f.producerTimestampMs / 1000,
      ServerTimestamp: f.serverTimestampMs / 1000,
      FragmentLengthInMilliseconds: f.durationMs,
    })),
  };
  if (start + max < frags.length) out.NextToken = encodeToken(start + max);
  return out;
}

/** GetMediaForFragmentList: the listed fragments, in the order asked, with that API's tag names. */
export function getMediaForFragmentList(rec: StreamRecord, body: Body, res: Res): void {
  const list = body.Fragments;
  if (!Array.isArray(list) || list.length < 1 || list.length > 1000) {
    throw invalidArgument('Fragments must list 1 to 1000 fragment numbers');
  }
  const byNumber = new Map(rec.fragments.map((f) => [f.number, f]));
  const chosen = list.map((n) => {
    const f = byNumber.get(String(n));
    if (!f) throw new ApiError(404, 'ResourceNotFoundException', `Fragment ${String(n)} was not found.`);
    return f;
  });
  res.writeHead(200, { 'content-type': 'video/webm' });
  for (const f of chosen) {
    const tags = tagsElement([
      ['AWS_KINESISVIDEO_FRAGMENT_NUMBER', f.number],
      ['AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP', decimalSeconds(f.serverTimestampMs)],
      ['AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP', decimalSeconds(f.producerTimestampMs)],
    ]);
    const w = res as unknown as { write(b: Buffer): boolean };
    for (const part of [f.header, f.tags, tags, ...f.cluster]) if (part.length > 0) w.write(part);
  }
  res.end();
}
