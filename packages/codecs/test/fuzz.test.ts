// Every parser, fed random or mutated bytes, either returns or throws a KvsError: never a
// TypeError/RangeError, never a hang (each run is bounded by the test timeout).
import {
  adaptAnnexBCpd,
  annexBKeyFrameCpd,
  annexBToAvcc,
  annexBToAvccCopy,
  annexBToAvccSize,
  avccToAnnexB,
  avccToAnnexBInPlace,
  BitReader,
  buildAvcC,
  buildG711WaveFormatEx,
  buildHvcC,
  CodecId,
  codecPrivateFromAnnexBKeyFrame,
  codecPrivateFromAvccKeyFrame,
  forEachAdtsFrame,
  isAnnexBKeyFrame,
  isAvccKeyFrame,
  joinAnnexB,
  joinAvcc,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  parseAvcC,
  parseH264Pps,
  parseH264Sps,
  parseH265Pps,
  parseH265Sps,
  parseH265Vps,
  parseHvcC,
  parseWaveFormatEx,
  removeEmulationPrevention,
  splitAnnexB,
  splitAvcc,
  validateAvcc,
  videoSizeFromCodecPrivate,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, onlyKvsErrors } from './helpers';
import { X264_PPS, X264_SPS_320x240, X264_SPS_1920x1080, X265_PPS_1080, X265_SPS_1080, X265_VPS_1080 } from './vectors';

const IDR = Uint8Array.of(0x65, 0x88, 0x84, 0x21);
const H265_IDR = Uint8Array.of(0x26, 0x01, 0xaf, 0x1d);

const seeds: Uint8Array[] = [
  X264_SPS_320x240,
  X264_SPS_1920x1080,
  X264_PPS,
  X265_VPS_1080,
  X265_SPS_1080,
  X265_PPS_1080,
  joinAnnexB([X264_SPS_320x240, X264_PPS, IDR]),
  joinAvcc([X264_SPS_1920x1080, X264_PPS, IDR]),
  joinAnnexB([X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_IDR]),
  joinAvcc([X265_VPS_1080, X265_SPS_1080, X265_PPS_1080, H265_IDR]),
  buildAvcC([X264_SPS_320x240], [X264_PPS]),
  buildHvcC({ vps: [X265_VPS_1080], sps: [X265_SPS_1080], pps: [X265_PPS_1080] }),
  Uint8Array.of(0x12, 0x10),
  Uint8Array.of(0xff, 0xf1, 0x4c, 0x80, 0x02, 0x1f, 0xfc, 1, 2, 3, 4, 5, 6, 7, 8, 9),
  buildG711WaveFormatEx(7, 8000, 1),
];

/** Seeds with a few random byte edits, truncations and insertions. */
const mutatedArb = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(
      fc.record({
        kind: fc.constantFrom('set', 'cut', 'insert', 'zero'),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([seed, edits]) => {
    let b: Uint8Array = seed.slice();
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'set') b[at] = e.value;
      else if (e.kind === 'zero') b[at] = 0;
      else if (e.kind === 'cut') b = b.slice(0, at);
      else b = concat(b.subarray(0, at), [e.value], b.subarray(at));
    }
    return b;
  });

const randomArb = fc.uint8Array({ maxLength: 96 });
// Random bytes dense in 0/1/3, so start codes and escapes show up.
const zeroHeavyArb = fc.array(fc.constantFrom(0, 0, 0, 1, 3, 0x65, 0x67, 0x42, 0xff)).map((a) => Uint8Array.from(a));
const inputArb = fc.oneof(randomArb, zeroHeavyArb, mutatedArb);

const withHeader = (first: number[], b: Uint8Array) => concat(first, b);

const parsers: [string, (b: Uint8Array) => unknown][] = [
  ['splitAnnexB', (b) => splitAnnexB(b)],
  ['annexBToAvccSize', (b) => annexBToAvccSize(b)],
  ['annexBToAvccCopy', (b) => annexBToAvccCopy(b)],
  ['annexBToAvcc', (b) => annexBToAvcc(b, new Uint8Array(b.length * 2 + 8), 3)],
  ['splitAvcc', (b) => splitAvcc(b)],
  ['validateAvcc/2', (b) => validateAvcc(b, 2)],
  ['avccToAnnexB/1', (b) => avccToAnnexB(b, 1)],
  ['avccToAnnexBInPlace', (b) => avccToAnnexBInPlace(b.slice())],
  ['removeEmulationPrevention', (b) => removeEmulationPrevention(b)],
  ['parseH264Sps', (b) => parseH264Sps(b)],
  ['parseH264Sps (typed)', (b) => parseH264Sps(withHeader([0x67], b))],
  ['parseH264Pps', (b) => parseH264Pps(withHeader([0x68], b))],
  ['parseH265Sps', (b) => parseH265Sps(withHeader([0x42, 0x01], b))],
  ['parseH265Vps', (b) => parseH265Vps(withHeader([0x40, 0x01], b))],
  ['parseH265Pps', (b) => parseH265Pps(withHeader([0x44, 0x01], b))],
  ['parseAvcC', (b) => parseAvcC(b)],
  ['parseHvcC', (b) => parseHvcC(b)],
  ['buildAvcC', (b) => buildAvcC([withHeader([0x67], b)], [X264_PPS])],
  ['buildHvcC', (b) => buildHvcC({ vps: [], sps: [withHeader([0x42, 0x01], b)], pps: [] })],
  ['adaptAnnexBCpd h264', (b) => adaptAnnexBCpd(CodecId.H264, b)],
  ['adaptAnnexBCpd h265', (b) => adaptAnnexBCpd(CodecId.H265, b)],
  ['annexBKeyFrameCpd', (b) => annexBKeyFrameCpd(CodecId.H265, b)],
  ['codecPrivateFromAnnexBKeyFrame', (b) => codecPrivateFromAnnexBKeyFrame(CodecId.H264, b)],
  ['codecPrivateFromAvccKeyFrame', (b) => codecPrivateFromAvccKeyFrame(CodecId.H265, b)],
  ['isAnnexBKeyFrame', (b) => isAnnexBKeyFrame(CodecId.H264, b)],
  ['isAvccKeyFrame', (b) => isAvccKeyFrame(CodecId.H265, b, 2)],
  ['videoSize h264', (b) => videoSizeFromCodecPrivate(CodecId.H264, b)],
  ['videoSize h265', (b) => videoSizeFromCodecPrivate(CodecId.H265, b)],
  ['videoSize fourcc', (b) => videoSizeFromCodecPrivate(CodecId.FOURCC, b)],
  ['parseAudioSpecificConfig', (b) => parseAudioSpecificConfig(b)],
  ['parseAdtsHeader', (b) => parseAdtsHeader(b)],
  ['forEachAdtsFrame', (b) => forEachAdtsFrame(b, () => {})],
  ['parseWaveFormatEx', (b) => parseWaveFormatEx(b)],
  [
    'BitReader',
    (b) => {
      const r = new BitReader(b);
      while (r.bitsLeft > 0) {
        r.ue();
        r.se();
        r.u(r.bitsLeft % 33);
      }
    },
  ],
];

describe('fuzzing: only KvsErrors', () => {
  for (const [name, parse] of parsers) {
    it(name, () => {
      fc.assert(
        fc.property(inputArb, (b) => {
          const before = b.slice();
          onlyKvsErrors(() => parse(b));
          expect(b).toEqual(before); // parsers never write to their input
        }),
        { numRuns: 400 },
      );
    });
  }
});
