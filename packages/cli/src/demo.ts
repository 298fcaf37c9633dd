// `kvs demo`: filled in once the MKV writer lands (see README).
import type { TextSink } from './main';

export async function demo(_out: TextSink, err: TextSink): Promise<number> {
  err.write('kvs demo: not available yet\n');
  return 1;
}
