#!/usr/bin/env bash
# Runs every test: native (science, CPU engine, WGSL kernels on lavapipe,
# naga validation), the release wasm build, and the browser end-to-end tests
# in headless Chromium (WebGPU on SwiftShader, and without WebGPU).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/setup.sh test
source tools/env.sh

# A clean CI checkout builds everything once: incremental compilation only costs there.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

echo "== native tests (cargo test; optimized test profile)"
cargo test --workspace --locked

echo "== wasm release build (trunk)"
trunk build --release

echo "== browser tests (playwright-core + Chromium)"
node --test --test-concurrency=1 e2e/playground.test.mjs e2e/hostile.test.mjs e2e/a11y.test.mjs
