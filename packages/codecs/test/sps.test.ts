import {
  insertEmulationPrevention,
  parseH264Pps,
  parseH264Sps,
  parseH265Pps,
  parseH265Sps,
  parseH265Vps,
} from '@kvs-ts/codecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter, concat, hex, thrownStatus } from './helpers';
import { X264_PPS, X264_SPS_320x240, X264_SPS_1920x1080, X265_PPS_1080, X265_SPS_1080, X265_VPS_1080 } from './vectors';

describe('H.264 SPS', () => {
  it('parses x264 320x240 (High@1.3, 4:2:0, no cropping)', () => {
    const s = parseH264Sps(X264_SPS_320x240);
    expect(s).toMatchObject({
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 13,
      spsId: 0,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      frameMbsOnly: true,
      codedWidth: 320,
      codedHeight: 240,
      width: 320,
      height: 240,
      maxNumRefFrames: 4,
      picOrderCntType: 0,
      vuiParametersPresent: true,
    });
    expect(s.crop).toEqual({ left: 0, right: 0, top: 0, bottom: 0 });
  });

  it('parses x264 1920x1080 (High@4.0, 1088 coded lines cropped by 8)', () => {
    const s = parseH264Sps(X264_SPS_1920x1080);
    expect(s).toMatchObject({
      profileIdc: 100,
      levelIdc: 40,
      codedWidth: 1920,
      codedHeight: 1088,
      width: 1920,
      height: 1080,
    });
    expect(s.crop).toEqual({ left: 0, right: 0, top: 0, bottom: 8 });
  });

  it('parses a Baseline SPS without the high-profile fields', () => {
    // profile 66, constraint 0xc0, level 30, sps_id 0, log2_max_frame_num_minus4 0, poc type 2,
    // 1 ref frame, 40x30 MBs → 640x480, frame_mbs_only, direct_8x8, no cropping, no VUI.
    const w = new BitWriter().u(8, 66).u(8, 0xc0).u(8, 30).ue(0).ue(0).ue(2).ue(1).flag(false).ue(39).ue(29);
    w.flag(true).flag(true).flag(false).flag(false).trailing();
    const s = parseH264Sps(concat([0x67], insertEmulationPrevention(w.bytes())));
    expect(s).toMatchObject({
      profileIdc: 66,
      constraintFlags: 0xc0,
      width: 640,
      height: 480,
      chromaFormatIdc: 1,
      picOrderCntType: 2,
    });
  });

  it('parses a PPS', () => {
    expect(parseH264Pps(X264_PPS)).toEqual({ ppsId: 0, spsId: 0 });
    expect(thrownStatus(() => parseH264Pps(X264_SPS_320x240))).toBe('STATUS_MKV_INVALID_H264_H265_CPD');
  });

  it('recovers every field of generated SPSs (all chroma formats, scaling lists, fields, cropping)', () => {
    const spsArb = fc
      .record({
        profileIdc: fc.constantFrom(66, 77, 88, 100, 110, 122, 244, 44, 118, 128),
        constraintFlags: fc.integer({ min: 0, max: 255 }),
        levelIdc: fc.integer({ min: 0, max: 255 }),
        spsId: fc.integer({ min: 0, max: 31 }),
        chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
        separate: fc.boolean(),
        lumaMinus8: fc.integer({ min: 0, max: 6 }),
        chromaMinus8: fc.integer({ min: 0, max: 6 }),
        scaling: fc.option(
          fc.array(fc.option(fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 64 })), {
            minLength: 12,
            maxLength: 12,
          }),
        ),
        log2MaxFrameNumMinus4: fc.integer({ min: 0, max: 12 }),
        pocType: fc.integer({ min: 0, max: 2 }),
        pocCycle: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 5 }),
        refFrames: fc.integer({ min: 0, max: 16 }),
        widthMbs: fc.integer({ min: 1, max: 240 }),
        heightMapUnits: fc.integer({ min: 1, max: 135 }),
        frameMbsOnly: fc.boolean(),
        crop: fc.option(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }))),
        vui: fc.boolean(),
      })
      .filter((p) => !p.crop || (p.widthMbs > 1 && p.heightMapUnits > 1));
    fc.assert(
      fc.property(spsArb, (p) => {
        const high = [100, 110, 122, 244, 44, 118, 128].includes(p.profileIdc);
        const w = new BitWriter().u(8, p.profileIdc).u(8, p.constraintFlags).u(8, p.levelIdc).ue(p.spsId);
        const chroma = high ? p.chromaFormatIdc : 1;
        const separate = high && chroma === 3 && p.separate;
        if (high) {
          w.ue(chroma);
          if (chroma === 3) w.flag(separate);
          w.ue(p.lumaMinus8)
            .ue(p.chromaMinus8)
            .flag(false)
            .flag(p.scaling !== null);
          if (p.scaling) {
            for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) {
              const list = p.scaling[i];
              w.flag(list !== null);
              if (!list) continue;
              // delta_scale values until nextScale hits 0 or the list is full.
              let last = 8;
              for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
                const d = list[j] ?? 0;
                w.se(d);
                const next = (last + d + 256) % 256;
                if (next === 0) break;
                last = next;
              }
            }
          }
        }
        w.ue(p.log2MaxFrameNumMinus4).ue(p.pocType);
        if (p.pocType === 0) w.ue(3);
        else if (p.pocType === 1) {
          w.flag(false).se(-2).se(1).ue(p.pocCycle.length);
          for (const o of p.pocCycle) w.se(o);
        }
        w.ue(p.refFrames)
          .flag(false)
          .ue(p.widthMbs - 1)
          .ue(p.heightMapUnits - 1)
          .flag(p.frameMbsOnly);
        if (!p.frameMbsOnly) w.flag(true);
        w.flag(true).flag(p.crop !== null);
        if (p.crop) for (const c of p.crop) w.ue(c);
        w.flag(p.vui);
        if (p.vui) w.u(13, 0x1abc);
        w.trailing();
        const s = parseH264Sps(concat([0x67], insertEmulationPrevention(w.bytes())));

        // Expected size from H.264 Table 6-1 and equations 7-19…7-22.
        const arrayType = separate ? 0 : chroma;
        const [subW, subH] = [
          [1, 1],
          [2, 2],
          [2, 1],
          [1, 1],
        ][arrayType];
        const unitX = arrayType === 0 ? 1 : subW;
        const unitY = (arrayType === 0 ? 1 : subH) * (p.frameMbsOnly ? 1 : 2);
        const [l, r, t, b] = p.crop ?? [0, 0, 0, 0];
        const codedH = p.heightMapUnits * 16 * (p.frameMbsOnly ? 1 : 2);
        const width = p.widthMbs * 16 - unitX * (l + r);
        const height = codedH - unitY * (t + b);
        if (width <= 0 || height <= 0) return; // cannot happen with the filter, but keep the oracle honest
        expect(s).toMatchObject({
          profileIdc: p.profileIdc,
          constraintFlags: p.constraintFlags,
          levelIdc: p.levelIdc,
          spsId: p.spsId,
          chromaFormatIdc: chroma,
          separateColourPlane: separate,
          bitDepthLuma: high ? 8 + p.lumaMinus8 : 8,
          bitDepthChroma: high ? 8 + p.chromaMinus8 : 8,
          frameMbsOnly: p.frameMbsOnly,
          codedWidth: p.widthMbs * 16,
          codedHeight: codedH,
          width,
          height,
          maxNumRefFrames: p.refFrames,
          picOrderCntType: p.pocType,
          vuiParametersPresent: p.vui,
        });
      }),
    );
  });

  it('rejects bad SPSs with the SPS statuses', () => {
    const SPS = 'STATUS_MKV_INVALID_H264_H265_SPS_NALU';
    expect(thrownStatus(() => parseH264Sps(X264_SPS_320x240.subarray(0, 3)))).toBe(SPS);
    expect(thrownStatus(() => parseH264Sps(X264_SPS_320x240.subarray(0, 8)))).toBe(SPS);
    expect(thrownStatus(() => parseH264Sps(X264_PPS))).toBe(SPS);
    expect(thrownStatus(() => parseH264Sps(concat([0xe7], X264_SPS_320x240.subarray(1))))).toBe(SPS);
    // chroma_format_idc 4
    const w = new BitWriter().u(8, 100).u(8, 0).u(8, 30).ue(0).ue(4).trailing();
    expect(thrownStatus(() => parseH264Sps(concat([0x67], w.bytes())))).toBe(SPS);
    // cropping larger than the picture → width / height statuses
    const crop = (l: number, t: number) =>
      new BitWriter()
        .u(8, 66)
        .u(8, 0)
        .u(8, 30)
        .ue(0)
        .ue(0)
        .ue(2)
        .ue(1)
        .flag(false)
        .ue(0)
        .ue(0)
        .flag(true)
        .flag(true)
        .flag(true)
        .ue(l)
        .ue(0)
        .ue(t)
        .ue(0)
        .flag(false)
        .trailing();
    expect(thrownStatus(() => parseH264Sps(concat([0x67], crop(8, 0).bytes())))).toBe(
      'STATUS_MKV_INVALID_H264_H265_SPS_WIDTH',
    );
    expect(thrownStatus(() => parseH264Sps(concat([0x67], crop(0, 8).bytes())))).toBe(
      'STATUS_MKV_INVALID_H264_H265_SPS_HEIGHT',
    );
    expect(parseH264Sps(concat([0x67], crop(7, 7).bytes()))).toMatchObject({ width: 2, height: 2 });
  });
});

