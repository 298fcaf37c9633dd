import { hex } from './helpers';

// Real x264/x265 output (ffmpeg 5.1, testsrc2), checked by hand against H.264 §7.3.2.1.1 /
// H.265 §7.3.2.2: 320x240 has no cropping; 1920x1080 is coded as 1088 lines with
// frame_crop_bottom_offset 4 (× CropUnitY 2 = 8 lines).
export const X264_SPS_320x240 = hex('6764000dacd94141fb011000000300100000030320f1429960');
export const X264_SPS_1920x1080 = hex('67640028acd940780227e5c044000003000400000300c83c60c658');
export const X264_PPS = hex('68ebe3cb22c0');
export const X265_VPS_1080 = hex('40010c01ffff016000000300900000030000030078959809');
export const X265_SPS_1080 = hex(
  '420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000c84',
);
export const X265_PPS_1080 = hex('4401c172b46240');
