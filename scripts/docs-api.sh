#!/usr/bin/env bash
# Typed API reference: TypeDoc (config in typedoc.json) renders every public package's
# src/index.ts (and src/node.ts) to HTML in docs/api/. The tree is generated, not committed
# (see docs/api/README.md); only docs/api/README.md and docs/api/biome.json (which keeps the
# generated HTML, CSS and JS out of `biome check`) are kept between runs.
# Usage: pnpm docs:api [extra typedoc options]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/api
find docs/api -mindepth 1 -maxdepth 1 ! -name README.md ! -name biome.json -exec rm -rf {} +
exec node_modules/.bin/typedoc --options typedoc.json "$@"
