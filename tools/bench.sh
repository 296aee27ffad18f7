#!/usr/bin/env bash
# Benchmarks both backends in headless Chromium and rewrites its block of
# BENCHMARKS.md with the tables and the machine they came from. Extra args go to e2e/bench.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/setup.sh test
source tools/env.sh
trunk build --release
node e2e/bench.mjs "$@"
