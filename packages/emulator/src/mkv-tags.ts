// The Tags elements the service adds around each fragment it serves. Layout as in AWS's GetMedia
// captures (test/getmedia-layout.node.test.ts compares): one Tags > Tag holding several SimpleTags
// (TagName + TagString), every size written in 4 bytes.

import { usToDecimalSeconds } from '@kvs-ts/core';
import { EbmlBuilder, Id } from '@kvs-ts/ebml';

/** Seconds with three decimals, as the service writes timestamps in tags (e.g. 1511852109.126). */
export const decimalSeconds = (ms: number): string => usToDecimalSeconds(ms * 1000) ?? '0.000';

export function tagsElement(pairs: Array<[string, string]>): Buffer {
  const b = new EbmlBuilder(512);
  b.start(Id.Tags, { sizeLen: 4 }).start(Id.Tag, { sizeLen: 4 });
  for (const [name, value] of pairs) {
    b.start(Id.SimpleTag, { sizeLen: 4 }).string(Id.TagName, name, 4).string(Id.TagString, value, 4).end();
  }
  b.end().end();
  return Buffer.from(b.toBytes());
}
