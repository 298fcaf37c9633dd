import {
  AAC_SAMPLING_FREQUENCIES,
  aacChannelCount,
  adtsToAudioSpecificConfig,
  buildAudioSpecificConfig,
  buildG711WaveFormatEx,
  forEachAdtsFrame,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  parseWaveFormatEx,
  WaveFormatTag,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, concat, hex, thrownStatus, toHex } from './helpers';

const channelConfigArb = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 11, max: 14 }));
const objectTypeArb = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 32, max: 95 }));
const frequencyArb = fc.oneof(fc.constantFrom(...AAC_SAMPLING_FREQUENCIES), fc.integer({ min: 1, max: 0x7fffff }));

describe('AudioSpecificConfig', () => {
  it('builds the well-known 2-byte configs', () => {
    expect(toHex(buildAudioSpecificConfig({ objectType: 2, samplingFrequency: 44100, channelConfiguration: 2 }))).toBe(
      '1210',
    );
    expect(toHex(buildAudioSpecificConfig({ objectType: 2, samplingFrequency: 48000, channelConfiguration: 1 }))).toBe(
      '1188',
    );
    expect(toHex(buildAudioSpecificConfig({ objectType: 2, samplingFrequency: 16000, channelConfiguration: 1 }))).toBe(
      '1408',
    );
    expect(toHex(buildAudioSpecificConfig({ objectType: 1, samplingFrequency: 8000, channelConfiguration: 1 }))).toBe(
      '0d88',
    );
  });

  it('escapes object types ≥ 32 and writes explicit frequencies with index 15', () => {
    // 11111 000010 | 0011 | 0010 | 000 → object type 34, 48 kHz, stereo
    const w = new BitWriter().u(5, 31).u(6, 2).u(4, 3).u(4, 2).u(3, 0);
    expect(buildAudioSpecificConfig({ objectType: 34, samplingFrequency: 48000, channelConfiguration: 2 })).toEqual(
      w.bytes(),
    );
    const e = new BitWriter().u(5, 2).u(4, 15).u(24, 12345).u(4, 1).u(3, 0);
    expect(buildAudioSpecificConfig({ objectType: 2, samplingFrequency: 12345, channelConfiguration: 1 })).toEqual(
      e.bytes(),
    );
    expect(parseAudioSpecificConfig(e.bytes())).toMatchObject({ samplingFrequencyIndex: 15, samplingFrequency: 12345 });
  });

  it('round-trips build → parse', () => {
    fc.assert(
      fc.property(
        objectTypeArb,
        frequencyArb,
        channelConfigArb,
        (objectType, samplingFrequency, channelConfiguration) => {
          const asc = parseAudioSpecificConfig(
            buildAudioSpecificConfig({ objectType, samplingFrequency, channelConfiguration }),
          );
          expect(asc.objectType).toBe(objectType);
          expect(asc.samplingFrequency).toBe(samplingFrequency);
          expect(asc.samplingFrequencyIndex).toBe(
            AAC_SAMPLING_FREQUENCIES.includes(samplingFrequency)
              ? AAC_SAMPLING_FREQUENCIES.indexOf(samplingFrequency)
              : 15,
          );
          expect(asc.channelConfiguration).toBe(channelConfiguration);
          expect(asc.channels).toBe(aacChannelCount(channelConfiguration));
        },
      ),
    );
  });

  it('builds HE-AAC (SBR/PS) with extension frequency and core type', () => {
    const sbr = buildAudioSpecificConfig({ objectType: 5, samplingFrequency: 24000, channelConfiguration: 2 });
    expect(sbr).toEqual(new BitWriter().u(5, 5).u(4, 6).u(4, 2).u(4, 3).u(5, 2).u(3, 0).bytes());
    const ps = buildAudioSpecificConfig({
      objectType: 29,
      samplingFrequency: 22050,
      channelConfiguration: 1,
      extensionSamplingFrequency: 12345,
      coreObjectType: 40,
    });
    expect(parseAudioSpecificConfig(ps)).toMatchObject({
      objectType: 29,
      samplingFrequency: 22050,
      extensionSamplingFrequency: 12345,
      coreObjectType: 40,
    });
    expect(
      thrownStatus(() =>
        buildAudioSpecificConfig({ objectType: 5, samplingFrequency: 0x900000, channelConfiguration: 1 }),
      ),
    ).toBe('STATUS_MKV_INVALID_AAC_CPD_SAMPLING_FREQUENCY_INDEX');
    expect(
      thrownStatus(() =>
        buildAudioSpecificConfig({
          objectType: 5,
          samplingFrequency: 24000,
          channelConfiguration: 1,
          coreObjectType: 31,
        }),
      ),
    ).toBe('STATUS_MKV_INVALID_AAC_CPD');
  });

  it('parses HE-AAC (SBR) extension fields', () => {
    // SBR (5), 24 kHz core, stereo, extension 48 kHz, core AAC-LC
    const w = new BitWriter().u(5, 5).u(4, 6).u(4, 2).u(4, 3).u(5, 2).u(3, 0);
    expect(parseAudioSpecificConfig(w.bytes())).toMatchObject({
      objectType: 5,
      samplingFrequency: 24000,
      channels: 2,
      extensionSamplingFrequency: 48000,
      coreObjectType: 2,
    });
  });

  it('maps channel configurations to counts', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14].map(aacChannelCount)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 8, 7, 8, 24, 8,
    ]);
  });

  it('rejects invalid configs with the AAC statuses', () => {
    const F = 'STATUS_MKV_INVALID_AAC_CPD_SAMPLING_FREQUENCY_INDEX';
    const C = 'STATUS_MKV_INVALID_AAC_CPD_CHANNEL_CONFIG';
    const A = 'STATUS_MKV_INVALID_AAC_CPD';
    expect(thrownStatus(() => parseAudioSpecificConfig(hex('12')))).toBe(A);
    expect(thrownStatus(() => parseAudioSpecificConfig(hex('0210')))).toBe(A); // object type 0
    expect(thrownStatus(() => parseAudioSpecificConfig(new BitWriter().u(5, 2).u(4, 13).u(4, 1).u(3, 0).bytes()))).toBe(
      F,
    );
    expect(thrownStatus(() => parseAudioSpecificConfig(new BitWriter().u(5, 2).u(4, 14).u(4, 1).u(3, 0).bytes()))).toBe(
      F,
    );
    expect(
      thrownStatus(() => parseAudioSpecificConfig(new BitWriter().u(5, 2).u(4, 15).u(24, 0).u(4, 1).u(3, 0).bytes())),
    ).toBe(F);
    expect(thrownStatus(() => parseAudioSpecificConfig(new BitWriter().u(5, 2).u(4, 15).u(7, 0).bytes()))).toBe(A); // truncated
    for (const c of [8, 9, 10, 15]) {
      expect(
        thrownStatus(() => parseAudioSpecificConfig(new BitWriter().u(5, 2).u(4, 3).u(4, c).u(3, 0).bytes())),
      ).toBe(C);
      expect(
        thrownStatus(() =>
          buildAudioSpecificConfig({ objectType: 2, samplingFrequency: 48000, channelConfiguration: c }),
        ),
      ).toBe(C);
    }
    for (const t of [0, 31, 96, 2.5]) {
      expect(
        thrownStatus(() =>
          buildAudioSpecificConfig({ objectType: t, samplingFrequency: 48000, channelConfiguration: 1 }),
        ),
      ).toBe(A);
    }
    for (const f of [0, -1, 2 ** 24, 44100.5]) {
      expect(
        thrownStatus(() => buildAudioSpecificConfig({ objectType: 2, samplingFrequency: f, channelConfiguration: 1 })),
      ).toBe(F);
    }
  });
});

