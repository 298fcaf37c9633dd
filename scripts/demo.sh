#!/usr/bin/env bash
# `npm run demo`: bootstrap (pnpm + install), build the CLI and what it depends on, run `kvs demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

bootstrap_pnpm_install
pnpm exec turbo run build --filter=@kvs-ts/cli... --output-logs=errors-only
if [ ! -f packages/cli/dist/kvs.mjs ]; then
  echo "demo: packages/cli/dist/kvs.mjs was not built: the CLI does not provide the kvs command yet" >&2
  exit 1
fi
pnpm run --silent kvs demo
