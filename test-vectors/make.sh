#!/usr/bin/env bash
# Regenerates every file in test-vectors/ (see README.md there). Needs ffmpeg + ffprobe (made with
# Debian 12's 5.1 / libx264 164) and node. Single-threaded, bit-exact settings: the same tools give
# the same bytes. Video SEI NAL units (x264's version banner) are removed so nothing names the encoder.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff=(ffmpeg -hide_banner -loglevel error -nostdin -y)
# Output options: no encoder/muxer version strings, fixed UIDs, no copied tags.
out=(-threads 1 -fflags +bitexact -map_metadata -1)
x264=(-c:v libx264 -pix_fmt yuv420p -preset medium -crf 35 -g 25 -keyint_min 25 -sc_threshold 0 -flags:v +bitexact
  -bsf:v filter_units=remove_types=6)
index=(node ../scripts/test-vectors-index.mjs)

# 1. 10 s of 320x240 @ 25 fps test pattern, H.264 Constrained Baseline, GOP 25 (one IDR per second),
#    no B-frames, SPS+PPS in front of every IDR. Encoded into MP4 first (it keeps exact PTS/DTS),
#    then rewritten to an Annex-B elementary stream without re-encoding.
"${ff[@]}" -f lavfi -i testsrc2=size=320x240:rate=25:duration=10 "${x264[@]}" -profile:v baseline -bf 0 \
  -x264-params repeat-headers=1 -an "${out[@]}" "$tmp/baseline.mp4"
"${ff[@]}" -i "$tmp/baseline.mp4" -c copy -bsf:v h264_mp4toannexb "${out[@]}" -f h264 h264-baseline-320x240-25fps.h264

# 2. 2 s of the same pattern, H.264 Main with a fixed I/P B B pattern (2 B-frames, no pyramid): PTS != DTS.
"${ff[@]}" -f lavfi -i testsrc2=size=320x240:rate=25:duration=2 "${x264[@]}" -profile:v main -bf 2 \
  -x264-params repeat-headers=1:b-adapt=0:b-pyramid=none -an "${out[@]}" "$tmp/bframes.mp4"
"${ff[@]}" -i "$tmp/bframes.mp4" -c copy -bsf:v h264_mp4toannexb "${out[@]}" -f h264 h264-main-bframes-320x240-25fps.h264

# 3. 10 s of a 440 Hz sine, AAC-LC 48 kHz mono 32 kb/s, ADTS (7-byte header on every frame, 1024 samples each).
"${ff[@]}" -f lavfi -i sine=frequency=440:sample_rate=48000:duration=10 -c:a aac -b:a 32k -ac 1 -flags:a +bitexact \
  "${out[@]}" -f adts aac-lc-48khz-mono.aac

# 4. Streams 1 and 3 muxed by ffmpeg's Matroska muxer (stream copy: same frames, AVCC + AudioSpecificConfig).
"${ff[@]}" -i "$tmp/baseline.mp4" -i aac-lc-48khz-mono.aac -map 0:v -map 1:a -c copy -flags +bitexact \
  "${out[@]}" h264-aac-320x240.mkv

# 5. Frame indexes: timestamps from the container that kept them, byte ranges from the elementary stream.
"${index[@]}" h264-baseline-320x240-25fps.h264 "$tmp/baseline.mp4" > h264-baseline-320x240-25fps.h264.json
"${index[@]}" h264-main-bframes-320x240-25fps.h264 "$tmp/bframes.mp4" > h264-main-bframes-320x240-25fps.h264.json
"${index[@]}" aac-lc-48khz-mono.aac aac-lc-48khz-mono.aac > aac-lc-48khz-mono.aac.json
"${index[@]}" h264-aac-320x240.mkv h264-aac-320x240.mkv > h264-aac-320x240.mkv.json

ls -l
du -cb -- *.h264 *.aac *.mkv *.json | tail -n 1
