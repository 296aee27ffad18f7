#!/usr/bin/env bash
# Idempotent installer for everything the playground needs to build, serve,
# test and benchmark. Each step checks first and does nothing when the right
# version is already there, so running it again costs seconds.
#
#   tools/setup.sh build   # wasm target, trunk, wasm-bindgen-cli, wasm-opt
#   tools/setup.sh test    # build + chromium, lavapipe (Vulkan on the CPU), playwright-core
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TRUNK_VERSION=0.21.14
# wasm-opt from npm's binaryen: Debian's binaryen 108 corrupts wasm-bindgen 0.2.130 + wgpu output.
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

need_root() { if [ "$(id -u)" -ne 0 ]; then echo sudo; fi; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (about 8 minutes on 2 cores)"
    cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
}

wasm_bindgen_version() {
  # The CLI must match the crate version in Cargo.lock exactly.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock
}

ensure_wasm_bindgen() {
  [ -f Cargo.lock ] || cargo generate-lockfile
  local v; v=$(wasm_bindgen_version)
  if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $v"; then
    log "installing wasm-bindgen-cli $v"
    # Not --locked: its lockfile names a dependency version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$v"
  fi
}

ensure_npm() {
  # playwright-core (browser tests), binaryen (wasm-opt 132), terser (the release JS), axe-core
  # (the accessibility audit), tfjs (bench baseline): pinned in package-lock.json.
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.setup-lock; then
    log "installing npm packages"
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.setup-lock
  fi
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    $(need_root) apt-get update -q
    DEBIAN_FRONTEND=noninteractive $(need_root) apt-get install -y -q "${missing[@]}"
  fi
}

ensure_node() {
  # Node runs wasm-opt (npm binaryen), the browser tests and the bench.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
}

mode=${1:-build}
ensure_node
ensure_wasm_target
ensure_npm
ensure_wasm_bindgen
ensure_trunk
if [ "$mode" = test ]; then
  # chromium: the real browser (SwiftShader WebGPU inside); mesa-vulkan-drivers: lavapipe for native wgpu tests.
  apt_install chromium mesa-vulkan-drivers libvulkan1
fi
log "toolchain ready ($mode)"
