// Fragment numbers: the service hands out increasing decimal strings of about 47 digits (see the
// ACK examples in the PutMedia API reference and AWS's GetMedia captures); clients
// keep them as strings. Ours are 17 fixed digits, then the server time in ms, then a counter, so
// they also increase across restarts of the emulator.

const PREFIX = 91343852333181432n * 10n ** 30n;
const MS = 10n ** 12n;
let last = 0n;
let lastString = '0';

/** The next fragment number, greater than every one handed out before and than `floor`. */
export function nextFragmentNumber(nowMs: number, floor?: string): string {
  let n = PREFIX + BigInt(Math.floor(nowMs)) * MS;
  // `floor` is usually the number handed out last: no need to parse it again.
  if (floor !== undefined && floor !== lastString) {
    const f = BigInt(floor);
    if (f > last) last = f;
  }
  if (n <= last) n = last + 1n;
  last = n;
  lastString = n.toString();
  return lastString;
}

/** Compares two fragment numbers numerically. */
export function compareFragmentNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
