#!/usr/bin/env bash
# Benchmarks both backends in headless Chromium and rewrites BENCHMARKS.md
# with the table and the machine it came from. Extra args go to e2e/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/setup.sh test
source tools/env.sh
trunk build --release
node e2e/bench.mjs "$@"
