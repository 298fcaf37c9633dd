// `kvs get`: GetMedia from a start selector into one playable MKV file (the segment merger joins
// the service's per-fragment segments), resuming by continuation token when the connection drops.

import { createWriteStream } from 'node:fs';
import type { StartSelector } from '@kvs-ts/api';
import { KvsError, StatusCode } from '@kvs-ts/core';
import { consumeGetMedia, type MediaFragment, saveMkv } from '@kvs-ts/getmedia';
import { type ConnectOptions, connect } from './connect';
import type { TextSink } from './main';
import { Progress } from './progress';

/** Options of `kvs get`, as commander parses them. */
export interface GetOptions extends ConnectOptions {
  stream: string;
  start: string;
  output: string;
  /** Keep reading live fragments until interrupted (or --max-fragments). */
  follow: boolean;
  /** Without --follow: stop once no fragment came for this long, seconds. */
  idle: number;
  maxFragments?: number;
  /** Keep the service's FRAGMENT_NUMBER and PRODUCER_TIMESTAMP as MKV tags. */
  tags: boolean;
  progress?: boolean;
}

/** Parses `--start`: now, earliest, fragment:N, ts:ISO (producer time), server-ts:ISO, continuation:TOKEN. */
export function parseStart(start: string): StartSelector {
  const [kind, ...rest] = start.split(':');
  const value = rest.join(':');
  const time = (): number => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new KvsError(StatusCode.STATUS_INVALID_ARG, `--start ${start}: not an ISO 8601 time`);
    return ms * 1000;
  };
  switch (kind.toLowerCase()) {
    case 'now':
      return { startSelectorType: 'NOW' };
    case 'earliest':
      return { startSelectorType: 'EARLIEST' };
    case 'fragment':
      if (!/^\d{1,128}$/.test(value)) {
        throw new KvsError(StatusCode.STATUS_INVALID_ARG, `--start ${start}: expected fragment:NUMBER`);
      }
      return { startSelectorType: 'FRAGMENT_NUMBER', afterFragmentNumber: value };
    case 'ts':
    case 'producer-ts':
      return { startSelectorType: 'PRODUCER_TIMESTAMP', startTimestamp: time() };
    case 'server-ts':
      return { startSelectorType: 'SERVER_TIMESTAMP', startTimestamp: time() };
    case 'continuation':
      if (value === '')
        throw new KvsError(StatusCode.STATUS_INVALID_ARG, `--start ${start}: expected continuation:TOKEN`);
      return { startSelectorType: 'CONTINUATION_TOKEN', continuationToken: value };
    default:
      throw new KvsError(
        StatusCode.STATUS_INVALID_ARG,
        `--start ${start}: expected now, earliest, fragment:N, ts:ISO, server-ts:ISO or continuation:TOKEN`,
      );
  }
}

/** Runs `kvs get`; resolves to the exit code. */
export async function get(options: GetOptions, out: TextSink, err: TextSink, signal?: AbortSignal): Promise<number> {
  const start = parseStart(options.start);
  const api = connect(options);
  const abort = new AbortController();
  const stopAll = () => abort.abort();
  signal?.addEventListener('abort', stopAll, { once: true });
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const armIdle = () => {
    if (options.follow) return;
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = setTimeout(stopAll, options.idle * 1000);
  };
  const seen = { fragments: 0, frames: 0, token: undefined as string | undefined, reconnects: 0, lagMs: 0 };
  let failed: MediaFragment['error'];
  async function* fragments(): AsyncGenerator<MediaFragment> {
    armIdle();
    for await (const f of consumeGetMedia(
      (from, s) => api.getMedia({ streamName: options.stream, startSelector: from }, { signal: s }).then((p) => p.body),
      start,
      { signal: abort.signal, follow: true, onReconnect: () => seen.reconnects++ },
    )) {
      armIdle();
      if (f.error) {
        failed = f.error;
        return;
      }
      seen.fragments++;
      seen.frames += f.frames.length;
      seen.token = f.continuationToken ?? seen.token;
      if (f.millisBehindNow !== undefined) seen.lagMs = f.millisBehindNow;
      yield f;
      if (options.maxFragments !== undefined && seen.fragments >= options.maxFragments) return;
    }
  }

  const toStdout = options.output === '-';
  const file = toStdout ? process.stdout : createWriteStream(options.output);
  const write = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => file.write(bytes, (e) => (e ? reject(e) : resolve())));
  const progress = new Progress(err, options.progress ?? Boolean(process.stderr.isTTY));
  const line = () =>
    `consumer (GetMedia) ${options.stream}: ${seen.fragments} fragments, ${seen.frames} frames, ` +
    `${seen.lagMs} ms behind` +
    (seen.reconnects > 0 ? `, ${seen.reconnects} reconnects` : '');
  progress.start(line);
  let code = 0;
  try {
    const stats = await saveMkv(fragments(), write, { keepFragmentTags: options.tags });
    const where = toStdout ? 'stdout' : options.output;
    (toStdout ? err : out).write(
      `wrote ${where}: ${stats.fragments} fragments, ${stats.frames} frames, ${stats.segments} segment(s), ` +
        `${stats.bytes} bytes${seen.token ? `; resume with --start continuation:${seen.token}` : ''}\n`,
    );
    if (failed) {
      err.write(
        `kvs get: the service ended the stream with ${failed.code} (${failed.id})${failed.message ? `: ${failed.message}` : ''}\n`,
      );
      code = 1;
    }
  } catch (e) {
    err.write(`kvs get: ${(e as Error).message}\n`);
    code = 1;
  } finally {
    progress.stop();
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    signal?.removeEventListener('abort', stopAll);
    if (!toStdout) await new Promise<void>((resolve) => file.end(resolve));
  }
  return code;
}