/** An ADTS header for a payload of `payload` bytes (no CRC unless `crc`). */
function adts(profile: number, freqIndex: number, channels: number, payload: number, crc = false): Uint8Array {
  const len = payload + (crc ? 9 : 7);
  const w = new BitWriter()
    .u(12, 0xfff)
    .u(1, 0)
    .u(2, 0)
    .flag(!crc)
    .u(2, profile)
    .u(4, freqIndex)
    .u(1, 0)
    .u(3, channels);
  w.u(4, 0).u(13, len).u(11, 0x7ff).u(2, 0);
  if (crc) w.u(16, 0xbeef);
  return w.bytes();
}

describe('ADTS', () => {
  it('parses a header', () => {
    const h = parseAdtsHeader(concat(adts(1, 3, 1, 10), new Uint8Array(10)));
    expect(h).toMatchObject({
      mpegVersion: 0,
      protectionAbsent: true,
      profile: 1,
      objectType: 2,
      samplingFrequencyIndex: 3,
      samplingFrequency: 48000,
      channelConfiguration: 1,
      frameLength: 17,
      headerLength: 7,
      bufferFullness: 0x7ff,
      rawDataBlocks: 1,
    });
    expect(toHex(adtsToAudioSpecificConfig(h))).toBe('1188');
  });

  it('iterates frames as views and stops on request', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ payload: fc.uint8Array({ maxLength: 50 }), crc: fc.boolean() }), { maxLength: 8 }),
        (frames) => {
          const src = concat(...frames.flatMap((f) => [adts(1, 4, 2, f.payload.length, f.crc), f.payload]));
          const payloads: Uint8Array[] = [];
          const n = forEachAdtsFrame(src, (_s, ps, e, h) => {
            expect(h.samplingFrequency).toBe(44100);
            payloads.push(src.subarray(ps, e));
          });
          expect(n).toBe(frames.length);
          expect(payloads).toEqual(frames.map((f) => f.payload));
          if (frames.length > 1) expect(forEachAdtsFrame(src, () => false)).toBe(1);
        },
      ),
    );
  });

  it('rejects broken streams', () => {
    const D = 'STATUS_MKV_INVALID_FRAME_DATA';
    const good = concat(adts(1, 3, 2, 4), [1, 2, 3, 4]);
    expect(thrownStatus(() => parseAdtsHeader(good.subarray(0, 6)))).toBe(D);
    expect(thrownStatus(() => parseAdtsHeader(concat([0xfe], good.subarray(1))))).toBe(D);
    expect(thrownStatus(() => parseAdtsHeader(good, -1))).toBe(D);
    const layer = good.slice();
    layer[1] |= 0x02;
    expect(thrownStatus(() => parseAdtsHeader(layer))).toBe(D);
    expect(thrownStatus(() => forEachAdtsFrame(good.subarray(0, 10), () => {}))).toBe(D);
    expect(thrownStatus(() => parseAdtsHeader(concat(adts(1, 13, 2, 4), [1, 2, 3, 4])))).toBe(
      'STATUS_MKV_INVALID_AAC_CPD_SAMPLING_FREQUENCY_INDEX',
    );
    expect(thrownStatus(() => parseAdtsHeader(adts(1, 3, 2, -3)))).toBe(D); // frame length 4 < 7
  });
});

