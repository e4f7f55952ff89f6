#!/usr/bin/env bash
# The whole test suite: type-check and build every package, type-check the tests, lint, then
# run all tests.
# Tests that need root or a kernel feature say so in their names; CI runs them as root.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
npx tsc -p tsconfig.test.json
npx biome check .
npx vitest run "$@"
