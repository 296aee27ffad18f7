#!/usr/bin/env bash
# Release builds only (tools/post-build.sh): every JS file the page loads,
# minified in Trunk's staging dir with terser (npm, pinned in package.json).
# The sources in www/ stay as written; the browser tests run on what ships.
#
# Two kinds of file: the ES modules (www/loader.js and the wasm-bindgen glue
# of both wasm modules) have their top-level names mangled too; the classic
# scripts (the rest of www/) share their top-level names as globals across
# files, so terser renames only what is local to a function. uPlot ships
# minified already.
set -euo pipefail
cd "${TRUNK_SOURCE_DIR:-$(dirname "$0")/..}"
staging=${TRUNK_STAGING_DIR:?the hook runs inside a Trunk build}
terser=node_modules/.bin/terser
[ -x "$terser" ] || { echo "terser is missing: run tools/setup.sh" >&2; exit 1; }
for f in "$staging"/*.js; do
  name=$(basename "$f")
  case "$name" in
    *.min.js) continue ;;
    loader.js | diffusion-playground*.js) kind=(--module) ;;
    *) kind=() ;;
  esac
  "$terser" "$f" "${kind[@]}" --compress --mangle --output "$f.min"
  mv "$f.min" "$f"
done