describe('G.711 WAVEFORMATEX', () => {
  it('builds the 18-byte structure PIC writes', () => {
    expect(toHex(buildG711WaveFormatEx(WaveFormatTag.ALAW, 8000, 1))).toBe(
      '0600' + '0100' + '401f0000' + '401f0000' + '0100' + '0800' + '0000',
    );
    expect(toHex(buildG711WaveFormatEx(WaveFormatTag.MULAW, 16000, 2))).toBe(
      '0700' + '0200' + '803e0000' + '007d0000' + '0200' + '0800' + '0000',
    );
  });

  it('round-trips build → parse', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(6, 7),
        fc.integer({ min: 8000, max: 192000 }),
        fc.integer({ min: 1, max: 255 }),
        (tag, rate, ch) => {
          const f = parseWaveFormatEx(buildG711WaveFormatEx(tag, rate, ch));
          expect(f).toMatchObject({
            formatTag: tag,
            samplesPerSec: rate,
            channels: ch,
            bitsPerSample: 8,
            blockAlign: ch,
            avgBytesPerSec: rate * ch,
          });
          expect(f.extra.length).toBe(0);
        },
      ),
    );
  });

  it('parses other formats and cbSize extras', () => {
    const pcm = hex('0100 0200 44ac0000 10b10200 0400 1000 0200 abcd');
    expect(parseWaveFormatEx(pcm)).toMatchObject({
      formatTag: 1,
      channels: 2,
      samplesPerSec: 44100,
      bitsPerSample: 16,
    });
    expect(toHex(parseWaveFormatEx(pcm).extra)).toBe('abcd');
  });

  it('rejects invalid input with STATUS_MKV_INVALID_AMS_ACM_CPD', () => {
    const S = 'STATUS_MKV_INVALID_AMS_ACM_CPD';
    expect(thrownStatus(() => buildG711WaveFormatEx(1, 8000, 1))).toBe(S);
    expect(thrownStatus(() => buildG711WaveFormatEx(6, 7999, 1))).toBe(S);
    expect(thrownStatus(() => buildG711WaveFormatEx(6, 192001, 1))).toBe(S);
    expect(thrownStatus(() => buildG711WaveFormatEx(7, 8000, 0))).toBe(S);
    const good = buildG711WaveFormatEx(6, 8000, 1);
    expect(thrownStatus(() => parseWaveFormatEx(good.subarray(0, 17)))).toBe(S);
    const mutate = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return b;
    };
    expect(thrownStatus(() => parseWaveFormatEx(mutate(16, 2)))).toBe(S); // cbSize past the end
    expect(thrownStatus(() => parseWaveFormatEx(mutate(14, 16)))).toBe(S); // 16-bit G.711
    expect(thrownStatus(() => parseWaveFormatEx(mutate(12, 2)))).toBe(S); // blockAlign
    expect(thrownStatus(() => parseWaveFormatEx(mutate(8, 0)))).toBe(S); // avgBytesPerSec
    expect(thrownStatus(() => parseWaveFormatEx(mutate(2, 0)))).toBe(S); // no channels
  });
});
