#!/usr/bin/env bash
# Benchmarks both backends in headless Chromium and rewrites its blocks of
# BENCHMARKS.md with the tables and the machine they came from: the samplers
# against TF.js (e2e/bench.mjs; extra args go to it), then the labs
# (e2e/lab_bench.mjs), then training (e2e/train_bench.mjs), then what each
# page mode loads (e2e/payload.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/setup.sh test
source tools/env.sh
trunk build --release
node e2e/bench.mjs "$@"
node e2e/lab_bench.mjs
node e2e/train_bench.mjs
node e2e/payload.mjs
