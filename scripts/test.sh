#!/usr/bin/env bash
# THE test command (`npm test`). From a fresh Debian machine with Node 20+ and npm:
#   1. installs missing system tools with apt-get (only when missing; needs root),
#   2. gets pnpm 10.34.8 and runs `pnpm install --frozen-lockfile`,
#   3. runs, continuing past failures: turbo build+typecheck+test (Node), biome, Chromium, Deno,
#   4. prints one summary and exits non-zero if any stage failed.
# Every stage has a time limit. Set KVS_SKIP_APT=1 to never call apt-get.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 VITE_CONFIG_NATIVE_IGNORE_WARNING=true
# The tools are ensured below, so tests that need them must fail, not skip, when they are absent.
export KVS_REQUIRE_TOOLS=1

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -a summary=()
failed=0

# Runs "$@" with a time limit, teeing its output to $logs/<name>.log; records ok/FAILED and the time.
stage() {
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS rc status
  echo
  echo "==== $name ===="
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  local took=$((SECONDS - start))
  [ "$rc" = 124 ] && echo "$name: time limit of ${limit}s reached"
  if [ "$rc" = 0 ]; then status=ok; else status="FAILED (exit $rc)"; failed=1; fi
  summary+=("$(printf '%-8s %-18s %4ss' "$name" "$status" "$took")")
}

# "N passed, M failed, K skipped" summed over every Vitest "Tests" line of a log.
vitest_counts() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /(^|[ :])Tests  +[0-9]/ {
      for (i = 1; i <= NF; i++) {
        if ($(i+1) ~ /^passed/) p += $i
        if ($(i+1) ~ /^failed/) f += $i
        if ($(i+1) ~ /^(skipped|todo)/) s += $i
      }
    }
    END { printf "%d passed, %d failed, %d skipped", p, f, s }'
}

setup_start=$SECONDS
bootstrap_tools
bootstrap_pnpm_install || { echo "test.sh: install failed, nothing was tested"; exit 1; }
summary+=("$(printf '%-8s %-18s %4ss' setup ok $((SECONDS - setup_start)))")

# A scaffolded package without sources yet has nothing to build, check or test: while there is one,
# run only the packages that have sources (an exclusion filter would still pull the scaffold's build in
# through bench's dependencies), and say so.
declare -a filters=() skipped=()
for dir in packages/*/; do
  [ -f "${dir}package.json" ] || continue
  name=$(node -p "require('./${dir}package.json').name")
  if [ -f "${dir}src/index.ts" ]; then filters+=("--filter=$name"); else skipped+=("$name"); fi
done
if [ ${#skipped[@]} -eq 0 ]; then
  filters=()
else
  echo "turbo: leaving out ${skipped[*]} (no src/index.ts yet) and bench"
fi

stage turbo 1200 pnpm exec turbo run build typecheck test --continue --concurrency=2 "${filters[@]}"
stage biome 300 pnpm exec biome check .
stage browser 600 pnpm run --silent test:browser
stage deno 600 pnpm run --silent test:deno

node_line="node: $(vitest_counts "$logs/turbo.log")"
browser_line="browser: $(vitest_counts "$logs/browser.log")"
deno_line=$(grep -E '^deno: [0-9]+ passed' "$logs/deno.log" | tail -n 1)
echo
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
[ ${#skipped[@]} -eq 0 ] || echo "not built (no src/index.ts yet): ${skipped[*]}, and so bench"
echo "${node_line}; ${browser_line}; ${deno_line:-deno: no summary}"
if [ "$failed" = 0 ]; then echo "RESULT: PASS"; else echo "RESULT: FAIL"; fi
exit "$failed"
