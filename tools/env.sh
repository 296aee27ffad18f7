# Sourced by the tools/*.sh scripts: where the pinned tools live.
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Vulkan's loader complains without it; harmless, but noisy in test logs.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
  export XDG_RUNTIME_DIR="$(mktemp -d)"
fi
