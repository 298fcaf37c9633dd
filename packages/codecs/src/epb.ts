// Emulation prevention (H.264 §7.4.1, H.265 §7.4.2): inside a NAL unit every `00 00` followed by a
// byte ≤ 3 gets an emulation_prevention_three_byte (03) in between, so that no start code can
// appear in the payload. Parsers need the RBSP, with those bytes removed. Not a hot path: only
// parameter sets are ever unescaped.

/** NAL unit payload → RBSP: drops every 0x03 that follows two zero bytes. Returns a new buffer. */
export function removeEmulationPrevention(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  const out = new Uint8Array(Math.max(0, end - start));
  let o = 0;
  let zeros = 0;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[o++] = b;
  }
  return o === out.length ? out : out.slice(0, o);
}

/**
 * RBSP → NAL unit payload: inserts 0x03 after every `00 00` that is followed by a byte ≤ 3, and
 * after a final `00 00` (as for cabac_zero_words), so that
 * `removeEmulationPrevention(insertEmulationPrevention(x))` is `x` for every `x`.
 */
export function insertEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  let extra = 0;
  let zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i];
    if (zeros >= 2 && b <= 3) {
      extra++;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (zeros >= 2) extra++;
  if (extra === 0) return rbsp.slice();
  const out = new Uint8Array(rbsp.length + extra);
  let o = 0;
  zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i];
    if (zeros >= 2 && b <= 3) {
      out[o++] = 3;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[o++] = b;
  }
  if (zeros >= 2) out[o++] = 3;
  return out;
}

/** Whether a NAL unit payload contains emulation prevention bytes (i.e. `00 00 03`). */
export function hasEmulationPrevention(src: Uint8Array, start = 0, end = src.length): boolean {
  let zeros = 0;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (zeros >= 2 && b === 3) return true;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return false;
}
