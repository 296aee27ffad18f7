#!/usr/bin/env bash
# Trunk's post_build hook (tools/post-build.sh): the labs' own wasm, beside the
# playground's. The playground's page is built without the crate's `labs`
# feature (index.html: data-cargo-no-default-features), so its default page
# loads less; a link with lab=<id> loads this module too (www/loader.js).
# Same crate, same target dir (only the crate itself is built again, with
# the feature), same wasm-bindgen and wasm-opt as Trunk's own pipeline.
set -euo pipefail
cd "${TRUNK_SOURCE_DIR:-$(dirname "$0")/..}"
staging=${TRUNK_STAGING_DIR:?the hook runs inside a Trunk build}
mode=()
profile=debug
if [ "${TRUNK_PROFILE:-debug}" = release ]; then mode=(--release); profile=release; fi
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features labs "${mode[@]}"
wasm=target/wasm32-unknown-unknown/$profile/diffusion_playground.wasm
out=target/labs-bindgen/$profile
mkdir -p "$out"
wasm-bindgen --target=web --out-dir="$out" --out-name=diffusion-playground-labs --no-typescript "$wasm"
if [ "$profile" = release ]; then
  wasm-opt -Oz --output="$staging/diffusion-playground-labs_bg.wasm" "$out/diffusion-playground-labs_bg.wasm"
else
  cp "$out/diffusion-playground-labs_bg.wasm" "$staging/"
fi
cp "$out/diffusion-playground-labs.js" "$staging/"
