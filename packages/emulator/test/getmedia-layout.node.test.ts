// The GetMedia body's element layout matches AWS's own GetMedia capture output_get_media.mkv
// (from AWS's parser library, read through @kvs-ts/test-support): per fragment an EBML header, a Segment of unknown
// size with Info and Tracks, a Tags element (4-byte sizes) before a Cluster with a known 8-byte
// size, and a Tags element after it.

import { Signer } from '@kvs-ts/api';
import { EbmlReader, Id } from '@kvs-ts/ebml';
import { readTestVector } from '@kvs-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/index';
import { createActive, frames, KEYS, mkvCluster, mkvHeader, putMedia, start } from './support';

const NAMES: Record<number, string> = {
  [Id.EBML]: 'EBML',
  [Id.Segment]: 'Segment',
  [Id.Info]: 'Info',
  [Id.Tracks]: 'Tracks',
  [Id.Tags]: 'Tags',
  [Id.Cluster]: 'Cluster',
};

/** Top-level and Segment-level elements of the first fragment, with their size-field widths. */
function layout(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let depth = 0;
  let ebmls = 0;
  const reader = new EbmlReader(
    {
      onMasterStart(id, _size, headerOffset, dataOffset) {
        if (id === Id.EBML) ebmls++;
        if (depth <= 1 && ebmls === 1 && NAMES[id]) {
          const idLen = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
          out.push(`${NAMES[id]}/${dataOffset - headerOffset - idLen}`);
        }
        // Enter only the EBML header and the Segment; a skipped master reports no end.
        if (depth >= 1 && id !== Id.Segment) return false;
        depth++;
        return true;
      },
      onMasterEnd() {
        depth--;
      },
      onLeaf() {},
    },
    { skip: [Id.SeekHead, Id.Void] },
  );
  reader.push(bytes);
  return out;
}

let emu: Emulator;
beforeAll(async () => {
  emu = await start();
  await createActive(emu, 'lay');
  await putMedia(emu, 'lay', [mkvHeader(), mkvCluster({ timecode: 1_700_000_000_000, frames: frames(3, 100, 1) })]);
});
afterAll(async () => {
  await emu.close();
});

describe('GetMedia layout', () => {
  it('matches the AWS capture element by element (sizes included)', async () => {
    const capture = await readTestVector('aws-parser-library/output_get_media.mkv');
    if (!capture) return; // the shared vectors are absent on this machine
    const ours = layout(await fetchGetMedia());
    // The capture's producer put a file-level Tags element after Tracks; leave it out.
    const theirs = layout(capture).filter((e, i, all) => !(e.startsWith('Tags') && all[i - 1]?.startsWith('Tracks')));
    expect(ours.map((e) => e.split('/')[0])).toEqual(['EBML', 'Segment', 'Info', 'Tracks', 'Tags', 'Cluster', 'Tags']);
    const sizeOf = (list: string[], name: string, nth = 0): string => list.filter((e) => e.startsWith(name))[nth];
    expect(sizeOf(ours, 'Segment')).toBe(sizeOf(theirs, 'Segment'));
    expect(sizeOf(ours, 'Cluster')).toBe(sizeOf(theirs, 'Cluster'));
    expect(sizeOf(ours, 'Tags', 0)).toBe(sizeOf(theirs, 'Tags', 0));
    expect(sizeOf(ours, 'Tags', 1)).toBe(sizeOf(theirs, 'Tags', 1));
    expect(theirs.map((e) => e.split('/')[0])).toEqual(ours.map((e) => e.split('/')[0]));
  });
});

async function fetchGetMedia(): Promise<Uint8Array> {
  const text = JSON.stringify({ StreamName: 'lay', StartSelector: { StartSelectorType: 'EARLIEST' } });
  const signed = await new Signer({ region: emu.region, credentials: async () => KEYS }).sign({
    method: 'POST',
    url: `${emu.url}/getMedia`,
    body: text,
  });
  const abort = new AbortController();
  const res = await fetch(signed.url, {
    method: 'POST',
    headers: signed.fetchHeaders,
    body: text,
    signal: abort.signal,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  // One fragment is enough: read until its closing Tags have arrived, then hang up.
  while (total < emu.admin.fragments('lay')[0].sizeInBytes + 400) {
    const { value, done } = await reader.read();
    if (done || !value) break;
    chunks.push(value);
    total += value.length;
  }
  abort.abort();
  return Buffer.concat(chunks);
}
