#!/usr/bin/env bash
# Records what independent tools report for each AWS parser-library capture, so that the
# isomorphic tests (Node, Chromium, Deno) can check our parser against them without running
# the tools. The Node-only test aws-vectors.node.test.ts runs the same commands live.
#   frames:       ffprobe -v quiet -count_packets -show_entries stream=nb_read_packets -of csv=p=0 FILE  (summed)
#   clusters:     mkvinfo -a FILE | grep -c '^|+ Cluster'
#   simpleTags:   mkvinfo -a FILE | grep -c '^|  *+ Simple$'
#   ebmlHeaders:  grep -c over the bytes 1A 45 DF A3 (one EBML header per segment in these files)
#   mkvinfoComplete: false when mkvinfo gave up ("Resync failed"), so its counts cover a prefix only
set -eu
dir=${KVS_TEST_VECTORS:-$(cd "$(dirname "$0")/../../../.." && pwd)/shared/test-vectors}/aws-parser-library
out=$(dirname "$0")/../test/fixtures/aws-oracle.json
{
  echo '{'
  echo '  "tools": "'"$(ffprobe -version | head -1 | cut -d' ' -f1-3); $(mkvinfo --version | head -1)"'",'
  echo '  "files": {'
  first=1
  for f in "$dir"/*.mkv; do
    name=$(basename "$f")
    frames=$(ffprobe -v quiet -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f" 2>/dev/null | awk '{s+=$1} END {print s+0}' || true)
    info=$(mkvinfo -a "$f" 2>&1 || true)
    clusters=$(grep -c '^|+ Cluster' <<<"$info" || true)
    simple=$(grep -cE '^\|  *\+ Simple$' <<<"$info" || true)
    complete=true; grep -q 'Resync failed' <<<"$info" && complete=false
    ebml=$(LC_ALL=C grep -obUaP '\x1a\x45\xdf\xa3' "$f" | wc -l)
    [ $first = 1 ] || echo ','
    first=0
    printf '    "%s": { "frames": %s, "clusters": %s, "simpleTags": %s, "ebmlHeaders": %s, "mkvinfoComplete": %s }' \
      "$name" "$frames" "$clusters" "$simple" "$ebml" "$complete"
  done
  echo
  echo '  }'
  echo '}'
} > "$out"
echo "wrote $out"
