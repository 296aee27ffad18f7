#!/usr/bin/env bash
# Retrains every dataset's score MLP and classifier, rewriting models/*.safetensors,
# models/plots/*.svg and models/QUALITY.md. Extra arguments go to the trainer
# (e.g. --dataset moons,rings). Deterministic for a given seed and thread count.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --locked -p train -- "$@"
