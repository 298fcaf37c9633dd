// `kvs ls`: the account's streams in the region (ListStreams, every page), optionally by prefix.

import type { StreamInfo } from '@kvs-ts/api';
import { type ConnectOptions, connect } from './connect';
import type { TextSink } from './main';

/** Options of `kvs ls`. */
export interface LsOptions extends ConnectOptions {
  prefix?: string;
  json?: boolean;
}

/** Runs `kvs ls`; resolves to the exit code. */
export async function ls(options: LsOptions, out: TextSink): Promise<number> {
  const api = connect(options);
  const streams: StreamInfo[] = [];
  const input = options.prefix
    ? { streamNameCondition: { comparisonOperator: 'BEGINS_WITH' as const, comparisonValue: options.prefix } }
    : {};
  for await (const s of api.listAllStreams(input)) streams.push(s);
  if (options.json) {
    out.write(`${JSON.stringify(streams, null, 2)}\n`);
    return 0;
  }
  const rows = streams.map((s) => [
    s.streamName,
    s.status,
    s.creationTime !== undefined ? new Date(s.creationTime / 1000).toISOString() : '',
    s.dataRetentionInHours !== undefined ? `${s.dataRetentionInHours} h` : '',
    s.mediaType ?? '',
  ]);
  const header = ['NAME', 'STATUS', 'CREATED', 'RETENTION', 'MEDIA TYPE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  out.write(`${[header, ...rows].map(fmt).join('\n')}\n`);
  if (rows.length === 0) out.write('(no streams)\n');
  return 0;
}
