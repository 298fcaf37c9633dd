// Cutting an H.264 or H.265 Annex-B elementary stream into access units (one frame each), as the
// bytes arrive in chunks of any size: a file, stdin, or `ffmpeg … -f h264 -`.
//
// Where an access unit begins is the standards' rule (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): after
// the last VCL NAL unit of a picture, the next access unit delimiter, parameter set, prefix SEI
// (and a few reserved types), or the first slice of the next picture starts a new one. The first
// slice of a picture is told by one bit right after the NAL header: H.264's first_mb_in_slice is
// ue(v) and 0 is coded as a single 1 bit; H.265 has first_slice_segment_in_pic_flag. Only the
// first two or three bytes of each NAL unit are read, so nothing is parsed that can be skipped.

import { isKeyFrameNalType, type NalCodec } from '@kvs-ts/codecs';

/** One access unit: its Annex-B bytes (start codes included) and whether it is a key frame. */
export interface AccessUnit {
  /** Annex-B bytes, owned by the caller (a copy out of the splitter's buffer). */
  data: Uint8Array;
  /** It holds an IDR picture (H.264) or an IRAP picture (H.265). */
  key: boolean;
}

const INITIAL_CAPACITY = 1 << 20;

/** Whether a NAL unit of this type, after a picture's slices, starts the next access unit. */
function startsAccessUnit(codec: NalCodec, type: number, nextByte: number, thirdByte: number): boolean {
  if (codec === 'h264') {
    // Slices (1–5): a new picture when first_mb_in_slice is 0 (its ue(v) code is one 1 bit).
    if (type >= 1 && type <= 5) return (nextByte & 0x80) !== 0;
    // AUD, SPS, PPS, SEI, prefix NAL, subset SPS and the reserved 16–18.
    return type === 6 || type === 7 || type === 8 || type === 9 || (type >= 14 && type <= 18);
  }
  // H.265 VCL (0–31): first_slice_segment_in_pic_flag, the first bit after the 2-byte header.
  if (type <= 31) return (thirdByte & 0x80) !== 0;
  // VPS, SPS, PPS, AUD, prefix SEI and the reserved 41–44 and 48–55.
  return (type >= 32 && type <= 35) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
}

/**
 * Splits an Annex-B byte stream into access units. Push chunks with {@link push}; each call
 * returns the access units it completed. {@link end} returns the last one. The splitter keeps
 * only the bytes of the access unit in progress.
 */
export class AccessUnitSplitter {
  private buf = new Uint8Array(INITIAL_CAPACITY);
  private len = 0;
  /** Where the access unit in progress starts in `buf` (-1: before the first start code). */
  private auStart = -1;
  /** Next position to look for a start code at. */
  private scan = 0;
  /** The access unit in progress has a VCL NAL unit (a picture) already. */
  private hasPicture = false;
  private key = false;
  /** Bytes seen before the first start code (not Annex-B: reported by {@link leadingBytes}). */
  private leading = 0;

  constructor(readonly codec: NalCodec) {}

  /** Bytes that came before the first start code (they belong to no NAL unit and are dropped). */
  get leadingBytes(): number {
    return this.leading;
  }

  /** Takes the next chunk; returns the access units it completed, in order. */
  push(chunk: Uint8Array): AccessUnit[] {
    this.append(chunk);
    const out: AccessUnit[] = [];
    const buf = this.buf;
    const codec = this.codec;
    // A NAL unit is classified once its start code and up to three header bytes are in: stop
    // scanning 6 bytes before the end and come back with the next chunk.
    let i = this.scan;
    const last = this.len - 6;
    while (i <= last) {
      if (buf[i + 2] > 1) {
        i += 3;
        continue;
      }
      if (buf[i] !== 0 || buf[i + 1] !== 0 || buf[i + 2] !== 1) {
        i++;
        continue;
      }
      // A 4-byte start code's zero byte belongs to the NAL unit it introduces.
      const codeStart = i > 0 && buf[i - 1] === 0 && i - 1 >= Math.max(this.auStart, 0) ? i - 1 : i;
      const header = i + 3;
      const type = codec === 'h264' ? buf[header] & 0x1f : (buf[header] >> 1) & 0x3f;
      const vcl = codec === 'h264' ? type >= 1 && type <= 5 : type <= 31;
      if (this.auStart < 0) {
        this.leading += codeStart;
        this.auStart = codeStart;
      } else if (this.hasPicture && startsAccessUnit(codec, type, buf[header + 1], buf[header + 2])) {
        out.push({ data: buf.slice(this.auStart, codeStart), key: this.key });
        this.auStart = codeStart;
        this.hasPicture = false;
        this.key = false;
      }
      if (vcl) {
        this.hasPicture = true;
        if (isKeyFrameNalType(codec, type)) this.key = true;
      }
      i = header + 1;
    }
    this.scan = i;
    this.compact();
    return out;
  }

  /** The stream ended: the last access unit, if it holds a picture. */
  end(): AccessUnit | undefined {
    // Whatever start codes the last 6 bytes hide only matter for key detection of a tiny tail:
    // scan them too.
    this.push(new Uint8Array(6)); // six zero bytes: no start code can complete inside them
    this.len -= 6;
    if (this.auStart < 0 || !this.hasPicture) return undefined;
    let end = this.len;
    while (end > this.auStart && this.buf[end - 1] === 0) end--; // trailing_zero_8bits
    const unit = { data: this.buf.slice(this.auStart, end), key: this.key };
    this.auStart = -1;
    this.len = 0;
    this.scan = 0;
    this.hasPicture = false;
    this.key = false;
    return unit;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** Drops what lies before the access unit in progress once it is a good part of the buffer. */
  private compact(): void {
    const from = this.auStart < 0 ? Math.max(0, this.scan - 3) : this.auStart;
    if (from < this.buf.length >> 1) return;
    if (this.auStart < 0) this.leading += from;
    this.buf.copyWithin(0, from, this.len);
    this.len -= from;
    this.scan -= from;
    if (this.auStart >= 0) this.auStart = 0;
  }
}