describe('H.265 parameter sets', () => {
  it('parses x265 1920x1080 VPS/SPS/PPS (Main@4, no conformance window needed)', () => {
    const sps = parseH265Sps(X265_SPS_1080);
    expect(sps).toMatchObject({
      vpsId: 0,
      maxSubLayersMinus1: 0,
      temporalIdNesting: true,
      spsId: 0,
      chromaFormatIdc: 1,
      codedWidth: 1920,
      codedHeight: 1080,
      width: 1920,
      height: 1080,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
    });
    expect(sps.profileTierLevel).toMatchObject({
      generalProfileSpace: 0,
      generalTierFlag: false,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalLevelIdc: 120,
      subLayers: [],
    });
    expect(Array.from(sps.profileTierLevel.generalConstraintIndicatorFlags)).toEqual([0x90, 0, 0, 0, 0, 0]);
    const vps = parseH265Vps(X265_VPS_1080);
    expect(vps).toMatchObject({ vpsId: 0, maxLayersMinus1: 0, maxSubLayersMinus1: 0, temporalIdNesting: true });
    expect(vps.profileTierLevel.generalLevelIdc).toBe(120);
    expect(parseH265Pps(X265_PPS_1080)).toEqual({ ppsId: 0, spsId: 0 });
  });

  it('recovers generated SPS fields (sub-layers, chroma formats, conformance window)', () => {
    const arb = fc.record({
      vpsId: fc.integer({ min: 0, max: 15 }),
      maxSub: fc.integer({ min: 0, max: 6 }),
      nesting: fc.boolean(),
      profileSpace: fc.integer({ min: 0, max: 3 }),
      tier: fc.boolean(),
      profileIdc: fc.integer({ min: 0, max: 31 }),
      compat: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      constraint: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      level: fc.integer({ min: 0, max: 255 }),
      subLayers: fc.array(
        fc.record({
          p: fc.boolean(),
          l: fc.boolean(),
          idc: fc.integer({ min: 0, max: 31 }),
          lvl: fc.integer({ min: 0, max: 255 }),
        }),
        {
          minLength: 6,
          maxLength: 6,
        },
      ),
      spsId: fc.integer({ min: 0, max: 15 }),
      chroma: fc.integer({ min: 0, max: 3 }),
      separate: fc.boolean(),
      w8: fc.integer({ min: 2, max: 1024 }),
      h8: fc.integer({ min: 2, max: 1024 }),
      window: fc.option(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }))),
      luma: fc.integer({ min: 0, max: 8 }),
      chromaDepth: fc.integer({ min: 0, max: 8 }),
    });
    fc.assert(
      fc.property(arb, (p) => {
        const w = new BitWriter().u(4, p.vpsId).u(3, p.maxSub).flag(p.nesting);
        w.u(2, p.profileSpace).flag(p.tier).u(5, p.profileIdc).u(32, p.compat);
        for (const b of p.constraint) w.u(8, b);
        w.u(8, p.level);
        const subs = p.subLayers.slice(0, p.maxSub);
        for (const s of subs) w.flag(s.p).flag(s.l);
        if (p.maxSub > 0) for (let i = p.maxSub; i < 8; i++) w.u(2, 0);
        for (const s of subs) {
          if (s.p) w.u(3, 5).u(5, s.idc).u(32, 0xdeadbeef).u(32, 0x12345678).u(16, 0x9abc);
          if (s.l) w.u(8, s.lvl);
        }
        const separate = p.chroma === 3 && p.separate;
        w.ue(p.spsId).ue(p.chroma);
        if (p.chroma === 3) w.flag(separate);
        w.ue(p.w8 * 8)
          .ue(p.h8 * 8)
          .flag(p.window !== null);
        if (p.window) for (const c of p.window) w.ue(c);
        w.ue(p.luma).ue(p.chromaDepth).ue(4).u(11, 0x5a5).trailing();
        const nalu = concat([0x42, 0x01], insertEmulationPrevention(w.bytes()));
        const s = parseH265Sps(nalu);
        const arrayType = separate ? 0 : p.chroma;
        const subW = arrayType === 1 || arrayType === 2 ? 2 : 1;
        const subH = arrayType === 1 ? 2 : 1;
        const [l, r, t, b] = p.window ?? [0, 0, 0, 0];
        expect(s).toMatchObject({
          vpsId: p.vpsId,
          maxSubLayersMinus1: p.maxSub,
          temporalIdNesting: p.nesting,
          spsId: p.spsId,
          chromaFormatIdc: p.chroma,
          separateColourPlane: separate,
          codedWidth: p.w8 * 8,
          codedHeight: p.h8 * 8,
          width: p.w8 * 8 - subW * (l + r),
          height: p.h8 * 8 - subH * (t + b),
          bitDepthLuma: 8 + p.luma,
          bitDepthChroma: 8 + p.chromaDepth,
        });
        expect(s.profileTierLevel).toMatchObject({
          generalProfileSpace: p.profileSpace,
          generalTierFlag: p.tier,
          generalProfileIdc: p.profileIdc,
          generalProfileCompatibilityFlags: p.compat,
          generalLevelIdc: p.level,
        });
        expect(s.profileTierLevel.generalConstraintIndicatorFlags).toEqual(p.constraint);
        expect(s.profileTierLevel.subLayers).toEqual(
          subs.map((x) => ({
            profilePresent: x.p,
            levelPresent: x.l,
            ...(x.p ? { profileIdc: x.idc } : {}),
            ...(x.l ? { levelIdc: x.lvl } : {}),
          })),
        );
      }),
    );
  });

  it('rejects bad SPSs with the fitting statuses', () => {
    const SPS = 'STATUS_MKV_INVALID_H264_H265_SPS_NALU';
    expect(thrownStatus(() => parseH265Sps(X265_SPS_1080.subarray(0, 16)))).toBe(SPS);
    expect(thrownStatus(() => parseH265Sps(X265_VPS_1080))).toBe(SPS);
    expect(thrownStatus(() => parseH265Sps(hex('4201')))).toBe(SPS);
    // nuh_layer_id 1
    expect(thrownStatus(() => parseH265Sps(concat([0x42, 0x09], X265_SPS_1080.subarray(2))))).toBe(SPS);
    const base = () => {
      const w = new BitWriter().u(4, 0).u(3, 0).flag(true).u(8, 1).u(32, 0).u(32, 0).u(16, 0).u(8, 90);
      return w;
    };
    expect(
      thrownStatus(() => parseH265Sps(concat([0x42, 0x01], base().ue(0).ue(5).ue(64).ue(64).trailing().bytes()))),
    ).toBe('STATUS_MKV_INVALID_HEVC_SPS_CHROMA_FORMAT_IDC');
    const win = (l: number, t: number) =>
      base().ue(0).ue(1).ue(16).ue(16).flag(true).ue(l).ue(0).ue(t).ue(0).ue(0).ue(0).ue(0).trailing().bytes();
    expect(thrownStatus(() => parseH265Sps(concat([0x42, 0x01], win(8, 0))))).toBe(
      'STATUS_MKV_INVALID_H264_H265_SPS_WIDTH',
    );
    expect(thrownStatus(() => parseH265Sps(concat([0x42, 0x01], win(0, 8))))).toBe(
      'STATUS_MKV_INVALID_H264_H265_SPS_HEIGHT',
    );
    expect(parseH265Sps(concat([0x42, 0x01], win(7, 7)))).toMatchObject({ width: 2, height: 2 });
    expect(
      thrownStatus(() => parseH265Vps(concat(X265_VPS_1080.subarray(0, 4), [0xff, 0xfe], X265_VPS_1080.subarray(6)))),
    ).toBe('STATUS_MKV_INVALID_H264_H265_CPD');
  });
});
