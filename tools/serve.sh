#!/usr/bin/env bash
# Builds the playground in release mode and serves it at http://127.0.0.1:8080
# (installing whatever is missing first; see tools/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
tools/setup.sh build
source tools/env.sh
echo "Serving the playground at http://127.0.0.1:8080 (Ctrl-C stops)"
exec trunk serve --release "$@"
