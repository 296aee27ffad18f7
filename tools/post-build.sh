#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml), in order: the labs' own wasm beside
# the playground's (tools/build-labs.sh), then, in a release build, every
# JS file minified (tools/minify-js.sh; the labs' glue included, so it runs
# second).
set -euo pipefail
here=$(dirname "$0")
bash "$here/build-labs.sh"
if [ "${TRUNK_PROFILE:-debug}" = release ]; then bash "$here/minify-js.sh"; fi
